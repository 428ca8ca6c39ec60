"""Stopping updates: a page with a button, and RFC 8058's one-click POST from a mail client."""

from __future__ import annotations

from flask import abort, g, request

from portal import tokens
from portal.extensions import csrf, db
from portal.fragments import render
from portal.languages import ui_language
from portal.models import Signature
from portal.record import updates
from portal.views.record import bp, private_page


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: a mail client posts "List-Unsubscribe=One-Click" with no page; the
# link's own MAC is the secret, and stopping updates is the only thing it can do.
def unsubscribe(token: str):
    """Stop updates about this statement: the POST stops them (a button, or a mail client)."""
    uid = tokens.read("unsubscribe", token)
    signature = (db.session.scalars(db.select(Signature).where(Signature.uid == uid)).one_or_none()
                 if uid else None)
    if signature is None:
        abort(404)
    g.lang = ui_language(signature.lang)
    stopped = updates.stop(token) if request.method == "POST" else None
    db.session.expire_all()
    signature = db.session.get(Signature, signature.id)
    return private_page(render("record/unsubscribe.html", "record/_unsubscribe.html", signature=signature,
                           token=token, stopped=stopped))
