"""Waits on a condition instead of fixed sleeps, and races that prove they happened.

A race test's racing thread is seen waiting on the lock the test holds.

PostgreSQL shows the wait in ``pg_stat_activity``. On SQLite the racer's ``BEGIN IMMEDIATE``
is seen going out, and the racer must then still be waiting on the write lock the test holds.
Neither is a fixed sleep that passes whether or not the race took place.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import event, text

from portal.extensions import db

WAITING = ("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
           "AND datname = current_database()")


def wait_for(condition, timeout: float = 10.0, what: str = "the condition", every: float = 0.02):
    """Poll ``condition`` until it holds (returning its value); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(every)
    return value


def start_blocked(app, target, timeout: float = 10.0) -> threading.Thread:
    """Start ``target`` in a thread; return once it is waiting on a lock the caller holds."""
    with app.app_context():
        engine = db.engine
    began = threading.Event()
    racer = threading.Thread(target=target, daemon=True)

    def watch(_conn, _cursor, statement, *_args):
        if threading.current_thread() is racer and statement.startswith("BEGIN IMMEDIATE"):
            began.set()

    if engine.dialect.name == "sqlite":
        event.listen(engine, "before_cursor_execute", watch)
    racer.start()
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as probe:
                def waiting():
                    probe.rollback()
                    return probe.scalar(text(WAITING))

                wait_for(waiting, timeout, "the racer's wait on the lock")
        else:
            assert began.wait(timeout), "the racer never began its write"
            racer.join(0.2)
            assert racer.is_alive(), "the racer did not wait on the write lock"
    finally:
        if engine.dialect.name == "sqlite":
            event.remove(engine, "before_cursor_execute", watch)
    return racer
