"""Onion access (issue 16): with ``ONION_URL`` set, its host is answered, HTML pages asked
through any other host send ``Onion-Location``, and every absolute link of a request that came
through the onion host is built on ``ONION_URL``; a forged ``Host`` still chooses nothing.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from conftest import fresh_schema, make_app
from manage_fixtures import add_statement
from test_hosts import FORGED, FORWARDING, SURFACES, hosts_named

from portal.web import hosts

SLUG = "free-the-reporters"
BASE = "https://statements.example.org"
ONION_HOST = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
ONION = f"http://{ONION_HOST}"
# Where share links lead, and XML namespaces and schemas: named, never loaded.
ELSEWHERE = {"s2f.kytta.dev", "bsky.app", "twitter.com", "www.facebook.com", "www.linkedin.com", "wa.me",
             "t.me", "www.w3.org", "www.sitemaps.org", "json-schema.org", "spec.openapis.org"}


@pytest.fixture
def site(database_url, tmp_path, request):
    overrides = getattr(request, "param", {})
    app = make_app(database_url, tmp_path / "onion", BASE_URL=BASE, ONION_URL=ONION + "/", **overrides)
    with fresh_schema(app, database_url):
        add_statement(app, SLUG, None, langs=("en", "fr"))
        yield app


def own_hosts(body: str) -> set[str]:
    return {url for url in hosts_named(body) if url.split("//", 1)[1] not in ELSEWHERE}


def test_the_onion_host_is_answered_without_listing_it_twice():
    config = {"BASE_URL": BASE, "ONION_URL": ONION, "EXTRA_HOSTS": [ONION_HOST]}
    assert hosts.trusted_hosts(config) == ["statements.example.org", ONION_HOST]
    assert hosts.trusted_hosts({"BASE_URL": BASE}) == ["statements.example.org"]


def test_pages_asked_through_the_clear_web_send_onion_location(site):
    client = site.test_client()
    for path in (f"/en/s/{SLUG}", f"/fr/s/{SLUG}/signatories?country=FR", "/en/", f"/en/s/{SLUG}/print",
                 f"/en/s/{SLUG}/mirror.html"):
        response = client.get(path, base_url=BASE)
        assert response.status_code == 200, path
        assert response.headers["Onion-Location"] == ONION + path, path
    for path in ("/api/v1/statements", f"/en/s/{SLUG}/feed.atom", "/robots.txt", f"/en/s/{SLUG}/qr.svg"):
        assert "Onion-Location" not in client.get(path, base_url=BASE).headers, path  # not a page
    for path in (f"/en/s/{SLUG}", "/en/"):
        assert "Onion-Location" not in client.get(path, base_url=ONION).headers  # already there


def test_every_absolute_link_is_built_for_the_host_the_request_came_through(site):
    client = site.test_client()
    for path in SURFACES:
        through_onion = client.get(path, base_url=ONION, headers=FORWARDING)
        assert through_onion.status_code == 200, path
        named = own_hosts(through_onion.get_data(as_text=True))
        assert named <= {ONION}, (path, named)
        clear = client.get(path, base_url=BASE, headers=FORWARDING)
        assert own_hosts(clear.get_data(as_text=True)) <= {BASE}, path
        if path not in (f"/en/s/{SLUG}/embed", "/en/", f"/api/v1/statements/{SLUG}/signatories"):
            assert named == {ONION}, path
    page = client.get(f"/en/s/{SLUG}", base_url=ONION).get_data(as_text=True)
    assert f'<meta property="og:url" content="{ONION}/en/s/{SLUG}">' in page
    assert f'hreflang="fr" href="{ONION}/fr/s/{SLUG}"' in page


def test_a_forged_host_chooses_no_root(site):
    client = site.test_client()
    for host in [*FORGED, f"{ONION_HOST}.evil.example", f"evil.example.{ONION_HOST}"]:
        response = client.get(f"/en/s/{SLUG}", headers={"Host": host})
        assert response.status_code == 400, host
        assert "Onion-Location" not in response.headers
        assert ONION not in response.get_data(as_text=True)


@pytest.mark.parametrize("site", [{"MICROCACHE_SECONDS": 60}], indirect=True)
def test_the_micro_cache_never_hands_onion_links_to_the_clear_web(site):
    client = site.test_client()
    url = f"/en/s/{SLUG}"
    assert ONION in client.get(url, base_url=ONION).get_data(as_text=True)
    clear = client.get(url, base_url=BASE)
    assert ONION_HOST not in clear.get_data(as_text=True).replace(f"Onion-Location: {ONION}", "")
    assert own_hosts(clear.get_data(as_text=True)) == {BASE}
    assert clear.headers["Onion-Location"] == ONION + url
    assert "Onion-Location" not in client.get(url, base_url=ONION).headers


def test_the_signers_emails_keep_base_url_whatever_host_they_signed_through(site):
    from conftest import outbox_bodies

    from portal.tokens import form_token

    with site.app_context():
        token = form_token(SLUG)
    client = site.test_client()
    response = client.post(f"/en/s/{SLUG}/sign", base_url=ONION, data={
        "csrf_token": token, "kind": "organisation", "name": "Tor Press", "signer_name": "T",
        "country": "FR", "email": "tor@press.example", "visibility": "full", "authorised": "y"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/en/s/")
    bodies = outbox_bodies(site)
    assert bodies and f"{BASE}/confirm/" in bodies[0] and ONION_HOST not in bodies[0]
