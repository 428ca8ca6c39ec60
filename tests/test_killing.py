"""``kill -9`` of gunicorn workers during a concurrent signing run (figure 4 in SECURITY.md).

Signers post as fast as they can while a killer SIGKILLs a random worker every few tenths of
a second; gunicorn's master forks replacements. A signature counts as acknowledged when
its signer received the 303. Afterwards: every acknowledged signature is in the database,
the database passes its integrity check, and ``flask counts reconcile --check`` finds no
drift. The statement counts at once (post-moderation, no confirmation), so every signature
moves the stored counts and a half-done transaction would show as drift.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest
from conftest import fresh_schema, make_app
from factories import new_statement, titled
from live_server import SECRET_KEY, Browser, live_server
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import Signature, Statement

SLUG = "under-fire"
SIGNERS = 6
KILLS = 6
KILL_EVERY = 1.0  # seconds; a fresh worker needs a moment to warm up on two busy cores


def workers_of(master: int) -> list[int]:
    """The master's live children (a killed worker lingers as a zombie until it is reaped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                state, parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            except (OSError, ValueError):
                continue
            if int(parent) == master and state != "Z":
                found.append(int(entry.name))
    return found


def run_under_fire(url: str, stop: threading.Event, acknowledged: list[str], errors: list[str],
                   signer: int) -> None:
    browser = Browser(url)
    n = 0
    while not stop.is_set():
        n += 1
        email = f"signer{signer}-{n}@load.example"
        try:
            token = browser.form_token(f"/en/s/{SLUG}")
            status, headers, _body = browser.post(f"/en/s/{SLUG}/sign", {
                "csrf_token": token, "kind": "organisation", "name": f"Organisation {signer}-{n}",
                "signer_name": "A", "country": "FR", "email": email, "visibility": "full",
                "authorised": "y"}, timeout=15)
        # The worker died under the request: no answer, or half an answer (IncompleteRead).
        except (OSError, http.client.HTTPException, AssertionError) as error:
            errors.append(type(error).__name__)
            continue
        if status == 303:
            acknowledged.append(email)
        else:
            errors.append(str(status))


@pytest.fixture(params=["sqlite", "postgresql"])
def setting(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}" if request.param == "sqlite" \
        else request.getfixturevalue("pg_url")
    app = make_app(url, tmp_path / "local", SECRET_KEY=SECRET_KEY)
    with fresh_schema(app):
        with app.app_context():
            new_statement(SLUG, moderation="post", require_confirmation=False, texts=titled("Under fire"))
            db.session.remove()
        yield request.param, url, app, tmp_path


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_signature(setting):
    backend, url, app, tmp_path = setting
    acknowledged: list[str] = []
    errors: list[str] = []
    kills = 0
    with live_server(url, tmp_path / "instance", workers=3, threads=4) as server:
        stop = threading.Event()
        signers = [threading.Thread(target=run_under_fire, args=(server.url, stop, acknowledged, errors, i))
                   for i in range(SIGNERS)]
        for thread in signers:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 20 and time.monotonic() < deadline:  # every worker warm first
            time.sleep(0.05)
        rng = random.Random(9)
        while kills < KILLS:
            time.sleep(KILL_EVERY)
            alive = workers_of(server.pid)
            if alive:
                try:
                    os.kill(rng.choice(alive), signal.SIGKILL)
                except ProcessLookupError:  # gone between listing and killing
                    continue
                kills += 1
        before = len(acknowledged)
        while len(acknowledged) < before + 20 and time.monotonic() < deadline:
            time.sleep(0.05)  # signing goes on with the replacements
        stop.set()
        for thread in signers:
            thread.join(timeout=30)
        log = server.log_text()

    assert kills == KILLS and len(acknowledged) >= 50, (kills, len(acknowledged), errors[:10])
    assert log.count("Booting worker with pid") >= 3 + KILLS, log[-3000:]  # every killed one replaced
    with app.app_context():
        stored = set(db.session.scalars(select(Signature.email).where(Signature.state == "validated")))
        missing = [email for email in acknowledged if email not in stored]
        assert missing == [], f"{len(missing)} acknowledged signature(s) lost"
        if backend == "sqlite":
            assert db.session.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        else:
            db.session.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
            indexes = db.session.scalars(text(
                "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE a.amname = 'btree' AND n.nspname = 'public'")).all()
            for index in indexes:  # raises if an index disagrees with its table
                db.session.execute(text("SELECT bt_index_check(CAST(:ix AS regclass), true)"), {"ix": index})
            db.session.commit()
        statement = db.session.scalars(select(Statement)).one()
        assert statement.count_total == len(stored)
    result = app.test_cli_runner().invoke(args=["counts", "reconcile", "--check"])
    assert result.exit_code == 0 and "0 statement(s) drifted" in result.output, result.output
    for email in acknowledged[:50]:
        assert email not in log  # and gunicorn's log holds no contact email
    assert "/confirm/" not in log and "Traceback" not in log, log[-3000:]
