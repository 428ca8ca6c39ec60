"""The transparency log (issue 16): an append-only hash chain per statement of every change to
its public list and text, recorded without names; ``flask transparency verify``; the workspace's
verdict; the daily head in the statement's feed and in each mirror. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import feedparser
import pytest
from public_seed import SLUG, seed
from sqlalchemy import delete, select, update

from portal.accounts.audit import Actor
from portal.extensions import db
from portal.mirrors import mirror, transparency
from portal.models import Coordinator, Signature, Statement, TransparencyEntry
from portal.signatures import signer, signing
from portal.statements import translating
from portal.tokens import make as make_token


def entries(app, statement_id: int) -> list[TransparencyEntry]:
    with app.app_context():
        rows = db.session.scalars(select(TransparencyEntry).order_by(TransparencyEntry.seq)
                                  .where(TransparencyEntry.statement_id == statement_id)).all()
        db.session.expunge_all()
        return rows


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["transparency", "verify", *args])


@pytest.fixture
def seeded(app):
    return seed(app)


def test_every_change_to_the_public_list_is_chained_without_names(app, seeded):
    sid = seeded.statement_id
    with app.app_context():
        full = db.session.scalar(select(Signature).where(Signature.name == "Zeta Press Union"))
        quiet = db.session.scalar(select(Signature).where(Signature.name == "Élan Reporters"))
        full_uid, quiet_uid = full.uid, quiet.uid
        current = signer.Details(*(getattr(quiet, field) for field in (*signer.EDITABLE, "visibility")))
    # One signer shows less; another withdraws; a published text changes.
    with app.app_context():
        less = signer.replace(current, visibility="country")
        assert signer.update(make_token("manage", quiet_uid), less) == "applied"
        assert signer.withdraw(make_token("withdraw", full_uid)) == signing.Outcome.withdrawn
        translating.save(sid, translating.TranslationInput("fr", "Libérez-les", "Un appel.", "Texte."),
                         Actor.system())
    log = entries(app, sid)
    events = [entry.event for entry in log]
    # 8 counted at once (post-moderation), the spam one rejected, then the changes, in order.
    assert events == ["added"] * 8 + ["removed", "visibility_lowered", "withdrawn", "text_changed"]
    assert [entry.seq for entry in log] == list(range(1, 13))
    payloads = [json.loads(entry.payload) for entry in log]
    assert [p["count"] for p in payloads] == [1, 2, 3, 4, 5, 6, 7, 8, 7, 7, 6, 6]
    assert set(payloads[8]) == {"seq", "at", "event", "count", "reason"}
    assert payloads[8]["reason"] == "rejected"
    assert payloads[9] == payloads[9] | {"event": "visibility_lowered", "from": "full", "to": "country"}
    assert set(payloads[10]) == {"seq", "at", "event", "count"}  # a withdrawal: that it happened, no more
    hidden = [p for p in payloads if p.get("visibility") == "hidden"]
    assert len(hidden) == 1 and "country" not in hidden[0]  # a hidden signer's country is public nowhere
    assert payloads[11]["lang"] == "fr" and re.fullmatch(r"[0-9a-f]{64}", payloads[11]["sha256"])
    everything = " ".join(entry.payload for entry in log)
    for secret in (*seeded.listed_names, *seeded.unlisted_names, *seeded.emails, *seeded.secrets):
        assert secret not in everything, secret
    for before, after in zip(log, log[1:], strict=False):
        assert after.prev_hash == before.hash
    assert log[0].prev_hash == transparency.GENESIS
    result = cli(app, SLUG)
    assert result.exit_code == 0 and result.output.startswith(f"verified: {SLUG}: 12 entries, head 12 ")


def test_an_edited_row_is_detected(app, seeded, backend):
    """Every way to rewrite history in the database breaks the chain, and says where."""
    sid = seeded.statement_id
    head = entries(app, sid)[-1]
    assert cli(app, SLUG, "--head", f"{head.seq}:{head.hash}").exit_code == 0

    def tampered(change, expected_seq: int):
        with app.app_context():
            db.session.execute(change)
            db.session.commit()
            verdict = transparency.verify(sid)
        assert not verdict.ok and verdict.broken_at == expected_seq, verdict
        result = cli(app, SLUG)
        assert result.exit_code == 1 and result.output.startswith(f"BROKEN: {SLUG}: entry {expected_seq}")
        return verdict

    log = entries(app, sid)
    where = (TransparencyEntry.statement_id == sid) & (TransparencyEntry.seq == 3)
    # An edited count in the hashed content.
    edited = log[2].payload.replace('"count":3', '"count":30')
    assert edited != log[2].payload
    tampered(update(TransparencyEntry).where(where).values(payload=edited), 3)
    # Its hash recomputed to match: the next entry no longer names it.
    tampered(update(TransparencyEntry).where(where).values(hash=transparency.link(log[1].hash, edited)), 4)
    # Put back; then the event column changed alone.
    with app.app_context():
        db.session.execute(update(TransparencyEntry).where(where)
                           .values(payload=log[2].payload, hash=log[2].hash))
        db.session.commit()
        assert transparency.verify(sid).ok
    tampered(update(TransparencyEntry).where(where).values(event="withdrawn"), 3)
    with app.app_context():
        db.session.execute(update(TransparencyEntry).where(where).values(event=log[2].event))
        db.session.commit()
    # A row deleted.
    tampered(delete(TransparencyEntry).where(where), 3)
    # A published head that the chain no longer holds (history rewritten from that point on).
    with app.app_context():
        db.session.execute(delete(TransparencyEntry).where(TransparencyEntry.statement_id == sid,
                                                           TransparencyEntry.seq >= 3))
        db.session.commit()
        assert transparency.verify(sid).ok
    result = cli(app, SLUG, "--head", f"{head.seq}:{head.hash}")
    assert result.exit_code == 1 and "is not in the chain" in result.output
    assert cli(app, "no-such-statement").exit_code == 1


def test_the_workspace_shows_whether_the_log_verifies(app, seeded, auth, people):
    sid = seeded.statement_id
    with app.app_context():
        statement = db.session.get(Statement, sid)
        statement.coordinators.append(db.session.get(Coordinator, people.owner))
        db.session.commit()
    auth.login()
    page = auth.client.get(f"/manage/statements/{sid}").get_data(as_text=True)
    assert "The log of changes to the public list verifies: 9 entries." in page
    with app.app_context():
        db.session.execute(update(TransparencyEntry).where(
            TransparencyEntry.statement_id == sid, TransparencyEntry.seq == 5).values(payload="{}"))
        db.session.commit()
    page = auth.client.get(f"/manage/statements/{sid}").get_data(as_text=True)
    assert "does not verify from entry 5" in page and 'role="alert"' in page


def test_the_daily_head_is_in_the_feed_and_in_the_mirror(app, client, seeded):
    mirror._kept.clear()
    with app.app_context():
        head = transparency.head(seeded.statement_id)
    parsed = feedparser.parse(client.get(f"/en/s/{SLUG}/feed.atom").get_data())
    logs = [entry for entry in parsed.entries if "#log-" in entry.id]
    assert len(logs) == 1 and logs[0].id.endswith(f"#log-{head.at.date().isoformat()}")
    assert logs[0].summary == f"Head of the log of changes to this list: entry 9, SHA-256 {head.hash}"
    html = client.get(f"/en/s/{SLUG}/mirror.html").get_data(as_text=True)
    assert head.hash in html and "entry 9, SHA-256" in html


def test_concurrent_changes_append_one_unbroken_chain(app, seeded):
    """8 threads validating signatures of one statement at once never share a seq or fork the chain."""
    sid = seeded.statement_id

    def sign_some(worker: int) -> None:
        with app.app_context():
            for i in range(3):
                signing.sign(signing.SignRequest(
                    statement_id=sid, kind="organisation", name=f"Late Org {worker}-{i}", country="KE",
                    email=f"late{worker}-{i}@late.example", lang="en", authorised=True, signer_name="L"))
            db.session.remove()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(sign_some, range(8)))
    with app.app_context():
        verdict = transparency.verify(sid)
        total = db.session.get(Statement, sid).count_total
    assert verdict.ok and verdict.entries == 9 + 24 and total == 7 + 24
    assert json.loads(entries(app, sid)[-1].payload)["count"] == total
