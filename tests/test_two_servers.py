"""Two app servers behind the shipped ``deploy/nginx.conf``, one killed mid-run (issue 17).

Two gunicorn instances of ``wsgi:app`` (their own instance folders, the same ``SECRET_KEY``)
share one throwaway PostgreSQL database and one Redis database for the rate-limit counters;
each runs its mail sender threads, delivering to one real SMTP server (aiosmtpd) on loopback
that keeps every message. nginx, rendered from ``deploy/nginx.conf`` by ``bench.servers.Nginx``
with both instances as upstreams, is the only way in. Then:

1. **Burst, both alive.** ``BURST`` concurrent signers of one statement whose limit is
   ``STATEMENT_LIMIT`` an hour (``SIGN_STATEMENT_RATE_LIMIT``, the same on every statement):
   exactly that many get the 303 and are counted, the rest get 429, although both instances
   took part. Counters kept per instance would have let through up to twice as many. The
   per-client counter went up by exactly ``BURST`` as well: through nginx every test client
   is the one loopback address (``PORTAL_PROXY_HOPS=1`` takes the address nginx sets, and
   nothing a client sends changes it), so one shared per-client counter saw every POST. The
   per-client limit itself is set far above the run for that reason: at its default it would
   shadow-reject the load after ten submissions, with the same 303.
2. **Load, then kill.** ``CLIENTS`` signers run whole flows (GET the form, POST it, follow the
   303) on another statement. When some are acknowledged, the SMTP server starts holding the
   first instance's deliveries at ``MAIL FROM`` (each instance has its own sender address),
   so that instance's sender holds a claimed email it has not delivered; then its master and
   workers are SIGKILLed by PID. nginx sends the rest to the survivor; a POST cut off by the
   kill gets a 502 and its signer sends it again, as a person would.
3. **Afterwards.** No acknowledged signature is lost (every 303 has its row); every outbox
   email is delivered, each exactly once, the held one by the survivor once its claim lapsed
   (``PORTAL_MAIL_CLAIM_SECONDS``, shortened here). Delivery is at least once: an email that
   the killed sender had delivered but not yet marked sent is sent again. That is allowed,
   and checked to be only that: two copies at most, the first from the killed instance
   before the kill, the second from the survivor, never more copies than claims, and no more
   such emails than killed workers. ``flask counts reconcile --check`` finds no drift, and
   the public counts (the API, through nginx) equal the approved rows.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from conftest import IN_CI, free_port, fresh_schema, make_app
from factories import new_statement, titled
from live_server import Browser, live_server
from sqlalchemy import func, select

from bench.servers import Nginx, children
from portal.extensions import db
from portal.models import OutboxMail, Signature, Statement

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# A Redis database of this test's own (the limit tests use 15). Its keys are told apart from an
# earlier run's by this run's statement ids and secret, so nothing is flushed.
REDIS_URL = "redis://127.0.0.1:6379/13"
LOAD, BURSTED = "under-load", "bursted"
STATEMENT_LIMIT = 50  # per statement and hour, on both statements
BURST = 70
CLIENTS, PER_CLIENT, KILL_AFTER = 4, 8, 10  # the load: 32 flows, the kill after 10 acknowledged
CLAIM_SECONDS = 8  # long enough that no sender under load outlives its claim by accident
SENDERS = {"one": "no-reply+one@undersigned.invalid", "two": "no-reply+two@undersigned.invalid"}
GRACE = 1.0  # seconds: a message whose last byte was sent just before the kill is logged just after
TIMEOUT = 15.0


class Sink:
    """Keeps every message (time, envelope sender, recipients, Message-ID). While ``holding``
    is set, a delivery from ``held_sender`` waits at MAIL FROM: its sender keeps the email claimed."""

    def __init__(self, held_sender: str) -> None:
        self.held_sender = held_sender
        self.holding = threading.Event()
        self.held = 0  # deliveries that arrived while holding
        self.received: list[tuple[float, str, list[str], str]] = []
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address == self.held_sender and self.holding.is_set():
            with self.lock:
                self.held += 1
            deadline = time.monotonic() + 60
            while self.holding.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return "421 4.3.0 Held for the test"  # its sender is dead by now; never delivered
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append((time.time(), envelope.mail_from, list(envelope.rcpt_tos),
                                  str(message["Message-ID"])))
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[tuple[float, str, list[str], str]]:
        with self.lock:
            return list(self.received)


def outbox_id(message_id: str) -> int:
    match = re.fullmatch(r"<outbox-(\d+)\.[0-9a-f]+@undersigned>", message_id)
    assert match, message_id
    return int(match.group(1))


def gone(pid: int) -> bool:
    """Exited (a zombie waiting to be reaped counts: it runs nothing)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def access_lines(log: str, slug: str) -> Counter:
    """Sign POSTs in a gunicorn access log, by status."""
    return Counter(re.findall(rf'"POST /en/s/{slug}/sign HTTP/1\.[01]" (\d{{3}})', log))


class Signer:
    """One client through nginx: GET the form, POST it, follow the 303."""

    def __init__(self, url: str) -> None:
        self.browser = Browser(url)
        # nginx passes ``Host $host``, which has no port (nginx.conf listens on 80 and 443 in
        # production), so this is the origin the app compares a browser's Origin header with.
        self.origin = "http://127.0.0.1"

    def sign(self, slug: str, n: str, email: str) -> tuple[int, str]:
        """:returns: the POST's status and, after a 303, the status of the page it led to."""
        fields = self.browser.hidden_fields(f"/en/s/{slug}", "/sign")
        status, headers, _body = self.browser.post(f"/en/s/{slug}/sign", fields | {
            "kind": "organisation", "name": f"Organisation {n}", "signer_name": "A", "country": "FR",
            "email": email, "visibility": "full", "authorised": "y"},
            headers={"Origin": self.origin}, timeout=TIMEOUT)
        if status != 303:
            return status, ""
        after, _headers, _body = self.browser.get(headers["location"], timeout=TIMEOUT)
        return status, str(after)


def redis_sum(client: redis.Redis, pattern: str) -> int:
    return sum(int(client.get(key) or 0) for key in client.scan_iter(match=pattern, count=1000))


@pytest.fixture
def services():
    """nginx and Redis, which this test needs; a failure under CI, a skip elsewhere."""
    missing = []
    if shutil.which("nginx") is None:
        missing.append("nginx is not installed (nginx-light)")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        missing.append("Redis is not reachable at 127.0.0.1:6379")
    if missing:
        if IN_CI:
            pytest.fail(", ".join(missing) + ", and CI requires it")
        pytest.skip(", ".join(missing) + " (set CI=true to make this a failure)")
    return redis.Redis.from_url(REDIS_URL, socket_timeout=5)


def test_two_app_servers_one_killed(services, pg_url, tmp_path):
    store = services
    started = time.monotonic()
    secret = "two-servers-" + secrets.token_hex(16)  # fresh keys: no counter of an earlier run applies
    app = make_app(pg_url, tmp_path / "local", SECRET_KEY=secret)
    ids = {LOAD: secrets.randbelow(10**9) + 10**6, BURSTED: secrets.randbelow(10**9) + 10**6}
    nginx_port = free_port()
    sink = Sink(SENDERS["one"])
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    env = {
        "PORTAL_BASE_URL": f"http://127.0.0.1:{nginx_port}",
        "PORTAL_PROXY_HOPS": "1",
        "PORTAL_RATELIMIT_ENABLED": "true",
        "PORTAL_RATELIMIT_STORAGE_URI": REDIS_URL,
        "PORTAL_SIGN_STATEMENT_RATE_LIMIT": f"{STATEMENT_LIMIT}/hour",
        "PORTAL_SIGN_RATE_LIMIT": "100000/hour",  # every client here is 127.0.0.1 (docstring)
        "PORTAL_MAIL_SENDER_THREAD": "true",
        "PORTAL_MAIL_POLL_SECONDS": "1",
        "PORTAL_MAIL_CLAIM_SECONDS": str(CLAIM_SECONDS),
        "PORTAL_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
        "PORTAL_SECRET_KEY": secret,
        "GUNICORN_ACCESSLOG": "-",  # which instance answered which POST (no tokens in these URLs)
    }
    with fresh_schema(app), ExitStack() as stack:
        with app.app_context():
            for slug, title in ((LOAD, "Under load"), (BURSTED, "Bursted")):
                new_statement(slug, id=ids[slug], moderation="post", require_confirmation=False,
                              texts=titled(title))
            db.session.remove()
        smtp.start()
        stack.callback(smtp.stop)
        stack.callback(sink.holding.clear)  # lets a held SMTP session end before the server stops
        servers = {name: stack.enter_context(live_server(
            pg_url, tmp_path / f"instance-{name}", workers=2, threads=2,
            extra_env=env | {"PORTAL_MAIL_FROM": f"Undersigned <{sender}>"}))
            for name, sender in SENDERS.items()}
        ports = [int(server.url.rsplit(":", 1)[1]) for server in servers.values()]
        nginx = Nginx(ports, port=nginx_port)
        stack.callback(nginx.stop)
        front = nginx.url
        stack.callback(lambda: [store.delete(key) for pattern in (f"*/statement/{ids[LOAD]}/*",
                                                                  f"*/statement/{ids[BURSTED]}/*")
                                for key in store.scan_iter(match=pattern, count=1000)])

        # 1. The burst: both instances, one statement limit, counters in Redis.
        client_hits_before = redis_sum(store, "*sign_rate_limit/ip/*")

        def burst_one(i: int) -> tuple[int, str]:
            try:
                return Signer(front).sign(BURSTED, f"B{i}", f"burst{i}@two.example")
            except (OSError, http.client.HTTPException) as error:
                return 0, type(error).__name__

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(burst_one, range(BURST)))
        statuses = Counter(status for status, _after in answers)
        assert statuses == {303: STATEMENT_LIMIT, 429: BURST - STATEMENT_LIMIT}, answers
        assert {after for status, after in answers if status == 303} == {"200"}
        statement_hits = redis_sum(store, f"*sign_statement_rate_limit/statement/{ids[BURSTED]}/*")
        assert statement_hits == BURST  # one shared counter saw every screened submission
        assert redis_sum(store, "*sign_rate_limit/ip/*") - client_hits_before == BURST
        deadline = time.monotonic() + 5  # a worker logs a request just after answering it
        while True:
            served = {name: access_lines(server.log_text(), BURSTED) for name, server in servers.items()}
            logged = sum((c for c in served.values()), Counter())
            if logged == {"303": STATEMENT_LIMIT, "429": BURST - STATEMENT_LIMIT}:
                break
            assert time.monotonic() < deadline, served
            time.sleep(0.1)
        assert all(sum(c.values()) for c in served.values()), served  # both instances took part
        deadline = time.monotonic() + TIMEOUT
        while not {SENDERS["one"], SENDERS["two"]} <= {s for _t, s, _r, _m in sink.snapshot()}:
            assert time.monotonic() < deadline, "both instances' senders should have delivered"
            time.sleep(0.1)

        # 2. The load, and the kill in the middle of it.
        acknowledged: list[str] = []
        thanks: Counter = Counter()  # the pages the 303s led to
        troubles: Counter = Counter()  # what signers met on the way: 502s, cut connections
        lock = threading.Lock()

        def load(c: int) -> None:
            signer = Signer(front)
            for i in range(PER_CLIENT):
                email = f"load{c}-{i}@two.example"
                for _attempt in range(6):
                    try:
                        status, after = signer.sign(LOAD, f"L{c}-{i}", email)
                    except (OSError, http.client.HTTPException, AssertionError) as error:
                        status, after = 0, type(error).__name__
                    with lock:
                        if status == 303:
                            acknowledged.append(email)
                            thanks[after] += 1
                            break
                        troubles[str(status or after)] += 1
                    if status == 429:  # not expected: the load stays under the statement's limit
                        break
                    time.sleep(0.2)

        threads = [threading.Thread(target=load, args=(c,), daemon=True) for c in range(CLIENTS)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(acknowledged) >= KILL_AFTER, (acknowledged, troubles)
        sink.holding.set()  # the first instance's next delivery stays claimed, undelivered
        while sink.held == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sink.held, "the first instance should have tried to deliver during the load"
        victim = servers["one"]
        doomed = [victim.pid, *children(victim.pid)]
        killed_at = time.time()
        for pid in doomed:  # the master first, so that it forks no replacement
            os.kill(pid, signal.SIGKILL)
        victim.process.wait(timeout=10)
        while not all(gone(pid) for pid in doomed) and time.monotonic() < deadline + 10:
            time.sleep(0.02)
        assert all(gone(pid) for pid in doomed) and len(doomed) == 3, doomed
        acknowledged_at_kill = len(acknowledged)
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)

        # 3. The survivor drains the outbox, the held email once its claim has lapsed.
        deadline = time.monotonic() + CLAIM_SECONDS + 25
        with app.app_context():
            while db.session.scalar(select(func.count()).select_from(OutboxMail)
                                    .where(OutboxMail.sent_at.is_(None))):
                db.session.remove()
                assert time.monotonic() < deadline, "the survivor should have sent every email"
                time.sleep(0.2)
            rows = {m.id: m.attempts for m in db.session.scalars(select(OutboxMail))}
            stored = dict(db.session.execute(select(Signature.email, Signature.statement_id)
                                             .where(Signature.state == "validated")).all())
            counted = {s.id: s.count_total for s in db.session.scalars(select(Statement))}
            db.session.remove()
        time.sleep(0.5)  # a message mid-DATA at the last mark would show up by now
        sink.holding.clear()
        received = sink.snapshot()
        survivor_log = servers["two"].log_text()
        public = {}
        for slug in (LOAD, BURSTED):  # a query string of its own: past nginx's cache, to the app
            status, _headers, body = Browser(front).get(f"/api/v1/statements/{slug}?n={secrets.token_hex(4)}")
            assert status == 200, body
            public[slug] = json.loads(body)["counts"]["total"]
        # Counts reconcile: the stored figures equal the rows.
        reconciled = app.test_cli_runner().invoke(args=["counts", "reconcile", "--check"])

    elapsed = time.monotonic() - started
    # No acknowledged signature lost: every 303 has its (validated, counted) row.
    assert len(acknowledged) == CLIENTS * PER_CLIENT, (len(acknowledged), troubles)
    assert acknowledged_at_kill < CLIENTS * PER_CLIENT, "the kill should land mid-run"
    missing = [email for email in acknowledged if stored.get(email) != ids[LOAD]]
    assert missing == [], f"{len(missing)} acknowledged signature(s) lost"
    assert thanks == {"200": len(acknowledged)}, thanks
    # What a kill may cost a signer: a 502 or a cut connection, then the same form sent again
    # (a GET that failed is retried by nginx itself). Never a 429, a 500 or a refused form.
    assert set(troubles) <= {"502", "RemoteDisconnected", "ConnectionResetError", "IncompleteRead",
                             "AssertionError"}, troubles
    # The limit held exactly across both instances: STATEMENT_LIMIT rows, no more.
    assert sum(sid == ids[BURSTED] for sid in stored.values()) == STATEMENT_LIMIT
    # Counts reconcile: stored = rows, and the public figure is the approved rows.
    assert reconciled.exit_code == 0 and "0 statement(s) drifted" in reconciled.output, reconciled.output
    for slug in (LOAD, BURSTED):
        rows_of = sum(sid == ids[slug] for sid in stored.values())
        assert public[slug] == counted[ids[slug]] == rows_of, (slug, public, counted, rows_of)

    # Each outbox email delivered, exactly once but for what a kill legitimately repeats.
    copies: dict[int, list[tuple[float, str]]] = {}
    for at, sender, _recipients, message_id in received:
        copies.setdefault(outbox_id(message_id), []).append((at, sender))
    assert set(copies) == set(rows), "every outbox email, and nothing else, reached the SMTP server"
    repeated = {mail_id: sent for mail_id, sent in copies.items() if len(sent) > 1}
    for mail_id, sent in copies.items():
        assert len(sent) <= rows[mail_id], (mail_id, sent)  # at most once per claim
    for sent in repeated.values():  # delivered by the killed sender, unmarked, sent again
        assert len(sent) == 2, sent
        (first_at, first_by), (second_at, second_by) = sorted(sent)
        assert first_by == SENDERS["one"] and second_by == SENDERS["two"], sent
        assert first_at <= killed_at + GRACE < second_at, (sent, killed_at)
    assert len(repeated) <= len(doomed) - 1, repeated  # one delivery in flight per killed worker
    reclaimed = [mail_id for mail_id, attempts in rows.items() if attempts > 1]
    assert reclaimed, "the held email should have been claimed again and sent by the survivor"
    assert all(copies[mail_id][-1][1] == SENDERS["two"] for mail_id in reclaimed)
    recipients = Counter(r for _at, _sender, rcpts, _mid in received for r in rcpts)
    assert all(recipients[email] for email in acknowledged)  # every signer heard back
    assert "Traceback" not in survivor_log, survivor_log[-3000:]
    print(f"two servers: burst {dict(statuses)}, acknowledged {len(acknowledged)} "
          f"({acknowledged_at_kill} before the kill), troubles {dict(troubles)}, emails {len(rows)}, "
          f"reclaimed {len(reclaimed)}, sent twice {len(repeated)}, {elapsed:.1f} s")
    assert elapsed < 90, elapsed
