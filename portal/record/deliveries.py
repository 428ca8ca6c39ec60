"""Deliveries of the letter and their "as delivered" snapshots.

Recording a delivery freezes, in one transaction: the public list as it then stands (what each
signatory's visibility showed, in the list's order), the count, the text's version, and the
letter as a PDF built from that frozen content alone, with the SHA-256 of both. A snapshot is
numbered per statement and never changes (the model refuses any UPDATE); signatures counted
after the latest delivery are "joined after delivery".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Delivery,
    DeliveryMember,
    Signature,
    SignatureState,
    Statement,
    Visibility,
    utcnow,
)
from portal.record import letter, versions
from portal.statements import outputs, public


class DeliveryError(DomainError):
    """Why a delivery was refused."""


@dataclass(frozen=True)
class DeliveryInput:
    recipient: str
    delivered_on: date
    channel: str = ""
    note: str = ""


def _check(statement: Statement, inp: DeliveryInput) -> None:
    if not statement.is_public:
        raise DeliveryError(None, _("Publish the statement before recording a delivery."))
    if not inp.recipient.strip() or len(inp.recipient) > 300:
        raise DeliveryError("recipient", _("Enter the recipient (at most 300 characters)."))
    if len(inp.channel) > 100:
        raise DeliveryError("channel", _("Use at most 100 characters."))
    if len(inp.note) > 5000:
        raise DeliveryError("note", _("The text is too long."))
    today = utcnow().date()
    if inp.delivered_on > today + timedelta(days=1) or inp.delivered_on < today - timedelta(days=3650):
        raise DeliveryError("delivered_on", _("Enter the day it was delivered: not in the future."))


def freeze(session, statement: Statement, number: int, inp: DeliveryInput, frozen_at) -> dict:
    """The snapshot's content: the text as published now, in the original language, and the
    public list as now shown (at most ``PRINT_MAX_SIGNATORIES`` names, as the printed letter)."""
    view = public.view_of(statement, statement.original_lang)
    listed = outputs.letter(view, current_app.config["PRINT_MAX_SIGNATORIES"])
    entries = [{"country": group.code, "kind": seen.kind, "name": seen.name, "role": seen.role}
               for group in listed.groups for seen in group.signatories]
    version = versions.latest(session, statement.id, view.text.lang)
    return {"number": number, "lang": view.text.lang, "title": view.text.title,
            "summary": view.text.summary or "", "body_md": view.text.body_md or "",
            "version": version.number if version else None, "recipient": inp.recipient.strip(),
            "delivered_on": inp.delivered_on.isoformat(), "count": statement.count_total,
            "listed": sum(len(group.signatories) for group in listed.groups),
            "complete": listed.complete, "frozen_at": frozen_at.replace(microsecond=0).isoformat(),
            "entries": entries}


def canonical(snapshot: dict) -> str:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def record(statement_id: int, inp: DeliveryInput, actor: audit.Actor) -> Delivery:
    """Record a delivery and freeze its snapshot; audit logged.

    :raises DeliveryError: a field is invalid, the statement is not public, or another delivery
        was being recorded at the same moment.
    """
    inp = DeliveryInput(inp.recipient.strip(), inp.delivered_on, inp.channel.strip(), inp.note.strip())
    try:
        with write() as session:
            statement = session.get(Statement, statement_id)
            _check(statement, inp)
            number = (session.scalar(select(func.max(Delivery.number)).where(
                Delivery.statement_id == statement_id)) or 0) + 1
            now = utcnow()
            snapshot = freeze(session, statement, number, inp, now)
            pdf = letter.build(snapshot)
            frozen = canonical(snapshot)
            delivery = Delivery(
                statement_id=statement_id, number=number, recipient=inp.recipient,
                delivered_on=inp.delivered_on, channel=inp.channel, note=inp.note, lang=snapshot["lang"],
                count=snapshot["count"], listed=frozen,
                list_sha256=hashlib.sha256(frozen.encode()).hexdigest(), pdf=pdf,
                pdf_sha256=hashlib.sha256(pdf).hexdigest(), created_at=now, created_by=actor.id)
            session.add(delivery)
            session.flush()
            session.execute(insert(DeliveryMember).from_select(
                ["delivery_id", "signature_id"],
                select(db.literal(delivery.id), Signature.id).where(
                    Signature.statement_id == statement_id, Signature.state == SignatureState.validated)))
            statement.version += 1
            audit.record(session, actor, "delivery_recorded", statement_id=statement_id,
                         detail=f"#{number} {inp.recipient}"[:2000],
                         after=f"pdf sha256 {delivery.pdf_sha256}\nlist sha256 {delivery.list_sha256}")
    except IntegrityError as error:
        db.session.rollback()
        raise DeliveryError(None, _("Someone else recorded a delivery meanwhile. "
                                    "Reload and retry.")) from error
    return delivery


def of(session, statement_id: int) -> list[Delivery]:
    """A statement's deliveries, newest first."""
    return list(session.scalars(select(Delivery).where(Delivery.statement_id == statement_id)
                                .order_by(Delivery.number.desc())))


def numbered(session, statement_id: int, number: int) -> Delivery | None:
    return session.scalars(select(Delivery).where(Delivery.statement_id == statement_id,
                                                  Delivery.number == number)).one_or_none()


def snapshot(delivery: Delivery) -> dict:
    return json.loads(delivery.listed)


def joined_after(session, delivery: Delivery, limit: int = 200) -> tuple[list[Signature], int]:
    """Listed signatures counted now that the delivery's snapshot did not count (at most
    ``limit``, in the list's order), and how many there are."""
    later = (Signature.statement_id == delivery.statement_id, Signature.state == SignatureState.validated,
             Signature.visibility != Visibility.hidden,
             ~exists().where(DeliveryMember.delivery_id == delivery.id,
                             DeliveryMember.signature_id == Signature.id))
    rows = list(session.scalars(select(Signature).where(*later).order_by(Signature.sort_key, Signature.id)
                                .limit(limit)))
    total = len(rows) if len(rows) < limit else session.scalar(
        select(func.count()).select_from(Signature).where(*later))
    return rows, total
