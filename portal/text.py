"""Text rules shared by services and views: emails, collation, search, countries."""

from __future__ import annotations

import unicodedata
from functools import cache

import pycountry
from babel import Locale, UnknownLocaleError

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
SORT_KEY_WEIGHTS = 140


def canonical_email(address: str) -> str:
    """The form under which two addresses are the same signer.

    Case is folded, a ``+tag`` is dropped, and Gmail's ignored dots are removed.
    """
    local, _, domain = address.strip().rpartition("@")
    local, domain = local.lower(), domain.lower().rstrip(".")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.replace(".", "")
    return f"{local}@{domain}"


@cache
def _collator():
    from pyuca import Collator

    return Collator()


def sort_key(name: str) -> str:
    """A Unicode Collation Algorithm key, as text that sorts the same way in any database."""
    weights = _collator().sort_key(name.strip())[:SORT_KEY_WEIGHTS]
    return "".join(f"{w:04x}" for w in weights)


def listing_key(name: str, visibility: str, country: str) -> str:
    """Collation key; country-only signatories sort last, so their place says nothing of the name."""
    if visibility == "country":
        return "ffff" + country.encode().hex()
    return sort_key(name)


def escape_like(value: str) -> str:
    """Escape ``%``, ``_`` and the escape character itself, for ``LIKE … ESCAPE '\\'``."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def fold(value: str) -> str:
    """Case- and accent-insensitive form used for search."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


@cache
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def country_name(code: str, lang: str) -> str:
    """The country's name in ``lang``, falling back to English and then to the code."""
    name = _locale(lang).territories.get(code) or _locale("en").territories.get(code)
    return name or code


@cache
def countries(lang: str) -> tuple[tuple[str, str], ...]:
    """(code, localised name) pairs, sorted by the collation of the names."""
    pairs = [(code, country_name(code, lang)) for code in country_codes()]
    collator = _collator()
    return tuple(sorted(pairs, key=lambda pair: collator.sort_key(pair[1])))
