"""Retention: personal data expires ``RETENTION_DAYS`` after a statement stops collecting.

What goes: the contact email (set to NULL), the keyed IP hash, and sent emails in the
outbox. What stays: public names, countries, visibility and every count. The canonical
email is replaced by a keyed hash of itself rather than dropped, so the unique constraint
(one signature per address per statement) still means what it meant, while the address
can no longer be read back.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from portal.database import write
from portal.models import OutboxMail, Signature, Statement, StatementState, as_utc, utcnow

PURGED_PREFIX = "purged:"
BATCH = 500


@dataclass(frozen=True)
class Purge:
    statements: int
    signatures: int
    mails: int


def _ended(statement: Statement, now: datetime) -> datetime | None:
    """When signing ended for good: closing, or a deadline that has passed."""
    if statement.state in (StatementState.closed, StatementState.archived):
        moment = statement.closed_at or statement.deadline_at
        return as_utc(moment) if moment else None
    if statement.deadline_at is not None and as_utc(statement.deadline_at) <= now:
        return as_utc(statement.deadline_at)
    return None


def hashed_canonical(canonical: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return PURGED_PREFIX + hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()[:40]


def purge(days: int | None = None, now: datetime | None = None) -> Purge:
    """Remove contact emails and IP hashes of statements that ended ``days`` ago or more.

    :param days: defaults to the ``RETENTION_DAYS`` setting.
    :returns: how many statements, signatures and sent emails were purged.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=int(current_app.config["RETENTION_DAYS"] if days is None else days))
    with write() as session:
        due = [s.id for s in session.scalars(select(Statement))
               if (ended := _ended(s, now)) is not None and ended <= cutoff]
        rows = session.execute(select(Signature.id, Signature.email_canonical).where(
            Signature.statement_id.in_(due or [-1]),
            (Signature.email.is_not(None)) | (Signature.email_sealed.is_not(None))
            | (Signature.ip_hash.is_not(None)))).all()
        for start in range(0, len(rows), BATCH):
            for ident, canonical in rows[start:start + BATCH]:
                values = {"email": None, "email_sealed": None, "ip_hash": None}
                if not canonical.startswith(PURGED_PREFIX):
                    values["email_canonical"] = hashed_canonical(canonical)
                session.execute(update(Signature).where(Signature.id == ident).values(**values)
                                .execution_options(synchronize_session=False))
        mails = session.execute(delete(OutboxMail).where(
            OutboxMail.sent_at.is_not(None), OutboxMail.sent_at <= cutoff)).rowcount
    return Purge(len(due), len(rows), mails or 0)
