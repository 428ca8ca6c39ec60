"""Engine tuning and the write-transaction helper that services use."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import ColumnElement, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from portal.extensions import db

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write", default=False)

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    # Deleted and overwritten content is zeroed, not left in free space (sealed contacts:
    # an address erased from the outbox must be gone from the file).
    "PRAGMA secure_delete=ON",
)


def tune_sqlite(engine: Engine) -> None:
    """Apply the pragmas and take BEGIN into our own hands on a SQLite engine.

    pysqlite's own BEGIN is deferred: a read that later writes can fail with
    "database is locked" without waiting. Write transactions therefore start with
    BEGIN IMMEDIATE, which waits on ``busy_timeout`` for the write lock instead.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate() else "BEGIN")


@contextmanager
def write() -> Iterator[Session]:
    """Run a block in one write transaction: commit on success, roll back on error.

    A ``write()`` inside another joins it, so a service that calls another stays atomic.
    """
    session = db.session()
    if _write_intent.get() and session.in_transaction():
        yield session
        return
    if session.in_transaction():
        # End any read snapshot first, so the write lock is taken at BEGIN.
        session.commit()
    token = _write_intent.set(True)
    try:
        with session.begin():
            yield session
    finally:
        _write_intent.reset(token)


def immediate() -> bool:
    """True inside a :func:`write` block on this thread: a transaction begun now begins
    IMMEDIATE (it takes SQLite's write lock at once)."""
    return _write_intent.get()


def writing() -> bool:
    """True inside a :func:`write` block on this thread: a second connection that wrote now
    would wait for the lock this one holds (SQLite), so callers must join this one."""
    return _write_intent.get() and db.session().in_transaction()


@contextmanager
def side_connection(write: bool = True) -> Iterator[Connection]:
    """A short transaction of its own, outside the session's, committed at the end of the block.

    :param write: the block writes, so on SQLite it starts with ``BEGIN IMMEDIATE`` like
        every write; a read-only block starts a plain ``BEGIN`` and blocks no writer.

    Inside a :func:`write` block it joins that transaction instead: on SQLite a second
    connection would wait for the write lock the first one holds.
    """
    if writing():
        yield db.session.connection()
        return
    token = _write_intent.set(write)
    try:
        with db.engine.begin() as conn:
            yield conn
    finally:
        _write_intent.reset(token)


def given(*filters: tuple[object, Callable[[], ColumnElement[bool]]]) -> list[ColumnElement[bool]]:
    """The clauses of the filters a form asked for: each (value, clause) whose value is given
    (not None, not empty), for ``select(...).where(*given(...))``. Each clause is built only
    when its value is given (a comparison with None is no clause at all)."""
    return [clause() for value, clause in filters
            if value is not None and not (isinstance(value, str) and not value)]


def insert_for(conn: Connection):
    """The dialect's ``insert`` (with ``on_conflict_do_...``) for this connection's database."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
