"""A saved mirror (issue 16) opened from disk in Chromium with the network blocked: it makes
0 requests, switches language in CSS alone with JavaScript on and off, reads right to left in
Arabic, and has 0 axe violations. The mirror is built on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from conftest import fresh_schema, make_app
from playwright.sync_api import expect
from public_seed import SLUG, seed

from portal.mirrors import mirror

from .test_journeys import assert_no_axe_violations

ONION = "http://exampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"


@pytest.fixture
def saved_copies(database_url, tmp_path):
    """The French and Arabic mirrors of the seeded statement, saved to disk as a reader would."""
    app = make_app(database_url, tmp_path / "instance", ONION_URL=ONION)
    mirror._kept.clear()
    files = {}
    with fresh_schema(app, database_url):
        seed(app)
        client = app.test_client()
        for lang in ("fr", "ar"):
            response = client.get(f"/{lang}/s/{SLUG}/mirror.html")
            assert response.status_code == 200
            files[lang] = tmp_path / f"{SLUG}-{lang}.html"
            files[lang].write_bytes(response.get_data())
    return files


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_saved_mirror_makes_no_request_and_switches_language_in_css(browser, saved_copies, js):
    context = browser.new_context(java_script_enabled=js, offline=True)
    documents = {path.as_uri() for path in saved_copies.values()}
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))

    def only_the_documents(route) -> None:
        # Every request is routed here: the two files load, anything else would be refused.
        if route.request.url.split("#")[0] in documents:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_the_documents)
    page = context.new_page()
    try:
        url = saved_copies["fr"].as_uri()
        page.goto(url)
        page.wait_for_load_state("load")
        french, english = page.locator("#text-fr"), page.locator("#text-en")
        expect(french).to_be_visible()
        expect(english).to_be_hidden()
        expect(page.get_by_text("Zeta Press Union")).to_be_visible()
        page.get_by_role("link", name="English").click()
        expect(english).to_be_visible()
        expect(french).to_be_hidden()
        expect(english.get_by_role("heading", level=1)).to_have_text("Free the reporters")
        page.get_by_role("link", name="Français").focus()
        page.keyboard.press("Enter")  # by keyboard too
        expect(french).to_be_visible()
        expect(english).to_be_hidden()
        if js:
            assert_no_axe_violations(page)
        arabic = saved_copies["ar"].as_uri()
        page.goto(arabic)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("#text-ar")).to_be_visible()
        if js:
            assert_no_axe_violations(page)
        page.wait_for_timeout(300)  # anything deferred would have asked by now
        # The documents themselves are the only loads: not a font, an icon, a style or a script.
        assert [u for u in requests if u.split("#")[0] not in documents] == []
        assert {u.split("#")[0] for u in requests} == documents  # the counter does see every load
    finally:
        context.close()
