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


@cache
def _latin_capital(letter: str) -> str:
    r"""A small letter whose own skeleton is not Latin but whose capital's is one Latin capital
    (Cyrillic "\u0432", whose capital "\u0412" is confusable with "B"): that Latin letter,
    small. Folding case first would otherwise lose the capitals' confusables. Anything else
    is unchanged."""
    checker = _spoof_checker()
    if checker.getSkeleton(0, letter).isascii():
        return letter
    capital = letter.upper()
    if len(capital) == 1:
        target = checker.getSkeleton(0, capital)
        if len(target) == 1 and target.isascii() and target.isupper() and target != capital:
            return target.lower()
    return letter


SKELETON_ROUNDS = 4  # a fixed point comes after two rounds for all but a few symbols


@lru_cache(maxsize=16384)
def skeleton(name: str) -> str:
    r"""The form under which two names look the same: Unicode TR39's confusable skeleton.

    Each round: NFKC (fullwidth and mathematical letters become plain ones); every invisible
    character dropped (zero-width spaces and joiners, bidi overrides and isolates, other
    default-ignorable and control characters); case folded; then the TR39 skeleton from
    ICU's spoof checker (Cyrillic "\u0440" and Latin "p" become one letter). A small letter
    whose capital is a Latin capital's look-alike takes that Latin letter first, so Cyrillic
    "\u0412" matches "B" in either case. Rounds repeat until nothing changes (a skeleton may
    hold a capital, ``0`` becomes ``O``, or a compatibility character), so the result is a
    fixed point: ``skeleton(skeleton(x)) == skeleton(x)``. White space is collapsed to single
    spaces and the result is composed (NFC). Accents stay: "Fronti\u00e8res" and "Frontieres"
    differ here (the fuzzy comparison of the signals spans that).

    ``skeleton("R\u0435porters \u200bWithout Borders") == "reporters without borders"``

    Pure, deterministic for one ICU data version (the tables follow Unicode's
    ``confusables.txt``; a key stored from it should be recomputed after an ICU upgrade),
    about 10 microseconds a name, cached. It is for comparing, never for showing: ``m`` and
    ``rn`` share a skeleton.
    """
    hidden, checker = _invisible(), _spoof_checker()
    text = name
    for _round in range(SKELETON_ROUNDS):
        text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch not in hidden)
        mapped = checker.getSkeleton(0, "".join(_latin_capital(ch) for ch in text.casefold()))
        if mapped == text:
            break
        text = mapped
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
