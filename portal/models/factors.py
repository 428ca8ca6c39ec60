"""Coordinators' second factors: authenticator apps (TOTP), passkeys (WebAuthn) and
single-use recovery codes.

Stored so that a copy of the database alone logs nobody in: a TOTP secret is sealed with a
key derived from ``SECRET_KEY`` (AES-GCM), a recovery code is kept only as a keyed hash,
and a passkey is a public key by nature.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.common import enum_check, utcnow


class FactorKind(enum.StrEnum):
    totp = "totp"
    passkey = "passkey"


class SecondFactor(db.Model):
    """One authenticator app or one passkey of a coordinator."""

    __tablename__ = "second_factors"
    __table_args__ = (enum_check("kind", FactorKind), UniqueConstraint("credential_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("coordinators.id", ondelete="CASCADE"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(60), default="")
    # TOTP: the sealed secret. Passkey: the credential's public key (COSE).
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    # Passkey only: the credential id (base64url) and the authenticator's signature counter.
    credential_id: Mapped[str | None] = mapped_column(String(1400))
    sign_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # TOTP only: the last time step accepted, so a code is never accepted twice.
    last_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecoveryCode(db.Model):
    """A single-use recovery code, kept only as a keyed hash (HMAC-SHA-256)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("coordinators.id", ondelete="CASCADE"),
                                                index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
