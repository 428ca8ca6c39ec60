"""Signing in a real browser, with JavaScript on and off, left-to-right and right-to-left."""

from __future__ import annotations

import re
import threading
import unicodedata

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal import tokens
from portal.extensions import db
from portal.models import Signature, Statement
from portal.signatures import signer, signing

from .conftest import SLUG, outbox_link


def shown_count(page) -> int:
    text = page.locator("#count .count-total strong").inner_text()
    return int("".join(str(unicodedata.digit(c)) for c in text if c.isdigit()))


def fill_sign_form(page, name: str, email: str, country: str = "KE") -> None:
    page.locator("#name").fill(name)
    page.locator("#signer_name").fill("Amina Yusuf")
    page.locator("#role").fill("Director")
    page.locator("#country").select_option(country)
    page.locator("#email").fill(email)
    page.locator("#authorised").check()


def assert_no_axe_violations(page) -> None:
    from .test_axe import AXE_OPTIONS

    # A settled page: a request's "Sending…" indicator fades out over 200 ms after the answer,
    # and its colour half-way is not what anyone reads.
    page.wait_for_function("() => [...document.querySelectorAll('.htmx-indicator')]"
                           ".every(e => getComputedStyle(e).visibility === 'hidden')")
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_report()


def approve(server, email: str) -> None:
    """What a coordinator does in the queue: approve the confirmed signature."""
    with server.app.app_context():
        signature = db.session.scalars(db.select(Signature).where(Signature.email == email)).one()
        assert signature.state == "confirmed"
        assert signing.moderate(signature.id, approve=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_signing_journey(open_page, server, lang, js):
    page = open_page(js=js, locale=lang)
    page.goto(f"/{lang}/s/{SLUG}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    before = shown_count(page)
    email = f"journey-{lang}-{'js' if js else 'nojs'}@example.org"
    fill_sign_form(page, f"Journey {lang} {js} Press", email)
    page.locator("#sign-form button[type=submit]").click()
    if js:  # swapped in place; focus moves to the thank-you box, which is a status message
        expect(page.locator("#thanks")).to_be_focused()
        assert page.url.endswith(f"/{lang}/s/{SLUG}")
        expect(page.locator("#sign-indicator")).to_have_count(0)
        assert_no_axe_violations(page)
    else:  # a plain POST and a 303 to the thank-you page
        expect(page).to_have_url(re.compile(rf"/{lang}/s/{SLUG}/thanks"))
        expect(page.locator("#thanks")).to_be_visible()

    page.goto(outbox_link(server, email, "confirm"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .success")).to_be_visible()
    approve(server, email)
    page.goto(f"/{lang}/s/{SLUG}")
    page.reload()  # the public page may come from the browser's cache for a few seconds
    assert shown_count(page) == before + 1
    page.goto(f"/{lang}/s/{SLUG}/signatories?q=journey+{lang}+{js}")
    expect(page.locator("#signatories bdi.name")).to_have_text(f"Journey {lang} {js} Press")


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_validation_errors_are_shown_tied_and_input_kept(open_page, js):
    page = open_page(js=js)
    page.goto(f"/en/s/{SLUG}")
    page.locator("#name").fill("")
    page.locator("#signer_name").fill("Kept Person")
    page.locator("#email").fill("not-an-address")
    page.locator("#sign-form button[type=submit]").click()
    summary = page.locator("#sign-errors")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    if js:
        expect(summary).to_be_focused()
    else:
        expect(page).to_have_url(re.compile(rf"/en/s/{SLUG}/sign"))
        expect(page).to_have_title(re.compile(r"^Error: "))
    for field in ("name", "email", "country"):
        control = page.locator(f"#{field}")
        expect(control).to_have_attribute("aria-invalid", "true")
        described = control.get_attribute("aria-describedby").split()
        assert f"{field}-error" in described
        expect(page.locator(f"#{field}-error")).not_to_be_empty()
    expect(page.locator("#email")).to_have_value("not-an-address")
    expect(page.locator("#signer_name")).to_have_value("Kept Person")
    expect(page.locator("#authorised")).to_have_attribute("aria-invalid", "true")
    if js:  # the form in its error state, as swapped in, passes axe too
        expect(page.locator("#sign-indicator")).to_be_hidden()
        assert_no_axe_violations(page)


def test_live_counter_follows_an_approval_elsewhere(open_page, server):
    page = open_page(js=True)
    page.goto(f"/en/s/{SLUG}")
    strong = page.locator("#count .count-total strong")
    before, before_text = shown_count(page), strong.inner_text()
    expect(page.locator("#announcer")).to_be_empty()

    def sign_elsewhere():
        with server.app.app_context():
            signing.sign(signing.SignRequest(
                statement_id=db.session.scalars(db.select(Statement.id).where(Statement.slug == SLUG)).one(),
                kind="organisation", name="Elsewhere Media", country="BR", email="elsewhere@example.org",
                lang="pt-BR", authorised=True, signer_name="Rui"))
            uid = db.session.scalars(db.select(Signature.uid).where(
                Signature.email == "elsewhere@example.org")).one()
            signer.confirm(tokens.make("confirm", uid))
        approve(server, "elsewhere@example.org")

    # A poll that finds the same number says nothing.
    with page.expect_response(lambda response: "/count" in response.url, timeout=8_000):
        pass
    page.wait_for_timeout(300)
    expect(page.locator("#announcer")).to_be_empty()
    worker = threading.Thread(target=sign_elsewhere)
    worker.start()
    worker.join()
    expect(strong).not_to_have_text(before_text, timeout=15_000)  # polled every 5 s
    assert shown_count(page) == before + 1
    # Announced once, politely, from outside the polled element.
    expect(page.locator("#announcer")).to_contain_text(str(before + 1), timeout=2_000)
    assert page.locator("#count[aria-live]").count() == 0


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_search_filter_and_next_page(open_page, js):
    page = open_page(js=js)
    page.goto(f"/en/s/{SLUG}")
    first = page.locator("#signatories li").first.inner_text()
    page.locator("#signatory-country").select_option("FR")
    page.locator("form.search button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"country=FR"))
    names = page.locator("#signatories li")
    expect(names.first).to_be_visible()
    france = re.sub(r" \(\d+\)$", "", page.locator("#signatory-country option[value=FR]").inner_text())
    for text in names.all_inner_texts():
        assert france in text
    page.goto(f"/en/s/{SLUG}")
    page.locator("#signatories .more a").click()
    expect(page).to_have_url(re.compile(r"after="))
    expect(page.locator("#signatories li").first).not_to_have_text(first)
    if js:  # the link that had focus is gone: focus continues at the new list, and the URL follows
        expect(page.locator("#signatories ul")).to_be_focused()


def test_withdraw_without_javascript(open_page, server):
    page = open_page(js=False, locale="ar")
    page.goto(f"/ar/s/{SLUG}")
    email = "withdraw-nojs@example.org"
    fill_sign_form(page, "Withdrawing Voice", email)
    page.locator("#sign-form button[type=submit]").click()
    expect(page.locator("#thanks")).to_be_visible()
    page.goto(outbox_link(server, email, "withdraw"))
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("main bdi").last).to_have_text("Withdrawing Voice")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .success")).to_be_visible()
    with server.app.app_context():
        state = db.session.scalars(db.select(Signature.state).where(Signature.email == email)).one()
    assert state == "withdrawn"
