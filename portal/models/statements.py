"""Statements, their translations, their coordinators and their per-country tallies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.common import StatementState, enum_check, new_uid, utcnow

if TYPE_CHECKING:
    from portal.models.accounts import Coordinator

statement_coordinators = Table(
    "statement_coordinators",
    db.metadata,
    Column("statement_id", ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True),
    Column("coordinator_id", ForeignKey("coordinators.id", ondelete="CASCADE"), primary_key=True),
)


class Statement(db.Model):
    __tablename__ = "statements"
    __table_args__ = (
        enum_check("state", StatementState),
        CheckConstraint("moderation IN ('pre', 'post')", name="moderation_valid"),
        CheckConstraint("allow_organisations OR allow_individuals", name="some_signer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    original_lang: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=StatementState.draft, index=True)
    allow_organisations: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_individuals: Mapped[bool] = mapped_column(Boolean, default=False)
    moderation: Mapped[str] = mapped_column(String(4), default="pre")
    require_confirmation: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    private_key: Mapped[str] = mapped_column(String(32), default=new_uid)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    publish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    target_count: Mapped[int | None] = mapped_column(Integer)
    # A launch-event allowance: a raised per-client signing limit until a moment (audited).
    allowance_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    allowance_per_minute: Mapped[int | None] = mapped_column(Integer)
    # Invite-only: signing only through a personal invitation or from these email domains.
    invite_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allowed_domains: Mapped[str] = mapped_column(Text, default="", server_default="")  # space-separated
    deadline_tz: Mapped[str] = mapped_column(String(64), default="UTC")  # how the deadline was entered
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Stored tallies, changed in the same transaction as each state change.
    count_total: Mapped[int] = mapped_column(Integer, default=0)
    count_organisations: Mapped[int] = mapped_column(Integer, default=0)
    count_individuals: Mapped[int] = mapped_column(Integer, default=0)
    count_countries: Mapped[int] = mapped_column(Integer, default=0)  # with a listed signatory (counts.py)
    # Bumped by every change a reader can see; the count's ETag is built on it.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Trust (portal/record/): who initiated it (one per line) and a public corrections address.
    initiators: Mapped[str] = mapped_column(Text, default="")
    corrections_contact: Mapped[str] = mapped_column(String(254), default="")
    # After a substantive amendment: days to answer, then "stay" (an earlier version) or "remove".
    reconsent_days: Mapped[int] = mapped_column(Integer, default=14)
    reconsent_lapse: Mapped[str] = mapped_column(String(8), default="stay")

    translations: Mapped[list[StatementTranslation]] = relationship(
        back_populates="statement", cascade="all, delete-orphan", order_by="StatementTranslation.lang"
    )
    coordinators: Mapped[list[Coordinator]] = relationship(secondary=statement_coordinators)

    @property
    def is_public(self) -> bool:
        return self.state in (StatementState.published, StatementState.closed, StatementState.archived)

    @property
    def is_listed(self) -> bool:
        return self.state == StatementState.published

    def translation(self, lang: str) -> StatementTranslation | None:
        """The published translation in ``lang``, if any."""
        for tr in self.translations:
            if tr.lang == lang and tr.published:
                return tr
        return None

    def published_translations(self) -> list[StatementTranslation]:
        return [tr for tr in self.translations if tr.published]


class StatementTranslation(db.Model):
    __tablename__ = "statement_translations"
    __table_args__ = (UniqueConstraint("statement_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The original's revision this translation was made from; older means stale.
    source_revision: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)

    statement: Mapped[Statement] = relationship(back_populates="translations")


class CountryTally(db.Model):
    """Listed validated signatures per (statement, country): keeps ``count_countries`` O(1).

    Hidden ("counted only") signatures are left out: these are public figures (portal/counts.py).
    """

    __tablename__ = "country_tallies"

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
