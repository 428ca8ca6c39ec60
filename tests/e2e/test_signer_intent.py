"""The signer's own pages in a real browser, in all five languages, JavaScript on and off:
confirm (check, correct, show less), "your signature", withdraw and sign again; the honest
answer past a statement's limit; and the moderation queue's reasons, each with axe at 0."""

from __future__ import annotations

import re

import pytest
from factories import new_statement
from limits import parse_many
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Signature, Statement
from portal.signatures import signing

from .conftest import LANGUAGES, SLUG, log_in, outbox_link
from .test_journeys import assert_no_axe_violations, fill_sign_form

BUSY = "busy-statement"


def axe_if_js(page, js: bool) -> None:
    """axe runs in the page, so only where JavaScript is on (the HTML is the same without it)."""
    if js:
        assert_no_axe_violations(page)


def state_of(server, email: str) -> tuple[str, str]:
    with server.app.app_context():
        row = db.session.scalars(db.select(Signature).where(Signature.email == email)
                                 .order_by(Signature.id.desc())).first()
        return row.state, row.visibility


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_confirm_correct_manage_withdraw_and_sign_again(open_page, server, lang, js):
    page = open_page(js=js, locale=lang, width=390, height=844)  # a phone
    email = f"intent-{lang}-{'js' if js else 'nojs'}@example.org"
    page.goto(f"/{lang}/s/{SLUG}")
    fill_sign_form(page, f"Intent {lang} {js} Press", email)
    page.locator("#sign-form button[type=submit]").click()
    expect(page.locator("#thanks")).to_be_visible()

    # The confirm page shows every field that will be published; the owner shows less, then confirms.
    page.goto(outbox_link(server, email, "confirm"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#name")).to_have_value(f"Intent {lang} {js} Press")
    expect(page.locator("#signer_name")).to_have_value("Amina Yusuf")
    expect(page.locator("#country")).to_have_value("KE")
    axe_if_js(page, js)
    page.locator("input[name=visibility][value=country]").check()
    page.locator("#confirm form button[type=submit]").click()
    expect(page.locator("#confirm .success")).to_be_visible()
    assert state_of(server, email) == ("confirmed", "country")
    axe_if_js(page, js)

    # "Your signature": shows less at once, then withdraws.
    page.goto(outbox_link(server, email, "signature"))
    expect(page.locator("#manage .status")).to_be_visible()
    axe_if_js(page, js)
    page.locator("input[name=visibility][value=hidden]").check()
    page.locator("#manage form[hx-post] button[type=submit]").click()
    expect(page.locator("#manage .success")).to_be_visible()
    assert state_of(server, email) == ("confirmed", "hidden")
    page.locator("#manage button.danger").click()
    expect(page.locator(".success")).to_be_visible()
    assert state_of(server, email)[0] == "withdrawn"

    # The withdraw link again: it says so, and offers to sign again.
    page.goto(outbox_link(server, email, "withdraw"))
    again = page.locator("main a", has_text=re.compile(".+")).last
    axe_if_js(page, js)
    again.click()
    expect(page).to_have_url(re.compile(rf"/{lang}/s/{SLUG}"))
    fill_sign_form(page, f"Intent {lang} {js} Press", email)
    page.locator("#sign-form button[type=submit]").click()
    expect(page.locator("#thanks")).to_be_visible()
    assert state_of(server, email)[0] == "pending"  # a new confirmation is on its way


@pytest.fixture(scope="module")
def busy(server) -> int:
    """A statement pushed past its own limit for the next minute (the store is shared with the server)."""
    with server.app.app_context():
        statement = new_statement(BUSY, langs=LANGUAGES,
                                  texts={lang: (f"Busy {lang}", "", "Text.") for lang in LANGUAGES})
        strategy = server.app.extensions["portal.abuse.ratelimits"]
        for item in parse_many(server.app.config["SIGN_STATEMENT_RATE_LIMIT"]):
            strategy.hit(item, "sign_statement_rate_limit", "statement", str(statement.id), cost=10**7)
        return statement.id


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_past_the_statements_limit_the_signer_is_told_and_keeps_the_input(open_page, busy, lang, js):
    page = open_page(js=js, locale=lang)
    page.goto(f"/{lang}/s/{BUSY}")
    fill_sign_form(page, f"Busy {lang} Press", f"busy-{lang}@example.org")
    page.locator("#sign-form button[type=submit]").click()
    summary = page.locator("#sign-errors")
    expect(summary).to_be_visible()
    expect(page.locator("#email")).to_have_value(f"busy-{lang}@example.org")
    expect(page.locator("#name")).to_have_value(f"Busy {lang} Press")
    if js:
        expect(summary).to_be_focused()
    axe_if_js(page, js)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_queue_says_why_each_was_set_aside(open_page, server, lang):
    with server.app.app_context():
        sid = db.session.scalars(db.select(Statement.id).where(Statement.slug == SLUG)).one()
        signing.sign(signing.SignRequest(
            statement_id=sid, kind="organisation", name=f"Honeypot {lang}", country="FR",
            email=f"set-aside-{lang}@example.org", lang=lang, authorised=True, signer_name="Bot",
            ip="192.0.2.1", honeypot="filled"))
    page = open_page(locale=lang)
    log_in(page, server)
    page.goto(f"/manage/statements/{sid}/moderation?state=fraudulent")
    row = page.locator("article.sig", has_text=f"Honeypot {lang}")
    expect(row.locator(".set-aside li")).to_have_count(1)
    expect(row.locator("button[data-action=restore]")).to_be_visible()
    assert_no_axe_violations(page)
    row.locator("button[data-action=restore]").click()
    expect(page.locator(f"article.sig:has-text('Honeypot {lang}') .notice")).to_be_visible()
    assert state_of(server, f"set-aside-{lang}@example.org")[0] == "pending"
