"""The public halves of the network's contact keys (sealed contacts, :mod:`portal.safety`).

Only public keys are ever stored: the server can seal an address to them, never open one.
The newest key not retired is the one new addresses are sealed to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.common import utcnow


class ContactKey(db.Model):
    __tablename__ = "contact_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(24), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id", ondelete="SET NULL"))
    created_label: Mapped[str] = mapped_column(String(60), default="")
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
