"""Signatures and the audit trail of everything done to them and to statements."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.common import Kind, SignatureState, Visibility, enum_check, new_uid, utcnow
from portal.text import name_key

if TYPE_CHECKING:
    from portal.models.accounts import Coordinator
    from portal.models.statements import Statement


def _name_key_of_row(context) -> str:
    """An inserted row's key from its name, whoever inserts it (demo data, fixtures, scripts)."""
    return name_key(context.get_current_parameters().get("name") or "")


# The states in which a signature stands for its address: only one such row per address,
# statement and organisation. Rejected, withdrawn and fraudulent rows stay for the record but
# never lock the address out.
LIVE_STATES = ("pending", "confirmed", "validated")
LIVE_WHERE = text("state IN ('pending', 'confirmed', 'validated')")


class Signature(db.Model):
    __tablename__ = "signatures"
    __table_args__ = (
        Index("uq_signatures_live", "statement_id", "email_canonical", "name_key", unique=True,
              sqlite_where=LIVE_WHERE, postgresql_where=LIVE_WHERE),
        enum_check("state", SignatureState),
        enum_check("visibility", Visibility),
        enum_check("kind", Kind),
        Index("ix_signatures_listing", "statement_id", "state", "sort_key", "id"),
        Index("ix_signatures_country", "statement_id", "country", "state", "sort_key", "id"),
        # Signing's duplicate and per-address checks, in any state (the unique index above is
        # partial, which a query with its states as parameters cannot use).
        Index("ix_signatures_email", "statement_id", "email_canonical"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(24), unique=True, default=new_uid)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(300))
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    org_type: Mapped[str] = mapped_column(String(40), default="")
    authorised: Mapped[bool] = mapped_column(Boolean, default=False)
    country: Mapped[str] = mapped_column(String(2))
    visibility: Mapped[str] = mapped_column(String(8), default=Visibility.full)
    email: Mapped[str | None] = mapped_column(String(254))
    # Sealed contacts (portal.safety): the address sealed to the network's public key, and that
    # key's fingerprint; ``email`` is then NULL and ``email_canonical`` a keyed hash.
    email_sealed: Mapped[str | None] = mapped_column(Text)
    email_key: Mapped[str] = mapped_column(String(24), default="", server_default="")
    # The visibility a crackdown lowered to "counted only" (empty: none); only the owner raises it.
    crackdown_from: Mapped[str] = mapped_column(String(8), default="", server_default="")
    email_canonical: Mapped[str] = mapped_column(String(254))
    # The organisation's (or person's) name as the duplicate key compares it (text.name_key).
    name_key: Mapped[str] = mapped_column(String(300), default=_name_key_of_row)
    lang: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=SignatureState.pending)
    launch: Mapped[bool] = mapped_column(Boolean, default=False)
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    confirmation_sends: Mapped[int] = mapped_column(Integer, default=1)
    # Why screening set it aside (shown to coordinators beside Restore); empty otherwise.
    screen_reason: Mapped[str] = mapped_column(String(200), default="")
    # Corrections the signer asked for after approval, as JSON, until a coordinator decides.
    proposed: Mapped[str] = mapped_column(Text, default="")
    sort_key: Mapped[str] = mapped_column(String(600), default="")
    search_text: Mapped[str] = mapped_column(String(600), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Entered by a coordinator (portal/entries): how the organisation agreed, the evidence,
    # who checked it and when. An empty channel: the signer used the form.
    channel: Mapped[str] = mapped_column(String(16), default="", server_default="")
    evidence: Mapped[str] = mapped_column(String(500), default="", server_default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id", ondelete="SET NULL"))
    checked_by: Mapped[str] = mapped_column(String(60), default="", server_default="")
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The text it was signed on (portal/record/): the version in its language and the original's.
    text_version: Mapped[int | None] = mapped_column(Integer)
    original_version: Mapped[int | None] = mapped_column(Integer)
    # Asked to consent again to this version of the original; cleared by an answer or the lapse.
    reconsent_version: Mapped[int | None] = mapped_column(Integer)
    reconsent_asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    keep_informed: Mapped[bool] = mapped_column(Boolean, default=False)

    statement: Mapped[Statement] = relationship()

    @property
    def counts(self) -> bool:
        return self.state == SignatureState.validated

    @property
    def listed(self) -> bool:
        return self.counts and self.visibility != Visibility.hidden


class ModerationEvent(db.Model):
    """The audit trail: who did what, when, and from which state to which."""

    __tablename__ = "moderation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(60), default="system")
    action: Mapped[str] = mapped_column(String(40))
    statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    # What a field held before and after an edit (the original display name is kept here).
    before_text: Mapped[str] = mapped_column(Text, default="")
    after_text: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[Coordinator | None] = relationship()
