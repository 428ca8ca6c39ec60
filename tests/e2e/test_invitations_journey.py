"""Issue 13's campaign in a real browser, with JavaScript on and off, in English and Arabic:
import organisations through the workspace (a preview with the bad row's line number, then
confirm), invite by tag, sign through one personal link in one step, decline another, and read
the board. With JavaScript on, axe checks the new pages (0 violations)."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import OutboxMail, Statement

from .conftest import SLUG, log_in

axe = Axe()
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {
    rule: {"enabled": True} for rule in ("target-size", "duplicate-id", "duplicate-id-active")}}


def clean(page) -> None:
    results = axe.run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def invitation_path(server, email: str) -> str:
    with server.app.app_context():
        body = db.session.scalars(db.select(OutboxMail.body).where(OutboxMail.to_addr == email)
                                  .order_by(OutboxMail.id.desc())).first()
    assert body, f"no email to {email}"
    return re.search(rf"{re.escape(server.url)}(/[a-z-]+/s/[\w-]+/i/[\w\-.]+)", body).group(1)


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_invite_sign_decline_and_track(open_page, server, js, lang):
    run = f"{lang}-{'js' if js else 'nojs'}"
    tag = f"run-{run}"
    page = open_page(js=js, locale=lang)
    log_in(page, server)

    # Import through the workspace: the preview names the bad row's line, then confirm.
    rows = [f"Campaign {run} {n},{'TN' if n else 'Atlantis'},,desk{n}-{run}@example.org,{lang},{tag}"
            for n in range(4)]
    page.goto("/manage/organisations/import")
    page.locator("#csv").fill("name,country,website,emails,language,tags\n" + "\n".join(rows))
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator(".row-errors li")).to_have_count(1)
    expect(page.locator(".row-errors li")).to_contain_text("2")  # line 2: the unknown country
    if js:
        clean(page)
    page.locator("input[name=step][value=confirm] ~ button").click()
    expect(page).to_have_url(f"{server.url}/manage/organisations")
    if js:
        clean(page)

    # Invite the three good organisations by their tag.
    with server.app.app_context():
        sid = db.session.scalars(db.select(Statement.id).where(Statement.slug == SLUG)).one()
    board = f"/manage/statements/{sid}/invitations"
    page.goto(board)
    page.locator("#invite-tag").select_option(tag)
    page.locator("form[action$='/invitations/send'] button[type=submit]").click()
    expect(page.locator(".flashes")).to_contain_text("3")

    # One signs through its personal link in one step; another declines with a reason.
    signer = open_page(js=js, locale=lang)
    signer.goto(invitation_path(server, f"desk1-{run}@example.org"))
    expect(signer.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(signer.locator("#name")).to_have_value(f"Campaign {run} 1")
    expect(signer.locator("#name")).to_have_attribute("readonly", "")
    expect(signer.locator("#country")).to_have_value("TN")
    if js:
        clean(signer)
    signer.locator("#signer_name").fill("Sana Signer")
    signer.locator("#authorised").check()
    signer.locator("form:has(input[name=answer][value=sign]) button[type=submit]").click()
    expect(signer.locator("#invitation .success")).to_be_visible()
    expect(signer.locator("#invitation form")).to_have_count(0)  # the link has been used
    if js:
        clean(signer)
    decliner = open_page(js=js, locale=lang)
    decliner.goto(invitation_path(server, f"desk2-{run}@example.org"))
    decliner.locator("#reason").fill("Not this time")
    decliner.locator("form.decline-form button[type=submit]").click()
    expect(decliner.locator("#invitation .notice")).to_be_visible()

    # The board: one signed, one declined, one without a reply; filters narrow the list.
    page.goto(board)
    counts = page.locator(".board")
    for key, n in (("signed", 1), ("declined", 1), ("invited", 1)):
        assert int(counts.locator(f"#board-{key}").inner_text()) >= n
    page.goto(f"{board}?state=declined")
    expect(page.locator("table.invitations")).to_contain_text("Not this time")
    expect(page.locator("table.invitations")).not_to_contain_text(f"Campaign {run} 1")
    if js:
        clean(page)
