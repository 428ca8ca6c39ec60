"""Reference apps served under the same gunicorn settings as the portal.

``hello`` is the framework ceiling: Flask returning a short string. ``insert`` is the signing
reference: Flask parsing a form and inserting one row into SQLite with the portal's durability
(WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``), then answering 303 like the portal does.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from flask import Flask, redirect, request

hello = Flask("hello")


@hello.get("/")
def hello_world():
    """The ceiling."""
    return "Hello, world!"


insert = Flask("insert")
_local = threading.local()


def _connection() -> sqlite3.Connection:
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = sqlite3.connect(os.environ["BENCH_INSERT_DB"], isolation_level=None, timeout=30)
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA busy_timeout=30000", "PRAGMA synchronous=FULL"):
            connection.execute(pragma)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS signatures (id INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, email TEXT NOT NULL UNIQUE)"
        )
        _local.connection = connection
    return connection


@insert.get("/")
def insert_ready():
    """Readiness probe."""
    _connection()
    return "ready"


@insert.post("/sign")
def insert_sign():
    """One durable insert per request."""
    connection = _connection()
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(
            "INSERT OR IGNORE INTO signatures (name, email) VALUES (?, ?)",
            (request.form["name"], request.form["email"]),
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return redirect("/", code=303)
