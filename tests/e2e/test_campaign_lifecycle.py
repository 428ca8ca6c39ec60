"""Issue 13 in a real browser, JavaScript on and off, English and Arabic: closing asks for
confirmation (a dialog with JavaScript, a page without) saying to how many signatories, and
Cancel does nothing; a closed statement reopens; extending a passed deadline reopens it;
axe finds 0 violations on the confirmation (page and open dialog), the entry page and the
notification settings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Coordinator, Signature, Statement, StatementTranslation, utcnow
from portal.text import canonical_email, fold, listing_key

from .conftest import log_in
from .test_axe import AXE_OPTIONS, axe


def words(server, lang: str, message: str, **values) -> str:
    with server.app.app_context(), force_locale(lang):
        return _(message, **values)


def seed(server, slug: str) -> int:
    """A published statement run by the demo's administrator: 2 counted, 1 waiting for approval."""
    with server.app.app_context():
        admin = db.session.scalars(db.select(Coordinator).where(Coordinator.is_admin)).first()
        statement = Statement(slug=slug, original_lang="en", state="published",
                              published_at=utcnow() - timedelta(days=1),
                              deadline_at=utcnow() + timedelta(days=3), count_total=2, count_organisations=2)
        for lang in ("en", "ar"):
            statement.translations.append(StatementTranslation(
                lang=lang, title=f"Lifecycle {lang}", body_md="Text.", published=True, revision=1,
                source_revision=1))
        statement.coordinators.append(admin)
        db.session.add(statement)
        db.session.flush()
        for i, state in enumerate(("validated", "validated", "confirmed")):
            name = f"Lifecycle Press {i}"
            db.session.add(Signature(
                statement_id=statement.id, kind="organisation", name=name, country="FR",
                email=f"l{i}@{slug}.example", email_canonical=canonical_email(f"l{i}@{slug}.example"),
                lang="en", state=state, authorised=True, sort_key=listing_key(name, "full", "FR"),
                search_text=fold(name), confirmed_at=utcnow()))
        db.session.commit()
        return statement.id


def state_of(server, sid: int) -> str:
    with server.app.app_context():
        return db.session.get(Statement, sid).state


def no_axe_violations(page, where: str) -> None:
    results = axe.run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{where}\n{results.generate_report()}"


def told(page, js: bool, text: str) -> None:
    if js:
        expect(page.locator("#controls [role=status]")).to_have_text(text)
    else:
        expect(page.locator(".flashes")).to_have_text(text)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_close_reopen_and_extend_with_confirmations(open_page, server, js, lang):
    slug = f"lifecycle-{lang}-{'js' if js else 'nojs'}"
    sid = seed(server, slug)
    t = lambda message, **values: words(server, lang, message, **values)  # noqa: E731
    page = open_page(js=js, locale=lang)
    log_in(page, server)
    overview = f"{server.url}/manage/statements/{sid}"
    page.goto(overview)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")

    # Close is a secondary button; it opens the confirmation and changes nothing by itself.
    close = page.locator("#controls").get_by_role("button", name=t("Close signing"), exact=True)
    expect(close).not_to_have_class(re.compile(r"\bprimary\b"))
    close.click()
    step = page.locator("#step")
    expect(step.get_by_role("heading", name=t("Close signing?"))).to_be_visible()
    expect(step.locator("dt", has_text=t("Signatures counted")).locator("xpath=following-sibling::dd[1]")
           ).to_have_text(re.compile(r"^\s*[2٢]\s*$"))
    expect(step.locator("dt", has_text=t("Waiting for your approval")).locator(
        "xpath=following-sibling::dd[1]")).to_have_text(re.compile(r"^\s*[1١]\s*$"))
    if js:
        expect(page.locator("dialog#step-dialog")).to_have_attribute("open", "")
        expect(page).to_have_url(overview)
        no_axe_violations(page, f"the close dialog ({lang})")
        page.keyboard.press("Escape")  # the dialog closes natively; nothing was sent
        expect(page.locator("dialog#step-dialog")).not_to_have_attribute("open", "")
    else:
        expect(page).to_have_url(re.compile(re.escape(f"{overview}/step/closed") + r"\??$"))
        # (axe runs with JavaScript on only: this page is checked in the test below)
        page.get_by_role("link", name=t("Cancel")).click()
        expect(page).to_have_url(overview)
    assert state_of(server, sid) == "published"

    # Confirmed: closed, and said so.
    page.locator("#controls").get_by_role("button", name=t("Close signing"), exact=True).click()
    page.get_by_role("button", name=t("Yes, close signing")).click()
    told(page, js, t("The statement is now: %(state)s.", state=t("closed")))
    assert state_of(server, sid) == "closed"
    if js:
        expect(page.locator("dialog#step-dialog")).not_to_have_attribute("open", "")

    # Reopen, confirmed the same way; audited by the service (tests/test_campaign_lifecycle.py).
    page.locator("#controls").get_by_role("button", name=t("Reopen signing"), exact=True).click()
    expect(page.locator("#step").get_by_role("heading", name=t("Reopen signing?"))).to_be_visible()
    page.get_by_role("button", name=t("Yes, reopen signing")).click()
    told(page, js, t("Signing is open again."))
    assert state_of(server, sid) == "published"

    # The deadline passes: signing closes; a later deadline in the settings reopens it.
    with server.app.app_context():
        db.session.get(Statement, sid).deadline_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    page.goto(f"/en/s/{slug}")
    assert state_of(server, sid) == "closed"
    page.goto(f"{overview}/edit")
    page.locator("#deadline").fill((utcnow() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#statement_form button[type=submit]").click()
    expect(page).to_have_url(overview)
    expect(page.locator("#controls dd strong")).to_have_text(t("published"))
    assert state_of(server, sid) == "published"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_new_workspace_pages_have_no_axe_violations(open_page, server, lang):
    sid = seed(server, f"axe-entries-{lang}")
    page = open_page(locale=lang)
    log_in(page, server)
    for path in (f"/manage/statements/{sid}/entries", "/manage/notifications",
                 f"/manage/statements/{sid}/step/closed"):
        page.goto(path)
        no_axe_violations(page, path)
    # The CSV preview, with a good row and a bad one.
    page.goto(f"/manage/statements/{sid}/entries")
    page.locator("#csv-text").fill("name,country,channel,evidence\nAxe Press,FR,email,Mail of 3 Dec\n"
                                   "Bad Row,Atlantis,email,x\n")
    page.locator("#csv-text").locator("xpath=ancestor::form").locator("button[value=preview]").click()
    expect(page.locator("table caption")).to_be_visible()
    no_axe_violations(page, "the CSV preview")
