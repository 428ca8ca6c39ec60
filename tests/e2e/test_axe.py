"""axe-core on every HTML page, public and coordinator, in all five interface languages: 0 violations."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal import tokens
from portal.accounts import coordinators as accounts
from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import Coordinator, Invitation, Signature, Statement
from portal.network import invitations, roster
from portal.signatures import signing

from . import test_record_journey as record
from .conftest import LANGUAGES, SLUG, log_in

axe = Axe()
# Every rule axe enables by default, plus WCAG 2.2's target size and the duplicate-id checks it leaves off.
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {
    rule: {"enabled": True} for rule in ("target-size", "duplicate-id", "duplicate-id-active")}}

# GET routes that are not HTML pages for people, or only redirect.
NOT_PAGES = {
    "static", "main.index", "main.healthz", "main.favicon", "statements.count", "feeds.statements",
    "mirrors.copy", "mirrors.signature", "mirrors.signing_key",  # files, checked in test_mirror_offline.py
    "feeds.statement", "feeds.robots", "feeds.sitemap", "outlets.qr", "outlets.badge",
    "manage.translation_redirect",
    "manage.export_public", "api.openapi", "api.statements", "api.statement", "api.signatories",
    "outlets.page_margins", "manage.signatory_list_text",
}
PUBLIC = {  # endpoint -> path for a language
    "statements.index": "/{lang}/",
    "statements.show": "/{lang}/s/" + SLUG,
    "statements.signatories": "/{lang}/s/" + SLUG + "/signatories",
    "statements.thanks": "/{lang}/s/" + SLUG + "/thanks",
    "outlets.embed": "/{lang}/s/" + SLUG + "/embed",
    "outlets.letter": "/{lang}/s/" + SLUG + "/print",
    "feeds.updates": "/{lang}/s/" + SLUG + "/updates",
    "signatures.confirm": "/confirm/{confirm}",
    "signatures.withdraw": "/withdraw/{withdraw}",
    "signatures.manage": "/signature/{manage}",
    "errors.404": "/{lang}/s/no-such-statement",
    "invitations.invitation": "/{lang}/s/" + SLUG + "/i/{invite}",
}
WORKSPACE = {  # behind login; the workspace speaks the browser's language
    "manage.home": "/manage/",
    "manage.statement": "/manage/statements/{sid}",
    "manage.edit_statement": "/manage/statements/{sid}/edit",
    "manage.new_statement": "/manage/statements/new",
    "manage.translation": "/manage/statements/{sid}/translations/fr",
    "manage.statement_queue": "/manage/statements/{sid}/moderation",
    "manage.queue": "/manage/moderation",
    "manage.edit_signature": "/manage/signatures/{sig}/edit",
    "manage.stats": "/manage/statements/{sid}/stats",
    "manage.exports": "/manage/statements/{sid}/exports",
    "manage.signatory_list": "/manage/statements/{sid}/signatory-list",
    "manage.audit": "/manage/audit",
    "manage.coordinators": "/manage/coordinators",
    "manage.change_password": "/manage/password",
    "manage.site_settings": "/manage/site",
    "manage.safety": "/manage/safety",
    "manage.abuse": "/manage/abuse/",
    "manage.invalidate": "/manage/abuse/invalidate",
    "manage.security": "/manage/security",
    "manage.reauthenticate": "/manage/security/confirm",
    "manage.enrol_totp": "/manage/security/totp",
    "manage.step": "/manage/statements/{sid}/step/closed",
    "manage.entries_page": "/manage/statements/{sid}/entries",
    "manage.notifications": "/manage/notifications",
    "manage.organisations": "/manage/organisations",
    "manage.edit_organisation": "/manage/organisations/edit",
    "manage.import_organisations": "/manage/organisations/import",
    "manage.merge_organisations": "/manage/organisations/merge",
    "manage.invitation_board": "/manage/statements/{sid}/invitations",
}
# Open only between the password and the second factor: checked in test_passkeys.py (en, ar).
SECOND_STEP = {"manage.second_step"}
LOGGED_OUT = {
    "manage.login": "/manage/login",
    "manage.invitation": "/manage/invitation/{invitation}",
    "manage.reset": "/manage/reset/{reset}",
}


def test_every_html_page_is_checked(server):
    """A new page fails here until it is added to the axe run (or declared not to be a page)."""
    checked = set(PUBLIC) | set(WORKSPACE) | set(LOGGED_OUT) | SECOND_STEP | record.AXE_CHECKED
    missing = sorted(rule.endpoint for rule in server.app.url_map.iter_rules()
                     if "GET" in rule.methods and rule.endpoint not in checked | NOT_PAGES | record.NOT_PAGES)
    assert not missing, f"pages without an axe check: {missing}"


@pytest.fixture(scope="module")
def links(server) -> dict:
    """Per language, a pending signature's confirm and withdraw tokens, an unused invitation and
    an unused password-reset link."""
    values: dict = {}
    with server.app.app_context():
        sid = db.session.scalars(db.select(Statement.id).where(Statement.slug == SLUG)).one()
        for lang in LANGUAGES:
            values[lang] = signer_links(sid, lang, "Axe")
        accounts.invite(accounts.Invitation(email="invited@example.org", name="Ines Invitee"), "Axe")
        invited = db.session.scalars(db.select(Coordinator).where(
            Coordinator.email == "invited@example.org")).one()
        invitation = accounts.invitation_token(invited)
        reset = accounts.issue_reset(invited.id, Actor(None, "axe")).rsplit("/", 1)[1]
    for value in values.values():
        value["invitation"], value["reset"] = invitation, reset
    return values


def signer_links(sid: int, lang: str, who: str) -> dict:
    """A new pending signature's confirm, withdraw and manage tokens, and an unused personal
    invitation, for URL templates in ``lang`` (inside an application context)."""
    email = f"{who.lower()}-{lang}@example.org"
    signing.sign(signing.SignRequest(
        statement_id=sid, kind="organisation", name=f"{who} {lang} الصحافة", country="EG",
        email=email, lang=lang, authorised=True, signer_name=who))
    sig, uid = db.session.execute(db.select(Signature.id, Signature.uid).where(
        Signature.email == email)).one()
    return {"lang": lang, "sid": sid, "sig": sig, "confirm": tokens.make("confirm", uid),
            "withdraw": tokens.make("withdraw", uid), "manage": tokens.make("manage", uid),
            "invite": invitation_link(sid, lang, who)}


def invitation_link(sid: int, lang: str, who: str = "Axe") -> str:
    """An unused personal invitation to sign, for an organisation of the roster reading ``lang``."""
    address = f"{who.lower()}-invite-{lang}@example.org"
    org = roster.save(roster.OrgInput(f"{who} invited {lang}", "EG", emails=address, language=lang),
                      Actor(None, "axe"))
    invitations.send(sid, roster.Selection(ids=(org.id,)), Actor(None, "axe"))
    found = db.session.scalars(db.select(Invitation).where(Invitation.organisation_id == org.id)).one()
    return invitations.token_of(found)


def check(page, url: str, **run) -> None:
    response = page.goto(url)
    assert response is not None and response.status in (200, 404), f"{url}: {response and response.status}"
    results = axe.run(page, options=run.get("options", AXE_OPTIONS))
    assert results.violations_count == 0, f"{url}\n{results.generate_report()}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_pages_have_no_axe_violations(open_page, links, lang):
    page = open_page(locale=lang)
    for path in PUBLIC.values():
        check(page, path.format(**links[lang]))
    for path in LOGGED_OUT.values():
        check(page, path.format(**links[lang]))
    # An expired form comes back filled in, on a page of its own.
    page.goto(PUBLIC["signatures.withdraw"].format(**links[lang]))
    page.locator("main form input[name=csrf_token]").evaluate("input => { input.value = 'expired' }")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#expired")).to_be_visible()
    results = axe.run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"expired form\n{results.generate_report()}"
    assert len(page.requests) >= len(PUBLIC) + len(LOGGED_OUT)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_workspace_pages_have_no_axe_violations(open_page, server, links, lang):
    page = open_page(locale=lang)
    log_in(page, server, lang)
    for path in WORKSPACE.values():
        check(page, path.format(**links[lang]))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_contrast_in_dark_mode(open_page, links, lang):
    page = open_page(locale=lang, color_scheme="dark")
    # The pages that carry their own colours: the form and count, notices, successes, errors, the widget.
    for endpoint in ("statements.show", "statements.thanks", "signatures.confirm", "errors.404",
                     "outlets.embed"):
        check(page, PUBLIC[endpoint].format(**links[lang]),
              options={"runOnly": {"type": "rule", "values": ["color-contrast"]}})
