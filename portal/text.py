"""Text rules shared by services and views: emails, collation, search, look-alikes, countries."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

import icu
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
def _invisible() -> frozenset[str]:
    """Default-ignorable, format (bidi controls, zero-width) and control characters, less white space."""
    found = icu.UnicodeSet("[[:Default_Ignorable_Code_Point:][:Cf:][:Cc:]-[:White_Space:]]")
    return frozenset(str(item) for item in found)


@cache
def _spoof_checker() -> icu.SpoofChecker:
    return icu.SpoofChecker()


@lru_cache(maxsize=16384)
def skeleton(name: str) -> str:
    """The form under which two names look the same: Unicode TR39's confusable skeleton.

    NFKC first (fullwidth and mathematical letters become plain ones), then every invisible
    character is dropped (zero-width spaces and joiners, bidi overrides and isolates, other
    default-ignorable and control characters), then the text is case-folded and mapped to its
    TR39 skeleton by ICU's spoof checker (Cyrillic "р" and Latin "p" become one letter),
    twice: a skeleton may hold a capital (``0`` becomes ``O``) and folding it may yield a letter
    with a prototype of its own, and the second round makes the result a fixed point. White
    space is collapsed to single spaces and the result is composed (NFC). Accents stay:
    "Frontières" and "Frontieres" differ here (the fuzzy comparison of signals spans that).

    ``skeleton("R\u0435porters \u200bWithout Borders") == skeleton("reporters without borders")``.

    Pure and deterministic for one ICU data version (the skeleton tables follow Unicode's
    ``confusables.txt``): a key stored from it should be recomputed after an ICU upgrade. It
    is meant for comparing, never for showing: ``m`` and ``rn`` share a skeleton.
    """
    text = unicodedata.normalize("NFKC", name)
    hidden = _invisible()
    text = "".join(ch for ch in text if ch not in hidden)
    checker = _spoof_checker()
    for _round in range(2):
        text = checker.getSkeleton(0, text.casefold())
    # TR39 gives NFD; NFC is the same text, composed (so "è" stays one letter for rapidfuzz).
    return " ".join(unicodedata.normalize("NFC", text).split())


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
