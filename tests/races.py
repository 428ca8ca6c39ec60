"""Race tests that prove the race happened: the racing thread is seen waiting on our lock.

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
            deadline = time.monotonic() + timeout
            with engine.connect() as probe:
                while not probe.scalar(text(WAITING)):
                    probe.rollback()
                    assert time.monotonic() < deadline, "the racer never waited on the lock"
                    time.sleep(0.02)
        else:
            assert began.wait(timeout), "the racer never began its write"
            racer.join(0.2)
            assert racer.is_alive(), "the racer did not wait on the write lock"
    finally:
        if engine.dialect.name == "sqlite":
            event.remove(engine, "before_cursor_execute", watch)
    return racer
