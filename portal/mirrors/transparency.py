"""The transparency log: per statement, an append-only hash chain of every change to its
public list and text.

Each entry's payload is canonical JSON (sorted keys, no spaces) and its hash is
``sha256(prev_hash + "\\n" + payload)``, the first entry's ``prev_hash`` being 64 zeros.
Payloads name no signatory: an addition records its kind, visibility and (when listed) its
country; a withdrawal or removal only that it happened; every entry the count after it. A
published head (in the statement's feed and in every mirror) lets anyone holding it show
that the history before it was rewritten. The services that change a list or a text call
:func:`signature_added`, :func:`signature_removed`, :func:`listing_changed` or
:func:`text_event` inside their own transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import Signature, SignatureState, Statement, TransparencyEntry, Visibility, as_utc, utcnow

GENESIS = "0" * 64
RANK = {Visibility.hidden: 0, Visibility.country: 1, Visibility.full: 2}


def canonical(data: dict) -> str:
    """The one serialisation that is hashed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link(prev_hash: str, payload: str) -> str:
    """An entry's hash from its predecessor's and its own payload."""
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def stamp(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append(session: Session, statement_id: int, event: str, **details) -> TransparencyEntry:
    """Add the next entry to ``statement_id``'s chain, inside the caller's write transaction.

    The statement's row is locked first (PostgreSQL; SQLite's write lock already excludes
    other writers), so two transactions never append the same ``seq``; the unique constraint
    on (statement, seq) stands behind that. The lock is ``FOR NO KEY UPDATE``, the one an
    ``UPDATE`` of the counts takes: a plain ``FOR UPDATE`` would also wait for the key-share
    lock that a concurrent signature's foreign key holds, while that transaction waits for this
    one's count update (a deadlock).
    """
    count = session.execute(select(Statement.count_total).where(Statement.id == statement_id)
                            .with_for_update(key_share=True)).scalar_one()
    last = session.execute(select(TransparencyEntry.seq, TransparencyEntry.hash)
                           .where(TransparencyEntry.statement_id == statement_id)
                           .order_by(TransparencyEntry.seq.desc()).limit(1)).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    at = utcnow()
    payload = canonical({"seq": seq, "at": stamp(at), "event": event, "count": count, **details})
    entry = TransparencyEntry(statement_id=statement_id, seq=seq, at=at, event=event, payload=payload,
                              prev_hash=prev, hash=link(prev, payload))
    session.add(entry)
    session.flush()
    return entry


def _listed(visibility: str) -> bool:
    return visibility != Visibility.hidden


def signature_added(session: Session, signature: Signature) -> None:
    """A signature started to count (and, by its visibility, to show)."""
    details = {"kind": signature.kind, "visibility": signature.visibility}
    if _listed(signature.visibility):
        details["country"] = signature.country
    append(session, signature.statement_id, "added", **details)


def signature_removed(session: Session, signature: Signature, to_state: str) -> None:
    """A counted signature stopped counting: withdrawn by its signer, or taken off. No name, no
    country, no kind: only that the list lost one."""
    if to_state == SignatureState.withdrawn:
        append(session, signature.statement_id, "withdrawn")
    else:
        append(session, signature.statement_id, "removed", reason=str(to_state))


def listing_changed(session: Session, signature: Signature, country: str, visibility: str) -> None:
    """A counted signature's published fields changed (from ``country`` and ``visibility``)."""
    if visibility != signature.visibility:
        lowered = RANK[Visibility(signature.visibility)] < RANK[Visibility(visibility)]
        append(session, signature.statement_id, "visibility_lowered" if lowered else "visibility_raised",
               **{"from": str(visibility), "to": str(signature.visibility)})
    elif country != signature.country and _listed(signature.visibility):
        append(session, signature.statement_id, "country_changed")
    else:
        append(session, signature.statement_id, "corrected")


def text_digest(title: str, summary: str, body_md: str) -> str:
    """The SHA-256 of one language's text, as a version of it."""
    return hashlib.sha256(canonical({"title": title, "summary": summary or "", "body": body_md or ""})
                          .encode()).hexdigest()


def text_event(session: Session, statement_id: int, event: str, lang: str, title: str, summary: str,
               body_md: str) -> None:
    """A text version: ``text_published``, ``text_changed`` (a published text's new wording) or
    ``text_withdrawn``. Issue 14's versions call this too."""
    append(session, statement_id, event, lang=lang, sha256=text_digest(title, summary, body_md))


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    at: datetime


@dataclass(frozen=True)
class Verdict:
    """The result of recomputing a chain."""

    entries: int
    head: Head | None
    broken_at: int | None = None  # the first seq that does not verify
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(statement_id: int) -> Verdict:
    """Recompute the chain of ``statement_id`` from its first entry.

    Every entry must follow the last (seq 1, 2, 3…), name its predecessor's hash, hash to its
    own, and carry in its payload the seq, event and time of its columns.
    """
    prev, expected, head = GENESIS, 1, None
    rows = db.session.execute(select(TransparencyEntry).where(TransparencyEntry.statement_id == statement_id)
                              .order_by(TransparencyEntry.seq)).scalars()
    for entry in rows:
        reason = _fault(entry, expected, prev)
        if reason:
            return Verdict(expected - 1, head, expected, reason)
        prev, expected, head = entry.hash, expected + 1, Head(entry.seq, entry.hash, as_utc(entry.at))
    return Verdict(expected - 1, head)


def _fault(entry: TransparencyEntry, expected: int, prev: str) -> str:
    if entry.seq != expected:
        return f"entry {expected} is missing"
    if entry.prev_hash != prev:
        return "it does not name the previous entry's hash"
    if link(prev, entry.payload) != entry.hash:
        return "its hash does not match its content"
    try:
        data = json.loads(entry.payload)
    except ValueError:
        return "its content is not JSON"
    if (data.get("seq"), data.get("event"), data.get("at")) != (entry.seq, entry.event, stamp(entry.at)):
        return "its columns differ from its hashed content"
    return ""


def head(statement_id: int, before: datetime | None = None) -> Head | None:
    """The last entry (before ``before``, if given)."""
    query = select(TransparencyEntry.seq, TransparencyEntry.hash, TransparencyEntry.at).where(
        TransparencyEntry.statement_id == statement_id)
    if before is not None:
        query = query.where(TransparencyEntry.at < before)
    row = db.session.execute(query.order_by(TransparencyEntry.seq.desc()).limit(1)).first()
    return Head(row.seq, row.hash, as_utc(row.at)) if row else None


def daily_heads(statement_id: int, days: int = 7) -> list[tuple[date, Head]]:
    """The head at the end of each of the last ``days`` UTC days that had entries (today's so
    far included), newest first."""
    found: list[tuple[date, Head]] = []
    latest = head(statement_id)
    today = utcnow().date()
    while latest is not None and latest.at.date() > today - timedelta(days=days):
        day = latest.at.date()
        found.append((day, latest))
        midnight = datetime(day.year, day.month, day.day, tzinfo=latest.at.tzinfo)
        latest = head(statement_id, before=midnight)
    return found
