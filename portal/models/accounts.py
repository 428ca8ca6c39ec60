"""Coordinators, and the rows that hold their short-lived secrets: workspace sessions,
password-reset links, and the IP-hash keys.

Each secret is stored so that a copy of the database alone is of little use: a session and a
reset link are stored as the SHA-256 of their random token, and an IP-hash key is deleted
when its period ends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.common import utcnow


class Coordinator(db.Model):
    __tablename__ = "coordinators"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Raised at logout: every session issued before it (and any copy of its cookie) ends.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The workspace language, also of their emails (the digest); None: the browser's (emails: the site's).
    ui_lang: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The digest of their statements' waiting queue (portal/notifications): on or off, an
    # optional queue size that sends it at once, and what the last one reported.
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    digest_threshold: Mapped[int | None] = mapped_column(Integer)
    digest_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    digest_sent_size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WebSession(db.Model):
    """A workspace session. The cookie holds only a random id; this row holds the data."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's id
    data: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class PasswordReset(db.Model):
    """A single-use link to choose a new password, issued by an administrator or the CLI."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("coordinators.id", ondelete="CASCADE"),
                                                index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the link's token
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IPHashKey(db.Model):
    """The random key of one hashing period (a month). Deleted when the period ends."""

    __tablename__ = "ip_hash_keys"

    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
