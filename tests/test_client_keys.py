"""Clients are keyed by IPv4 address or IPv6 /64, and only ever stored as keyed hashes.

The hash key is a random secret per month, stored in the database, created once however
many workers ask at the same moment, and deleted when its month ends. No rate-limit store
(the SQLite file, the PostgreSQL table, Redis) holds an address or an email after signing,
confirming, logging in and calling the API (figures in SECURITY.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from conftest import (
    REDIS_URL,
    STORES,
    csrf_token,
    fresh_schema,
    make_app,
    outbox_bodies,
    store_database_url,
)
from factories import new_statement, titled
from manage_fixtures import FAST_ARGON2, PASSWORD, AuthActions, make_people
from sqlalchemy import func, select, text

import portal.models
from portal.abuse import blocklist, clients
from portal.extensions import db, limiter
from portal.models import Signature, utcnow
from portal.models.accounts import IPHashKey

SLUG = "keyed"
LIMIT = 10


@pytest.mark.parametrize("address, key", [
    ("198.51.100.7", "198.51.100.7"),
    ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
    ("2001:DB8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("fe80::1%eth0", "fe80::/64"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
    ("not an address", "not an address"),
    ("", None),
    (None, None),
])
def test_client_key(address, key):
    assert clients.client_key(address) == key == clients.client_key(address)


def test_one_64_shares_one_hash_and_nothing_raw_is_in_it(app):
    with app.app_context():
        same = {clients.ip_hash(f"2001:db8:9:9:{i:x}::{i + 1:x}") for i in range(50)}
        assert len(same) == 1 and re.fullmatch(r"[0-9a-f]{32}", same.pop())
        assert clients.ip_hash("2001:db8:9:9::1") != clients.ip_hash("2001:db8:9:a::1")
        assert clients.ip_hash("::ffff:192.0.2.1") == clients.ip_hash("192.0.2.1")
        assert clients.ip_hash("192.0.2.1") != clients.ip_hash("192.0.2.2")
        assert clients.account_hash(" Owner@Example.org") == clients.account_hash("owner@example.org")


def test_the_key_is_random_stored_and_shared_by_every_worker(app, database_url, tmp_path):
    with app.app_context():
        hashed = clients.ip_hash("203.0.113.5")
        [row] = db.session.scalars(select(IPHashKey)).all()
        assert row.period == utcnow().strftime("%Y-%m") and re.fullmatch(r"[0-9a-f]{64}", row.secret)
        month = utcnow().strftime("%Y-%m").encode()
        old_scheme = hmac.new(app.config["SECRET_KEY"].encode() + month, b"203.0.113.5",
                              hashlib.sha256).hexdigest()[:32]
        assert hashed != old_scheme  # no longer derived from SECRET_KEY and the month alone
    worker = make_app(database_url, tmp_path / "worker")  # another process's app: same database
    with worker.app_context():
        assert clients.ip_hash("203.0.113.5") == hashed
        db.engine.dispose()
    thief = make_app(database_url, tmp_path / "thief", SECRET_KEY="a copy of the database only")
    with thief.app_context():
        assert clients.ip_hash("203.0.113.5") != hashed  # the database alone cannot test guesses
        db.engine.dispose()


def test_concurrent_workers_create_one_key(app, database_url, tmp_path):
    workers = [make_app(database_url, tmp_path / f"w{i}") for i in range(8)]
    barrier = threading.Barrier(len(workers), timeout=30)
    found: list[str] = []
    errors: list[BaseException] = []

    def run(worker):
        try:
            with worker.app_context():
                barrier.wait()
                found.append(clients.period_secret("2031-05"))
                db.session.remove()
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and len(found) == len(workers) and len(set(found)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IPHashKey).where(
            IPHashKey.period == "2031-05")) == 1
    for worker in workers:
        with worker.app_context():
            db.engine.dispose()


def test_a_period_key_is_deleted_when_its_period_ends(app, runner, monkeypatch):
    def at(moment: datetime) -> None:
        monkeypatch.setattr(portal.models, "utcnow", lambda: moment)

    with app.app_context():
        at(datetime(2031, 1, 31, 23, 59, tzinfo=UTC))
        january = clients.ip_hash("203.0.113.5")
        at(datetime(2031, 2, 1, 0, 1, tzinfo=UTC))
        february = clients.ip_hash("203.0.113.5")
        assert february != january
        rows = db.session.scalars(select(IPHashKey)).all()
        assert [r.period for r in rows] == ["2031-02"]
        # Even with SECRET_KEY, what is left in the database cannot give January's hash back.
        secret = app.config["SECRET_KEY"].encode()
        for row in rows:
            key = hmac.new(secret, b"ip-hash:" + row.secret.encode(), hashlib.sha256).digest()
            assert hmac.new(key, b"client:203.0.113.5", hashlib.sha256).hexdigest()[:32] != january
        at(datetime(2031, 1, 31, 23, 58, tzinfo=UTC))  # a worker whose clock is behind
        app.extensions.pop("portal.ip_hash_keys")
        assert clients.ip_hash("203.0.113.5") == february  # January is not brought back
        assert [r.period for r in db.session.scalars(select(IPHashKey))] == ["2031-02"]
        at(datetime(2031, 3, 2, tzinfo=UTC))
    result = runner.invoke(args=["statements", "tick"])  # the schedule deletes it too, unused
    assert result.exit_code == 0 and "1 IP-hash keys" in result.output, result.output
    with app.app_context():
        assert db.session.scalars(select(IPHashKey)).all() == []


def test_an_ip_hash_rule_blocks_the_whole_64(app, make_statement):

    sid = make_statement(SLUG)
    client = app.test_client()
    with app.app_context():
        blocklist.add_rule("ip_hash", clients.ip_hash("2001:db8:bad:1::1"), sid)
    sign(client, "neighbour@a.example", "2001:db8:bad:1:ffff::2")
    sign(client, "b@b.example", "2001:db8:bad:2::1")
    with app.app_context():
        states = dict(db.session.execute(select(Signature.email, Signature.state)).all())
    assert states == {"neighbour@a.example": "fraudulent", "b@b.example": "pending"}


# --- the stores: SQLite, PostgreSQL and Redis ------------------------------------------------

@pytest.fixture(params=STORES)
def store(request, tmp_path):
    """(store kind, app) with every limit on, MIN_FILL_SECONDS 0, and a published statement."""
    url = store_database_url(request, tmp_path)
    overrides = {"RATELIMIT_ENABLED": True, "MIN_FILL_SECONDS": 0, "SIGN_RATE_LIMIT": f"{LIMIT}/hour",
                 "SIGN_STATEMENT_RATE_LIMIT": "100000/hour", "MAIL_SENDER_THREAD": False,
                 "SECRET_KEY": "keys-" + secrets.token_hex(16), **FAST_ARGON2}
    if request.param == "redis":
        overrides["RATELIMIT_STORAGE_URI"] = REDIS_URL
        # Flask-Limiter merges storage options across init_app calls in one process (one app per
        # process in production): the SQL store's "url" of an earlier test would reach Redis.
        limiter._storage_options.clear()
    app = make_app(url, tmp_path / "instance", **overrides)
    with fresh_schema(app, url):
        with app.app_context():
            if request.param != "redis":  # Redis is shared: fresh keys (a new secret) suffice there
                app.extensions["portal.abuse.ratelimits"].storage.reset()
            new_statement(SLUG, texts=titled("Keyed"))
        yield request.param, app


def sign_form(client, email: str) -> dict:
    return {"csrf_token": csrf_token(client, f"/en/s/{SLUG}"), "kind": "organisation",
            "name": f"Org {email.split('@')[0]}", "signer_name": "A", "country": "FR", "email": email,
            "visibility": "full", "authorised": "y"}


def sign(client, email: str, address: str):
    return client.post(f"/en/s/{SLUG}/sign", data=sign_form(client, email),
                       environ_base={"REMOTE_ADDR": address})


def states(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(Signature.state, func.count()).group_by(Signature.state)).all())


def test_one_ipv6_64_gets_no_more_than_the_per_client_limit(store):
    """SECURITY.md: submissions accepted from one IPv6 /64 beyond the per-client limit: 0."""
    _kind, app = store
    client = app.test_client()
    answers = [sign(client, f"v6-{i}@flood.example", "2001:db8:f100:d:" + ":".join(
        secrets.token_hex(2) for _ in range(4))).status_code for i in range(3 * LIMIT)]
    assert max(answers) < 500
    assert states(app).get("pending") == LIMIT, states(app)  # beyond the limit: 0 accepted
    assert sign(client, "next-64@flood.example", "2001:db8:f100:e::1").status_code < 500
    assert sign(client, "v4@flood.example", "198.51.100.30").status_code < 500
    assert states(app).get("pending") == LIMIT + 2  # other clients keep their own budget


def _store_dump(kind: str, app) -> tuple[list[str], str]:
    """(every counter key, everything the store holds as text) for the app's rate-limit store."""
    if kind == "redis":
        conn = redis.Redis.from_url(REDIS_URL)
        keys = [k.decode() for k in conn.scan_iter(count=1000)]
        return keys, "\n".join(keys)
    options = app.config["RATELIMIT_STORAGE_OPTIONS"]
    if kind == "sqlite":
        path = Path(options["url"].removeprefix("sqlite:///"))
        with sqlite3.connect(path) as conn:
            keys = [k for (k,) in conn.execute("SELECT key FROM rate_limit_counters")]
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file, WAL and SHM
        return keys, raw.decode("latin-1")
    with app.app_context():
        rows = db.session.execute(text("SELECT key, hits, expires_at FROM rate_limit_counters")).all()
    return [r.key for r in rows], "\n".join(map(str, rows))


def test_no_store_holds_an_address_or_an_email(store):
    kind, app = store
    make_people(app)
    # Addresses and emails of this run only: Redis is shared, and its keys outlive a test by their window.
    run = secrets.token_hex(3)
    v4 = f"198.18.{int(run[:2], 16)}.{int(run[2:4], 16)}"
    v6, victim = f"2001:db8:{run[:4]}:{run[4:]}::5", f"victim-{run}@example.org"
    signer = f"signer-{run}@reporters.example"
    client = app.test_client()
    assert sign(client, signer, v6).status_code == 303
    link = re.search(r"http://localhost(/confirm/\S+)", outbox_bodies(app)[-1]).group(1)
    for address in (v4, v6):  # opening and pressing the confirmation link
        page = client.get(link, environ_base={"REMOTE_ADDR": address})
        assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post(link, data={"csrf_token": token}, environ_base={"REMOTE_ADDR": v4}).status_code == 200
    for address in (v4, v6):
        actions = AuthActions(app.test_client())
        actions.client.environ_base["REMOTE_ADDR"] = address
        assert actions.login("owner@example.org", PASSWORD).status_code == 303
        assert actions.login(victim, "wrong password here").status_code == 422
        for path in ("/api/v1/statements", f"/api/v1/statements/{SLUG}",
                     f"/api/v1/statements/{SLUG}/signatories"):
            assert actions.client.get(path).status_code == 200

    keys, dump = _store_dump(kind, app)
    prefix = v6.rsplit("::", 1)[0]
    shared = [] if kind == "redis" else ["owner@example.org"]  # Redis holds other runs' keys too
    for raw in (v4, prefix, prefix.replace("2001:db8", "2001:0db8"), signer, victim, f"-{run}@", *shared):
        assert raw not in dump, f"{raw!r} is in the {kind} rate-limit store"
    with app.app_context():
        expected = {clients.ip_hash(v4), clients.ip_hash(v6), clients.account_hash(victim),
                    clients.account_hash("owner@example.org")}
        stored = db.session.scalars(select(Signature.ip_hash)).all()
    for hashed in expected:  # the limits did count, under the hashes
        assert any(hashed in key for key in keys), f"no counter keyed by {hashed} in {kind}"
    assert stored == [tokens_hash_of(app, v6)]


def tokens_hash_of(app, address: str) -> str:
    with app.app_context():
        return clients.ip_hash(address)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_expired_counters_are_purged_on_schedule(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance", RATELIMIT_ENABLED=True)
    with fresh_schema(app, database_url):
        runner = app.test_cli_runner()
        with app.app_context():
            storage = app.extensions["portal.abuse.ratelimits"].storage
            storage.reset()
            storage.incr("expired-a", -10)  # a window that ended ten seconds ago
            storage.incr("live", 3600)
        assert "deleted 1 expired counter(s)" in runner.invoke(args=["ratelimits", "purge"]).output
        with app.app_context():
            storage.incr("expired-b", -10)
        result = runner.invoke(args=["statements", "tick"])
        assert result.exit_code == 0 and "1 rate-limit counters" in result.output, result.output
        with app.app_context():
            assert storage.get("live") == 1
            rows = db.session.execute(text("SELECT key FROM rate_limit_counters")).scalars().all() \
                if database_url.startswith("postgresql") else None
        if rows is not None:
            assert rows == ["live"]
