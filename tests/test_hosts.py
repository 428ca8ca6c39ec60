"""The Host header cannot poison a page (issue 11, finding 3), tested against the app itself.

Every absolute URL the app writes comes from ``BASE_URL``; a request under any host that is not
``BASE_URL``'s (or one of ``EXTRA_HOSTS``) gets a plain 400; forwarded-host headers are ignored;
and the micro-cache keeps pages asked under different hosts and schemes apart. The same attack
through the shipped nginx is in tests/test_nginx.py. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import pytest
from conftest import fresh_schema, make_app
from manage_fixtures import PASSWORD, add_statement, make_people, token_in
from test_caching import validated

from portal.extensions import db
from portal.models import Coordinator, Statement
from portal.web import hosts

SLUG = "free-the-reporters"
BASE = "https://statements.example.org"
ONION = "onionsite.example"  # stands for an onion address (issue 16): a second trusted host
FORGED = ["evil.example", "statements.example.org.evil.example", "evil.example:443", "localhost",
          "127.0.0.1", "statements.example.org@evil.example", "xn--e1afmkfd.example", "[::1]"]
FORWARDING = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Server": "evil.example",
              "X-Host": "evil.example", "X-Original-Host": "evil.example",
              "Forwarded": "host=evil.example;proto=http", "X-Forwarded-Proto": "http"}
SURFACES = [f"/en/s/{SLUG}", f"/fr/s/{SLUG}", f"/en/s/{SLUG}/print", f"/en/s/{SLUG}/embed",
            f"/en/s/{SLUG}/qr.svg", "/en/feed.atom", f"/en/s/{SLUG}/feed.atom", "/sitemap.xml", "/robots.txt",
            "/api/v1/statements", f"/api/v1/statements/{SLUG}", f"/api/v1/statements/{SLUG}/signatories",
            "/en/"]
# Where share links lead, and XML namespaces and schemas: named, never loaded.
ELSEWHERE = {"s2f.kytta.dev", "bsky.app", "twitter.com", "www.facebook.com", "www.linkedin.com", "wa.me",
             "t.me", "www.w3.org", "www.sitemaps.org", "json-schema.org", "spec.openapis.org"}
URL = re.compile(r"\b(?:https?:)?//[\w.\-\[\]:@]+", re.IGNORECASE)


@pytest.fixture
def site(database_url, tmp_path, request):
    overrides = getattr(request, "param", {})
    app = make_app(database_url, tmp_path / "hosts", BASE_URL=BASE, EXTRA_HOSTS=[ONION], **overrides)
    with fresh_schema(app, database_url):
        yield app


def foreign(named: set[str]) -> set[str]:
    """Hosts named that are neither BASE_URL nor a share service or XML namespace."""
    return {url for url in named if url != BASE and url.split("//", 1)[1] not in ELSEWHERE}


def hosts_named(body: str) -> set[str]:
    """Every scheme://host (or //host) in a body, decoded the ways a page may encode it."""
    text = unquote(html.unescape(body))
    return {match.lower() for match in URL.findall(text)}


def test_trusted_hosts_come_from_base_url_and_extra_hosts():
    assert hosts.trusted_hosts({"BASE_URL": "https://Statements.Example.org:8443/portal/"}) == [
        "statements.example.org"]
    assert hosts.trusted_hosts({"BASE_URL": BASE, "EXTRA_HOSTS": [ONION, "statements.example.org"]}) == [
        "statements.example.org", ONION]
    assert hosts.trusted_hosts({"BASE_URL": BASE, "EXTRA_HOSTS": "a.example, b.example"}) == [
        "statements.example.org", "a.example", "b.example"]


@pytest.mark.parametrize("site", [{"MICROCACHE_SECONDS": 60}], indirect=True)
def test_a_forged_host_gets_a_plain_400_and_poisons_nothing(site):
    add_statement(site, SLUG, None, langs=("en", "fr"))
    client = site.test_client()
    for host in FORGED:
        for path in (f"/en/s/{SLUG}", f"/en/s/{SLUG}/count", "/manage/login", "/healthz", "/sitemap.xml"):
            for cookie in ({}, {"Cookie": "session=x"}):
                response = client.get(path, headers={"Host": host, **cookie})
                assert response.status_code == 400, (host, path)
                assert response.mimetype == "text/plain" and response.headers["Cache-Control"] == "no-store"
                body = response.get_data(as_text=True)
                assert body == f"This site does not answer to that address. Its address is {BASE}\n"
        api = client.get("/api/v1/statements", headers={"Host": host})
        assert api.status_code == 400 and api.json["error"]["message"].startswith("This site does not answer")
        for base in (BASE, f"http://{ONION}"):  # what readers get next, from memory or not
            for path in (f"/en/s/{SLUG}", f"/en/s/{SLUG}/count"):
                page = client.get(path, base_url=base)
                assert page.status_code == 200
                assert foreign(hosts_named(page.get_data(as_text=True))) == set(), (host, base, path)


def test_every_absolute_url_comes_from_base_url_whatever_the_request_says(site):
    add_statement(site, SLUG, None, langs=("en", "fr"))
    client = site.test_client()
    for path in SURFACES:
        response = client.get(path, base_url=f"http://{ONION}", headers=FORWARDING)
        assert response.status_code == 200, path
        named = hosts_named(response.get_data(as_text=True))
        assert foreign(named) == set(), path
        if path not in (f"/en/s/{SLUG}/embed", "/en/", f"/api/v1/statements/{SLUG}/signatories"):
            assert BASE in named, path


def test_the_private_link_is_written_with_base_url(site):
    sid = add_statement(site, SLUG, None, state="collecting")
    people = make_people(site)
    with site.app_context():
        statement = db.session.get(Statement, sid)
        statement.coordinators.append(db.session.get(Coordinator, people.owner))
        key = statement.private_key
        db.session.commit()
    client, there = site.test_client(), f"http://{ONION}"
    token = token_in(client.get("/manage/login", base_url=there).get_data(as_text=True))
    assert client.post("/manage/login", base_url=there, data={
        "email": "owner@example.org", "password": PASSWORD, "csrf_token": token}).status_code == 303
    page = client.get(f"/manage/statements/{sid}", base_url=there).get_data(as_text=True)
    assert f'value="{BASE}/en/s/{SLUG}?key={key}"' in page
    assert ONION not in page


@pytest.mark.parametrize("site", [{"MICROCACHE_SECONDS": 60}], indirect=True)
def test_the_micro_cache_keeps_hosts_and_schemes_apart(site):
    sid = add_statement(site, SLUG, None, moderation="post", require_confirmation=False)
    client = site.test_client()
    url = f"/en/s/{SLUG}/count"
    own = f"http://{BASE.split('//')[1]}"
    assert "<strong>0</strong>" in client.get(url, base_url=own).get_data(as_text=True)
    validated(site, sid, "Press Club", "club@example.org")
    assert "<strong>0</strong>" in client.get(url, base_url=own).get_data(as_text=True)  # from memory
    assert "<strong>1</strong>" in client.get(url, base_url=f"http://{ONION}").get_data(as_text=True)
    secure = client.get(url, base_url=BASE)
    assert "<strong>1</strong>" in secure.get_data(as_text=True)
    assert "Strict-Transport-Security" in secure.headers
    plain = client.get(url, base_url=own)
    assert "<strong>0</strong>" in plain.get_data(as_text=True)  # still its own entry
    assert "Strict-Transport-Security" not in plain.headers


def test_the_400_speaks_the_readers_language(site):
    headers = {"Host": "evil.example", "Accept-Language": "fr"}
    response = site.test_client().get(f"/fr/s/{SLUG}", headers=headers)
    assert response.status_code == 400
    french = f"Ce site ne répond pas à cette adresse. Son adresse est {BASE}\n"
    assert response.get_data(as_text=True) == french


def test_a_forged_host_is_refused_before_any_other_check(site):
    """A JSON body (415), a NUL (400) or a cross-site sign (403) under a forged host: still the plain 400."""
    client = site.test_client()
    cases = [("POST", f"/en/s/{SLUG}/sign", {"json": {"name": 1}}), ("GET", "/en/?q=%00", {}),
             ("POST", "/manage/login", {"data": {"x": "\x00"}}), ("GET", "/nowhere", {}),
             ("POST", f"/en/s/{SLUG}/sign", {"headers": {"Sec-Fetch-Site": "cross-site"}}),
             ("DELETE", "/healthz", {})]
    for method, path, kwargs in cases:
        headers = {"Host": "evil.example", **kwargs.pop("headers", {})}
        response = client.open(path, method=method, headers=headers, **kwargs)
        assert response.status_code == 400, (method, path)
        assert response.get_data(as_text=True).startswith("This site does not answer to that address.")


def test_a_development_server_answers_every_loopback_name(tmp_path):
    """With the default BASE_URL (127.0.0.1), opening http://localhost:5000 works too; a
    public BASE_URL admits no loopback name."""
    from conftest import make_app

    local = make_app(f"sqlite:///{tmp_path / 'a.sqlite3'}", tmp_path / "a", BASE_URL="http://127.0.0.1:5000")
    assert {"127.0.0.1", "localhost"} <= set(local.config["TRUSTED_HOSTS"])
    public = make_app(f"sqlite:///{tmp_path / 'b.sqlite3'}", tmp_path / "b",
                      BASE_URL="https://statements.example.org")
    assert public.config["TRUSTED_HOSTS"] == ["statements.example.org"]
