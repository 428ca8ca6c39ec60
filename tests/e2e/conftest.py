"""The browser suite: one Debian chromium, one live server on loopback with demo data, per session."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from portal import create_app
from portal.extensions import db

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
LANGUAGES = ["en", "fr", "es", "ar", "ru"]
SLUG = "release-marta-ilieva"  # published, pre-moderated, with a deadline and 420 signatures
GENEROUS = {name: "100000/minute" for name in (
    "SIGN_RATE_LIMIT", "SIGN_STATEMENT_RATE_LIMIT", "LINK_RATE_LIMIT", "LINK_STATEMENT_RATE_LIMIT",
    "API_RATE_LIMIT", "API_STATEMENT_RATE_LIMIT", "LOGIN_RATE_LIMIT")}
# Two shared cores under a full test run: give assertions room before calling something missing.
expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _chromium_present():
    if not (shutil.which(CHROMIUM) or os.access(CHROMIUM, os.X_OK)):
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing, and CI requires the browser suite (.ci/run installs it)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium; CI=true makes this a failure)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, never a downloaded one, and no traffic of its own."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]}


@dataclass
class Server:
    url: str
    app: object
    login: tuple[str, str]
    private_key: str = "demo-private-link"
    host: str = field(init=False)

    def __post_init__(self):
        self.host = urlsplit(self.url).netloc

    def own(self, url: str) -> bool:
        """True for a request that stays on the app's origin (or never leaves the page)."""
        parts = urlsplit(url)
        return parts.scheme in ("data", "blob", "about") or (
            parts.scheme == "http" and parts.netloc == self.host)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """gunicorn (tests/live_server.py) on a free loopback port, with the demo's statements and a login.

    The test process opens the same SQLite file to seed it, read the outbox and approve signatures.
    """
    from conftest import fresh_schema
    from live_server import SECRET_KEY, live_server

    from portal.commands import demo

    instance = tmp_path_factory.mktemp("e2e-instance")
    database_url = f"sqlite:///{instance / 'portal.sqlite3'}"
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    try:
        app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY,
                          "MAIL_SENDER_THREAD": False, "RATELIMIT_ENABLED": True, **GENEROUS})
    finally:
        del os.environ["PORTAL_INSTANCE_PATH"]
    # The limits are on, as shipped, but far above what one browser sends (the test process shares
    # their store, through the same instance folder, to push a statement past its own limit).
    # Each browser test that posts an update expects it emailed: the daily allowance per statement
    # (tests/test_record_updates.py tests it) is lifted for the shared server.
    limits = {"PORTAL_RATELIMIT_ENABLED": "true", "PORTAL_UPDATE_MAILS_PER_DAY": "1000",
              **{f"PORTAL_{k}": v for k, v in GENEROUS.items()}}
    with fresh_schema(app):
        with app.app_context():
            login = demo.load()
        with live_server(database_url, instance, workers=1, extra_env=limits) as running:
            app.config["BASE_URL"] = running.url
            yield Server(url=running.url, app=app, login=login)
            log = running.log_text()
    assert "Traceback" not in log, f"the server logged errors:\n{log[-4000:]}"


@pytest.fixture
def open_page(browser, server):
    """Pages in fresh contexts (JS on or off, any locale); every request is logged and checked,
    and so is every Content-Security-Policy refusal the browser reports."""
    contexts, foreign, refused = [], [], []

    def make(js: bool = True, locale: str = "en-GB", width: int = 1280, height: int = 900, **kwargs):
        context = browser.new_context(java_script_enabled=js, locale=locale, base_url=server.url,
                                      viewport={"width": width, "height": height}, **kwargs)
        context.set_default_timeout(10_000)
        context.on("request", lambda req: None if server.own(req.url) else foreign.append(req.url))
        contexts.append(context)
        page = context.new_page()
        page.requests = []  # type: ignore[attr-defined]
        page.on("request", lambda request: page.requests.append(request.url))
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not foreign, f"requests left the app's origin: {foreign}"
    assert not refused, f"the Content-Security-Policy refused something: {refused}"


def outbox_link(server, email: str, kind: str) -> str:
    """The newest confirm/withdraw link mailed to an address, read from the durable outbox."""
    from portal.models import OutboxMail

    with server.app.app_context():
        mails = db.session.scalars(db.select(OutboxMail).where(OutboxMail.to_addr == email)
                                   .order_by(OutboxMail.id.desc())).all()
    assert mails, f"no email to {email} in the outbox"
    match = re.search(rf"{re.escape(server.url)}(/{kind}/[A-Za-z0-9_\-.]+)", mails[0].body)
    assert match, f"no {kind} link in the email to {email}"
    return match.group(1)


def log_in(page, server, lang: str | None = None) -> None:
    """The demo coordinator signs in through the login form (``lang``: the page is in it first)."""
    page.goto("/manage/login")
    if lang:
        expect(page.locator("html")).to_have_attribute("lang", lang)
    page.locator("#email").fill(server.login[0])
    page.locator("#password").fill(server.login[1])
    page.locator("form#login button[type=submit]").click()
    expect(page).to_have_url(f"{server.url}/manage/")
