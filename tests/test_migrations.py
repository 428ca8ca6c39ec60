"""``flask db upgrade`` builds the models' schema, with its constraints, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import PG_ADMIN, make_app
from sqlalchemy import MetaData, create_engine, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.signatures import search

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))
# Tables the app creates at run time, outside the models, on purpose.
RUNTIME_TABLES = {"rate_limit_counters", "alembic_version"}
RAW_DDL = " ".join(search.SQLITE_DDL + search.POSTGRES_DDL)
RAW_INDEXES = set(re.findall(r"CREATE INDEX IF NOT EXISTS (\w+)", RAW_DDL))
RAW_TABLES = set(re.findall(r"CREATE VIRTUAL TABLE IF NOT EXISTS (\w+)", RAW_DDL))


def _empty_database(request, folder, prefix: str):
    """A brand-new empty database of the requested kind, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{folder / 'fresh.sqlite3'}"
        return
    request.getfixturevalue("pg_url")  # fails under CI, skips elsewhere, if PostgreSQL is away
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def empty_url(request, tmp_path_factory):
    """An empty database of each kind, shared by this module's read-only tests."""
    yield from _empty_database(request, tmp_path_factory.mktemp("migrate"), "portal_migrate")


def flask_db(url: str, instance, *args: str) -> subprocess.CompletedProcess:
    """Run the real ``flask db ...`` command (its own process: Alembic reconfigures logging)."""
    env = {**os.environ, "FLASK_APP": "portal", "PORTAL_DATABASE_URL": url,
           "PORTAL_INSTANCE_PATH": str(instance), "PORTAL_SECRET_KEY": "migration-test-" + "k" * 20,
           "PORTAL_MAIL_SENDER_THREAD": "false"}
    result = subprocess.run([FLASK, "db", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def upgraded(empty_url, tmp_path_factory):
    """Upgraded once per database kind; the tests below only read it or roll back."""
    flask_db(empty_url, tmp_path_factory.mktemp("instance"), "upgrade")
    return empty_url


def _skip_runtime_objects(obj, name, type_, reflected, compare_to):
    if type_ == "table" and (name in RUNTIME_TABLES or name in RAW_TABLES
                             or any(name.startswith(t + "_") for t in RAW_TABLES)):
        return False
    if type_ == "index" and name in RAW_INDEXES:
        return False
    return True


def test_upgrade_builds_exactly_the_models_schema(upgraded):
    engine = create_engine(upgraded)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": _skip_runtime_objects})
            differences = compare_metadata(context, db.metadata)
            tables = set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert differences == [], "the migrations and the models differ; generate a migration"
    assert set(db.metadata.tables) <= tables


def schema_objects(url: str) -> set[tuple[str, str]]:
    """Every table, index and trigger by name (constraints are covered by compare_metadata)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                rows = conn.execute(text(
                    "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")).all()
            else:
                rows = conn.execute(text(
                    "SELECT 'table', tablename FROM pg_tables WHERE schemaname = 'public' "
                    "UNION ALL SELECT 'index', indexname FROM pg_indexes WHERE schemaname = 'public' "
                    "UNION ALL SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal "
                    "UNION ALL SELECT 'extension', extname FROM pg_extension")).all()
    finally:
        engine.dispose()
    return {(kind, name) for kind, name in rows
            if name not in RUNTIME_TABLES and not name.startswith("alembic_version")}


def test_upgrade_matches_create_all_including_raw_ddl(upgraded, tmp_path):
    """What the tests build with create_all (and its raw DDL) is what production migrates to."""
    if upgraded.startswith("sqlite"):
        reference = f"sqlite:///{tmp_path / 'reference.sqlite3'}"
    else:
        reference = upgraded.rsplit("/", 1)[0] + "/" + upgraded.rsplit("/", 1)[1] + "_ref"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{reference.rsplit("/", 1)[1]}"')
    try:
        app = make_app(reference, tmp_path / "ref-instance")
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        assert schema_objects(upgraded) == schema_objects(reference)
    finally:
        if upgraded.startswith("postgresql"):
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{reference.rsplit("/", 1)[1]}" WITH (FORCE)')


FILLER = {int: 0, str: "x", bool: False, float: 0.0}


def _values(table, **known) -> dict:
    """Values for every NOT NULL column of a reflected table: the schema as migrated, not the models."""
    from datetime import UTC, datetime

    values = dict(known)
    for column in table.columns:
        if column.name in values or column.primary_key or column.nullable or column.server_default:
            continue
        kind = column.type.python_type
        values[column.name] = datetime.now(UTC) if kind is datetime else FILLER[kind]
    return values


def _copy(conn, table, row_id: int, **changes) -> None:
    """Insert a copy of a row with a few columns changed, bypassing every Python check."""
    values = dict(conn.execute(select(table).where(table.c.id == row_id)).mappings().one())
    values.pop("id")
    values.update(changes)
    conn.execute(insert(table).values(**values))


@pytest.fixture(scope="module")
def seeded(upgraded, tmp_path_factory):
    """The upgraded database, reflected, with one statement, translation and signature."""
    app = make_app(upgraded, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        tables = MetaData()
        tables.reflect(db.engine, only=["statements", "statement_translations", "signatures"])
        statements, translations, signatures = (tables.tables[name] for name in (
            "statements", "statement_translations", "signatures"))
        with db.engine.begin() as conn:
            sid = conn.execute(insert(statements).values(**_values(
                statements, slug="first", original_lang="en", state="published", moderation="pre",
                allow_organisations=True))).inserted_primary_key[0]
            conn.execute(insert(translations).values(**_values(
                translations, statement_id=sid, lang="en", title="T")))
            conn.execute(insert(signatures).values(**_values(
                signatures, statement_id=sid, uid="first-uid", kind="organisation", name="N",
                country="FR", email_canonical="a@example.org", lang="en", state="pending",
                visibility="full")))
        yield app, tables.tables
        db.engine.dispose()


@pytest.mark.parametrize("table, violation, allowed", [
    ("signatures", {"uid": "other-uid"}, {"uid": "third-uid", "email_canonical": "b@example.org"}),
    ("statements", {}, {"slug": "second"}),
    ("statement_translations", {}, {"lang": "fr"}),
], ids=["one-signature-per-canonical-email", "unique-slug", "one-translation-per-language"])
def test_uniqueness_is_enforced_by_the_database(seeded, table, violation, allowed):
    app, tables = seeded
    table = tables[table]
    with app.app_context(), db.engine.connect() as conn, conn.begin() as outer:
        row_id = conn.execute(select(table.c.id)).scalar_one()
        with pytest.raises(IntegrityError, match=r"(?i)unique"):
            with conn.begin_nested():
                _copy(conn, table, row_id, **violation)
        with conn.begin_nested():  # the same copy with the constrained value changed is accepted
            _copy(conn, table, row_id, **allowed)
        outer.rollback()


@pytest.mark.parametrize("table, change, pattern", [
    ("signatures", {"uid": "u2", "email_canonical": "c@x.org", "state": "approved"}, "check"),
    ("signatures", {"uid": "u3", "email_canonical": "d@x.org", "visibility": "secret"}, "check"),
    ("signatures", {"uid": "u4", "email_canonical": "e@x.org", "statement_id": 999}, "foreign key"),
    ("statements", {"slug": "s2", "state": "deleted"}, "check"),
    ("statements", {"slug": "s3", "allow_organisations": False, "allow_individuals": False}, "check"),
    ("statement_translations", {"lang": "es", "statement_id": 999}, "foreign key"),
], ids=["signature-state", "visibility", "signature-statement", "statement-state", "some-signer",
        "translation-statement"])
def test_checks_and_foreign_keys_are_enforced_by_the_database(seeded, table, change, pattern):
    app, tables = seeded
    table = tables[table]
    with app.app_context(), db.engine.connect() as conn, conn.begin() as outer:
        row_id = conn.execute(select(table.c.id)).scalar_one()
        with pytest.raises(IntegrityError, match=f"(?i){pattern}"):
            with conn.begin_nested():
                _copy(conn, table, row_id, **change)
        outer.rollback()


def test_sqlite_connections_are_tuned(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'tuned.sqlite3'}", tmp_path / "instance")
    with app.app_context():
        try:
            with db.engine.connect() as conn:
                pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                          for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
        finally:
            db.engine.dispose()
    assert pragma["journal_mode"] == "wal"
    assert pragma["synchronous"] == 2  # FULL
    assert pragma["foreign_keys"] == 1
    assert pragma["busy_timeout"] >= 5000


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    """Another empty database, for a test that walks the revisions itself."""
    yield from _empty_database(request, tmp_path, "portal_walk")


def test_upgrade_from_0001_keeps_every_row_and_indexes_them(fresh_url, tmp_path_factory):
    """A database with signatures at revision 0001 upgrades without losing or orphaning any."""
    empty_url = fresh_url
    instance = tmp_path_factory.mktemp("instance-0001")
    flask_db(empty_url, instance, "upgrade", "0001")
    engine = create_engine(empty_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO statements (id, slug, original_lang, state, allow_organisations, "
                "allow_individuals, moderation, require_confirmation, paused, private_key, created_at, "
                "count_total, count_organisations, count_individuals, count_countries, version) "
                "VALUES (1, 'kept', 'en', 'published', TRUE, FALSE, 'pre', TRUE, FALSE, 'k', "
                "CURRENT_TIMESTAMP, 1, 1, 0, 1, 1)"))
            conn.execute(text(
                "INSERT INTO signatures (uid, statement_id, kind, name, signer_name, role, website, "
                "org_type, authorised, country, visibility, email, email_canonical, lang, state, launch, "
                "confirmation_sends, sort_key, search_text, created_at) VALUES ('u1', 1, 'organisation', "
                "'Kept Press', '', '', '', '', TRUE, 'FR', 'full', 'a@b.org', 'a@b.org', 'en', "
                "'validated', FALSE, 1, 'aa', 'kept press', CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO moderation_events (created_at, actor_label, action, statement_id, "
                              "detail) VALUES (CURRENT_TIMESTAMP, 'system', 'published', 1, '')"))
            # An audit entry about the signature: rebuilding the table must not cascade to it.
            conn.execute(text("INSERT INTO moderation_events (created_at, actor_label, action, statement_id, "
                              "signature_id, detail) "
                              "VALUES (CURRENT_TIMESTAMP, 'signer', 'signed', 1, 1, '')"))
        flask_db(empty_url, instance, "upgrade")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM signatures")).scalars().all() == ["Kept Press"]
            assert conn.execute(text("SELECT deadline_tz FROM statements")).scalar_one() == "UTC"
            assert conn.execute(text("SELECT before_text, signature_id FROM moderation_events ORDER BY id")
                                ).all() == [("", None), ("", 1)]
            assert conn.execute(text("SELECT name_key FROM signatures")).scalar_one() == "kept press"
            condition = search.condition("ept pr", conn.dialect.name)
            from portal.models import Signature
            assert conn.execute(select(Signature.name).where(condition)).scalars().all() == ["Kept Press"]
    finally:
        engine.dispose()
