"""Taking a signature: what a submission does, so that the signer's intent always wins.

- Nothing binds before confirmation: a new submission for an unconfirmed signature replaces
  its fields, and the email carries what was submitted last.
- A confirmed signature is never changed by an anonymous submission: the address gets its
  manage link instead.
- Rejected, withdrawn and set-aside rows never lock an address out: only live rows
  (pending, confirmed, approved) take part in the duplicate key.
- Every submission that passes the form and is not shadow-rejected sends exactly one email to
  the address (a confirmation, a status note or the manage link), within a daily cap.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Insert, func, select, text

from portal.abuse import clients, surges
from portal.abuse import screening as abuse
from portal.accounts import audit
from portal.database import insert_for, write
from portal.extensions import db
from portal.mail.outbox import queue, worker
from portal.models import (
    LIVE_STATES,
    LIVE_WHERE,
    Kind,
    Signature,
    SignatureState,
    Statement,
    StatementState,
    Visibility,
    new_uid,
    utcnow,
)
from portal.network import access
from portal.notifications import listed
from portal.record import versions
from portal.safety import contacts
from portal.signatures.details import SigningBusy, SigningError, check_details, check_kind
from portal.signatures.notices import compose
from portal.signatures.transitions import Outcome, confirm_now, event, move
from portal.statements import public
from portal.text import (
    canonical_email,
    fold,
    listing_key,
    name_key,
    normalise_website,
)


@dataclass(frozen=True)
class SignRequest:
    statement_id: int
    kind: str
    name: str
    country: str
    email: str
    lang: str
    visibility: str = Visibility.full
    signer_name: str = ""
    role: str = ""
    website: str = ""
    org_type: str = ""
    authorised: bool = False
    ip: str | None = None
    # From the public form only (None elsewhere): the honeypot field and the fill-time stamp.
    honeypot: str = ""
    started: str | None = None
    proven: bool = False  # the address is proven (a personal invitation's link): no confirmation
    keep_informed: bool = False  # updates on the outcome by email (portal/record/updates.py)


def closed_message(now: public.Signing) -> str:
    """Why one cannot sign now, in words for the signer."""
    if now.paused:
        return _("Signing is paused for now. Please try again later.")
    return _("Signing of this statement is closed.")


def _check(req: SignRequest, statement: Statement | None) -> Statement:
    now = public.signing(statement) if statement is not None else None
    if now is None or not now.open:
        raise SigningError(None, closed_message(now) if now else _("Signing of this statement is closed."))
    check_kind(statement, req.kind)
    check_details(req.kind, req.country, req.visibility,
                  {"name": req.name, "signer_name": req.signer_name, "role": req.role},
                  normalise_website(req.website))
    if req.kind == Kind.organisation and not req.authorised:
        raise SigningError("authorised", _("Please confirm that you may sign for this organisation."))
    if statement.invite_only and not req.proven:
        access.check(statement, req.email)
    return statement


# Built once: plain Core statements, executed with a row of parameters each time.
_insert_signatures: dict[str, Insert] = {}
DETAILS = ("kind", "name", "signer_name", "role", "website", "org_type", "authorised", "country",
           "visibility", "lang", "sort_key", "search_text", "ip_hash", "keep_informed", "text_version",
           "original_version")


def _insert_signature(session) -> Insert:
    """INSERT … ON CONFLICT (the live duplicate key) DO NOTHING RETURNING id, for this database."""
    dialect = session.get_bind().dialect.name
    if dialect not in _insert_signatures:
        table = Signature.__table__
        _insert_signatures[dialect] = (
            insert_for(session.get_bind())(table)
            .on_conflict_do_nothing(index_elements=["statement_id", "email_canonical", "name_key"],
                                    index_where=LIVE_WHERE)
            .returning(table.c.id))
    return _insert_signatures[dialect]


def _values(req: SignRequest, canonical: str, reason: str) -> dict:
    name = req.name.strip()
    return dict(
        uid=new_uid(), statement_id=req.statement_id, kind=req.kind, name=name,
        signer_name=req.signer_name.strip(), role=req.role.strip(),
        website=normalise_website(req.website), org_type=req.org_type, authorised=req.authorised,
        country=req.country, visibility=req.visibility, email=req.email.strip(),
        email_canonical=canonical, name_key=name_key(name), lang=req.lang,
        state=SignatureState.fraudulent if reason else SignatureState.pending,
        screen_reason=reason[:200], ip_hash=clients.ip_hash(req.ip), confirmation_sends=1,
        sort_key=listing_key(name, req.visibility, req.country), search_text=fold(name), proposed="",
        keep_informed=bool(req.keep_informed), text_version=None, original_version=None,
    )


def _lock_address(session, statement_id: int, canonical: str) -> None:
    """Serialise submissions for one address on one statement (PostgreSQL; SQLite's write
    transaction already excludes every other writer), so the per-address rules are exact."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.blake2b(f"{statement_id}:{canonical}".encode(), digest_size=8).digest()
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": int.from_bytes(digest, "big", signed=True)})


def sign(req: SignRequest) -> None:
    """Take a submission. The caller answers every outcome the same way, so the page reveals
    nothing; what the address's owner needs to know goes to the address by email.

    :raises SigningBusy: the statement's own limit is reached (nothing was stored).
    :raises SigningError: the statement is closed or paused, or a field is invalid.
    """
    canonical = canonical_email(req.email)
    statement = _check(req, db.session.get(Statement, req.statement_id))
    reason = abuse.screen(abuse.Submission(statement.id, canonical, req.ip, req.honeypot, req.started,
                                           surges.allowance(statement)))
    # Sealed to the network's key if one is registered: the plain address then lives only in
    # this request and in the outbox row until the email is sent.
    values = _values(req, canonical, reason or "") | contacts.store(req.email).columns()
    if reason:
        _set_aside(values, statement)
        return
    if surges.statement_busy(statement.id):
        raise SigningBusy(None, _("Too many signatures are arriving right now. "
                                  "Please send the form again in a minute: what you typed is kept."))
    send = surges.may_mail(statement.id, values["email_canonical"])
    # Rendered before the write lock, for the common case of a new signature.
    ready = compose("confirm", SimpleNamespace(**values), statement) if (
        send and statement.require_confirmation) else None
    with write() as session:
        # Checked again: the statement may have closed or paused since the read.
        statement = _check(req, session.get(Statement, req.statement_id, populate_existing=True))
        _lock_address(session, statement.id, canonical)
        values["text_version"], values["original_version"] = versions.numbers(session, statement, req.lang)
        mail = _take(session, statement, values, ready)
        if mail and send:
            queue(session, req.email.strip(), *mail)
    worker.notify()


def _set_aside(values: dict, statement: Statement) -> None:
    """Store a shadow-rejected submission for the record (coordinators see why, and may restore
    it); it takes no part in the duplicate key and sends nothing."""
    with write() as session:
        new_id = session.execute(Signature.__table__.insert().returning(Signature.__table__.c.id), dict(
            values, launch=statement.state == StatementState.collecting, created_at=utcnow())).scalar_one()
        audit.record(session, audit.Actor(None, "signer"), "signed", statement_id=statement.id,
                     signature_id=new_id, to_state=SignatureState.fraudulent, detail=values["screen_reason"])


def _live(session, statement_id: int, canonical: str, key: str | None = None):
    query = select(Signature).where(Signature.statement_id == statement_id,
                                    Signature.email_canonical == canonical,
                                    Signature.state.in_(LIVE_STATES))
    if key is not None:
        return session.scalars(query.where(Signature.name_key == key)).one_or_none()
    return session.scalar(select(func.count()).select_from(query.subquery()))


def take_proven(session, req: SignRequest) -> Signature | None:
    """Take a submission whose address is proven (a personal invitation's link) in the caller's
    transaction: confirmed at once (then moderated), with the "recorded" email, not a confirmation.

    :returns: the live signature of this address and name, or None.
    :raises SigningError: the statement is closed, or a field breaks a rule.
    """
    statement = _check(req, session.get(Statement, req.statement_id, populate_existing=True))
    canonical = canonical_email(req.email)
    _lock_address(session, statement.id, canonical)
    values = _values(req, canonical, "")
    if mail := _take(session, statement, values, None, proven=True):
        queue(session, values["email"], *mail)
    return _live(session, statement.id, canonical, values["name_key"])


def _take(session, statement: Statement, values: dict, ready: tuple[str, str] | None, proven=False):
    """Apply a screened submission inside the write transaction. :returns: the email to send."""
    existing = _live(session, statement.id, values["email_canonical"], values["name_key"])
    if existing is None:
        limit = current_app.config["SIGN_ORGANISATIONS_PER_ADDRESS"]
        if _live(session, statement.id, values["email_canonical"]) >= limit:
            return compose("too_many", SimpleNamespace(**values), statement, limit=limit)
        new_id = session.execute(_insert_signature(session), dict(
            values, launch=statement.state == StatementState.collecting,
            created_at=utcnow())).scalar_one_or_none()
        if new_id is not None:
            signature = session.get(Signature, new_id)
            event(session, signature, "signed", None, SignatureState.pending, actor="signer")
            if statement.require_confirmation and not proven:
                return ready or compose("confirm", signature, statement)
            counted = confirm_now(session, signature) == Outcome.counted
            return compose("recorded", signature, statement, counted=counted)
        existing = _live(session, statement.id, values["email_canonical"], values["name_key"])
        if existing is None:  # a row that left the live states in between: nothing to add to
            return None
    if existing.state == SignatureState.pending:
        # Nothing binds before confirmation: the last submission is what the email offers.
        for name in DETAILS:
            setattr(existing, name, values[name])
        existing.confirmation_sends += 1
        event(session, existing, "resubmitted", existing.state, existing.state, actor="signer")
        session.flush()
        if proven:
            counted = confirm_now(session, existing) == Outcome.counted
            return compose("recorded", existing, statement, counted=counted)
        return compose("confirm", existing, statement)
    return compose("already", existing, statement, signed_at=existing.confirmed_at or existing.created_at)


def moderate(signature_id: int, approve: bool, actor_id: int | None = None,
             actor: str = "coordinator", reason: str = "") -> bool:
    """Approve (count) or reject a confirmed signature.

    :returns: True when this call changed the signature.
    """
    after = SignatureState.validated if approve else SignatureState.rejected
    with write() as session:
        signature = session.get(Signature, signature_id)
        if signature is None or signature.statement.state == StatementState.archived:
            return False  # an archived statement's list and count are final
        allowed = (SignatureState.confirmed,) if approve else (
            SignatureState.confirmed, SignatureState.validated)
        before = move(session, signature, allowed, after, moderated_at=utcnow())
        if before:
            event(session, signature, "approved" if approve else "rejected", before, after,
                  actor=actor, actor_id=actor_id, detail=reason)
        told = bool(before) and approve and listed.queue_approved(session, signature)
    if told:
        worker.notify()
    return before is not None
