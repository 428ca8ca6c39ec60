"""The workspace language: a choice stored on the coordinator's account (before login, for the
session), taking effect on the page the choice was made from."""

from __future__ import annotations

from flask import abort, current_app, request, session, url_for

from portal.accounts import preferences
from portal.views.manage import bp, see_other
from portal.web import auth


@bp.post("/language")
def language():
    """Choose the workspace language, then go back to the page it was chosen on."""
    lang = request.form.get("lang", "")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    if auth.current_coordinator() is not None:
        preferences.set_language(auth.actor(), lang)
    session["ui_lang"] = lang
    return see_other(auth.safe_next(request.form.get("next")) or url_for(".home"))
