"""Layout and weight: screenshots, 320 px and 200 % zoom, focus, motion, colour scheme, bytes sent."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, SLUG

SIZES = {"desktop": (1280, 900), "phone": (375, 812)}
BUDGET = 30 * 1024  # the statement page with its first page of signatories, compressed, htmx aside


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_screenshots_of_the_statement_page(open_page, lang):
    ARTIFACTS.mkdir(exist_ok=True)
    for size, (width, height) in SIZES.items():
        page = open_page(locale=lang, width=width, height=height, color_scheme="light")
        page.goto(f"/{lang}/s/{SLUG}")
        expect(page.locator("#sign-form")).to_be_visible()
        path = ARTIFACTS / f"statement-{lang}-{size}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_horizontal_scrolling_at_320px_or_200_percent_zoom(open_page, lang):
    narrow = open_page(locale=lang, width=320, height=640)
    # 1280 px at 200 % is 640 CSS px, drawn with twice the pixels.
    zoomed = open_page(locale=lang, width=640, height=450, device_scale_factor=2)
    for path in ("/{lang}/", f"/{{lang}}/s/{SLUG}", f"/{{lang}}/s/{SLUG}/signatories",
                 f"/{{lang}}/s/{SLUG}/print", "/{lang}/s/missing"):
        for page in (narrow, zoomed):
            page.goto(path.format(lang=lang))
            assert _overflow(page) <= 0, f"{path} scrolls sideways at {page.viewport_size['width']} px"


def test_focus_is_visible_and_the_skip_link_works(open_page):
    page = open_page()
    page.goto(f"/en/s/{SLUG}")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    assert skip.evaluate("e => e.getBoundingClientRect().top") >= 0  # it comes into view
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.locator("#name").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.locator("#name").evaluate(
        "e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]")
    assert outline[0] != "none" and outline[1] != "0px"


def test_reduced_motion_and_colour_schemes(open_page):
    still = open_page(reduced_motion="reduce")
    still.goto(f"/en/s/{SLUG}")
    assert still.locator("#sign-indicator").evaluate("e => getComputedStyle(e).transitionDuration") == "0s"
    moving = open_page(reduced_motion="no-preference")
    moving.goto(f"/en/s/{SLUG}")
    assert moving.locator("#sign-indicator").evaluate("e => getComputedStyle(e).transitionDuration") != "0s"
    backgrounds = {}
    for scheme in ("light", "dark"):
        page = open_page(color_scheme=scheme)
        page.goto("/en/")
        backgrounds[scheme] = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert backgrounds["light"] == "rgb(255, 255, 255)" and backgrounds["dark"] != backgrounds["light"]


def _compressed(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return len(response.read()), response.headers.get("Content-Encoding", "")


def test_statement_page_weight(open_page, server):
    """Everything the statement page loads, as sent over the wire, htmx aside, within 30 KB."""
    page = open_page()
    received = {}
    page.on("requestfinished", lambda request: received.__setitem__(
        request.url, request.sizes()["responseBodySize"]))
    page.goto(f"/en/s/{SLUG}")
    expect(page.locator("#signatories li").first).to_be_visible()
    own = [url for url in page.requests if "htmx" not in url]
    sizes = {}
    for url in own:  # as a client that accepts gzip only would receive them: the larger figure
        sizes[url], encoding = _compressed(url)
        if url.endswith(SLUG):
            assert encoding == "gzip", "the page itself must be compressed"
    total, in_browser = sum(sizes.values()), sum(received.get(url, 0) for url in own)
    report = "\n".join(f"{size:>7} {received.get(url, 0):>7} {url}" for url, size in sizes.items())
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "page-weight.txt").write_text(
        f"   gzip browser\n{report}\n{total:>7} {in_browser:>7} total (htmx aside)\n")
    assert 0 < in_browser <= total <= BUDGET, f"{total} bytes:\n{report}"


def test_no_request_leaves_the_origin_and_csp_is_strict(open_page, server):
    """Every public page with JS on: the log holds requests, all of them to the app itself."""
    page = open_page()
    paths = ["/en/", f"/en/s/{SLUG}", f"/en/s/{SLUG}/signatories", f"/en/s/{SLUG}/print",
             f"/en/s/{SLUG}/embed", f"/en/s/{SLUG}/thanks", "/en/s/missing", "/manage/login"]
    for path in paths:
        response = page.goto(path)
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
    assert len(page.requests) >= len(paths) * 2
    assert all(server.own(url) for url in page.requests), page.requests
