"""The command line: ``flask demo``, ``flask signatures approve|list``."""

from __future__ import annotations

from pathlib import Path

import pytest
from fast_app import fast_app, fast_module_app  # noqa: F401
from sqlalchemy import func, select, update

from portal import tokens
from portal.extensions import db
from portal.models import Coordinator, Signature, Statement, utcnow
from portal.signatures import signer, signing
from portal.signatures.counts import reconcile
from portal.statements import public
from portal.statements.reading import signatories


def test_demo_loads_three_statements_once_only(app, runner):
    loaded = runner.invoke(args=["demo", "--if-empty"])
    assert loaded.exit_code == 0, loaded.output
    assert "Demo data loaded" in loaded.output and "Coordinator login: " in loaded.output
    password = loaded.output.split("Password: ", 1)[1].split()[0]
    login = Path(app.instance_path, "demo-login.txt").read_text().split()
    assert login[1] == password and login[0] in loaded.output

    with app.app_context():
        statements = {s.state: s for s in db.session.scalars(select(Statement))}
        assert set(statements) == {"published", "collecting", "closed"}
        published = statements["published"]
        assert {t.lang for t in published.published_translations()} >= {"en", "fr", "es", "ar", "ru"}
        assert all(t.title and t.summary and len(t.body_md) > 200 for t in published.translations)
        assert any(s.allow_individuals for s in statements.values())
        assert public.signing(published).open and not public.signing(statements["closed"]).open
        assert public.find(statements["collecting"].slug) is None
        assert public.find(statements["collecting"].slug, statements["collecting"].private_key)

        rows = db.session.execute(select(Signature.statement_id, Signature.state, Signature.visibility,
                                         Signature.country, Signature.kind, Signature.created_at)).all()
        assert len(rows) >= 300
        validated = [r for r in rows if r.state == "validated"]
        assert {r.visibility for r in validated} == {"full", "country", "hidden"}
        assert 35 <= len({r.country for r in validated}) <= 45  # about 40, as a real network
        assert {r.kind for r in validated} == {"organisation", "individual"}
        assert {r.state for r in rows} >= {"validated", "confirmed", "pending"}
        assert max(r.created_at for r in rows).replace(tzinfo=None) <= utcnow().replace(tzinfo=None)
        assert reconcile(db.session, repair=False) == []
        assert published.count_total == sum(1 for r in validated if r.statement_id == published.id)
        assert published.count_countries >= 30
        listed = signatories(published, limit=1000).rows
        assert len(listed) == sum(1 for r in validated if r.statement_id == published.id
                                  and r.visibility != "hidden")
        assert db.session.scalar(select(Coordinator.email).where(Coordinator.is_admin)) == login[0]
        before = (len(rows), db.session.scalar(select(func.count()).select_from(Coordinator)))

    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "already loaded" in again.output and login[0] in again.output
    assert password not in again.output
    with app.app_context():
        after = (db.session.scalar(select(func.count()).select_from(Signature)),
                 db.session.scalar(select(func.count()).select_from(Coordinator)))
        assert after == before
        assert db.session.scalar(select(func.count()).select_from(Statement)) == 3

    twice = runner.invoke(args=["demo"])  # without --if-empty: a clear refusal, not a traceback
    assert twice.exit_code == 1 and "already" in twice.output
    assert isinstance(twice.exception, SystemExit) and "Traceback" not in twice.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signature)) == before[0]


@pytest.fixture
def confirmed(app, make_statement):
    """A pre-moderated statement with three confirmed signatures and one pending."""
    sid = make_statement()
    uids = []
    with app.app_context():
        for i, country in enumerate(["FR", "KE", "FR", "BR"]):
            email = f"group{i}@example.org"
            signing.sign(signing.SignRequest(statement_id=sid, kind="organisation", name=f"Group {i}",
                                             country=country, email=email, lang="en", authorised=True,
                                             signer_name="S"))
            uid = db.session.scalar(select(Signature.uid).where(Signature.email_canonical == email))
            if i < 3:
                assert signer.confirm(tokens.make("confirm", uid)) == "awaiting_moderation"
            uids.append(uid)
        db.session.remove()
    return sid, uids


def count(app, sid: int) -> tuple[int, int]:
    with app.app_context():
        st = db.session.get(Statement, sid)
        return st.count_total, st.count_countries


def test_signatures_list_shows_the_queue(app, runner, confirmed):
    _sid, uids = confirmed
    listed = runner.invoke(args=["signatures", "list", "free-the-reporters"])
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.output.splitlines()[:-1]] == uids[:3]
    assert "3 signature(s) confirmed" in listed.output and "Group 1" in listed.output
    assert "@" not in listed.output  # no contact email on the screen either
    pending = runner.invoke(args=["signatures", "list", "free-the-reporters", "--state", "pending"])
    assert uids[3] in pending.output and "1 signature(s) pending" in pending.output


def test_signatures_approve_by_uid_then_all(app, runner, confirmed):
    sid, uids = confirmed
    assert count(app, sid) == (0, 0)
    one = runner.invoke(args=["signatures", "approve", "free-the-reporters", uids[1], uids[3]])
    assert one.exit_code == 0 and "approved 1 signature(s)" in one.output  # the pending one is not
    assert count(app, sid) == (1, 1)
    everything = runner.invoke(args=["signatures", "approve", "free-the-reporters", "--all"])
    assert everything.exit_code == 0 and "approved 2 signature(s)" in everything.output
    assert count(app, sid) == (3, 2)
    again = runner.invoke(args=["signatures", "approve", "free-the-reporters", "--all"])
    assert "approved 0 signature(s)" in again.output and count(app, sid) == (3, 2)
    with app.app_context():
        assert reconcile(db.session, repair=False) == []
        assert db.session.scalar(select(Signature.state).where(Signature.uid == uids[3])) == "pending"
    page = app.test_client().get("/en/s/free-the-reporters").get_data(as_text=True)
    assert all(f"Group {i}" in page for i in range(3)) and "Group 3" not in page


def test_a_uid_that_looks_like_an_option_can_be_approved(app, runner, confirmed):
    sid, uids = confirmed
    with app.app_context():
        db.session.execute(update(Signature).where(Signature.uid == uids[0]).values(uid="-dash-first-uid"))
        db.session.commit()
    listed = runner.invoke(args=["signatures", "list", "free-the-reporters"]).output
    assert listed.startswith("-dash-first-uid ")
    result = runner.invoke(args=["signatures", "approve", "free-the-reporters", "-dash-first-uid"])
    assert result.exit_code == 0 and "approved 1 signature(s)" in result.output
    assert count(app, sid) == (1, 1)


@pytest.mark.parametrize("args, code, message", [
    (["signatures", "approve", "no-such-statement", "--all"], 1, "no statement"),
    (["signatures", "approve", "free-the-reporters"], 2, "--all"),
])
def test_signatures_approve_explains_mistakes(app, runner, confirmed, args, code, message):
    sid, _uids = confirmed
    result = runner.invoke(args=args)
    assert result.exit_code == code and message in result.output
    assert count(app, sid) == (0, 0)


def test_a_failed_demo_load_leaves_nothing_behind(app, runner, monkeypatch):
    """If any part fails, nothing is kept, so the next ``--if-empty`` finds an empty database."""
    import portal.commands.demo

    def fail(*_args, **_kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(portal.commands.demo, "create_coordinator", fail)
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Statement)) == 0
        assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
        assert db.session.scalar(select(func.count()).select_from(Coordinator)) == 0
