"""The network's roster (organisations, their contact addresses) and the invitations sent per
statement. Contact addresses live in their own table and are read and written only through
:mod:`portal.network.contacts`, so that sealing them changes one place."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.common import enum_check, utcnow

if TYPE_CHECKING:
    from portal.models.statements import Statement


class InvitationState(enum.StrEnum):
    invited = "invited"  # sent, no reply yet
    signed = "signed"
    declined = "declined"
    bounced = "bounced"  # the SMTP server refused the address


class Organisation(db.Model):
    """One organisation of the network: sensitive (coordinators only, every change audited)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    # text.name_key of the name: the import matches rows on it.
    name_key: Mapped[str] = mapped_column(String(300), unique=True)
    other_names: Mapped[str] = mapped_column(Text, default="")  # one per line
    country: Mapped[str] = mapped_column(String(2), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    domains: Mapped[str] = mapped_column(Text, default="")  # space-separated, lower case
    language: Mapped[str] = mapped_column(String(16), default="en")
    tags: Mapped[str] = mapped_column(Text, default="")  # " tag1 tag2 ", lower case, padded
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    @property
    def domain_list(self) -> list[str]:
        return self.domains.split()

    @property
    def other_name_list(self) -> list[str]:
        return [line for line in self.other_names.splitlines() if line.strip()]


class OrganisationContact(db.Model):
    """One contact address of an organisation; the first (lowest position) gets invitations."""

    __tablename__ = "organisation_contacts"
    __table_args__ = (UniqueConstraint("organisation_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Invitation(db.Model):
    """An organisation's personal invitation to sign one statement.

    The link's token is kept only as its SHA-256; the token itself is a keyed MAC of ``uid``
    (as the signers' tokens are), so a reminder carries the same link without storing it.
    Nothing records whether an email was opened.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("statement_id", "organisation_id"),
        enum_check("state", InvitationState),
        Index("ix_invitations_board", "statement_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(24), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 index=True)
    lang: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=InvitationState.invited)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    # The outbox row of the last email sent for it: a refusal of that email is a bounce.
    mail_id: Mapped[int | None] = mapped_column(Integer, index=True)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("signatures.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship()
    statement: Mapped[Statement] = relationship()


class CoInitiator(db.Model):
    """An organisation named as co-initiating a statement, with its own recruitment link."""

    __tablename__ = "co_initiators"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    code: Mapped[str] = mapped_column(String(24), unique=True)  # the link's ?via= code
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SignatureSource(db.Model):
    """The recruitment link a signature came through (for the statistics per link)."""

    __tablename__ = "signature_sources"

    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"),
                                              primary_key=True)
    co_initiator_id: Mapped[int] = mapped_column(ForeignKey("co_initiators.id", ondelete="CASCADE"),
                                                 index=True)
