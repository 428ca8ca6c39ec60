"""The record in Chromium, JavaScript on and off, in English and Arabic: an amendment asks its
kind, the signer keeps their signature from the emailed link, the version diff page compares
two versions, a delivery is recorded and an update appears on the timeline and stops on
request. axe finds 0 violations on every page of it (JavaScript on)."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal import tokens
from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import Signature, Statement
from portal.record import versions
from portal.signatures import signer, signing
from portal.statements import translating

from .conftest import SLUG, log_in, outbox_link

axe = Axe()
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {
    rule: {"enabled": True} for rule in ("target-size", "duplicate-id", "duplicate-id-active")}}
# The record's pages, checked here (tests/e2e/test_axe.py counts them as checked).
AXE_CHECKED = {"statements.versions_page", "statements.delivered", "record.reconsent", "record.unsubscribe",
               "manage.record"}
NOT_PAGES = {"statements.delivered_pdf", "api.versions", "api.deliveries_list", "api.updates_list"}


@pytest.fixture(scope="module")
def statement_id(server) -> int:
    """The demo statement, its texts on record as version 1 (signing has long been open)."""
    with server.app.app_context():
        statement = db.session.scalars(db.select(Statement).where(Statement.slug == SLUG)).one()
        versions.open_record(db.session, statement)
        db.session.commit()
        return statement.id


def a_signer(server, sid: int, lang: str, tag: str) -> str:
    """A confirmed signatory in ``lang`` who asked to be kept informed; returns the email."""
    email = f"record-{tag}@example.org"
    with server.app.app_context():
        signing.sign(signing.SignRequest(
            statement_id=sid, kind="organisation", name=f"Record {tag} الصحافة", country="TN", email=email,
            lang=lang, authorised=True, signer_name="Rim", keep_informed=True))
        uid = db.session.scalars(db.select(Signature.uid).where(Signature.email == email)).one()
        signer.confirm(tokens.make("confirm", uid))
    return email


def clean(page, url: str | None = None) -> None:
    if url:
        page.goto(url)
    results = axe.run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_amendment_keep_diff_delivery_and_timeline(open_page, server, statement_id, js, lang):
    tag = f"{lang}-{'js' if js else 'nojs'}"
    email = a_signer(server, statement_id, lang, tag)
    coordinator = open_page(js=js, locale=lang)
    log_in(coordinator, server)

    # The amendment: saving the original asks its kind; nothing typed is lost meanwhile.
    coordinator.goto(f"/manage/statements/{statement_id}/translations/en")
    body = coordinator.locator("#body_md")
    amended = body.input_value().rstrip() + f"\n\nAmended for {tag}."
    body.fill(amended)
    coordinator.locator("#translation_form button[value=save]").click()
    expect(coordinator.locator("#change-error")).to_be_visible()
    expect(coordinator.locator("#body_md")).to_have_value(amended)
    if js:
        clean(coordinator)
    coordinator.locator("input[name=change][value=substantive]").check()
    # An amendment emails every signatory of the demo's 420 in the same request: allow for it.
    coordinator.locator("#translation_form button[value=save]").click(timeout=90_000)
    expect(coordinator.locator(".flash-info")).to_be_visible(timeout=90_000)
    if lang != "en":
        # The Arabic signer is asked once the Arabic text follows the amendment.
        with server.app.app_context():
            tr = db.session.get(Statement, statement_id).translation(lang)
            translating.save(statement_id, translating.TranslationInput(
                lang, tr.title, tr.summary, tr.body_md.rstrip() + f"\n\nعُدِّل {tag}."), Actor(None, "e2e"))

    # The signer keeps their signature from the emailed link, in their language.
    reader = open_page(js=js, locale=lang)
    keep = outbox_link(server, email, "reconsent")
    reader.goto(keep)
    expect(reader.locator("html")).to_have_attribute("lang", lang)
    marker = f"عُدِّل {tag}." if lang == "ar" else f"Amended for {tag}."  # the diff of their text
    expect(reader.locator("#reconsent .diff")).to_contain_text(marker)
    assert reader.locator("#reconsent ins").count() > 0
    if js:
        clean(reader)
    reader.locator("#reconsent button[type=submit]").click()
    expect(reader.locator("#reconsent .success")).to_be_visible()
    if js:
        clean(reader)
    with server.app.app_context():
        kept = db.session.scalars(db.select(Signature).where(Signature.email == email)).one()
        assert kept.reconsent_version is None and kept.original_version >= 2

    # The version history: pick two versions and see the changes between them.
    reader.goto(f"/{lang}/s/{SLUG}/versions")
    expect(reader.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    reader.locator("select#from").select_option("1")
    reader.locator(".version-pick button[type=submit]").click()
    expect(reader.locator("#version_diff .diff")).to_contain_text(marker)
    assert reader.locator("#version_diff ins").count() > 0
    expect(reader).to_have_url(re.compile(r"from=1"))
    heading = reader.locator("#version_diff h2").inner_text()
    assert "1" in heading or "١" in heading
    if js:
        clean(reader)

    # A delivery freezes a snapshot, at its own address, with its PDF's hash.
    coordinator.goto(f"/manage/statements/{statement_id}/record")
    if js:
        clean(coordinator)
    coordinator.locator("#recipient").fill(f"Ministry of Justice ({tag})")
    coordinator.locator("#delivered_on").fill("2026-11-01")
    # Freezing builds the PDF of a 420-name letter: give two shared cores time.
    coordinator.locator("form[action$='/deliveries'] button[type=submit]").click(timeout=90_000)
    expect(coordinator.locator(".flash-info")).to_be_visible(timeout=90_000)
    snapshot = coordinator.locator("table a").first.get_attribute("href")
    reader.goto(snapshot.replace("/en/", f"/{lang}/"))
    expect(reader.locator("code.hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    if js:
        clean(reader)

    # An update, in both languages, on the timeline; its email's link stops further ones.
    coordinator.goto(f"/manage/statements/{statement_id}/record")
    coordinator.locator("#happened_on").fill("2026-11-02")
    coordinator.locator("#title_en").fill(f"The court heard the case ({tag})")
    coordinator.locator("#title_ar").fill(f"نظرت المحكمة في القضية ({tag})")
    coordinator.locator("form[action$='/updates'] button[type=submit]").click()
    expect(coordinator.locator(".flash-info")).to_be_visible()
    reader.goto(f"/{lang}/s/{SLUG}")
    title = f"نظرت المحكمة في القضية ({tag})" if lang == "ar" else f"The court heard the case ({tag})"
    expect(reader.locator("#timeline")).to_contain_text(title)
    expect(reader.locator("#trust")).to_be_visible()
    expect(reader.locator("#delivered")).to_contain_text(f"({tag})")
    if js:
        clean(reader)
    stop = outbox_link(server, email, "unsubscribe")
    reader.goto(stop)
    if js:
        clean(reader)
    reader.locator("#unsubscribe button[type=submit]").click()
    expect(reader.locator("#unsubscribe .success")).to_be_visible()
    with server.app.app_context():
        informed = db.session.scalars(db.select(Signature.keep_informed).where(Signature.email == email))
        assert informed.one() is False
