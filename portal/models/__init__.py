"""Typed models and their state predicates. No request, no commit."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.text import name_key


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC."""
    return datetime.now(UTC)


def new_uid() -> str:
    """An unguessable public id for a row."""
    return secrets.token_urlsafe(12)


class StatementState(enum.StrEnum):
    draft = "draft"
    collecting = "collecting"
    published = "published"
    closed = "closed"
    archived = "archived"


class SignatureState(enum.StrEnum):
    pending = "pending"  # submitted, email not yet confirmed
    confirmed = "confirmed"  # email confirmed, waiting for a coordinator
    validated = "validated"  # counts and, by visibility, shows
    rejected = "rejected"
    withdrawn = "withdrawn"
    fraudulent = "fraudulent"  # shadow-rejected: never counted, never shown
    invalidated = "invalidated"


class Visibility(enum.StrEnum):
    full = "full"
    country = "country"
    hidden = "hidden"


class Kind(enum.StrEnum):
    organisation = "organisation"
    individual = "individual"


def _enum_check(column: str, values: type[enum.StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_valid")


statement_coordinators = Table(
    "statement_coordinators",
    db.metadata,
    Column("statement_id", ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True),
    Column("coordinator_id", ForeignKey("coordinators.id", ondelete="CASCADE"), primary_key=True),
)


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Statement(db.Model):
    __tablename__ = "statements"
    __table_args__ = (
        _enum_check("state", StatementState),
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
        _enum_check("state", SignatureState),
        _enum_check("visibility", Visibility),
        _enum_check("kind", Kind),
        Index("ix_signatures_listing", "statement_id", "state", "sort_key", "id"),
        Index("ix_signatures_country", "statement_id", "country", "state", "sort_key", "id"),
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

    statement: Mapped[Statement] = relationship()

    @property
    def counts(self) -> bool:
        return self.state == SignatureState.validated

    @property
    def listed(self) -> bool:
        return self.counts and self.visibility != Visibility.hidden


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


class SiteSetting(db.Model):
    """A site-wide switch set from the workspace (e.g. ``signing_paused``)."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxMail(db.Model):
    """An email waiting to be sent. Signing writes it; the sender delivers it."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(String(500), default="")


# --- Abuse control (issue 5) ---------------------------------------------------------------


class BlockKind(enum.StrEnum):
    ip = "ip"  # one address, as typed by an administrator
    cidr = "cidr"  # a network, e.g. 203.0.113.0/24
    ip_hash = "ip_hash"  # a keyed hash from the trending view (valid for its hashing period)
    domain = "domain"  # example.org, or *.example.org for it and every subdomain
    email = "email"  # one address, compared in canonical form


class BlockRule(db.Model):
    """A submission matching a rule is shadow-rejected: stored as fraudulent, answered as usual."""

    __tablename__ = "block_rules"
    __table_args__ = (UniqueConstraint("kind", "value", "statement_id"), _enum_check("kind", BlockKind))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(254))
    # None: every statement (administrators only); else one statement's coordinators' rule.
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    statement: Mapped[Statement | None] = relationship()


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


from portal.models import accounts as records  # noqa: E402,F401  (sessions, reset links and IP-hash keys: portal/records.py)
