"""Look-alike names (issue 10, item 9): the TR39 confusable skeleton of ``portal.text``."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.text import skeleton

REAL = "Reporters Without Borders"
RLO, PDF, ZWSP, ZWJ, LRI, PDI, BOM, SHY = ("\u202e", "\u202c", "\u200b", "\u200d", "\u2066", "\u2069",
                                           "\ufeff", "\u00ad")
LOOK_ALIKES = {
    "cyrillic e, o, p": "R\u0435\u0440\u043erters Without B\u043erders",
    "cyrillic capitals": "REPORTERS WI\u0422HOUT \u0412ORDERS",
    "greek omicron": "Rep\u03bfrters With\u03bfut B\u03bfrders",
    "zero-width space": f"Rep{ZWSP}orters With{ZWSP}out Borders",
    "zero-width joiner and BOM": f"Repo{ZWJ}rters{BOM} Without Borders",
    "right-to-left override": f"{RLO}Reporters Without Borders{PDF}",
    "isolates and soft hyphen": f"{LRI}Repor{SHY}ters{PDI} Without Borders",
    "fullwidth": "\uff32\uff45\uff50\uff4f\uff52\uff54\uff45\uff52\uff53 Without Borders",
    "mathematical bold": "\U0001d411\U0001d41e\U0001d429\U0001d428\U0001d42b\U0001d42d\U0001d41e"
                         "\U0001d42b\U0001d42c Without Borders",
    "digit zero for o": "Rep0rters With0ut B0rders",
    "case and spaces": "  REPORTERS   without\u00a0borders ",
}


@pytest.mark.parametrize("name", list(LOOK_ALIKES.values()), ids=list(LOOK_ALIKES))
def test_look_alikes_share_the_skeleton_of_the_real_name(name):
    assert len(LOOK_ALIKES) == 11  # the figure in SECURITY.md
    assert name.casefold() != REAL.casefold()  # each one is a different string
    assert skeleton(name) == skeleton(REAL) == "reporters without borders"


def test_rn_and_m_look_alike_and_different_names_do_not():
    assert skeleton("Amnesty") == skeleton("Arnnesty")
    assert skeleton(REAL) != skeleton("Reporters Without Frontiers")
    assert skeleton("Article 19") != skeleton("Article 18")
    assert skeleton("") == "" and skeleton(f"{ZWSP}{RLO} ") == ""


def test_the_skeleton_is_deterministic_printable_and_composed():
    attack = LOOK_ALIKES["right-to-left override"] + LOOK_ALIKES["zero-width space"]
    first = skeleton(attack)
    skeleton.cache_clear()
    assert skeleton(attack) == first  # from scratch, not from the cache
    assert all(unicodedata.category(ch) not in ("Cf", "Cc") for ch in first)
    assert unicodedata.normalize("NFC", first) == first
    assert skeleton("Reporters Sans Frontières") != skeleton("Reporters Sans Frontieres")  # accents stay


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_skeleton_is_a_fixed_point(text):
    once = skeleton(text)
    assert skeleton(once) == once


LETTERS = st.characters(min_codepoint=0x20, max_codepoint=0x52F, categories=("Lu", "Ll", "Zs", "Nd"))


@settings(max_examples=300, deadline=None)
@given(st.text(LETTERS, max_size=40))
def test_case_never_matters_in_latin_greek_and_cyrillic(text):
    assert skeleton(text.swapcase()) == skeleton(text) == skeleton(text.upper()) == skeleton(text.lower())

