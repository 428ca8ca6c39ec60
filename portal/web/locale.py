"""The request's language: the URL's ``<lang>`` picks the text and, if it has a catalogue, the
interface; the workspace follows the coordinator's choice, and it and ``/`` the cookie or
``Accept-Language``."""

from __future__ import annotations

from flask import Flask, abort, current_app, g, has_request_context, request, session

from portal.languages import direction, known, ui_language


def pull_lang(endpoint, values) -> None:
    """A URL value preprocessor: take an optional ``<lang>`` into ``g.lang``; 404 if unknown."""
    if values and "lang" in values:
        lang = values.pop("lang")
        if not known(lang):
            abort(404)
        g.lang = lang


def select_locale() -> str:
    lang = getattr(g, "lang", None)
    if lang:
        return ui_language(lang, current_app.config["LANGUAGES"])
    if not has_request_context():  # a service rendering mail from the CLI or the sender
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.blueprint == "manage" and (chosen := g.get("workspace_lang")):
        return chosen
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def workspace_language() -> str | None:
    """The workspace language last chosen in this session, else the logged-in coordinator's."""
    from portal.web.auth import current_coordinator

    me = current_coordinator()
    for chosen in (session.get("ui_lang"), me.ui_lang if me else None):
        if chosen in current_app.config["LANGUAGES"]:
            return chosen
    return None


def best_language() -> str:
    """For ``/``: the cookie, then ``Accept-Language``, then English."""
    available = current_app.config["LANGUAGES"]
    chosen = request.cookies.get("lang", "")
    if chosen in available:
        return chosen
    return request.accept_languages.best_match(available) or "en"


def init_app(app: Flask) -> None:
    @app.context_processor
    def _language():
        lang = getattr(g, "lang", None) or select_locale()
        ui = ui_language(lang, current_app.config["LANGUAGES"])
        return {"lang": lang, "ui_lang": ui, "ui_dir": direction(ui),
                "ui_languages": app.config["LANGUAGES"], "text_dir": direction}
