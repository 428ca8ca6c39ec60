"""What a reader sees of a statement's record beside its text: who initiated it, where to send
corrections, the hidden signatories' number, the text's corrections and amendments, the
latest delivery and who joined after it, and the timeline of updates. Built once per page from
public facts only (no email but the corrections address, which the coordinators publish)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    CountryTally,
    Delivery,
    Signature,
    Statement,
    StatementUpdate,
    TextVersion,
    UpdateText,
)
from portal.record import deliveries, updates, versions


@dataclass(frozen=True)
class Entry:
    """One update in the reader's language (or the original's)."""

    update: StatementUpdate
    text: UpdateText


@dataclass(frozen=True)
class Record:
    initiators: list[str]
    contact: str
    hidden: int
    notes: list[TextVersion]  # corrections and amendments of the text shown, newest first
    base: int | None  # the original's version that signing now stands for (first or amended)
    amendments: list[int]  # the original's substantive versions, for "the list as of version N"
    delivery: Delivery | None
    joined: list[Signature] = field(default_factory=list)
    joined_total: int = 0
    timeline: list[Entry] = field(default_factory=list)

    def earlier(self, signature) -> bool:
        """Whether this signature was given to a version before the latest amendment."""
        return bool(self.base and self.base > 1 and (signature.original_version or 1) < self.base)


def initiators(statement: Statement) -> list[str]:
    return [line.strip() for line in (statement.initiators or "").splitlines() if line.strip()][:50]


def hidden_count(statement: Statement) -> int:
    """Counted but not listed: the stored total less the listed per-country tallies, never a
    scan of the list (it took 300 ms a page at a million signatures)."""
    listed = db.session.scalar(select(func.coalesce(func.sum(CountryTally.n), 0)).where(
        CountryTally.statement_id == statement.id))
    return max(0, statement.count_total - listed)


def of(statement: Statement, text_lang: str, lang: str) -> Record:
    """The record of ``statement`` for a reader of ``lang`` shown the text in ``text_lang``."""
    session = db.session
    original = versions.history(session, statement.id, statement.original_lang)
    notes = original if text_lang == statement.original_lang else versions.history(
        session, statement.id, text_lang)
    amendments = sorted(v.number for v in original if v.kind == "substantive")
    base = versions.base_of(session, statement.id, statement.original_lang, original[0].number) \
        if original else None
    found = deliveries.of(session, statement.id)
    latest = found[0] if found else None
    joined, joined_total = deliveries.joined_after(session, latest) if latest else ([], 0)
    timeline = []
    for update in updates.timeline(session, statement.id):
        text = update.text(lang, statement.original_lang)
        if text is not None:
            timeline.append(Entry(update, text))
    return Record(initiators(statement), statement.corrections_contact or "", hidden_count(statement),
                  [v for v in notes if v.kind != "first"], base, amendments, latest, joined, joined_total,
                  timeline)
