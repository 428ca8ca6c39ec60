"""The audit log: who did what, when (UTC), from what to what. Writing and reading it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.database import given
from portal.extensions import db
from portal.models import ModerationEvent, Statement


@dataclass(frozen=True)
class Actor:
    """Who acts: a coordinator's id and a short label kept even if the account goes."""

    id: int | None
    label: str

    @classmethod
    def system(cls) -> Actor:
        return cls(None, "system")


def record(session: Session, actor: Actor, action: str, *, statement_id: int | None = None,
           signature_id: int | None = None, from_state: str | None = None, to_state: str | None = None,
           detail: str = "", before: str = "", after: str = "") -> ModerationEvent:
    """Add one audit entry inside the caller's transaction."""
    event = ModerationEvent(actor_id=actor.id, actor_label=actor.label[:60], action=action[:40],
                            statement_id=statement_id, signature_id=signature_id, from_state=from_state,
                            to_state=to_state, detail=detail[:2000], before_text=before[:4000],
                            after_text=after[:4000])
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    statement_ids: list[int] | None = None  # None: every statement, and site-wide entries
    statement_id: int | None = None
    action: str = ""
    actor: str = ""
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    before_id: int | None = None


def events(f: AuditFilter) -> list[ModerationEvent]:
    """Entries newest first, paged by id (keyset) and filtered."""
    event = ModerationEvent
    query = select(event).where(*given(
        (f.statement_ids, lambda: event.statement_id.in_(f.statement_ids or [-1])),
        (f.statement_id, lambda: event.statement_id == f.statement_id),
        (f.action, lambda: event.action == f.action), (f.actor, lambda: event.actor_label == f.actor),
        (f.since, lambda: event.created_at >= f.since), (f.until, lambda: event.created_at < f.until),
        (f.before_id, lambda: event.id < f.before_id)))
    query = query.order_by(ModerationEvent.id.desc()).limit(f.limit)
    return list(db.session.scalars(query))


def actions(statement_ids: list[int] | None = None) -> list[str]:
    """The action names in the entries a coordinator may read, for the filter's choices.

    :param statement_ids: the statements they manage (None: every entry, for an
        administrator), as in :class:`AuditFilter`; actions written only elsewhere, or
        site-wide, are not named, so the list tells nothing of other coordinators' work.
    """
    query = select(ModerationEvent.action).distinct()
    if statement_ids is not None:
        query = query.where(ModerationEvent.statement_id.in_(statement_ids or [-1]))
    return sorted(db.session.scalars(query))


def slugs(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Statement.id, Statement.slug).where(
        Statement.id.in_(sorted(ids)))).all())
