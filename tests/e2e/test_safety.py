"""The Safety page in a real browser, JavaScript on and off: a private key pasted by mistake and
an unconfirmed crackdown are refused with messages a person can act on, and the page has no
axe violations in either state. (Nothing is registered or switched here: the live server's
database is shared with the other browser tests; tests/test_sealed_contacts.py and
tests/test_crackdown.py cover what the forms do.)"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.safety import contacts, keys

from .conftest import log_in

axe = Axe()
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {
    rule: {"enabled": True} for rule in ("target-size", "duplicate-id", "duplicate-id-active")}}


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_the_safety_page_refuses_a_private_key_and_an_unconfirmed_switch(open_page, server, js):
    page = open_page(js=js, locale="ar" if js else "en-GB")
    log_in(page, server)
    page.goto("/manage/safety")
    expect(page.locator("h1")).to_be_visible()
    if js:
        results = axe.run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()

    private, _public = keys.generate()
    page.locator("#public_key").fill(private)
    page.locator("#public_key").press("Tab")
    page.locator("form[action$='/safety/key'] button[type=submit]").click()
    error = page.locator("#public_key-error")
    expect(error).to_be_visible()
    expect(page.locator("#public_key")).to_have_attribute("aria-invalid", "true")
    if not js:
        expect(error).to_contain_text("This is a private key")
    else:
        results = axe.run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()

    page.locator("#country").select_option("KE")
    page.locator("form[action$='/safety/crackdown'] button[type=submit]").click()
    expect(page.locator("#sure-error")).to_be_visible()
    if js:
        results = axe.run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, results.generate_report()
    with server.app.app_context():
        assert contacts.active_key() is None  # the private key was not taken, nor anything else
