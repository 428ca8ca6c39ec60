"""The signer's answers to what came after signing: keep a signature on an amended text, and
stop updates (RFC 8058 one-click). A GET only shows a page; a POST acts."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, request, url_for

from portal import tokens
from portal.extensions import db, limiter
from portal.fragments import render
from portal.languages import ui_language
from portal.record import amending, diffs, versions
from portal.statements import public

bp = Blueprint("record", __name__)
limiter.shared_limit(lambda: current_app.config["LINK_RATE_LIMIT"], scope="links")(bp)


def private_page(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/reconsent/<token>", methods=["GET", "POST"])
def reconsent(token: str):
    """The amended text's changes and the "keep my signature" button; only the POST keeps."""
    signature, number = amending.find(db.session, token)
    if signature is None:
        abort(404)
    g.lang = ui_language(signature.lang)
    statement = signature.statement
    answer = amending.keep(token) if request.method == "POST" else None
    if answer is not None:
        db.session.expire_all()
        signature, number = amending.find(db.session, token)
    lang = amending.text_lang(statement, signature)
    history = versions.history(db.session, statement.id, lang)
    current = history[0] if history else None
    signed = next((v for v in history if v.number == signature.text_version), None) or (
        history[1] if len(history) > 1 else None)
    lines = diffs.compare(signed, current) if signed and current and signed is not current else []
    return private_page(render("record/reconsent.html", "record/_reconsent.html", signature=signature,
                           statement=statement, tr=public.text_for(statement, signature.lang)[0],
                           answer=answer, token=token,
                           withdraw_url=url_for("signatures.withdraw",
                                                token=tokens.make("withdraw", signature.uid)),
                           lines=lines, signed=signed, current=current,
                           open=signature.state in amending.ASKED
                           and (signature.original_version or 0) < number))


from portal.views import unsubscribe  # noqa: E402,F401  (routes register on bp)
