"""The per-client signing limit across 4 gunicorn workers (figure 5 in SECURITY.md).

With a limit of N per client, a burst of submissions from one client through 4 workers
stores exactly N as pending and the rest as fraudulent, every one answered with the same
303. A spoofed ``X-Forwarded-For`` buys nothing: with no trusted proxy the header is
ignored, and with one trusted proxy only the address that proxy appended counts. The
counters live in SQL (SQLite and PostgreSQL) or in Redis.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import REDIS_URL, STORES, fresh_schema, make_app, store_database_url
from factories import new_statement, titled
from live_server import Browser, live_server
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Signature

SLUG = "limited"
LIMIT = 10
BURST = 40


@pytest.fixture(params=STORES)
def limited(request, tmp_path):
    """(backend, database url, in-process app, env for the server) with the limits on."""
    url = store_database_url(request, tmp_path)
    secret = "limits-" + secrets.token_hex(16)  # fresh keys: counters never carry over from a past run
    env = {"PORTAL_SECRET_KEY": secret, "PORTAL_RATELIMIT_ENABLED": "true",
           "PORTAL_SIGN_RATE_LIMIT": f"{LIMIT}/hour", "PORTAL_SIGN_STATEMENT_RATE_LIMIT": "100000/hour"}
    if request.param == "redis":
        env["PORTAL_RATELIMIT_STORAGE_URI"] = REDIS_URL
    with fresh_schema(make_app(url, tmp_path / "local", SECRET_KEY=secret)) as app:
        with app.app_context():
            new_statement(SLUG, texts=titled("Limited"))
            db.session.remove()
        yield request.param, url, app, env


def burst(server_url: str, forwarded: list[str | None]) -> list[tuple[int, str]]:
    """One submission per entry, 16 at a time, each with that X-Forwarded-For (or none)."""
    browser = Browser(server_url)
    token = browser.form_token(f"/en/s/{SLUG}")

    def submit(i: int):
        headers = {"X-Forwarded-For": forwarded[i]} if forwarded[i] else {}
        status, head, _body = Browser(server_url).post(f"/en/s/{SLUG}/sign", {
            "csrf_token": token, "kind": "organisation", "name": f"Org {i}", "signer_name": "A",
            "country": "FR", "email": f"burst{i}-{secrets.token_hex(3)}@load.example",
            "visibility": "full", "authorised": "y"}, headers=headers)
        return status, head.get("location", "")

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(submit, range(len(forwarded))))


def states(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(select(Signature.state, func.count()).group_by(Signature.state)).all()
        db.session.remove()
        return dict(rows)


@pytest.mark.slow
def test_limit_per_client_holds_across_workers_and_spoofing(limited, tmp_path):
    backend, url, app, env = limited
    spoofed = [f"198.51.100.{i}" for i in range(BURST)]
    if backend != "postgresql":
        # No trusted proxy: the header is ignored, the socket's address (127.0.0.1) counts.
        with live_server(url, tmp_path / "instance", workers=4, extra_env=env) as server:
            answers = burst(server.url, spoofed)
        assert {a for a in answers} == {(303, f"/en/s/{SLUG}/thanks")}
        assert states(app) == {"pending": LIMIT, "fraudulent": BURST - LIMIT}
        return
    # One trusted proxy: it appends the real address; whatever the client wrote before it is not trusted.
    env = env | {"PORTAL_PROXY_HOPS": "1"}
    with live_server(url, tmp_path / "instance", workers=4, extra_env=env) as server:
        answers = burst(server.url, [f"{s}, 203.0.113.7" for s in spoofed])
        assert states(app) == {"pending": LIMIT, "fraudulent": BURST - LIMIT}
        others = burst(server.url, ["203.0.113.8"] * LIMIT)  # a different client has its own budget
    assert {a for a in answers + others} == {(303, f"/en/s/{SLUG}/thanks")}
    assert states(app) == {"pending": 2 * LIMIT, "fraudulent": BURST - LIMIT}
