"""Reading statements for the public, and the time-driven lifecycle steps."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, tuple_, update

from . import search
from .database import write
from .extensions import db
from .models import (
    ModerationEvent,
    Signature,
    SignatureState,
    Statement,
    StatementState,
    Visibility,
    as_utc,
    utcnow,
)
from .text import fold


def find_public(slug: str, key: str | None = None) -> Statement | None:
    """A statement the public may see: published or later, or collecting with its key."""
    statement = db.session.scalars(select(Statement).where(Statement.slug == slug)).one_or_none()
    if statement is None:
        return None
    if statement.state == StatementState.collecting:
        if key and hmac.compare_digest(key.encode(), statement.private_key.encode()):
            return refresh(statement)
        return None
    return refresh(statement) if statement.is_public else None


def apply_due() -> None:
    """Apply every scheduled publication and deadline that has come due."""
    now = utcnow()
    open_ = (StatementState.collecting, StatementState.published)
    due = db.session.scalars(select(Statement).where(or_(
        and_(Statement.state == StatementState.collecting, Statement.publish_at <= now),
        and_(Statement.state.in_(open_), Statement.deadline_at <= now)))).all()
    for statement in due:
        refresh(statement)


def listed(states: tuple[str, ...] = (StatementState.published,)) -> list[Statement]:
    """Statements in ``states`` (published by default), newest first, due steps applied."""
    apply_due()
    return list(db.session.scalars(
        select(Statement)
        .where(Statement.state.in_(states))
        .order_by(Statement.published_at.desc(), Statement.id.desc())
    ))


def refresh(statement: Statement) -> Statement:
    """Apply a due scheduled publication or deadline, so no cron is needed for correctness."""
    now = utcnow()
    publish_due = (statement.state == StatementState.collecting and statement.publish_at
                   and as_utc(statement.publish_at) <= now)
    close_due = (statement.state in (StatementState.collecting, StatementState.published)
                 and statement.deadline_at and as_utc(statement.deadline_at) <= now)
    if publish_due:
        transition(statement.id, StatementState.collecting, StatementState.published, "published")
    if close_due:
        transition(statement.id, StatementState.published, StatementState.closed, "closed")
    if publish_due or close_due:
        db.session.refresh(statement)
    return statement


def transition(statement_id: int, before: str, after: str, action: str,
               actor_id: int | None = None, actor: str = "system") -> bool:
    """Move a statement from ``before`` to ``after`` if it is still in ``before``.

    :returns: True when this call made the change (so it is written to the audit log once).
    """
    now = utcnow()
    stamps: dict = {"state": after, "version": Statement.version + 1}
    if after == StatementState.published:
        stamps["published_at"] = now
    if after == StatementState.closed:
        stamps["closed_at"] = now
    with write() as session:
        changed = session.execute(
            update(Statement).where(Statement.id == statement_id, Statement.state == before)
            .values(**stamps).execution_options(synchronize_session=False)
        ).rowcount == 1
        if changed:
            session.add(ModerationEvent(statement_id=statement_id, action=action, from_state=before,
                                        to_state=after, actor_id=actor_id, actor_label=actor))
    return changed


@dataclass(frozen=True)
class Page:
    rows: list[Signature]
    next_cursor: str | None


def _encode(signature: Signature) -> str:
    raw = f"{signature.sort_key}:{signature.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        key, _, ident = raw.rpartition(":")
        number = int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    # A forged cursor must not reach the database: keys are hex, ids fit a BIGINT.
    if not 0 < number < 2**63 or len(key) > 1000 or not all(c in "0123456789abcdef" for c in key):
        return None
    return key, number


def signatories(statement: Statement, q: str = "", country: str = "",
                cursor: str = "", limit: int = 50) -> Page:
    """One page of listed signatories in collation order, by keyset (never OFFSET)."""
    query = select(Signature).where(
        Signature.statement_id == statement.id,
        Signature.state == SignatureState.validated,
        Signature.visibility != Visibility.hidden,
    )
    if country:
        query = query.where(Signature.country == country)
    needle = fold(q)[:100] if q else ""
    after = _decode(cursor) if cursor else None
    if after:
        key, ident = after
        # A row-value comparison: both databases turn it into one index range (an OR would not).
        query = query.where(tuple_(Signature.sort_key, Signature.id) > tuple_(key, ident))
    query = query.order_by(Signature.sort_key, Signature.id)
    if needle:
        rows = search.first_matches(query, needle, limit + 1)
    else:
        rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _encode(rows[-1]) if more and rows else None)
