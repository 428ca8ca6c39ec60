"""The signer's own links: confirm and withdraw. A GET only shows a button."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, make_response, render_template, request
from sqlalchemy import select

from .. import ratelimits, signing, tokens
from ..extensions import db, limiter
from ..i18n import ui_language
from ..models import Signature

bp = Blueprint("signatures", __name__)
# Per client: guessing tokens or hammering a link gets a 429 (LINK_RATE_LIMIT).
limiter.shared_limit(lambda: current_app.config["LINK_RATE_LIMIT"], scope="links")(bp)


def _signature(purpose: str, token: str) -> Signature:
    uid = tokens.read(purpose, token)
    signature = uid and db.session.scalars(select(Signature).where(Signature.uid == uid)).one_or_none()
    if not signature:
        abort(404)
    g.lang = ui_language(signature.lang)
    return signature


def _pressed(signature: Signature) -> bool:
    """A POST (the button), counted against its statement's limit: a flood of confirmations
    or withdrawals for one statement, from however many clients, gets a 429 (the link keeps
    working once the flood passes)."""
    if request.method != "POST":
        return False
    if ratelimits.exceeded("LINK_STATEMENT_RATE_LIMIT", "statement", str(signature.statement_id)):
        abort(429)
    return True


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Show the confirming button; only the POST confirms."""
    signature = _signature("confirm", token)
    outcome = signing.confirm(token) if _pressed(signature) else None
    return _private(make_response(render_template(
        "signatures/confirm.html", signature=signature, statement=signature.statement,
        outcome=outcome, token=token)))


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
def withdraw(token: str):
    """Show the withdrawing button; only the POST withdraws."""
    signature = _signature("withdraw", token)
    outcome = signing.withdraw(token) if _pressed(signature) else None
    return _private(make_response(render_template(
        "signatures/withdraw.html", signature=signature, statement=signature.statement,
        outcome=outcome, token=token)))
