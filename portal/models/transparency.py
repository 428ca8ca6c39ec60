"""The transparency log: an append-only hash chain per statement of changes to its public list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.common import utcnow


class TransparencyEntry(db.Model):
    """One link of a statement's chain: ``hash = sha256(prev_hash + "\\n" + payload)``.

    ``payload`` is the canonical JSON that was hashed, byte for byte. It names no signatory:
    an event, the count after it, and for a listed addition its kind, visibility and country.
    """

    __tablename__ = "transparency_entries"
    __table_args__ = (UniqueConstraint("statement_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    event: Mapped[str] = mapped_column(String(24))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
