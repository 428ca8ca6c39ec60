"""Shared fixtures: each database test runs on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import os
import re
import secrets
import socket
from contextlib import contextmanager

import psycopg
import pytest
import redis
from factories import new_statement
from sqlalchemy import text

from portal import create_app
from portal.extensions import db

PG_ADMIN = os.environ.get("PORTAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", "postgresql"]


def free_port() -> int:
    """A free TCP port on loopback (aiosmtpd and gunicorn cannot take port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_url():
    """A throwaway PostgreSQL database for this run, dropped at the end."""
    if not _pg_reachable():
        if IN_CI:
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432, and CI requires it")
        pytest.skip("PostgreSQL is not reachable (set CI=true to make this a failure)")
    name = f"portal_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    yield url
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


REDIS_URL = "redis://127.0.0.1:6379/15"
STORES = ["sqlite", "postgresql", "redis"]  # where rate-limit counters can live


def store_database_url(request, tmp_path) -> str:
    """The database for a test parametrised over ``STORES`` (Redis runs beside SQLite)."""
    if request.param == "redis":
        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        except redis.RedisError:
            if IN_CI:
                pytest.fail("Redis is not reachable at 127.0.0.1:6379, and CI requires it")
            pytest.skip("Redis is not reachable (set CI=true to make this a failure)")
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'portal.sqlite3'}"


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    return request.getfixturevalue("pg_url")


def make_app(database_url: str, instance_path, **overrides):
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-" + "x" * 20,
        "MAIL_SENDER_THREAD": False,
        "RATELIMIT_ENABLED": False,
        "MIN_FILL_SECONDS": 0,  # test clients submit at once; tests/test_abuse.py turns it on
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance_path)
    try:
        return create_app(config)
    finally:
        del os.environ["PORTAL_INSTANCE_PATH"]


@contextmanager
def fresh_schema(app, database_url: str | None = None):
    """The one way the suite makes a schema: built on a clean database for this app, dropped
    again afterwards (PostgreSQL; a SQLite file goes with its temporary folder)."""
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                db.drop_all()
            db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    with fresh_schema(make_app(database_url, tmp_path / "instance"), database_url) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def backend(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


@pytest.fixture
def make_statement(app):
    """Create a statement; returns its id. Translations default to en, fr and ar, published."""

    def make(slug="free-the-reporters", state="published", langs=("en", "fr", "ar"), **fields):
        with app.app_context():
            return new_statement(slug, state, langs, **fields).id

    return make


def csrf_token(client, url: str) -> str:
    """The CSRF token a page hands out, as a browser would read it."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def outbox_bodies(app) -> list[str]:
    from portal.models import OutboxMail

    with app.app_context():
        return [m.body for m in db.session.scalars(db.select(OutboxMail).order_by(OutboxMail.id))]


def link_from(body: str, kind: str) -> str:
    match = re.search(rf"http://localhost(/{kind}/[A-Za-z0-9_\-.]+)", body)
    assert match, f"no {kind} link in email"
    return match.group(1)


@pytest.fixture
def sql(app):
    def run(statement: str, **params):
        with app.app_context():
            return db.session.execute(text(statement), params).all()

    return run


from manage_fixtures import auth, people  # noqa: E402,F401  (the workspace fixtures)
