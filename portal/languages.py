"""Language rules, pure: which tags are languages, which interface catalogue serves one, and
which way its script runs. Imports nothing request-bound, so services may use it."""

from __future__ import annotations

import re

from babel import Locale, UnknownLocaleError

from portal.config import LANGUAGES, RTL_LANGUAGES

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


def ui_language(lang: str, available: list[str] | tuple[str, ...] = tuple(LANGUAGES)) -> str:
    """The interface catalogue for a statement language ("fr-CA" reads French, "pt-BR"
    English), falling back to English."""
    if lang in available:
        return lang
    base = lang.split("-", 1)[0]
    return base if base in available else "en"


def direction(lang: str) -> str:
    """``rtl`` for Arabic, Persian, Hebrew and Urdu scripts, else ``ltr``."""
    return "rtl" if lang.split("-", 1)[0] in RTL_LANGUAGES else "ltr"
