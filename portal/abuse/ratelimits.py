"""Rate-limit counters that every worker shares, and the limits that signing uses.

With ``RATELIMIT_STORAGE_URI`` set (``redis://...``) the counters live there. Without it
they live in SQL, through :class:`SQLStorage`, a ``limits`` storage registered under the
``portaldb://`` scheme: a fixed-window counter table updated by one atomic upsert, so
gunicorn's workers (and hosts, on PostgreSQL) see the same counts. On SQLite the
counters get a file of their own next to the database, so that they never wait for the
signatures' write lock; on PostgreSQL they share the app's database.

Keys never hold an address or an email: clients are keyed by their keyed hash
(:func:`portal.abuse.clients.ip_hash`, an IPv4 address or an IPv6 /64) and logins by
:func:`portal.abuse.clients.account_hash`. Expired counters are deleted opportunistically and by
:func:`purge` (``flask statements tick``, ``flask ratelimits purge``).
"""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Engine

TABLE = "rate_limit_counters"
DDL = (f"CREATE TABLE IF NOT EXISTS {TABLE} (key VARCHAR(255) PRIMARY KEY, "
       "hits INTEGER NOT NULL, expires_at DOUBLE PRECISION NOT NULL)")
INCR = text(
    f"INSERT INTO {TABLE} (key, hits, expires_at) VALUES (:key, :amount, :now + :expiry) "
    f"ON CONFLICT (key) DO UPDATE SET "
    f"hits = CASE WHEN {TABLE}.expires_at <= :now THEN :amount ELSE {TABLE}.hits + :amount END, "
    f"expires_at = CASE WHEN {TABLE}.expires_at <= :now THEN :now + :expiry "
    f"ELSE {TABLE}.expires_at END RETURNING hits"
)
PURGE = text(f"DELETE FROM {TABLE} WHERE expires_at <= :now")


class SQLStorage(Storage):
    """Fixed-window counters in a SQL table (SQLite 3.35+ or PostgreSQL).

    Every :meth:`incr` is a single ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
    statement, atomic on both databases, so concurrent workers never lose a hit.
    """

    STORAGE_SCHEME = ["portaldb"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, url: str = "",
                 **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        if not url:
            raise ValueError("portaldb:// needs the 'url' storage option (an SQLAlchemy URL)")
        self.url = url

    @property
    def base_exceptions(self):
        return exc.SQLAlchemyError

    def _connect(self) -> Engine:
        # One engine per URL and process, shared by every app object (tests make many), and
        # never one a forked gunicorn worker inherited from its parent.
        key = (self.url, os.getpid())
        engine = _ENGINES.get(key)
        if engine is None:
            with _LOCK:
                engine = _ENGINES.get(key)
                if engine is None:
                    engine = _engine(self.url)
                    with engine.begin() as conn:
                        try:
                            conn.exec_driver_sql(DDL)
                        except exc.IntegrityError:  # PostgreSQL: another worker created it first
                            pass
                    _ENGINES[key] = engine
        return engine

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        with self._connect().begin() as conn:
            hits = conn.execute(INCR, {"key": key, "amount": amount, "now": now,
                                       "expiry": float(expiry)}).scalar_one()
            if random.random() < 0.01:  # opportunistic; `flask statements tick` purges on schedule
                conn.execute(PURGE, {"now": now})
        return int(hits)

    def purge(self) -> int:
        """Delete every expired counter. :returns: how many."""
        with self._connect().begin() as conn:
            return conn.execute(PURGE, {"now": time.time()}).rowcount or 0

    def _row(self, key: str):
        with self._connect().connect() as conn:
            return conn.execute(text(f"SELECT hits, expires_at FROM {TABLE} WHERE key = :key"),
                                {"key": key}).one_or_none()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.hits) if row and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self._connect().connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except exc.SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self._connect().begin() as conn:
            return conn.execute(text(f"DELETE FROM {TABLE}")).rowcount

    def clear(self, key: str) -> None:
        with self._connect().begin() as conn:
            conn.execute(text(f"DELETE FROM {TABLE} WHERE key = :key"), {"key": key})


_ENGINES: dict[tuple[str, int], Engine] = {}
_LOCK = threading.Lock()


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=2, max_overflow=4, pool_pre_ping=True)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Counters may lose their last second in a power cut; they need not wait on fsync.
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=30000",
                       "PRAGMA synchronous=NORMAL"):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def configure(app: Flask) -> None:
    """Choose the counters' storage before Flask-Limiter is bound (see the module docstring).

    Storages connect lazily, so this opens no connection."""
    config = app.config
    if not config.get("RATELIMIT_STORAGE_URI"):
        url = config["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("sqlite"):
            url = "sqlite:///" + str(Path(app.instance_path) / "ratelimits.sqlite3")
        config["RATELIMIT_STORAGE_URI"] = "portaldb://"
        config["RATELIMIT_STORAGE_OPTIONS"] = {**config.get("RATELIMIT_STORAGE_OPTIONS", {}), "url": url}
    # The app's own limiter, for the checks that shadow-reject instead of answering 429.
    storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"],
                                  **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}))
    app.extensions["portal.abuse.ratelimits"] = FixedWindowRateLimiter(storage)


def _items(setting: str) -> list[RateLimitItem]:
    value = current_app.config.get(setting) or ""
    return parse_many(value) if value else []


def exceeded(setting: str, *identifiers: str, limits: str | None = None) -> bool:
    """Count one hit against every limit in the ``setting`` (e.g. ``"5/minute;30/hour"``), or
    against ``limits`` when given (counted under the setting's name all the same).

    :returns: True when any of them is now over its limit. Disabled with ``RATELIMIT_ENABLED``.
    """
    if not current_app.config["RATELIMIT_ENABLED"]:
        return False
    strategy: FixedWindowRateLimiter = current_app.extensions["portal.abuse.ratelimits"]
    over = False
    for item in parse_many(limits) if limits else _items(setting):
        if not strategy.hit(item, setting.lower(), *identifiers):
            over = True
    return over


def purge() -> int:
    """Delete expired counters from the SQL store (Redis expires its keys itself).

    :returns: how many were deleted.
    """
    strategy: FixedWindowRateLimiter = current_app.extensions["portal.abuse.ratelimits"]
    storage = strategy.storage
    return storage.purge() if isinstance(storage, SQLStorage) else 0
