"""The record of what was signed and what came of it: text versions, delivery snapshots and
updates on the outcome (portal/record/ owns the rules)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.common import utcnow


class TextVersion(db.Model):
    """One published revision of one translation, numbered per language, with its text's hash."""

    __tablename__ = "text_versions"
    __table_args__ = (
        UniqueConstraint("statement_id", "lang", "number"),
        CheckConstraint("kind IN ('first', 'editorial', 'substantive')", name="kind_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(16))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="first")
    sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    body_md: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id", ondelete="SET NULL"))


class Delivery(db.Model):
    """A delivery of the letter, with its frozen "as delivered" snapshot: never updated."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("statement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(300))
    delivered_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer, default=0)  # every counted signature, listed or not
    listed: Mapped[str] = mapped_column(Text, default="[]")  # the public list as then shown (JSON)
    list_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id", ondelete="SET NULL"))


class DeliveryMember(db.Model):
    """Which signatures a snapshot counted, so that later ones show as "joined after delivery"."""

    __tablename__ = "delivery_members"

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"),
                                             primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"),
                                              primary_key=True, index=True)


@event.listens_for(Delivery, "before_update")
def _frozen(mapper, connection, target) -> None:
    raise ValueError("an 'as delivered' snapshot never changes")


class StatementUpdate(db.Model):
    """A news item on the outcome (a response, a hearing, a release), with a text per language."""

    __tablename__ = "statement_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id", ondelete="CASCADE"), index=True)
    happened_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("coordinators.id", ondelete="SET NULL"))
    mailed: Mapped[int] = mapped_column(Integer, default=0)

    texts: Mapped[list[UpdateText]] = relationship(cascade="all, delete-orphan", order_by="UpdateText.lang")

    def text(self, lang: str, fallback: str) -> UpdateText | None:
        """The text in ``lang``, else in ``fallback``, else any."""
        by_lang = {t.lang: t for t in self.texts}
        return by_lang.get(lang) or by_lang.get(fallback) or (self.texts[0] if self.texts else None)


class UpdateText(db.Model):
    __tablename__ = "update_texts"
    __table_args__ = (UniqueConstraint("update_id", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("statement_updates.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    body_md: Mapped[str] = mapped_column(Text, default="")
