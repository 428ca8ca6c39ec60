"""Text rules shared by services and views: emails, collation, search, countries."""

from __future__ import annotations

import re
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


# --- names and websites as signers type them ------------------------------------------------

LINE_BREAKS = frozenset("\n\r\v\f\x85\u2028\u2029")
# Explicit direction controls: an override can make a name read as another one.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Joiners are needed inside Arabic-script and Indic words (Persian writes ZWNJ every day);
# anywhere else they only hide something.
JOINERS = frozenset("\u200c\u200d")
LATIN_LIKE = ("LATIN", "CYRILLIC", "GREEK")
URL_LIKE = re.compile(
    r"[a-z][a-z0-9+.-]*://|\bwww\.|@"  # a scheme, www. or an address
    r"|(?<![^\W_])[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*\.[^\W\d_]{2,24}(?![^\W_])",  # a.b.tld
    re.IGNORECASE)


def _joins_letters(value: str, index: int) -> bool:
    """A joiner between two letters of a script that uses it (not Latin, Cyrillic or Greek)."""
    if index == 0 or index == len(value) - 1:
        return False
    return all(value[i].isalpha() and not unicodedata.name(value[i], "").startswith(LATIN_LIKE)
               for i in (index - 1, index + 1))


def name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a name, as a code, or None.

    ``lines``: it has a line break; ``direction``: a bidi control; ``invisible``: a zero-width
    or other invisible character; ``control``: a control character; ``url``: it looks like a
    web or email address. Names go into emails to unverified addresses and are compared for
    look-alikes, so none of these is accepted.
    """
    for index, char in enumerate(value):
        if char in LINE_BREAKS:
            return "lines"
        if char in BIDI_CONTROLS:
            return "direction"
        category = unicodedata.category(char)
        if char in JOINERS:
            if not _joins_letters(value, index):
                return "invisible"
        elif category == "Cf" or char in "\u115f\u1160\u3164\uffa0":  # formats; Hangul fillers
            return "invisible"
        elif category in ("Cc", "Co", "Cs", "Cn"):
            return "control"
    if URL_LIKE.search(value):
        return "url"
    return None


def normalise_website(value: str) -> str:
    """A website as typed (``rsf.org``, ``www.example.org``) as a full ``https://`` address.

    Anything with a scheme is left as it is, for the URL validator to judge.
    """
    value = value.strip()
    if not value or "://" in value:
        return value
    return "https://" + value.removeprefix("//")


def name_key(name: str) -> str:
    """The name as the duplicate key compares it: compatibility forms, case and spacing folded,
    so "Reporters  Without Borders" and "reporters without borders" are one organisation."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(folded.split())[:300]
