"""Reading statements for the public, and the time-driven lifecycle steps."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, or_, select, tuple_, update

from portal.database import write
from portal.extensions import db
from portal.models import (
    ModerationEvent,
    Signature,
    SignatureState,
    Statement,
    StatementState,
    Visibility,
    as_utc,
    utcnow,
)
from portal.record.versions import base_of
from portal.signatures import search
from portal.text import fold


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


class BadCursor(ValueError):
    """A list cursor this site did not hand out for this statement."""


CURSOR_LENGTH = 22  # 16 bytes in URL-safe base64
MAX_ID = 2**31 - 1  # signature ids are 32-bit integers on PostgreSQL


def _cursor_key() -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"signatory-list-cursor", "sha256").digest()


def _tag(statement_id: int, position: bytes) -> bytes:
    """Authenticates the position for this statement (and is the synthetic IV)."""
    return hmac.new(_cursor_key(), b"tag:%d:" % statement_id + position, "sha256").digest()[:8]


def _pad(tag: bytes) -> bytes:
    """Hides the position; drawn from the tag, so equal positions give equal cursors."""
    return hmac.new(_cursor_key(), b"pad:" + tag, "sha256").digest()[:8]


def _xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def cursor_for(statement_id: int, signature_id: int) -> str:
    """The opaque cursor that continues ``statement_id``'s list after ``signature_id``.

    Deterministic authenticated encryption in the synthetic-IV way, from HMAC-SHA256 under
    a key derived from ``SECRET_KEY``: an 8-byte tag over (statement, position), then the
    8-byte position XORed with a pad drawn from the tag. 22 URL-safe characters; it shows
    neither the signature's id nor anything else, and it is valid for this statement only.
    """
    position = signature_id.to_bytes(8, "big")
    tag = _tag(statement_id, position)
    return base64.urlsafe_b64encode(tag + _xor(position, _pad(tag))).decode().rstrip("=")


def read_cursor(statement_id: int, cursor: str) -> int:
    """The signature id a cursor from :func:`cursor_for` holds.

    :raises BadCursor: it was not handed out for this statement (forged, altered, another
        statement's, or made under another ``SECRET_KEY``).
    """
    if len(cursor) != CURSOR_LENGTH or not cursor.isascii():
        raise BadCursor(cursor)
    try:
        raw = base64.urlsafe_b64decode(cursor + "==")
    except (ValueError, binascii.Error) as error:
        raise BadCursor(cursor) from error
    if len(raw) != 16:
        raise BadCursor(cursor)
    tag = raw[:8]
    position = _xor(raw[8:], _pad(tag))
    ident = int.from_bytes(position, "big")
    if not hmac.compare_digest(tag, _tag(statement_id, position)) or not 0 < ident <= MAX_ID:
        raise BadCursor(cursor)
    return ident


def signatories(statement: Statement, q: str = "", country: str = "",
                cursor: str = "", limit: int = 50, version: int | None = None) -> Page:
    """One page of listed signatories in collation order, by keyset (never OFFSET).

    :param version: only those who signed (or kept their signature on) this version of the
        original or a later one (portal/record/: "the list as of version N").

    :param cursor: a ``next_cursor`` of this statement's list (:func:`cursor_for`).
    :raises BadCursor: for any other cursor.
    """
    query = select(Signature).where(
        Signature.statement_id == statement.id,
        Signature.state == SignatureState.validated,
        Signature.visibility != Visibility.hidden,
    )
    if country:
        query = query.where(Signature.country == country)
    if version and version > 1:
        query = query.where(Signature.original_version >= base_of(db.session, statement.id,
                                                                  statement.original_lang, version))
    needle = fold(q)[:100] if q else ""
    if cursor:
        ident = read_cursor(statement.id, cursor)
        key = db.session.scalar(select(Signature.sort_key).where(
            Signature.id == ident, Signature.statement_id == statement.id))
        if key is None:
            raise BadCursor(cursor)
        # A row-value comparison: both databases turn it into one index range (an OR would not).
        query = query.where(tuple_(Signature.sort_key, Signature.id) > tuple_(key, ident))
    query = query.order_by(Signature.sort_key, Signature.id)
    if needle:
        rows = search.first_matches(query, needle, limit + 1)
    else:
        rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, cursor_for(statement.id, rows[-1].id) if more and rows else None)
