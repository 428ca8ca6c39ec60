"""Trending, bulk invalidation and retention: the services, the workspace pages, the commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import csrf_token
from sqlalchemy import func, select

from portal.abuse import blocklist
from portal.accounts import coordinators as accounts
from portal.accounts.audit import Actor
from portal.database import write
from portal.extensions import db
from portal.models import (
    BlockRule,
    ModerationEvent,
    OutboxMail,
    Signature,
    Statement,
    statement_coordinators,
    utcnow,
)
from portal.signatures import invalidation
from portal.signatures import retention as privacy
from portal.signatures.counts import reconcile
from portal.text import fold, listing_key

PASSWORD = "correct horse battery staple"


def seed(app, statement_id: int, rows: list[tuple[str, str, str, str]], minutes_ago: int = 5) -> None:
    """(name, email, ip_hash, state) rows, then the stored counts made to match."""
    with app.app_context(), write() as session:
        for name, email, ip_hash, state in rows:
            session.add(Signature(
                statement_id=statement_id, kind="organisation", name=name, country="FR",
                email=email, email_canonical=email, lang="en", state=state, ip_hash=ip_hash,
                sort_key=listing_key(name, "full", "FR"), search_text=fold(name),
                created_at=utcnow() - timedelta(minutes=minutes_ago)))
        session.flush()
        reconcile(session)


def count(app, statement_id: int) -> int:
    with app.app_context():
        return db.session.get(Statement, statement_id).count_total


FLOOD = [(f"Bot {i}", f"bot{i}@spam.example", "a" * 32, "validated") for i in range(6)] + [
    (f"Sub bot {i}", f"x{i}@mx.spam.example", "b" * 32, "pending") for i in range(3)] + [
    ("Real Org", "press@real.example", "c" * 32, "validated"),
    ("Caught", "caught@spam.example", "a" * 32, "fraudulent")]


def test_trending_counts_per_ip_hash_and_domain(app, make_statement):
    sid = make_statement()
    seed(app, sid, FLOOD)
    seed(app, sid, [("Old", "old@old.example", "d" * 32, "validated")], minutes_ago=120)
    with app.app_context():
        by_ip, by_domain = invalidation.trending(None)
        assert [(t.key, t.signatures, t.fraudulent) for t in by_ip] == [
            ("a" * 32, 7, 1), ("b" * 32, 3, 0), ("c" * 32, 1, 0)]
        assert [(t.key, t.signatures) for t in by_domain] == [
            ("spam.example", 7), ("mx.spam.example", 3), ("real.example", 1)]
        assert invalidation.trending([sid + 1]) == ([], [])


def test_bulk_invalidation_previews_recounts_and_audits(app, make_statement):
    sid = make_statement()
    seed(app, sid, FLOOD)
    assert count(app, sid) == 7
    with app.app_context():
        wide = invalidation.Criteria(domain="*.spam.example")
        assert invalidation.preview(wide) == 9  # the fraudulent one is not live
        assert invalidation.preview(invalidation.Criteria(domain="spam.example")) == 6
        assert invalidation.preview(invalidation.Criteria(name="sub*2")) == 1
        assert invalidation.preview(invalidation.Criteria(ip_hash="b" * 32)) == 3
        assert invalidation.preview(invalidation.Criteria(since=utcnow() - timedelta(minutes=1))) == 0
        assert invalidation.preview(invalidation.Criteria(domain="%")) == 0  # LIKE wildcards are text
        with pytest.raises(invalidation.CriteriaError):
            invalidation.preview(invalidation.Criteria(name=" * "))
        done = invalidation.invalidate(wide, Actor(None, "test"), "flood of 24 Nov")
        assert done == 9
        assert invalidation.invalidate(wide, Actor(None, "test")) == 0  # repeatable, no-op
        statement = db.session.get(Statement, sid)
        db.session.refresh(statement)
        assert statement.count_total == 1
        assert reconcile(db.session, repair=False) == []
        events = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.action.in_(["invalidated", "bulk_invalidated"]))).all()
        assert sum(e.action == "invalidated" for e in events) == 9
        summary = [e for e in events if e.action == "bulk_invalidated"]
        assert "9 signature(s): domain=*.spam.example" in summary[0].detail
        assert "flood of 24 Nov" in summary[0].detail


def test_purge_keeps_names_and_counts_and_forgets_contacts(app, make_statement):
    old = make_statement("closed-long-ago", state="closed", closed_at=utcnow() - timedelta(days=200))
    recent = make_statement("closed-lately", state="closed", closed_at=utcnow() - timedelta(days=3))
    open_ = make_statement("still-open")
    for sid in (old, recent, open_):
        seed(app, sid, [("Kept Name", f"keep{sid}@real.example", "e" * 32, "validated")])
    with app.app_context(), write() as session:
        session.add(OutboxMail(to_addr="keep@real.example", subject="s", body="b",
                               sent_at=utcnow() - timedelta(days=400)))
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0
    assert "purged 1 signature(s) on 1 statement(s), 1 sent email(s)" in result.output
    with app.app_context():
        rows = {s.statement_id: s for s in db.session.scalars(select(Signature))}
        assert rows[old].email is None and rows[old].ip_hash is None
        assert rows[old].email_canonical == privacy.hashed_canonical(f"keep{old}@real.example")
        assert rows[old].name == "Kept Name" and rows[old].state == "validated"
        assert rows[recent].email and rows[open_].email
        assert db.session.get(Statement, old).count_total == 1
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0
        assert privacy.purge().signatures == 0  # nothing left to purge
        assert privacy.purge(days=1).statements == 2


def test_cli_invalidate_previews_then_applies(app, make_statement):
    sid = make_statement()
    seed(app, sid, FLOOD)
    runner = app.test_cli_runner()
    preview = runner.invoke(args=["abuse", "invalidate", "--ip-hash", "a" * 32])
    assert "6 signature(s) match" in preview.output and count(app, sid) == 7
    done = runner.invoke(args=["abuse", "invalidate", "--ip-hash", "a" * 32, "--apply"])
    assert "invalidated 6" in done.output and count(app, sid) == 1
    assert runner.invoke(args=["abuse", "invalidate"]).exit_code != 0
    assert "a" * 32 not in runner.invoke(args=["abuse", "trending"]).output.split("# domain")[1]


# --- the workspace pages ---------------------------------------------------------------------

@pytest.fixture
def people(app, make_statement):
    """An administrator, and a coordinator of one statement out of two."""
    app.config.update(ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=8, ARGON2_PARALLELISM=1)
    own, other = make_statement("own-statement"), make_statement("other-statement")
    with app.app_context():
        accounts.create_coordinator("admin@portal.example", "Admin", PASSWORD, admin=True)
        coordinator = accounts.create_coordinator("coord@portal.example", "Coord", PASSWORD)
        db.session.execute(statement_coordinators.insert().values(statement_id=own,
                                                                  coordinator_id=coordinator.id))
        db.session.commit()
    return own, other


def log_in(client, email: str) -> None:
    token = csrf_token(client, "/manage/login")
    response = client.post("/manage/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303


def test_anonymous_is_sent_to_login(client):
    for url in ("/manage/abuse/", "/manage/abuse/invalidate"):
        response = client.get(url)
        assert response.status_code == 302 and "/manage/login" in response.headers["Location"]
    assert client.post("/manage/abuse/rules/1/delete").status_code == 400  # CSRF is checked first


def test_administrator_blocks_and_unblocks_site_wide(app, client, people, make_statement):
    log_in(client, "admin@portal.example")
    page = client.get("/manage/abuse/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    token = csrf_token(client, "/manage/abuse/")
    bad = client.post("/manage/abuse/rules", data={"kind": "cidr", "value": "nope", "statement": "",
                                                   "csrf_token": token})
    assert bad.status_code == 422 and "valid IP address" in bad.get_data(as_text=True)
    done = client.post("/manage/abuse/rules", data={"kind": "domain", "value": "*.spam.example",
                                                    "statement": "", "note": "flood", "csrf_token": token})
    assert done.status_code == 303
    listing = client.get("/manage/abuse/").get_data(as_text=True)
    assert "*.spam.example" in listing and "Every statement" in listing
    with app.app_context():
        rule = db.session.scalars(select(BlockRule)).one()
        assert rule.statement_id is None
    assert client.post(f"/manage/abuse/rules/{rule.id}/delete", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.scalars(select(BlockRule)).all() == []


def test_coordinator_acts_on_own_statements_only(app, client, people):
    own, other = people
    seed(app, own, FLOOD)
    seed(app, other, [(f"Other {i}", f"o{i}@spam.example", "f" * 32, "validated") for i in range(4)])
    log_in(client, "coord@portal.example")
    token = csrf_token(client, "/manage/abuse/")
    page = client.get("/manage/abuse/").get_data(as_text=True)
    assert "a" * 32 in page and "f" * 32 not in page  # trending only for own statements
    site_wide = client.post("/manage/abuse/rules", data={"kind": "domain", "value": "x.example",
                                                         "statement": "", "csrf_token": token})
    foreign = client.post("/manage/abuse/rules", data={"kind": "domain", "value": "x.example",
                                                       "statement": str(other), "csrf_token": token})
    assert site_wide.status_code == 404 and foreign.status_code == 404
    mine = client.post("/manage/abuse/rules", data={"kind": "domain", "value": "x.example",
                                                    "statement": str(own), "csrf_token": token})
    assert mine.status_code == 303
    preview = client.get("/manage/abuse/invalidate", query_string={"statement": str(own),
                                                                   "domain": "spam.example"})
    assert preview.status_code == 200 and "6 live signatures match" in preview.get_data(as_text=True)
    assert client.get("/manage/abuse/invalidate", query_string={
        "statement": str(other), "domain": "spam.example"}).status_code == 404
    applied = client.post("/manage/abuse/invalidate", data={
        "statement": str(own), "domain": "spam.example", "reason": "bots", "csrf_token": token})
    assert applied.status_code == 303
    assert count(app, own) == 1 and count(app, other) == 4
    with app.app_context():
        foreign_rule = abuse_rule(other)
    assert client.post(f"/manage/abuse/rules/{foreign_rule}/delete",
                       data={"csrf_token": token}).status_code == 404


def abuse_rule(statement_id: int) -> int:

    return blocklist.add_rule("domain", "y.example", statement_id).id


def test_invalidate_without_criteria_is_422(client, people):
    log_in(client, "admin@portal.example")
    token = csrf_token(client, "/manage/abuse/")
    response = client.post("/manage/abuse/invalidate", data={"statement": "", "csrf_token": token})
    assert response.status_code == 422 and "at least one criterion" in response.get_data(as_text=True)
