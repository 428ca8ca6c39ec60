"""The coordinator's whole journey through /manage in a real browser, with JavaScript on and off.

Log in; create a statement; write the English text and a French and an Arabic translation,
preview and publish them; open collecting, share the private link and sign through it in another
context; publish; moderate (one inline, the rest in bulk); export CSV; close; log out. Every step
checks what a person sees. The browser's console, failed requests and any request leaving the
origin are collected and must stay empty.
"""

from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal import tokens
from portal.accounts import coordinators as accounts
from portal.extensions import db
from portal.models import Signature, Statement
from portal.signatures import signer, signing
from portal.words import action_label

from .conftest import outbox_link

EMAIL, PASSWORD = "journey.coordinator@example.org", "a long journey passphrase"
COUNTRIES = ["FR", "SN", "LT", "KE"]
SEEDED = ["Kanal Media Collective", "Radio Sahel Libre", "Presse Libre Ouest", "Baltic Desk Network"]


@pytest.fixture(scope="module")
def coordinator(server):
    """A plain coordinator (not an administrator), made in the live server's database."""
    with server.app.app_context():
        accounts.create_coordinator(EMAIL, "Jo Journey", PASSWORD)
    return EMAIL, PASSWORD


def watch(page, problems: list[str]) -> None:
    """Collect what a person would not want: console errors, script errors, failed requests."""
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text} at {m.location}")
            if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # A download ends its navigation with ERR_ABORTED: that one is how Chromium hands the file over.
    # So does the favicon fetch of a page the test leaves at once (a download's form starts it).
    page.on("requestfailed", lambda r: None if r.failure == "net::ERR_ABORTED" and (
            "/export/" in r.url or r.url.endswith("/favicon.svg"))
            else problems.append(f"failed: {r.method} {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.request.method} {r.url}")
            if r.status >= 400 else None)


def provoked(problems: list[str], since: int, status: int) -> None:
    """The step since ``since`` was meant to be refused with ``status``: take exactly that out."""
    new = problems[since:]
    assert any(p.startswith(f"HTTP {status}:") for p in new), new
    assert all(p.startswith(f"HTTP {status}:") or f"status of {status}" in p for p in new), new
    del problems[since:]


def digits(text: str) -> int:
    return int("".join(str(unicodedata.digit(c)) for c in text if c.isdigit()))


def shown_count(page) -> int:
    return digits(page.locator("#count .count-total strong").inner_text())


def reload_until(page, done, seconds: float = 8.0) -> None:
    """Reload the public page until ``done(page)``: the server keeps public pages for about a
    second (its micro-cache) and the browser for a few more, so a change shows up shortly after."""
    deadline = time.monotonic() + seconds
    while True:
        page.reload()
        if done(page) or time.monotonic() > deadline:
            return
        page.wait_for_timeout(300)


def public_count(page, expected: int) -> None:
    reload_until(page, lambda p: shown_count(p) == expected)
    assert shown_count(page) == expected


def see(page, text: str) -> None:
    """A message the person is shown (a flash without JS, the swapped fragment's status with it)."""
    expect(page.get_by_text(text, exact=True).first).to_be_visible()


def told(page, js: bool, text: str, fragment: str) -> None:
    """With JS the fragment is swapped in place with its status message and the page stays;
    without, a 303 brings a fresh page with the message flashed."""
    if js:
        expect(page.locator(f"{fragment} [role=status]")).to_have_text(text)
        expect(page.locator(".flashes", has_text=text)).to_have_count(0)
    else:
        expect(page.locator(".flashes")).to_have_text(text)


def download(page, trigger) -> str:
    with page.expect_download() as info:
        trigger.click()
    return Path(info.value.path()).read_text(encoding="utf-8-sig")


def write_text(page, js: bool, title: str | None, body: str, strong: str, summary: str = "") -> None:
    """Fill the editor, check the preview renders the Markdown (live with JS, the button without), save."""
    if title is not None:
        page.locator("#title").fill(title)
    page.locator("#summary").fill(summary)
    body_field = page.locator("#body_md")
    if js:  # typed, not filled: the live preview follows the input events through htmx
        body_field.fill("")
        body_field.press_sequentially(body, delay=0)
        expect(page.locator("#preview .statement-body strong")).to_have_text(strong)
    else:
        body_field.fill(body)
        page.get_by_role("button", name="Preview", exact=True).click()
        expect(page.locator("#preview .statement-body strong")).to_have_text(strong)
        expect(page.locator("#body_md")).to_have_value(body)  # the text is kept for the save
    expect(page.locator("#preview h3")).to_have_text(page.locator("#title").input_value())
    page.get_by_role("button", name="Save", exact=True).click()
    see(page, "Saved.")
    expect(page.locator("#body_md")).to_have_value(body)


def publish_language(page, js: bool) -> None:
    # It submits the text form (issue 13): what is on screen is saved, then published.
    page.get_by_role("button", name="Publish this language").click()
    see(page, "Saved and published.")
    expect(page.locator("#translation_status strong")).to_have_text("published")
    expect(page.get_by_role("button", name="Back to draft")).to_be_visible()


CONFIRMED = {"Publish": "Yes, publish", "Close signing": "Yes, close signing", "Archive": "Yes, archive"}


def lifecycle(page, js: bool, button: str, state: str) -> None:
    page.locator("#controls").get_by_role("button", name=button).click()
    if button in CONFIRMED:  # issue 13: a confirmation page, or a dialog with JavaScript
        page.get_by_role("button", name=CONFIRMED[button]).click()
    told(page, js, f"The statement is now: {state}.", "#controls")
    expect(page.locator("#controls dd strong")).to_have_text(state)


def seed_confirmed(server, statement_id: int, tag: str) -> list[str]:
    """Signatures that arrived elsewhere meanwhile, signed and confirmed through the services."""
    names = [f"{name} {tag}" for name in SEEDED]
    with server.app.app_context():
        for i, name in enumerate(names):
            email = f"seed{i}-{tag}@press{i}.example"
            signing.sign(signing.SignRequest(
                statement_id=statement_id, kind="organisation", name=name, country=COUNTRIES[i], email=email,
                lang="en", authorised=True, signer_name=f"Signer {i}"))
            uid = db.session.scalars(db.select(Signature.uid).where(Signature.email == email)).one()
            signer.confirm(tokens.make("confirm", uid))
    return names


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_coordinator_journey(open_page, server, coordinator, js):
    mode = "js" if js else "nojs"
    slug, signer = f"press-freedom-{mode}", f"Private Link Press {mode}"
    problems: list[str] = []
    page = open_page(js=js)
    watch(page, problems)

    # Log in through the form; /manage sends a visitor there first.
    page.goto("/manage/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to the workspace")
    page.get_by_label("Email").fill(coordinator[0])
    page.get_by_label("Password").fill(coordinator[1])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statements")
    expect(page.locator(".workspace-nav .who")).to_have_text("Jo Journey")

    # Create the statement: organisations sign, original in English.
    page.get_by_role("link", name="New statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New statement")
    page.get_by_label("Address (slug)").fill("Free the reporters!")
    page.get_by_label("Title in the original language").fill("Free the reporters")
    page.get_by_label("Original language", exact=True).select_option("en")
    expect(page.get_by_label("Organisations may sign")).to_be_checked()
    before = len(problems)
    page.get_by_role("button", name="Create the draft").click()
    expect(page.locator("#slug-error")).to_have_text(
        "Use lower-case letters, digits and single hyphens (at most 80).")  # 422, in place with JS
    expect(page.get_by_label("Address (slug)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Title in the original language")).to_have_value("Free the reporters")
    expect(page.get_by_role("heading", level=1)).to_have_text("New statement")
    provoked(problems, before, 422)
    page.get_by_label("Address (slug)").fill(slug)
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(slug)
    see(page, "The statement is created as a draft.")
    expect(page.locator("#controls dd strong")).to_have_text("draft")
    overview = page.url
    statement_id = int(re.search(r"/manage/statements/(\d+)$", overview).group(1))

    # Each lifecycle step is guarded: no signing before the original text has a body.
    before = len(problems)
    page.locator("#controls").get_by_role("button", name="Open signing (private link)").click()
    refused = "Write the original text (title and body) before opening signing."
    if js:  # a 409 whose fragment is swapped in, with the reason as an alert
        expect(page.locator("#controls [role=alert]")).to_have_text(refused)
        provoked(problems, before, 409)
    else:
        expect(page.locator(".flashes .flash-error")).to_have_text(refused)
    expect(page.locator("#controls dd strong")).to_have_text("draft")

    # The English text, previewed and published.
    page.locator("#translations").get_by_role("link", name="Edit (en)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Text in English · original")
    write_text(page, js, None, "We call for the **immediate** release of every jailed reporter.", "immediate",
               summary="Jailed for their work.")
    publish_language(page, js)

    # French and Arabic, from the overview's list of languages.
    for lang, title, body, strong, heading in [
        ("fr", "Libérez les journalistes", "Nous demandons leur libération **immédiate**.", "immédiate",
         "Text in Français"),
        ("ar", "أطلقوا سراح الصحفيين", "نطالب بالإفراج **الفوري** عن الصحفيين.", "الفوري", "Text in العربية"),
    ]:
        page.goto(overview)
        row = page.locator("#translations tr", has_text=f"({lang})")
        expect(row.locator("td").nth(1)).to_have_text("missing")
        row.get_by_role("link", name=f"Write ({lang})").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_role("heading", level=1).locator(f"span[lang={lang}]")).to_have_text(heading[8:])
        expect(page.locator("#body_md")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        write_text(page, js, title, body, strong)
        expect(page.locator("#preview > div")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        expect(page.locator("#translation_status strong")).to_have_text("draft")
        publish_language(page, js)
    page.goto(overview)
    for lang in ("en", "fr", "ar"):
        expect(page.locator("#translations tr", has_text=f"({lang})").locator("td").nth(1)).to_have_text(
            "published")

    # Open collecting; the private link is on the page, to share.
    lifecycle(page, js, "Open signing (private link)", "collecting (private link)")
    link = page.get_by_label("Private link to share while collecting").input_value()
    assert link.startswith(f"{server.url}/en/s/{slug}?key=") and len(link) > len(server.url) + 40
    assert page.request.get(f"/en/s/{slug}").status == 404  # not public without the key

    # Someone with the link signs in their own browser, then confirms from the email.
    reader = open_page(js=js)
    watch(reader, problems)
    reader.goto(link)
    expect(reader.get_by_role("heading", level=1)).to_have_text("Free the reporters")
    assert shown_count(reader) == 0
    reader.locator("#name").fill(signer)
    reader.locator("#signer_name").fill("Lina Haddad")
    reader.locator("#country").select_option("LB")
    email = f"lina-{mode}@private-link.example"
    reader.locator("#email").fill(email)
    reader.locator("#authorised").check()
    reader.locator("#sign-form button[type=submit]").click()
    expect(reader.locator("#thanks")).to_be_visible()
    reader.goto(outbox_link(server, email, "confirm"))
    reader.locator("main form button[type=submit]").click()
    see(reader, "Thank you. Your signature is confirmed. A coordinator will review it before it is shown.")

    # Publish; the French and Arabic pages are public now.
    page.goto(overview)
    lifecycle(page, js, "Publish", "published")
    expect(page.locator("#controls").get_by_role("link", name="Public page")).to_have_attribute(
        "href", f"/en/s/{slug}")
    expect(page.get_by_label("Private link to share while collecting")).to_have_count(0)
    reader.goto(f"/ar/s/{slug}")
    expect(reader.locator("html")).to_have_attribute("dir", "rtl")
    expect(reader.get_by_role("heading", level=1)).to_have_text("أطلقوا سراح الصحفيين")
    reader.goto(f"/fr/s/{slug}")
    expect(reader.get_by_role("heading", level=1)).to_have_text("Libérez les journalistes")
    reader.goto(f"/en/s/{slug}")
    public_count(reader, 0)  # pre-moderation: nothing counts before a coordinator approves

    # Moderate: the private-link signature first (oldest first), inline; then the rest in bulk.
    seeded = seed_confirmed(server, statement_id, mode)
    page.goto(overview)
    page.locator(".subnav").get_by_role("link", name="Moderation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Moderation: {slug}")
    items = page.locator("article.sig")
    expect(items).to_have_count(5)
    first = items.first
    expect(first.get_by_role("heading", level=2)).to_have_text(signer)
    expect(first).to_contain_text("launch signatory")
    expect(first).to_contain_text("confirmed, awaiting approval")
    first_id = first.get_attribute("id")
    if js:  # the keyboard: focus the item, press a; it is approved in place and focus moves on
        first.focus()
        page.keyboard.press("a")
        decided = page.locator(f"#{first_id}")
        expect(decided).to_contain_text("Approved.")
        expect(decided).to_have_class(re.compile(r"\bdecided\b"))
        expect(decided.locator(".badge")).to_have_text("approved")
        expect(page.locator("article.sig:not(.decided)").first).to_be_focused()
        expect(page.locator("article.sig:not(.decided)").first.get_by_role("heading")).to_have_text(seeded[0])
    else:  # a click, a 303 back to the queue, the message
        first.get_by_role("button", name=f"Approve {signer}").click()
        see(page, "Approved.")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Moderation: {slug}")
        expect(page.locator("article.sig")).to_have_count(4)
    reader.goto(f"/en/s/{slug}")
    public_count(reader, 1)  # the approval counts
    expect(reader.locator("#signatories bdi.name")).to_have_text([signer])
    for name in seeded:
        page.get_by_label(f"Select {name}").check()
    page.get_by_role("button", name="Approve selected").click()
    see(page, "4 approved.")
    see(page, "Nothing here with these filters.")
    page.get_by_label("State", exact=True).select_option("validated")
    if not js:
        page.get_by_role("button", name="Filter").click()
    expect(page.locator("article.sig")).to_have_count(5)
    with server.app.app_context():
        states = db.session.scalars(db.select(Signature.state).where(
            Signature.statement_id == statement_id)).all()
    assert sorted(states) == ["validated"] * 5

    reader.goto(f"/en/s/{slug}")
    public_count(reader, 5)
    for name in [signer, *seeded]:
        expect(reader.locator("#signatories bdi.name", has_text=name)).to_have_count(1)

    # Export: the public CSV has the names and no contact; the full one has the emails.
    page.goto(overview)
    page.locator(".subnav").get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports")
    public = download(page, page.locator("form[action$='/export/public.csv']").get_by_role(
        "button", name="CSV", exact=True))
    rows = list(csv.DictReader(io.StringIO(public)))
    assert sorted(r["name"] for r in rows) == sorted([signer, *seeded])
    assert "@" not in public and "email" not in rows[0]
    assert [r["launch"] for r in rows if r["name"] == signer] == ["yes"]
    full = download(page, page.locator("form[action$='/export/full.csv']").get_by_role(
        "button", name="CSV", exact=True))
    full_rows = list(csv.DictReader(io.StringIO(full)))
    assert {r["email"] for r in full_rows} == {email, *(f"seed{i}-{mode}@press{i}.example" for i in range(4))}
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports")  # still here after both

    # Statistics: the day's bar and the breakdowns hold the five approved signatures.
    page.goto(overview)
    page.locator(".subnav").get_by_role("link", name="Statistics").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistics")
    expect(page.get_by_role("img", name="Signatures per day (UTC)")).to_be_visible()
    by_state = page.get_by_role("table", name="By state")
    expect(by_state.locator("tbody tr")).to_have_text([re.compile(r"^approved\s*5$")])
    expect(page.get_by_role("table", name="By kind").locator("tbody tr")).to_have_text(
        [re.compile(r"^organisation\s*5$")])

    # Close: the public page says so and the count stays.
    page.goto(overview)
    lifecycle(page, js, "Close signing", "closed")
    signing_fact = page.locator("#controls dt", has_text=re.compile(r"^Signing$")).locator(
        "xpath=following-sibling::dd[1]")
    expect(signing_fact).to_have_text("closed")
    expect(page.locator("#controls").get_by_role("button", name="Archive")).to_be_visible()
    expect(page.locator("#controls").get_by_role("button", name="Pause signing")).to_have_count(0)
    reader.goto(f"/en/s/{slug}")
    reload_until(reader, lambda p: p.locator("#sign-form").count() == 0)
    expect(reader.get_by_text("Signing of this statement is closed.")).to_be_visible()
    assert shown_count(reader) == 5
    expect(reader.locator("#sign-form")).to_have_count(0)
    with server.app.app_context():
        assert db.session.get(Statement, statement_id).state == "closed"

    # The audit log holds every step of the journey, by this coordinator where a person acted.
    page.goto(overview)
    page.locator(".subnav").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    entries = page.locator("#audit tbody tr")
    expect(entries.first).to_be_visible()
    cells = [row.locator("td").all_inner_texts() for row in entries.all()]
    seen = {(who.strip(), re.split(r" · |\n", what)[0].strip()) for _when, who, what, *_rest in cells}
    mine = {action for who, action in seen if who.startswith(("Jo Journey", EMAIL))}
    with server.app.test_request_context():  # the actions in words, as the page shows them
        expected = {action_label(action) for action in (
            "statement_created", "translation_saved", "translation_published", "opened", "published",
            "approved", "exported_full", "closed")}
    assert expected <= mine, seen

    # Log out: the workspace asks for the password again.
    page.get_by_role("button", name="Log out").click()
    see(page, "You are logged out.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to the workspace")
    page.goto(overview)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to the workspace")

    assert not problems, "\n".join(problems)
    foreign = [url for url in page.requests + reader.requests if not server.own(url)]
    assert not foreign and len(page.requests) > 30, foreign  # the fixture checks the whole context too
