"""Signatures entered by a coordinator: sign-ons that arrived by email, Signal, phone or on
paper, one at a time or many from a CSV file (:mod:`portal.signatures.entry_import`).

Each records how the organisation agreed (the channel), a short evidence note, and who
checked it and when; it is approved at once, counts like any other signature, is written to
the audit log and marked in the full export. When a contact address is given, the
organisation gets a notice with its manage and withdraw links, so a wrong entry is undone by
the one it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts import audit
from portal.database import write
from portal.extensions import db
from portal.mail import outbox as mail
from portal.models import (
    LIVE_STATES,
    Kind,
    Signature,
    SignatureState,
    Statement,
    StatementState,
    Visibility,
    new_uid,
    utcnow,
)
from portal.signatures.details import SigningError, check_details, check_kind
from portal.signatures.notices import compose
from portal.signatures.transitions import move
from portal.text import canonical_email, fold, listing_key, name_key, normalise_website

CHANNELS = ("email", "signal", "phone", "paper", "other")
ENTERABLE = (StatementState.collecting, StatementState.published, StatementState.closed)


class EntryError(SigningError):
    """A reason an entered signature cannot be taken."""


@dataclass(frozen=True)
class Entry:
    """One sign-on, as the coordinator enters it."""

    name: str
    country: str
    channel: str
    evidence: str
    kind: str = Kind.organisation
    email: str = ""
    website: str = ""
    signer_name: str = ""
    role: str = ""
    visibility: str = Visibility.full
    lang: str = ""  # the text's language they agreed to; the original's when empty


def check(entry: Entry, statement: Statement) -> None:
    """The rules of an entry, without writing (the CSV preview uses it row by row).

    :raises EntryError: naming the first field that breaks one.
    """
    if statement.state not in ENTERABLE:
        raise EntryError(None, _("Signatures can be entered while the statement is collecting, "
                                 "published or closed."))
    try:
        check_kind(statement, entry.kind)
        check_details(entry.kind, entry.country, entry.visibility,
                      {"name": entry.name, "signer_name": entry.signer_name, "role": entry.role},
                      normalise_website(entry.website))
    except SigningError as error:
        raise EntryError(error.field, error.message) from error
    if len(entry.name) > 300 or len(entry.signer_name) > 200 or len(entry.role) > 200:
        raise EntryError("name", _("Use at most 300 characters."))
    if entry.channel not in CHANNELS:
        raise EntryError("channel", _("Choose how the organisation agreed."))
    if not entry.evidence.strip() or len(entry.evidence) > 500:
        raise EntryError("evidence", _("Write a short evidence note (at most 500 characters)."))
    if entry.email and ("@" not in entry.email or len(entry.email) > 254 or any(
            c.isspace() for c in entry.email.strip())):
        raise EntryError("email", _("Enter a valid email address, or leave it empty."))
    if entry.lang and entry.lang not in {t.lang for t in statement.translations}:
        raise EntryError("lang", _("Choose a language the statement is written in."))


def signed_already(session, statement_id: int, key: str) -> bool:
    """Whether a live signature of this name is on the statement already (whatever its address)."""
    return session.scalar(select(Signature.id).where(
        Signature.statement_id == statement_id, Signature.name_key == key,
        Signature.state.in_(LIVE_STATES)).limit(1)) is not None


def enter_many(statement_id: int, entries: list[Entry], actor: audit.Actor) -> list[Signature]:
    """Enter signatures in one transaction: all of them, or none.

    :raises EntryError: an entry breaks a rule, or names an organisation that has signed already.
    """
    with write() as session:
        statement = session.get(Statement, statement_id, populate_existing=True)
        added: list[Signature] = []
        seen: set[str] = set()
        for entry in entries:
            check(entry, statement)
            key = name_key(entry.name.strip())
            if key in seen or signed_already(session, statement.id, key):
                raise EntryError("name", _("%(name)s has signed this statement already.",
                                           name=entry.name.strip()))
            seen.add(key)
            added.append(_add(session, statement, entry, actor))
    if any(signature.email for signature in added):
        mail.worker.notify()
    return added


def enter(statement_id: int, entry: Entry, actor: audit.Actor) -> Signature:
    """Enter one signature (see :func:`enter_many`)."""
    return enter_many(statement_id, [entry], actor)[0]


def _add(session, statement: Statement, entry: Entry, actor: audit.Actor) -> Signature:
    now = utcnow()
    name, email = entry.name.strip(), entry.email.strip()
    signature = Signature(
        uid=new_uid(), statement_id=statement.id, kind=entry.kind, name=name,
        signer_name=entry.signer_name.strip(), role=entry.role.strip(),
        website=normalise_website(entry.website), authorised=True, country=entry.country,
        visibility=entry.visibility, email=email or None,
        email_canonical=canonical_email(email) if email else "",
        name_key=name_key(name), lang=entry.lang or statement.original_lang,
        state=SignatureState.confirmed, launch=statement.state == StatementState.collecting,
        sort_key=listing_key(name, entry.visibility, entry.country), search_text=fold(name),
        created_at=now, confirmed_at=now, channel=entry.channel, evidence=entry.evidence.strip(),
        checked_by_id=actor.id, checked_by=actor.label[:60], checked_at=now)
    session.add(signature)
    session.flush()
    move(session, signature, (SignatureState.confirmed,), SignatureState.validated, moderated_at=now)
    audit.record(session, actor, "signature_entered", statement_id=statement.id, signature_id=signature.id,
                 to_state=SignatureState.validated, detail=f"{entry.channel}: {entry.evidence.strip()}")
    if email:
        mail.queue(session, email, *compose("entered", signature, statement, channel=entry.channel))
    return signature


def recent(statement_id: int, limit: int = 50) -> list[Signature]:
    """The latest signatures coordinators entered on this statement, newest first."""
    return list(db.session.scalars(select(Signature).where(
        Signature.statement_id == statement_id, Signature.channel != "")
        .order_by(Signature.id.desc()).limit(limit)))
