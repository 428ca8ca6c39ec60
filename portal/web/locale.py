"""Language selection: the URL's ``<lang>`` picks the text and, if it has a catalogue, the UI."""

from __future__ import annotations

import re

from babel import Locale, UnknownLocaleError
from flask import Flask, abort, current_app, g, has_request_context, request

from portal.config import RTL_LANGUAGES

LANG_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")


def known(lang: str) -> bool:
    """True for a well-formed BCP 47 tag that Babel knows."""
    if not LANG_PATTERN.match(lang):
        return False
    try:
        Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


def pull_lang(endpoint, values) -> None:
    """A URL value preprocessor: take an optional ``<lang>`` into ``g.lang``; 404 if unknown."""
    if values and "lang" in values:
        lang = values.pop("lang")
        if not known(lang):
            abort(404)
        g.lang = lang


def ui_language(lang: str) -> str:
    """The interface catalogue for a statement language, falling back to English."""
    available = current_app.config["LANGUAGES"]
    if lang in available:
        return lang
    base = lang.split("-", 1)[0]
    return base if base in available else "en"


def select_locale() -> str:
    lang = getattr(g, "lang", None)
    if lang:
        return ui_language(lang)
    if not has_request_context():  # a service rendering mail from the CLI or the sender
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def best_language() -> str:
    """For ``/``: the cookie, then ``Accept-Language``, then English."""
    available = current_app.config["LANGUAGES"]
    chosen = request.cookies.get("lang", "")
    if chosen in available:
        return chosen
    return request.accept_languages.best_match(available) or "en"


def direction(lang: str) -> str:
    return "rtl" if lang.split("-", 1)[0] in RTL_LANGUAGES else "ltr"


def init_app(app: Flask) -> None:
    @app.context_processor
    def _language():
        lang = getattr(g, "lang", None) or select_locale()
        ui = ui_language(lang)
        return {"lang": lang, "ui_lang": ui, "ui_dir": direction(ui),
                "ui_languages": app.config["LANGUAGES"], "text_dir": direction}
