"""Reading statements for the public, and the time-driven lifecycle steps."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, func, or_, select, tuple_, update

from portal.database import write
from portal.extensions import db
from portal.models import (
    CountryTally,
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
    prev_cursor: str | None = None
    start: int | None = None  # the first row's place in the list, from 1 (None: not known)
    total: int | None = None  # rows in the list (None: not counted, as for a search)


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


def cursor_for(statement_id: int, signature_id: int, place: int = 0) -> str:
    """The opaque cursor that continues ``statement_id``'s list after (or before) ``signature_id``.

    Deterministic authenticated encryption in the synthetic-IV way, from HMAC-SHA256 under
    a key derived from ``SECRET_KEY``: an 8-byte tag over (statement, position), then the
    8-byte position XORed with a pad drawn from the tag. The position is the signature's id
    and its ``place`` in the list (from 1; 0 when not known), which the page shows as
    "51–100 of 364". 22 URL-safe characters; it shows neither the signature's id nor
    anything else, and it is valid for this statement only.
    """
    position = ((min(max(place, 0), MAX_ID) << 32) | signature_id).to_bytes(8, "big")
    tag = _tag(statement_id, position)
    return base64.urlsafe_b64encode(tag + _xor(position, _pad(tag))).decode().rstrip("=")


def read_cursor(statement_id: int, cursor: str) -> tuple[int, int]:
    """The signature id and its place (0: not known) that a cursor from :func:`cursor_for` holds.

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
    value = int.from_bytes(position, "big")
    ident, place = value & 0xFFFFFFFF, value >> 32
    if not hmac.compare_digest(tag, _tag(statement_id, position)) or not 0 < ident <= MAX_ID:
        raise BadCursor(cursor)
    return ident, place


def listed_total(statement: Statement, country: str = "") -> int:
    """Listed signatories (in full or by country), from the stored per-country tallies."""
    query = select(func.coalesce(func.sum(CountryTally.n), 0)).where(
        CountryTally.statement_id == statement.id)
    if country:
        query = query.where(CountryTally.country == country)
    return db.session.scalar(query)


def listed_countries(statement: Statement) -> dict[str, int]:
    """Each country with listed signatories, and how many (the stored tallies)."""
    return dict(db.session.execute(select(CountryTally.country, CountryTally.n).where(
        CountryTally.statement_id == statement.id, CountryTally.n > 0)).all())


def _fetch(query, needle: str, n: int) -> list[Signature]:
    if needle:
        return search.first_matches(query, needle, n)
    return list(db.session.scalars(query.limit(n)))


def signatories(statement: Statement, q: str = "", country: str = "",
                cursor: str = "", limit: int = 50, version: int | None = None, before: str = "") -> Page:
    """One page of listed signatories in collation order, by keyset (never OFFSET).

    :param version: only those who signed (or kept their signature on) this version of the
        original or a later one (portal/record/: "the list as of version N").

    :param cursor: a ``next_cursor`` of this statement's list (:func:`cursor_for`): the page
        after it. ``before``: a ``prev_cursor``: the page before it (the first page once
        nothing is left before).
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
    total = None if needle or (version and version > 1) else listed_total(statement, country)
    before = "" if cursor else before  # both given: the page after wins
    mark = cursor or before
    ident, place = read_cursor(statement.id, mark) if mark else (0, 0)
    if mark:
        key = db.session.scalar(select(Signature.sort_key).where(
            Signature.id == ident, Signature.statement_id == statement.id))
        if key is None:
            raise BadCursor(mark)
    if before:
        # A row-value comparison: both databases turn it into one index range (an OR would not).
        earlier = query.where(tuple_(Signature.sort_key, Signature.id) < tuple_(key, ident))
        rows = _fetch(earlier.order_by(Signature.sort_key.desc(), Signature.id.desc()), needle, limit + 1)
        if len(rows) > limit:
            rows = rows[:limit][::-1]
            start = place - limit if place > limit else None
            return _page(statement, rows, start, total, more=True, first=False)
        mark = ""  # nothing more before: the first page
    elif cursor:
        query = query.where(tuple_(Signature.sort_key, Signature.id) > tuple_(key, ident))
    rows = _fetch(query.order_by(Signature.sort_key, Signature.id), needle, limit + 1)
    more = len(rows) > limit
    start = 1 if not mark else place + 1 if place else None
    return _page(statement, rows[:limit], start, total, more=more, first=not mark)


def _page(statement: Statement, rows: list[Signature], start: int | None, total: int | None,
          *, more: bool, first: bool) -> Page:
    """Cursors carry each end row's place, so the next page knows its own."""
    if not rows:
        return Page(rows, None, None, start, total)
    if total is not None and start is not None and start + len(rows) - 1 > total:
        start = None  # the list changed since the cursor was handed out
    if not more and start and total is None:
        total = start + len(rows) - 1  # a search's last page: now it is counted
    last = start + len(rows) - 1 if start else 0
    return Page(rows, cursor_for(statement.id, rows[-1].id, last) if more else None,
                None if first else cursor_for(statement.id, rows[0].id, start or 0), start, total)
