"""Signatory search that stays fast at a million names: FTS5 on SQLite, pg_trgm on PostgreSQL.

``Signature.search_text`` holds the case- and accent-folded name (:func:`portal.text.fold`).
A query's words match in any order: each word of three characters or more matches any
substring of it through a trigram index (shorter words then filter those rows); a query
with only shorter words matches the start of the name through a B-tree index.

:func:`install` creates the indexes (and on SQLite the FTS5 table and the triggers that keep
it in step with ``signatures``). It runs by itself after ``db.create_all()`` creates the
table, and a migration calls it with its connection. It is idempotent.
"""

from __future__ import annotations

from sqlalchemy import Integer, Select, and_, column, event, func, select, text, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from portal.extensions import db
from portal.models import Signature, Visibility
from portal.text import escape_like

MIN_TRIGRAM = 3
# Up to this many matching names, sorting the matches beats reading the whole list in order.
FEW = 5000

SQLITE_DDL = (
    # External content: the text lives once, in signatures; the index holds trigrams only.
    "CREATE VIRTUAL TABLE IF NOT EXISTS signatures_fts USING fts5("
    "search_text, content='signatures', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS signatures_fts_ai AFTER INSERT ON signatures BEGIN "
    "INSERT INTO signatures_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS signatures_fts_ad AFTER DELETE ON signatures BEGIN "
    "INSERT INTO signatures_fts(signatures_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS signatures_fts_au AFTER UPDATE OF search_text ON signatures BEGIN "
    "INSERT INTO signatures_fts(signatures_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO signatures_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE INDEX IF NOT EXISTS ix_signatures_prefix ON signatures (statement_id, search_text)",
    # Rows written before the triggers existed (a migration on a full database).
    "INSERT INTO signatures_fts(signatures_fts) VALUES ('rebuild')",
)

POSTGRES_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_signatures_search_trgm ON signatures "
    "USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_signatures_prefix ON signatures "
    "(statement_id, search_text text_pattern_ops)",
)


def install(connection: Connection) -> None:
    """Create the search indexes on ``connection``'s database (idempotent).

    :param connection: an open connection, e.g. ``op.get_bind()`` in a migration.
    """
    dialect = connection.dialect.name
    statements = SQLITE_DDL if dialect == "sqlite" else POSTGRES_DDL if dialect == "postgresql" else ()
    for statement in statements:
        connection.execute(text(statement))


def drop_sqlite_triggers(connection: Connection) -> None:
    """For a bulk load: drop the per-row triggers; :func:`install` rebuilds the index after."""
    for name in ("signatures_fts_ai", "signatures_fts_ad", "signatures_fts_au"):
        connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))


@event.listens_for(Signature.__table__, "after_create")
def _after_create(_table, connection: Connection, **_kw) -> None:
    install(connection)


def words(needle: str) -> tuple[list[str], list[str]]:
    """The folded query's words: those long enough for the trigram index, and the others.
    Short words alone ("an vi") that make a long enough query are matched as one string."""
    parts = list(dict.fromkeys(needle.split()))
    long = [w for w in parts if len(w) >= MIN_TRIGRAM]
    if not long and len(needle) >= MIN_TRIGRAM:
        return [needle], []
    return long, [w for w in parts if len(w) < MIN_TRIGRAM]


def _fts_query(long: list[str]) -> str:
    """An FTS5 query: every word as a quoted string (a substring, through the trigrams), ANDed."""
    return " AND ".join('"' + word.replace('"', '""') + '"' for word in long)


def _contains_all(parts: list[str]) -> ColumnElement[bool]:
    return and_(true(), *(Signature.search_text.like(f"%{escape_like(w)}%", escape="\\") for w in parts))


def condition(needle: str, dialect: str) -> ColumnElement[bool]:
    """The WHERE clause for signatories whose folded name contains every word of ``needle``
    (already folded), in any order. A query with no word of :data:`MIN_TRIGRAM` letters
    matches the start of the name instead."""
    long, short = words(needle)
    if not long:
        if dialect == "sqlite":
            # A range, not LIKE: SQLite's LIKE ignores case, so it could not use the index.
            return Signature.search_text.between(needle, needle + "\U0010ffff")
        return Signature.search_text.like(escape_like(needle) + "%", escape="\\")
    if dialect == "sqlite":
        return and_(Signature.id.in_(
            text("SELECT rowid FROM signatures_fts WHERE signatures_fts MATCH :phrase")
            .bindparams(phrase=_fts_query(long)).columns(column("rowid", Integer))
        ), _contains_all(short))
    return _contains_all(long + short)


def first_matches(listing: Select, needle: str, n: int) -> list[Signature]:
    """The first ``n`` signatures of ``listing`` (ordered by sort key and id, either way)
    whose name holds every word of ``needle``.

    Two plans, chosen by how many names match, counted through the index up to :data:`FEW`:
    a rare word is looked up through the trigram index and its few rows sorted; a common one
    is found by reading the list in order until ``n`` match, which stops early. Either plan
    alone is slow for the other kind of word at a million names.

    :param needle: the folded query (:func:`portal.text.fold`).
    """
    session = db.session
    dialect = session.get_bind().dialect.name
    matched = condition(needle, dialect)
    public = Signature.visibility == Visibility.full
    long, short = words(needle)
    if not long:
        return list(session.scalars(listing.where(public, matched).limit(n)))
    if dialect == "sqlite":
        found = session.execute(text(
            "SELECT count(*) FROM (SELECT 1 FROM signatures_fts WHERE signatures_fts MATCH :phrase "
            "LIMIT :few)"), {"phrase": _fts_query(long), "few": FEW}).scalar_one()
    else:
        found = session.execute(select(func.count()).select_from(
            select(Signature.id).where(matched).offset(0).limit(FEW).subquery())).scalar_one()
    if found >= FEW:
        return list(session.scalars(listing.where(public, _contains_all(long + short)).limit(n)))
    if dialect == "postgresql":
        # OFFSET 0 keeps the planner from folding the lookup into a scan of the list in order.
        matched = Signature.id.in_(select(Signature.id).where(matched).offset(0))
    return list(session.scalars(listing.where(public, matched).limit(n)))
