"""The shipped ``deploy/nginx.conf`` itself, started on loopback in front of gunicorn (issue 11).

- Finding 3: hosts tried to poison the caches (nginx's and the app's micro-cache), with and
  without the ``Cookie: session=x`` that makes nginx pass a request to the app; then what readers
  get. Figure: "hosts tried to poison the cache: N, pages poisoned: 0".
- Finding 10: nginx's cache key covers every header the app varies on, so a full page is never
  served into a fragment swap, nor a fragment to a boosted link or a history restore.

nginx is rendered into a temporary prefix by ``bench.servers.Nginx`` (the benchmark's own runner,
``make bench``) and stopped by its PID. SQLite only: nothing here depends on the database.
"""

from __future__ import annotations

import http.client
import shutil
from dataclasses import dataclass

import pytest
from conftest import fresh_schema, make_app
from live_server import SECRET_KEY, live_server
from manage_fixtures import add_signature, add_statement

from bench.servers import Nginx

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (nginx-light)")

SLUG = "free-the-reporters"
HOST = "statements.example.org"
BASE = f"http://{HOST}"
# Every forged value names "evil", so a poisoned page is found by that word.
FORGED_HOSTS = ["evil.example", "evil.example:80", f"{HOST}.evil.example", "evil.example:8080",
                "EVIL.example", "www.evil.example", f"evil.example.{HOST}", "evil"]
FORWARDING = [{"X-Forwarded-Host": "evil.example"}, {"Forwarded": "host=evil.example;proto=https"},
              {"X-Host": "evil.example"}, {"X-Forwarded-Server": "evil.example"},
              {"X-Original-URL": "//evil.example/"},
              {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil"}]
PAGES = [f"/en/s/{SLUG}", f"/fr/s/{SLUG}", f"/en/s/{SLUG}/count", f"/en/s/{SLUG}/signatories",
         f"/en/s/{SLUG}/print", f"/en/s/{SLUG}/embed", "/en/feed.atom", "/sitemap.xml",
         f"/api/v1/statements/{SLUG}", "/en/"]


@dataclass
class Front:
    nginx_port: int
    app_port: int


def fetch(port: int, target: str, host: str | None = HOST, headers: dict | None = None,
          timeout: float = 10) -> tuple[int, dict[str, str], str]:
    """One request with exactly the Host (and request target) given, as an attacker sends it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.putheader("Connection", "close")
        connection.endheaders()
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx")
    url = f"sqlite:///{tmp / 'portal.sqlite3'}"
    with fresh_schema(make_app(url, tmp / "instance", SECRET_KEY=SECRET_KEY)) as app:
        sid = add_statement(app, SLUG, None, langs=("en", "fr"), moderation="post",
                            require_confirmation=False)
        for n in range(3):
            add_signature(app, sid, f"Press Club {n}", f"club{n}@example.org", state="validated")
    env = {"PORTAL_BASE_URL": BASE, "PORTAL_EXTRA_HOSTS": '["127.0.0.1"]',  # for the readiness probes
           "PORTAL_PROXY_HOPS": "1", "PORTAL_MICROCACHE_SECONDS": "2"}
    with live_server(url, tmp / "instance", workers=2, threads=2, extra_env=env) as server:
        app_port = int(server.url.rsplit(":", 1)[1])
        nginx = Nginx(app_port)
        try:
            yield Front(nginx.port, app_port)
        finally:
            nginx.stop()
        log = server.log_text()
    assert "Traceback" not in log, log[-3000:]


def test_no_forged_host_poisons_a_page_through_nginx(front):
    tried, accepted, reflected, poisoned = 0, [], 0, 0
    cache_hits = set()
    for _round in range(2):  # the second round finds the caches filled by the first
        for page in PAGES:
            for cookie in ({}, {"Cookie": "session=x"}):  # the cookie makes nginx pass it to the app
                attacks = [(page, host, {}) for host in FORGED_HOSTS]
                # An absolute request target names the host to nginx whatever the Host header says.
                attacks.append((f"http://evil.example{page}", HOST, {}))
                attacks += [(page, HOST, headers) for headers in FORWARDING]
                for target, host, headers in attacks:
                    status, _headers, body = fetch(front.nginx_port, target, host, {**headers, **cookie})
                    tried += 1
                    if host != HOST or target != page:  # a forged Host is refused outright
                        accepted += [(target, host)] if status != 400 else []
                    else:  # forwarding headers are ignored: the real page, naming no other host
                        assert status == 200, (headers, page, status)
                    reflected += status == 200 and "evil" in body.lower()
            for port in (front.nginx_port, front.app_port):  # readers: through nginx, and direct
                for _ in range(2):
                    status, headers, body = fetch(port, page)
                    assert status == 200, page
                    cache_hits.add(headers.get("x-cache-status"))
                    poisoned += "evil" in body.lower() or (BASE not in body and page in PAGES[:2])
    print(f"hosts tried to poison the cache: {tried}, pages poisoned: {poisoned}")
    assert poisoned == 0
    assert accepted == [] and reflected == 0
    assert tried == 2 * len(PAGES) * 2 * (len(FORGED_HOSTS) + 1 + len(FORWARDING))
    assert "HIT" in cache_hits  # the readers were served from nginx's cache, which stayed clean


VARIANTS = {  # headers -> is the answer the full page?
    "page": ({}, True),
    "fragment": ({"HX-Request": "true"}, False),
    "boosted": ({"HX-Request": "true", "HX-Boosted": "true"}, True),
    "history restore": ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, True),
}


@pytest.mark.parametrize("first", list(VARIANTS))
def test_nginx_never_serves_a_page_into_a_fragment_or_back(front, first):
    """Whichever variant fills nginx's cache first, each of the others gets its own answer."""
    order = [first, *(name for name in VARIANTS if name != first)]
    path = f"/en/s/{SLUG}/signatories?from={first.replace(' ', '-')}"  # a cold entry for each order
    statuses = []
    for name in order * 2:  # the second pass is answered from nginx's cache
        headers, full = VARIANTS[name]
        status, got, body = fetch(front.nginx_port, path, HOST, headers)
        assert status == 200
        assert ("<html" in body) is full, (name, got.get("x-cache-status"))
        assert 'id="signatories"' in body or "Press Club 0" in body
        statuses.append(got.get("x-cache-status"))
    assert statuses[len(order):].count("HIT") >= len(order) - 1, statuses
