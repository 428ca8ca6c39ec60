"""Signatory search through the trigram indexes (FTS5 on SQLite, pg_trgm on PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from portal.database import write
from portal.extensions import db
from portal.models import Signature, SignatureState, Statement
from portal.signatures import search, signing
from portal.statements import reading as service
from portal.text import fold

NAMES = [("Élan Vital", "FR", "full"), ("Bogotá Press", "CO", "full"), ("ÉLAN SUD", "ES", "full"),
         ("Secret Élan", "FR", "country"), ("Hidden Élan", "FR", "hidden"),
         ("Abc 100% _x_ \"q\"", "KE", "full")]


@pytest.fixture
def signed(app, make_statement):
    sid = make_statement(moderation="post", require_confirmation=False)
    other = make_statement("other-statement", moderation="post", require_confirmation=False)
    with app.app_context():
        for i, (name, country, visibility) in enumerate(NAMES):
            signing.sign(signing.SignRequest(
                statement_id=sid, kind="organisation", name=name, country=country, email=f"s{i}@example.org",
                lang="en", authorised=True, signer_name="X", visibility=visibility))
        signing.sign(signing.SignRequest(statement_id=other, kind="organisation", name="Élan Elsewhere",
                                         country="FR", email="x@example.org", lang="en", authorised=True,
                                         signer_name="X"))
    return sid


def names(app, sid: int, q: str) -> list[str]:
    with app.app_context():
        statement = db.session.get(Statement, sid)
        return [row.name for row in service.signatories(statement, q=q).rows]


@pytest.mark.parametrize("q, expected", [
    ("elan", ["Élan Vital", "ÉLAN SUD"]),
    ("ÉLAN", ["Élan Vital", "ÉLAN SUD"]),
    ("an vi", ["Élan Vital"]),
    ("bogota", ["Bogotá Press"]),
    ("press", ["Bogotá Press"]),
    ("el", ["Élan Vital", "ÉLAN SUD"]),  # short: the start of the name
    ("b", ["Bogotá Press"]),
    ("100%", ["Abc 100% _x_ \"q\""]),
    ("_x_", ["Abc 100% _x_ \"q\""]),
    ('"q"', ["Abc 100% _x_ \"q\""]),
    ("zzz", []),
    ("0%_", []),
])
def test_search_is_substring_case_and_accent_insensitive_and_public_only(app, signed, q, expected):
    assert sorted(names(app, signed, q)) == sorted(expected)


def test_index_follows_renames_deletes_and_validation(app, signed):
    with app.app_context():
        with write() as session:
            session.execute(update(Signature).where(Signature.name == "Élan Vital")
                            .values(name="Renamed Group", search_text=fold("Renamed Group")))
            session.execute(Signature.__table__.delete().where(Signature.name == "ÉLAN SUD"))
            session.execute(update(Signature).where(Signature.name == "Bogotá Press")
                            .values(state=SignatureState.pending))
    assert names(app, signed, "elan") == []
    assert names(app, signed, "renamed") == ["Renamed Group"]
    assert names(app, signed, "bogota") == []


def test_install_is_idempotent_and_indexes_rows_written_before_it(app, signed):
    with app.app_context():
        with db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                search.drop_sqlite_triggers(connection)
                connection.execute(text("INSERT INTO signatures_fts(signatures_fts) VALUES ('delete-all')"))
            search.install(connection)
            search.install(connection)
    assert sorted(names(app, signed, "elan")) == sorted(["Élan Vital", "ÉLAN SUD"])


def test_search_uses_the_trigram_index(app, signed):
    with app.app_context():
        dialect = db.engine.dialect.name
        query = select(Signature.id).where(search.condition("elan", dialect))
        compiled = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        connection = db.session.connection()
        if dialect == "sqlite":
            plan = " ".join(map(str, connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "VIRTUAL TABLE INDEX" in plan and "signatures_fts" in plan
        else:
            # A tiny table is cheapest to scan: forbid that, to see that the index serves LIKE '%…%'.
            for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
                connection.exec_driver_sql(f"SET LOCAL {setting} = off")
            plan = " ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}"))
            assert "ix_signatures_search_trgm" in plan


def test_reading_in_order_and_the_index_give_the_same_pages(app, signed, monkeypatch):
    def walk(q: str, limit: int) -> list[str]:
        seen, cursor = [], ""
        with app.app_context():
            statement = db.session.get(Statement, signed)
            while True:
                page = service.signatories(statement, q=q, cursor=cursor, limit=limit)
                seen += [row.name for row in page.rows]
                if not page.next_cursor:
                    return seen
                cursor = page.next_cursor

    for q in ("elan", "press", "a"):
        whole = walk(q, 50)
        assert walk(q, 1) == whole  # few matches: through the index
        monkeypatch.setattr(search, "FEW", 1)  # now "many": by reading the list in order
        assert walk(q, 1) == whole
        monkeypatch.undo()
