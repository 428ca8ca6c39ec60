"""Hardening: headers, cookies, request size, error pages, Markdown sanitising, IP hashing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from conftest import csrf_token, fresh_schema, link_from, make_app, outbox_bodies

from portal.abuse import clients
from portal.extensions import db
from portal.statements import markdown

SLUG = "free-the-reporters"
PAGES = ["/en/", f"/en/s/{SLUG}", f"/ar/s/{SLUG}/signatories", f"/en/s/{SLUG}/print", "/en/feed.atom",
         "/api/v1/statements", "/manage/login", "/confirm/not.valid", "/en/s/no-such-statement"]


@pytest.fixture
def public(client, make_statement):
    make_statement()
    return client


@pytest.mark.parametrize("url", PAGES)
def test_every_response_has_the_security_headers(public, url):
    response = public.get(url)
    assert response.status_code < 500
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    script = csp.get("script-src", csp["default-src"])
    assert "unsafe-inline" not in script and "unsafe-eval" not in script
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "same-origin",
                                                   "no-referrer")
    assert "Strict-Transport-Security" not in response.headers  # plain http: HSTS means nothing


def test_public_pages_use_strict_origin_and_token_pages_no_referrer(public, app):
    assert public.get(f"/en/s/{SLUG}").headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    token = csrf_token(public, f"/en/s/{SLUG}")
    public.post(f"/en/s/{SLUG}/sign", data={
        "csrf_token": token, "kind": "organisation", "name": "Org", "signer_name": "A", "country": "FR",
        "email": "a@org.example", "visibility": "full", "authorised": "y"})
    for kind in ("confirm", "withdraw"):
        page = public.get(link_from(outbox_bodies(app)[0], kind))
        assert page.status_code == 200
        assert page.headers["Referrer-Policy"] == "no-referrer"  # the token never leaves in a Referer


def test_hsts_over_https(public):
    response = public.get(f"/en/s/{SLUG}", base_url="https://localhost")
    hsts = response.headers["Strict-Transport-Security"]
    assert int(re.match(r"max-age=(\d+)", hsts).group(1)) >= 365 * 86400


def test_htmx_may_not_eval_or_run_scripts(public):
    html = public.get(f"/en/s/{SLUG}").get_data(as_text=True)
    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'", html).group(1)
    assert '"allowEval":false' in config and '"allowScriptTags":false' in config
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script at all
    assert re.search(r'<div class="statement-body" hx-disable>', html)


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie set"
    return cookies[0]


def test_session_cookie_is_httponly_and_lax_and_not_secure_over_http(public):
    cookie = session_cookie(public.get("/manage/login"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.parametrize(("base_url", "setting", "secure"), [
    ("https://statements.example.org", None, True),  # automatic behind https
    ("http://127.0.0.1:5000", None, False),
    ("http://127.0.0.1:5000", True, True),  # PORTAL_SESSION_COOKIE_SECURE=true forces it
])
def test_session_cookie_secure_follows_base_url(database_url, tmp_path, base_url, setting, secure):
    overrides = {"BASE_URL": base_url} | ({"SESSION_COOKIE_SECURE": setting} if setting is not None else {})
    with fresh_schema(make_app(database_url, tmp_path / "instance", **overrides)) as app:
        # Asked under BASE_URL's own host: any other host gets a 400 (tests/test_hosts.py).
        host = urlsplit(base_url).netloc
        cookie = session_cookie(app.test_client().get("/manage/login", base_url=f"https://{host}"))
        assert ("Secure" in cookie) is secure


def test_too_large_a_request_is_413_with_a_clear_message(public, app):
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    response = public.post(f"/en/s/{SLUG}/sign", data={"name": "x" * 70_000, "email": "a@b.example"})
    assert response.status_code == 413
    assert "What you sent is too large." in response.get_data(as_text=True)
    htmx = public.post(f"/en/s/{SLUG}/sign", data={"name": "x" * 70_000}, headers={"HX-Request": "true"})
    assert htmx.status_code == 413 and "<html" not in htmx.get_data(as_text=True)


def test_an_error_never_shows_a_stack_trace(database_url, tmp_path, caplog):
    app = make_app(database_url, tmp_path / "instance")

    secret = " ".join(["secret-detail", "victim@example.org", "SELECT password FROM coordinators"])

    @app.get("/__boom")
    def boom():
        raise RuntimeError(secret)  # an exception's text may quote data; only its type is logged

    try:
        response = app.test_client().get("/__boom")
        html = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Something went wrong on our side" in html
        for leak in ("Traceback", "RuntimeError", "secret-detail", "victim@example.org", ".py", "line "):
            assert leak not in html
        assert "victim@example.org" not in caplog.text and "secret-detail" not in caplog.text
        assert "RuntimeError" in caplog.text  # the log says what failed, not with what data
    finally:
        with app.app_context():
            db.engine.dispose()


HX_PAYLOADS = [
    '<div hx-get="/manage" hx-trigger="load">x</div>',
    '<a href="/x" hx-post="/manage/abuse/rules" data-hx-trigger="load">x</a>',
    '<img src=x onerror=alert(1) hx-on:load="alert(1)">',
    '[link](https://example.org "title" hx-get="/x")',
    '<p data-hx-get="/x" hx-swap-oob="true">p</p>',
    "<span hx-on::after-request=\"alert(1)\">s</span>",
    "<table><tr><td hx-get='/x' align=left>t</td></tr></table>",
]


def attribute_names(html: str) -> set[str]:
    """Every attribute name on every element, as a browser's parser would see them."""
    from html.parser import HTMLParser

    found: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.update(name for name, _value in attrs)

    Collect().feed(html)
    return found


@pytest.mark.parametrize("source", HX_PAYLOADS)
def test_markdown_strips_every_htmx_attribute(source):
    names = attribute_names(str(markdown.render(source)))
    assert not {n for n in names if n.startswith(("hx-", "data-hx-", "on"))}
    assert names <= {"href", "title", "align", "rel"}


def test_nh3_itself_strips_htmx_attributes_even_if_html_got_through():
    import nh3

    dirty = '<p hx-get="/x" data-hx-post="/y" title="ok"><a href="https://e.org" hx-boost="true">a</a></p>'
    clean = nh3.clean(dirty, tags=markdown.TAGS, attributes=markdown.ATTRIBUTES)
    assert not {n for n in attribute_names(clean) if "hx-" in n} and 'href="https://e.org"' in clean
    allowed = {attr for attrs in markdown.ATTRIBUTES.values() for attr in attrs}
    assert not {attr for attr in allowed if attr.startswith(("hx-", "data-", "on"))}


def test_ip_is_stored_only_as_a_keyed_hash_that_rotates_monthly(app, monkeypatch):
    import portal.models

    with app.test_request_context():
        now = clients.ip_hash("203.0.113.5")
        assert now == clients.ip_hash("203.0.113.5") and len(now) == 32
        assert "203.0.113.5" not in now and now != clients.ip_hash("203.0.113.6")
        monkeypatch.setattr(portal.models, "utcnow", lambda: datetime(2031, 1, 15, tzinfo=UTC))
        january = clients.ip_hash("203.0.113.5")
        monkeypatch.setattr(portal.models, "utcnow", lambda: datetime(2031, 2, 1, tzinfo=UTC))
        assert clients.ip_hash("203.0.113.5") != january  # the key rotates with the period
        app.config["SECRET_KEY"] = "another-secret-" + "y" * 20
        monkeypatch.setattr(portal.models, "utcnow", lambda: datetime(2031, 1, 15, tzinfo=UTC))
        assert clients.ip_hash("203.0.113.5") != january  # keyed: the secret matters
        assert clients.ip_hash(None) is None
