"""Every public page and every workspace page, as a reader and a coordinator see them: in English
and Arabic, on a phone (390 px) and a desktop (1280 px), with JavaScript on and off.

Each page is saved as a screenshot (tests/artifacts/screens/) and must not scroll sideways at
320 px; with JavaScript on, axe finds nothing; and the Arabic and Russian workspaces show no
English interface string that has a translation. One browser context per language, width and
JavaScript setting; its page visits every URL in turn."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from babel.messages.pofile import read_po

from portal.config import ROOT
from portal.extensions import db
from portal.models import Statement

from .conftest import ARTIFACTS, SLUG, log_in
from .test_axe import AXE_OPTIONS, WORKSPACE, axe, signer_links
from .test_axe import PUBLIC as AXE_PUBLIC

# The pages axe checks: every public page (and the login) and every workspace page.
PUBLIC = {**AXE_PUBLIC, "manage.login": "/manage/login"}
WIDTHS = {390: 844, 1280: 900}
# Text that reads the same in every language: the product's name and formats.
SAME_EVERYWHERE = {"Undersigned", "CSV", "JSON", "XLSX", "Atom"}
# The interface text of a page: its own text nodes and labels, outside user text (which carries
# its own lang attribute) and outside the switcher (each language in its own name).
OWN_TEXTS = """() => {
  const page = document.documentElement.lang, found = new Set();
  const foreign = (el) => {
    if (el.closest('nav.switcher, pre, bdi, code, textarea, script, style')) return true;
    const owner = el.closest('[lang]');
    return owner !== document.documentElement && !owner.lang.startsWith(page);
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (foreign(el)) continue;
    for (const node of el.childNodes) {
      if (node.nodeType === 3 && node.textContent.trim()) found.add(node.textContent.trim());
    }
    for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
      if (el.getAttribute(name)) found.add(el.getAttribute(name).trim());
    }
  }
  return [...found];
}"""


# What sticks out past the right (or, right to left, the left) edge: for the failure message.
WIDEST = """() => [...document.body.querySelectorAll('*')].filter((el) => {
  const box = el.getBoundingClientRect();
  return box.right > document.documentElement.clientWidth + 1 || box.left < -1;
}).slice(-3).map((el) => `${el.tagName}.${el.className} ${(el.textContent || '').trim().slice(0, 40)}`)"""


@lru_cache(maxsize=4)
def translated_msgids(lang: str) -> frozenset[str]:
    """English interface strings that ``lang`` translates differently (no placeholder in them)."""
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle, locale=lang)
    return frozenset(
        message.id for message in catalogue
        if isinstance(message.id, str) and message.id and message.string and message.string != message.id
        and "%" not in message.id and message.id not in SAME_EVERYWHERE)


@pytest.fixture(scope="module")
def links(server) -> dict:
    """Per language, a pending signature's confirm, withdraw and "your signature" tokens."""
    values = {}
    with server.app.app_context():
        sid = db.session.scalars(db.select(Statement.id).where(Statement.slug == SLUG)).one()
        for lang in ("en", "ar", "ru"):
            values[lang] = signer_links(sid, lang, "Screens")
    return values


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _visit(page, url: str, shot, js: bool) -> list[str]:
    """Open ``url``, save its screenshot, check it at 320 px (and with axe, JavaScript on); the
    problems found, as messages."""
    response = page.goto(url)
    problems = []
    if response is None or response.status not in (200, 404):
        return [f"{url}: HTTP {response and response.status}"]
    page.screenshot(path=str(shot))
    if js and page.viewport_size["width"] < 1000:  # tests/e2e/test_axe.py covers 1280 px, in 5 languages
        results = axe.run(page, options=AXE_OPTIONS)
        if results.violations_count:
            problems.append(f"{url}: axe\n{results.generate_report()}")
    size = page.viewport_size
    if size["width"] < 1000:  # the phone's context also checks the narrowest screen
        page.set_viewport_size({"width": 320, "height": size["height"]})
        if (extra := _overflow(page)) > 0:
            problems.append(f"{url}: {extra} px too wide at 320 px: {page.evaluate(WIDEST)}")
        page.set_viewport_size(size)
    return problems


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_page_in_every_setting(open_page, server, links, lang, width, js):
    page = open_page(js=js, locale=lang, width=width, height=WIDTHS[width], color_scheme="light")
    folder = ARTIFACTS / "screens" / f"{lang}-{width}-{'js' if js else 'nojs'}"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):  # a page renamed or gone leaves no stale screenshot
        old.unlink()
    values = links[lang]
    problems = []
    for name, path in PUBLIC.items():
        problems += _visit(page, path.format(**values), folder / f"{name}.png", js)
    log_in(page, server, lang)
    for name, path in WORKSPACE.items():
        problems += _visit(page, path.format(**values), folder / f"{name}.png", js)
        if lang != "en":
            problems += _untranslated(page, lang)
    assert not problems, "\n".join(problems)
    assert len(list(folder.glob("*.png"))) == len(PUBLIC) + len(WORKSPACE)


def _untranslated(page, lang: str) -> list[str]:
    english = translated_msgids(lang) & set(page.evaluate(OWN_TEXTS))
    return [f"{page.url}: untranslated {sorted(english)}"] if english else []


def test_russian_workspace_has_no_untranslated_string(open_page, server, links):
    page = open_page(js=False, locale="ru", width=1280)
    log_in(page, server, "ru")
    problems = []
    for path in WORKSPACE.values():
        page.goto(path.format(**links["ru"]))
        problems += _untranslated(page, "ru")
    assert not problems, "\n".join(problems)


def test_the_check_would_see_an_english_string(open_page, server):
    """The msgid check is not vacuous: an English page holds many catalogue strings."""
    page = open_page(js=False, locale="en", width=1280)
    log_in(page, server, "en")
    page.goto("/manage/audit")
    seen = translated_msgids("ru") & set(page.evaluate(OWN_TEXTS))
    assert {"Audit log", "Statements", "Log out"} <= seen
    assert re.search(r"\w", " ".join(seen))
