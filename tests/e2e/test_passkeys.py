"""Two-factor login in Chromium: a passkey made and used through Chromium's virtual
authenticator (CDP ``WebAuthn.addVirtualAuthenticator``), an authenticator app with JavaScript
off, and axe at 0 violations on every new page, in English and in Arabic (right to left).

Passkeys are bound to a host name, and WebAuthn refuses an IP address as one: these pages are
opened under ``localhost``, one of the live server's loopback names.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal.accounts import coordinators as accounts
from portal.extensions import db
from portal.factors import store as factors
from portal.models import ModerationEvent

axe = Axe()
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {
    rule: {"enabled": True} for rule in ("target-size", "duplicate-id", "duplicate-id-active")}}
PASSWORD = "a passphrase for two factors"


@pytest.fixture
def at_localhost(browser, server):
    """Contexts on http://localhost:<port>; every request must stay there, and the CSP refuse nothing."""
    origin = "http://localhost:" + str(urlsplit(server.url).port)
    contexts, foreign, refused = [], [], []

    def make(js: bool = True, locale: str = "en-GB"):
        context = browser.new_context(java_script_enabled=js, locale=locale, base_url=origin)
        context.set_default_timeout(10_000)
        context.on("request", lambda r: None if r.url.startswith(origin + "/") else foreign.append(r.url))
        contexts.append(context)
        page = context.new_page()
        # A 422 is a refused form these tests send on purpose; any other console error counts.
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text
                or (m.type == "error" and "status of 422" not in m.text) else None)
        page.on("pageerror", lambda error: refused.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not foreign, f"requests left the origin: {foreign}"
    assert not refused, f"console errors or CSP refusals: {refused}"


def coordinator(server, tag: str) -> str:
    email = f"two-factors-{tag}-{time.monotonic_ns()}@example.org"
    with server.app.app_context():
        accounts.create_coordinator(email, f"Two Factors {tag}", PASSWORD)
    return email


def log_in(page, email: str) -> None:
    page.goto("/manage/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form#login button[type=submit]").click()


def log_out(page) -> None:
    page.locator("form.logout button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/manage/login$"))


def no_violations(page, what: str) -> None:
    results = axe.run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{what}\n{results.generate_report()}"


def virtual_authenticator(page) -> tuple[object, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp, made["authenticatorId"]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_passkey_is_made_and_then_asked_for_at_login(at_localhost, server, lang):
    email = coordinator(server, f"passkey-{lang}")
    page = at_localhost(locale=lang)
    cdp, authenticator = virtual_authenticator(page)
    log_in(page, email)
    expect(page).to_have_url(re.compile(r"/manage/$"))
    page.goto("/manage/security")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.locator("#add-passkey")).to_be_visible()
    expect(page.locator("[data-passkey-nojs]").first).to_be_hidden()
    no_violations(page, f"security page ({lang})")
    page.locator("#add-passkey input[name=label]").fill("Laptop key")
    page.locator("#add-passkey button[type=submit]").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    no_violations(page, f"recovery codes ({lang})")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(credentials) == 1 and credentials[0]["rpId"] == "localhost"
    page.goto("/manage/security")
    expect(page.locator("#factors")).to_contain_text("Laptop key")

    log_out(page)
    log_in(page, email)
    expect(page).to_have_url(re.compile(r"/manage/login/second-step$"))
    page.goto("/manage/")  # the password alone opens nothing
    expect(page).to_have_url(re.compile(r"/manage/login\?next="))
    log_in(page, email)
    expect(page.locator("#passkey-login")).to_be_visible()
    no_violations(page, f"second step ({lang})")
    page.locator("#passkey-login button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))
    expect(page.locator("nav.workspace-nav")).to_be_visible()
    sign_count = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"][0][
        "signCount"]
    assert sign_count >= 2  # made, then used
    with server.app.app_context():
        mine = [f for f in factors.factors(_id(email)) if f.kind == "passkey"]
        assert len(mine) == 1 and mine[0].sign_count == sign_count
        assert db.session.scalar(db.select(ModerationEvent.action).where(
            ModerationEvent.action == "second_factor_added", ModerationEvent.actor_id == _id(email)))


def test_a_passkey_from_another_authenticator_does_not_log_in(at_localhost, server):
    email = coordinator(server, "stranger")
    page = at_localhost()
    cdp, authenticator = virtual_authenticator(page)
    log_in(page, email)
    page.goto("/manage/security")
    page.locator("#add-passkey button[type=submit]").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    log_out(page)
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    virtual_authenticator(page)  # a fresh authenticator, without the account's passkey
    log_in(page, email)
    expect(page.locator("#passkey-login")).to_be_visible()
    page.locator("#passkey-login button[type=submit]").click()
    expect(page.locator("#passkey-login [data-passkey-status]")).not_to_be_empty()
    expect(page).to_have_url(re.compile(r"/manage/login/second-step$"))


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_an_authenticator_app_with_javascript_off(at_localhost, server, lang):
    """No script at all: the pages say passkeys need JavaScript, and the app's codes work."""
    email = coordinator(server, f"totp-{lang}")
    page = at_localhost(js=False, locale=lang)
    log_in(page, email)
    page.goto("/manage/security")
    expect(page.locator("[data-passkey-nojs]")).to_be_visible()
    expect(page.locator("#add-passkey")).to_be_hidden()
    page.locator("#add-totp").click()
    secret = page.locator("#totp-secret").inner_text().strip()
    expect(page.locator(".totp-qr svg")).to_be_visible()
    page.locator("#enrol-totp input[name=code]").fill(pyotp.TOTP(secret).now())
    page.locator("#enrol-totp button[type=submit]").click()
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    log_out(page)
    log_in(page, email)
    expect(page.locator("#second-step")).to_be_visible()
    expect(page.locator("#passkey-login")).to_have_count(0)  # no passkey on this account
    page.locator("#code").fill(codes[3])
    page.locator("#second-step button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))
    expect(page.locator(".flashes")).to_contain_text("9")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_new_pages_have_no_axe_violations(at_localhost, server, lang):
    """Enrolment of an app, typing the password again, and the code form of the second step."""
    email = coordinator(server, f"axe-{lang}")
    page = at_localhost(locale=lang)
    log_in(page, email)
    page.goto("/manage/security/totp")
    no_violations(page, f"authenticator app ({lang})")
    page.locator("#enrol-totp button[type=submit]").click()  # empty: the error is shown in place
    expect(page.locator("#code-error")).to_be_visible()
    no_violations(page, f"authenticator app, refused ({lang})")
    page.goto("/manage/security/confirm")
    no_violations(page, f"password again ({lang})")
    with server.app.app_context():
        from portal.accounts.audit import Actor
        from portal.factors import totp

        key = totp.new_secret()
        totp.enrol(_id(email), key, pyotp.TOTP(key).now(), "Phone", Actor(None, "test"))
    log_in(page, email)
    expect(page.locator("#second-step")).to_be_visible()
    page.locator("#second-step button[type=submit]").click()
    expect(page.locator("#code-error")).to_be_visible()
    no_violations(page, f"second step, refused ({lang})")


def _id(email: str) -> int:
    from portal.models import Coordinator

    return db.session.scalars(db.select(Coordinator.id).where(Coordinator.email == email)).one()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_administrators_security_page_has_no_axe_violations(at_localhost, server, lang):
    page = at_localhost(locale=lang)
    page.goto("/manage/login")
    page.locator("#email").fill(server.login[0])
    page.locator("#password").fill(server.login[1])
    page.locator("form#login button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))
    page.goto("/manage/security")
    expect(page.locator("#everyone")).to_be_visible()
    expect(page.locator("#require-form")).to_be_visible()
    no_violations(page, f"administrator's security page ({lang})")
