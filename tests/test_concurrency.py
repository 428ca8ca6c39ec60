"""Concurrency against a real gunicorn with several workers, on SQLite and PostgreSQL.

One server per database serves every test here. Issue 2's acceptance tests and issue 5's
items 2 and 3: concurrent duplicate signing leaves one row, concurrent confirmations count
once, and a multi-worker load loses no acknowledged signature and never hits "database is
locked".
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from conftest import fresh_schema, make_app
from factories import new_statement, titled
from flask import Flask
from live_server import SECRET_KEY, Browser, LiveServer, live_server
from sqlalchemy import func, select, text

from portal import tokens
from portal.extensions import db
from portal.models import ModerationEvent, OutboxMail, Signature, Statement, utcnow
from portal.signatures import signing
from portal.signatures.counts import reconcile
from portal.text import canonical_email

pytestmark = pytest.mark.slow
JOIN_TIMEOUT = 120


@dataclass
class Stack:
    app: Flask  # in-process, on the same database, for set-up and inspection
    server: LiveServer
    backend: str


MAIL_CAP = 4


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"live-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'portal.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_url")
    with fresh_schema(make_app(url, tmp / "local", SECRET_KEY=SECRET_KEY)) as app:
        # The limits are on, so the per-address email cap is exact across workers; the others
        # are far above what these tests send from one client.
        limits = {"PORTAL_RATELIMIT_ENABLED": "true", "PORTAL_SIGNER_MAIL_LIMIT": f"{MAIL_CAP}/day",
                  **{f"PORTAL_{name}": "100000/minute" for name in (
                      "SIGN_RATE_LIMIT", "SIGN_STATEMENT_RATE_LIMIT", "LINK_RATE_LIMIT",
                      "LINK_STATEMENT_RATE_LIMIT", "API_RATE_LIMIT", "API_STATEMENT_RATE_LIMIT")}}
        with live_server(url, tmp / "instance", workers=4, extra_env=limits) as server:
            yield Stack(app, server, request.param)
            log = server.log_text()
        assert "database is locked" not in log
        assert "unhandled" not in log and "Traceback" not in log, log[-4000:]


def make_statement(stack: Stack, slug: str, **fields) -> int:
    with stack.app.app_context():
        return new_statement(slug, texts={"en": (f"Statement {slug}", "S", "B")}, **fields).id


def parallel(fn, items, workers: int | None = None) -> list:
    items = list(items)
    with ThreadPoolExecutor(max_workers=workers or len(items)) as pool:
        futures = [pool.submit(fn, item) for item in items]
        return [future.result(timeout=JOIN_TIMEOUT) for future in futures]


def sign_form(hidden: dict, email: str, name: str = "Reporters United", country: str = "FR") -> dict:
    """The sign form as a browser sends it: its hidden fields, and what the signer typed."""
    return hidden | {"kind": "organisation", "name": name, "signer_name": "Ana Pérez",
                     "role": "Director", "country": country, "email": email, "visibility": "full",
                     "authorised": "y", "comment": ""}


def variants(local: str, n: int) -> list[str]:
    """``n`` spellings of one Gmail address: case, dots, +tags and googlemail."""
    spelled = []
    for i in range(n):
        dotted = ".".join(local) if i % 3 == 0 else local
        domain = ["gmail.com", "GMail.com", "googlemail.com", "GOOGLEMAIL.COM"][i % 4]
        tag = f"+try{i}" if i % 2 else ""
        spelled.append(f"{dotted.upper() if i % 5 == 0 else dotted}{tag}@{domain}")
    return spelled


def test_concurrent_duplicate_signs_leave_one_row(stack):
    """64 clients sign at once with one canonical email and organisation, three rounds over:
    always 1 row, 0 5xx, and exactly the capped number of emails."""
    slug = "duplicates"
    sid = make_statement(stack, slug)
    browsers = [Browser(stack.server.url) for _ in range(64)]
    forms = parallel(lambda b: b.hidden_fields(f"/en/s/{slug}", "/sign"), browsers, workers=16)
    for round_ in range(3):
        local = f"janedoe{round_}"
        emails = variants(local, len(browsers))
        assert {canonical_email(e) for e in emails} == {f"{local}@gmail.com"}
        barrier = threading.Barrier(len(browsers), timeout=JOIN_TIMEOUT)

        def submit(i, emails=emails, barrier=barrier):
            barrier.wait()
            return browsers[i].post(f"/en/s/{slug}/sign", sign_form(forms[i], emails[i]))

        answers = parallel(submit, range(len(browsers)))
        assert [status for status, _h, _b in answers if status >= 500] == []
        assert Counter((status, headers.get("location")) for status, headers, _b in answers) == {
            (303, f"/en/s/{slug}/thanks"): len(browsers)}
        with stack.app.app_context():
            rows = db.session.scalars(select(Signature).where(
                Signature.statement_id == sid, Signature.email_canonical == f"{local}@gmail.com")).all()
            assert len(rows) == 1
            mails = sum(canonical_email(to) == f"{local}@gmail.com"
                        for to in db.session.scalars(select(OutboxMail.to_addr)))
            assert mails == MAIL_CAP  # the per-address cap holds under concurrency too
    with stack.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signature).where(
            Signature.statement_id == sid)) == 3


def test_concurrent_confirmations_count_once(stack):
    """32 clients press the confirm button of one token at once: the count rises by exactly 1."""
    sid = make_statement(stack, "confirmations", moderation="post")
    with stack.app.app_context():
        signing.sign(signing.SignRequest(statement_id=sid, kind="organisation", name="Once Only",
                                         country="KE", email="once@example.org", lang="en",
                                         authorised=True, signer_name="O"))
        uid = db.session.scalar(select(Signature.uid).where(Signature.statement_id == sid))
        confirm, withdraw = (f"/{kind}/{tokens.make(kind, uid)}" for kind in ("confirm", "withdraw"))
    browsers = [Browser(stack.server.url) for _ in range(32)]
    for path, expected in ((confirm, (1, 1, 0, 1)), (withdraw, (0, 0, 0, 0))):
        form_tokens = parallel(lambda b, path=path: b.form_token(path), browsers, workers=16)
        barrier = threading.Barrier(len(browsers), timeout=JOIN_TIMEOUT)

        def press(i, path=path, form_tokens=form_tokens, barrier=barrier):
            barrier.wait()
            return browsers[i].post(path, {"csrf_token": form_tokens[i]})

        answers = parallel(press, range(len(browsers)))
        assert Counter(status for status, _h, _b in answers) == {200: len(browsers)}
        with stack.app.app_context():
            st = db.session.get(Statement, sid)
            assert (st.count_total, st.count_organisations, st.count_individuals,
                    st.count_countries) == expected
    with stack.app.app_context():
        actions = Counter(db.session.scalars(select(ModerationEvent.action).where(
            ModerationEvent.statement_id == sid)))
        assert actions == {"signed": 1, "confirmed": 1, "withdrawn": 1}
        assert reconcile(db.session, repair=False) == []


def test_multi_worker_load_loses_no_signature(stack):
    """~200 distinct signatures from 16 threads through 4 workers: every 303 is a row, and counted."""
    slug = "load"
    sid = make_statement(stack, slug, moderation="post", require_confirmation=False,
                         allow_individuals=True)
    countries = ["FR", "KE", "BR", "IN", "JP", "UA", "NG", "PE", "TN", "GE"]
    threads, per_thread = 16, 13

    def client(t):
        browser = Browser(stack.server.url)
        hidden = browser.hidden_fields(f"/en/s/{slug}", "/sign")
        results = []
        for i in range(per_thread):
            email = f"group{t}-{i}@load{t}.example.org"
            status, _h, _b = browser.post(f"/en/s/{slug}/sign", sign_form(
                hidden, email, name=f"Group {t}-{i}", country=countries[(t + i) % len(countries)]))
            results.append((email, status))
        return results

    results = [item for chunk in parallel(client, range(threads)) for item in chunk]
    statuses = Counter(status for _e, status in results)
    assert statuses == {303: threads * per_thread}, statuses
    acknowledged = {email for email, status in results if status == 303}
    with stack.app.app_context():
        stored = set(db.session.scalars(select(Signature.email).where(Signature.statement_id == sid)))
        assert acknowledged <= stored and stored == acknowledged
        st = db.session.get(Statement, sid)
        assert st.count_total == len(acknowledged) and st.count_countries == len(countries)
        assert reconcile(db.session, repair=False) == []
        if stack.backend == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert "database is locked" not in stack.server.log_text()


def test_every_sqlite_write_starts_with_begin_immediate(tmp_path):
    """A write in a deferred transaction fails at once with "database is locked" when another
    worker writes; so every INSERT, UPDATE and DELETE of the signing journey must run in a
    transaction that began IMMEDIATE (``portal.database.write``)."""
    import re

    from conftest import csrf_token, link_from, outbox_bodies
    from sqlalchemy import event

    from portal.database import immediate

    with fresh_schema(make_app(f"sqlite:///{tmp_path / 'discipline.sqlite3'}", tmp_path / "instance")) as app:
        deferred: list[str] = []
        with app.app_context():
            engine = db.engine
            sid = new_statement("discipline", texts=titled("T")).id

        @event.listens_for(engine, "begin")
        def _began(connection):
            connection.info["immediate"] = immediate()

        @event.listens_for(engine, "before_cursor_execute")
        def _executing(connection, _cursor, statement, _params, _context, _many):
            if re.match(r"\s*(INSERT|UPDATE|DELETE|REPLACE)", statement, re.I) and not connection.info.get(
                    "immediate"):
                deferred.append(statement[:100])

        client, runner = app.test_client(), app.test_cli_runner()
        token = csrf_token(client, "/en/s/discipline")
        form = {"kind": "organisation", "name": "Reporters United", "signer_name": "Ana", "role": "Director",
                "country": "FR", "email": "ana@example.org", "visibility": "full", "authorised": "y",
                "csrf_token": token}
        for _ in range(2):
            assert client.post("/en/s/discipline/sign", data=form).status_code == 303
        body = outbox_bodies(app)[0]
        for kind in ("confirm", "withdraw"):
            link = link_from(body, kind)
            assert client.post(link, data={"csrf_token": csrf_token(client, link)}).status_code == 200
            if kind == "confirm":
                approved = runner.invoke(args=["signatures", "approve", "discipline", "--all"]).output
                assert "approved 1" in approved
        # Two confirmation links (one per submission) and the "you are listed" note on approval.
        assert "sent 3, failed 0" in runner.invoke(args=["mail", "send"]).output
        assert runner.invoke(args=["counts", "reconcile"]).exit_code == 0
        from sqlalchemy import update

        from portal.database import write

        with app.app_context(), write() as session:  # the deadline passes: reading the page closes it
            session.execute(update(Statement).values(deadline_at=utcnow() - timedelta(seconds=1)))
        for path in ("/en/", "/en/s/discipline", "/en/s/discipline/count", "/en/s/discipline/signatories"):
            assert client.get(path).status_code in (200, 286)
        with app.app_context():
            assert db.session.get(Statement, sid).state == "closed"
        assert deferred == []
