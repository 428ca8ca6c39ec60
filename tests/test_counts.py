"""The stored counts: reconcile finds and repairs drift, from the service and the command line."""

from __future__ import annotations

import pytest
from fast_app import fast_app, fast_module_app  # noqa: F401
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session
from waits import start_blocked

from portal.database import write
from portal.extensions import db
from portal.models import CountryTally, Signature, Statement
from portal.signatures import signer, signing
from portal.signatures.counts import reconcile, tally

SIGNERS = [  # (kind, country, state it ends in)
    ("organisation", "FR", "validated"), ("organisation", "FR", "validated"),
    ("individual", "FR", "validated"), ("individual", "KE", "validated"),
    ("organisation", "BR", "validated"), ("organisation", "JP", "withdrawn"),
    ("organisation", "IN", "pending"),
]
EXPECTED = (5, 3, 2, 3)  # total, organisations, individuals, countries
EXPECTED_TALLIES = {"FR": 3, "KE": 1, "BR": 1}


@pytest.fixture
def counted(app, make_statement):
    """Two statements with real signatures; the first is the one drift is put into."""
    ids = [make_statement(slug, moderation="post", allow_individuals=True, require_confirmation=False)
           for slug in ("drifty", "steady")]
    with app.app_context():
        from portal import tokens

        for sid in ids:
            for i, (kind, country, state) in enumerate(SIGNERS):
                email = f"signer{i}@example.org"
                if state == "pending":  # as if it still waited for its email to be confirmed
                    db.session.add(Signature(statement_id=sid, kind=kind, name=f"Signer {i}",
                                             country=country, email=email, email_canonical=email,
                                             lang="en", state="pending"))
                    db.session.commit()
                    continue
                signing.sign(signing.SignRequest(
                    statement_id=sid, kind=kind, name=f"Signer {i}", country=country, email=email,
                    lang="en", authorised=True, signer_name="S"))
                if state == "withdrawn":
                    uid = db.session.scalar(select(Signature.uid).where(
                        Signature.statement_id == sid, Signature.email_canonical == email))
                    signer.withdraw(tokens.make("withdraw", uid))
        db.session.remove()
    return ids


def snapshot(app, sid: int):
    with app.app_context():
        st = db.session.get(Statement, sid)
        counts = (st.count_total, st.count_organisations, st.count_individuals, st.count_countries)
        tallies = {t.country: t.n for t in db.session.scalars(
            select(CountryTally).where(CountryTally.statement_id == sid)) if t.n}
        return counts, tallies, st.version


def run_sql(app, statement: str, **params) -> None:
    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()


DRIFTS = {
    "total": "UPDATE statements SET count_total = count_total + 7 WHERE id = :sid",
    "organisations": "UPDATE statements SET count_organisations = 0 WHERE id = :sid",
    "individuals": "UPDATE statements SET count_individuals = count_individuals - 1 WHERE id = :sid",
    "countries": "UPDATE statements SET count_countries = 40 WHERE id = :sid",
    "everything-zero": "UPDATE statements SET count_total = 0, count_organisations = 0, "
                       "count_individuals = 0, count_countries = 0 WHERE id = :sid",
    "tally-wrong": "UPDATE country_tallies SET n = 9 WHERE statement_id = :sid AND country = 'FR'",
    "tally-missing": "DELETE FROM country_tallies WHERE statement_id = :sid AND country = 'KE'",
    "tally-spurious": "INSERT INTO country_tallies (statement_id, country, n) VALUES (:sid, 'NO', 2)",
    "tally-for-withdrawn": "UPDATE country_tallies SET n = 1 WHERE statement_id = :sid AND country = 'JP'",
    "row-validated-behind-its-back": "UPDATE signatures SET state = 'validated' "
                                     "WHERE statement_id = :sid AND country = 'IN'",
}


def test_real_signing_leaves_no_drift(app, counted):
    for sid in counted:
        assert snapshot(app, sid)[:2] == (EXPECTED, EXPECTED_TALLIES)
    with app.app_context():
        assert reconcile(db.session, repair=False) == []


@pytest.mark.parametrize("drift", list(DRIFTS), ids=list(DRIFTS))
def test_reconcile_finds_and_repairs_drift(app, counted, drift):
    drifty, steady = counted
    steady_before = snapshot(app, steady)
    run_sql(app, DRIFTS[drift], sid=drifty)
    broken = snapshot(app, drifty)
    with app.app_context():
        found = reconcile(db.session, repair=False)
        db.session.rollback()
    assert [d.slug for d in found] == ["drifty"]
    assert snapshot(app, drifty) == broken  # a check changes nothing
    with app.app_context(), write() as session:
        repaired = reconcile(session)
    assert [(d.slug, d.stored) for d in repaired] == [("drifty", broken[0])]
    counts, tallies, version = snapshot(app, drifty)
    if drift == "row-validated-behind-its-back":
        assert counts == (6, 4, 2, 4) and tallies == EXPECTED_TALLIES | {"IN": 1}
    else:
        assert (counts, tallies) == (EXPECTED, EXPECTED_TALLIES)
    assert repaired[0].actual == counts
    assert version > broken[2]  # readers' ETags change with the repair
    assert snapshot(app, steady) == steady_before
    with app.app_context():
        assert reconcile(db.session, repair=False) == []


def test_counting_goes_on_exactly_after_a_repair(app, counted):
    """The country count keys off tally rows, so a repaired tally must count on correctly."""
    drifty, _ = counted
    run_sql(app, DRIFTS["tally-missing"], sid=drifty)
    with app.app_context(), write() as session:
        reconcile(session)
    with app.app_context():
        from portal import tokens

        ke = db.session.scalar(select(Signature.uid).where(
            Signature.statement_id == drifty, Signature.country == "KE"))
        signer.withdraw(tokens.make("withdraw", ke))
    assert snapshot(app, drifty)[0] == (4, 3, 1, 2)
    with app.app_context():
        assert reconcile(db.session, repair=False) == []


def test_cli_check_exits_1_on_drift_and_0_after_repair(app, runner, counted):
    drifty, _ = counted
    clean = runner.invoke(args=["counts", "reconcile", "--check"])
    assert clean.exit_code == 0, clean.output
    assert "0 statement(s) drifted" in clean.output
    run_sql(app, DRIFTS["total"], sid=drifty)
    run_sql(app, DRIFTS["tally-spurious"], sid=drifty)
    for _ in range(2):  # checking twice: --check must not repair
        checked = runner.invoke(args=["counts", "reconcile", "--check"])
        assert checked.exit_code == 1
        assert "drifty: stored (12, 3, 2, 3), rows (5, 3, 2, 3)" in checked.output
        assert "steady" not in checked.output and "1 statement(s) drifted" in checked.output
    repaired = runner.invoke(args=["counts", "reconcile"])
    assert repaired.exit_code == 0 and "repaired" in repaired.output
    after = runner.invoke(args=["counts", "reconcile", "--check"])
    assert after.exit_code == 0 and "0 statement(s) drifted" in after.output
    assert snapshot(app, drifty)[:2] == (EXPECTED, EXPECTED_TALLIES)


def test_reconcile_with_no_statements(app, runner):
    assert runner.invoke(args=["counts", "reconcile", "--check"]).exit_code == 0


def test_a_repair_does_not_undo_a_concurrent_increment(app, counted, backend):
    """A signature validated while a repair runs is neither lost nor counted twice."""
    drifty, _ = counted
    run_sql(app, DRIFTS["total"], sid=drifty)
    with app.app_context():
        pending_id = db.session.scalar(select(Signature.id).where(
            Signature.statement_id == drifty, Signature.state == "pending"))
        db.session.rollback()
        signer = db.engine.connect()
        signer.begin()
        session = Session(bind=signer)
        session.execute(update(Signature).where(Signature.id == pending_id).values(state="validated"))
        tally(session, drifty, "organisation", "IN", +1, "full")
        session.flush()
        found = []

        def repair():
            with app.app_context(), write() as repair_session:
                found.extend(reconcile(repair_session))

        repairer = None
        try:
            repairer = start_blocked(app, repair)
        finally:
            signer.commit()
            session.close()
            signer.close()
            if repairer is not None:
                repairer.join(timeout=30)
        assert [d.slug for d in found] == ["drifty"]
        assert reconcile(db.session, repair=False) == []
    assert snapshot(app, drifty)[0] == (6, 4, 2, 4)


def test_deleting_a_statement_takes_its_tallies(app, counted):
    drifty, _ = counted
    with app.app_context():
        db.session.execute(delete(Statement).where(Statement.id == drifty))
        db.session.commit()
        assert db.session.scalars(select(CountryTally).where(CountryTally.statement_id == drifty)).all() == []
        assert reconcile(db.session, repair=False) == []
