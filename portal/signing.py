"""Signing services: sign, confirm, withdraw, and the moderator's approve and reject."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Insert, select, update

from . import abuse, site, tokens
from .counts import _upsert, tally
from .database import write
from .extensions import db
from .i18n import ui_language
from .mail import queue, worker
from .models import (
    Kind,
    ModerationEvent,
    OutboxMail,
    Signature,
    SignatureState,
    Statement,
    StatementState,
    Visibility,
    new_uid,
    utcnow,
)
from .text import canonical_email, country_codes, fold, listing_key


class SigningError(Exception):
    """A reason the signature cannot be taken: ``field`` is None for the whole form."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


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


class Outcome(enum.StrEnum):
    awaiting_moderation = "awaiting_moderation"
    counted = "counted"
    withdrawn = "withdrawn"
    invalid = "invalid"


def _check(req: SignRequest, statement: Statement | None) -> Statement:
    if statement is None or not statement.accepts_signatures:
        raise SigningError(None, _("Signing of this statement is closed."))
    if statement.paused or site.signing_paused():
        raise SigningError(None, _("Signing is paused for now. Please try again later."))
    if req.kind == Kind.organisation and not statement.allow_organisations:
        raise SigningError("kind", _("This statement is signed by individuals only."))
    if req.kind == Kind.individual and not statement.allow_individuals:
        raise SigningError("kind", _("This statement is signed by organisations only."))
    if req.kind not in set(Kind):
        raise SigningError("kind", _("Choose who is signing."))
    if req.kind == Kind.organisation and not req.authorised:
        raise SigningError("authorised", _("Please confirm that you may sign for this organisation."))
    if req.country not in country_codes():
        raise SigningError("country", _("Choose a country from the list."))
    if req.visibility not in set(Visibility):
        raise SigningError("visibility", _("Choose how your signature is shown."))
    return statement


# Built once: plain Core statements, executed with a row of parameters each time.
_INSERT_EVENT = ModerationEvent.__table__.insert()
_INSERT_MAIL = OutboxMail.__table__.insert()
_insert_signatures: dict[str, Insert] = {}


def _insert_signature(session) -> Insert:
    """INSERT … ON CONFLICT (statement, email) DO NOTHING RETURNING id, for the session's database."""
    dialect = session.get_bind().dialect.name
    if dialect not in _insert_signatures:
        table = Signature.__table__
        _insert_signatures[dialect] = (
            _upsert(session)(table)
            .on_conflict_do_nothing(index_elements=["statement_id", "email_canonical"])
            .returning(table.c.id))
    return _insert_signatures[dialect]


def _confirmation(signature, statement: Statement) -> tuple[str, str]:
    """The confirmation email's subject and body for ``signature`` (anything with ``uid``,
    ``lang`` and ``name``: a stored row, or the values about to be inserted)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    with force_locale(ui_language(signature.lang)):  # fr-CA reads French, pt-BR English
        tr = statement.translation(signature.lang) or statement.translation(statement.original_lang)
        context = {
            "signature": signature,
            "title": tr.title if tr else statement.slug,
            "confirm_url": f"{base}/confirm/{tokens.make('confirm', signature.uid)}",
            "withdraw_url": f"{base}/withdraw/{tokens.make('withdraw', signature.uid)}",
        }
        subject = _("Please confirm your signature: %(title)s", title=context["title"])
        body = render_template("mail/confirm.txt", **context)
    return subject, body


def _send_confirmation(session, signature: Signature, statement: Statement) -> None:
    queue(session, signature.email, *_confirmation(signature, statement))


def sign(req: SignRequest) -> None:
    """Take a signature, or quietly resend the confirmation for one already taken.

    The caller answers the same way in both cases, so nothing reveals who signed.
    Everything that needs no lock (keys, hashes, tokens, the rendered email) is done before
    the write transaction, which then holds SQLite's write lock for three plain INSERTs.

    :raises SigningError: the statement is closed or paused, or a field is invalid.
    """
    canonical = canonical_email(req.email)
    # Shadow rejection: stored as fraudulent, never mailed, answered like any other.
    verdict = abuse.screen(abuse.Submission(req.statement_id, canonical, req.ip, req.honeypot, req.started))
    values = dict(
        uid=new_uid(),
        statement_id=req.statement_id, kind=req.kind, name=req.name.strip(),
        signer_name=req.signer_name.strip(), role=req.role.strip(),
        website=req.website.strip(), org_type=req.org_type, authorised=req.authorised,
        country=req.country, visibility=req.visibility, email=req.email.strip(),
        email_canonical=canonical, lang=req.lang,
        state=SignatureState.fraudulent if verdict else SignatureState.pending,
        ip_hash=tokens.ip_hash(req.ip),
        confirmation_sends=1, sort_key=listing_key(req.name, req.visibility, req.country),
        search_text=fold(req.name),
    )
    # A short read outside the lock: fail early, and render the email for the new row.
    ahead = _check(req, db.session.get(Statement, req.statement_id))
    mail = None if verdict or not ahead.require_confirmation else _confirmation(
        SimpleNamespace(**values), ahead)
    with write() as session:
        # Checked again: the statement may have closed or paused since the read.
        statement = _check(req, session.get(Statement, req.statement_id, populate_existing=True))
        new_id = session.execute(_insert_signature(session), dict(
            values, launch=statement.state == "collecting", created_at=utcnow())).scalar_one_or_none()
        if new_id is not None:
            session.execute(_INSERT_EVENT, dict(
                statement_id=statement.id, signature_id=new_id, action="signed", from_state=None,
                to_state=values["state"], actor_label="signer", actor_id=None, detail=verdict or ""))
            if not verdict and statement.require_confirmation:
                subject, body = mail or _confirmation(SimpleNamespace(**values), statement)
                session.execute(_INSERT_MAIL, dict(
                    to_addr=values["email"], subject=subject, body=body))
            elif not verdict:
                _confirm(session, session.get(Signature, new_id))
        elif not verdict:
            # A conditional increment, so concurrent resubmissions cannot exceed the bound.
            limit = current_app.config["CONFIRMATION_RESENDS"]
            resend = session.execute(
                update(Signature)
                .where(Signature.statement_id == statement.id, Signature.email_canonical == canonical,
                       Signature.state == SignatureState.pending, Signature.confirmation_sends <= limit)
                .values(confirmation_sends=Signature.confirmation_sends + 1)
                .returning(Signature.id)
                .execution_options(synchronize_session=False)
            ).scalar_one_or_none()
            if resend is not None:
                _send_confirmation(session, session.get(Signature, resend), statement)
    worker.notify()


def _event(session, signature: Signature, action: str, before, after, actor: str = "system",
           actor_id: int | None = None, detail: str = "") -> None:
    session.add(ModerationEvent(
        statement_id=signature.statement_id, signature_id=signature.id, action=action,
        from_state=before, to_state=after, actor_label=actor, actor_id=actor_id, detail=detail,
    ))


def _move(session, signature: Signature, before: tuple[str, ...], after: str, **stamps) -> str | None:
    """Conditionally change state; only the transaction that wins the row does the rest.

    One UPDATE per allowed state, so the state we moved from is the row's own, not a read
    that a concurrent transaction may have made stale (PostgreSQL re-checks the WHERE of a
    blocked UPDATE against the committed row).

    :returns: the state the signature left, or None if it was in none of ``before``.
    """
    for was in before:
        result = session.execute(
            update(Signature)
            .where(Signature.id == signature.id, Signature.state == was)
            .values(state=after, **stamps)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            break
    else:
        session.refresh(signature)
        return None
    session.refresh(signature)
    if was == SignatureState.validated and after != SignatureState.validated:
        tally(session, signature.statement_id, signature.kind, signature.country, -1)
    elif after == SignatureState.validated and was != SignatureState.validated:
        tally(session, signature.statement_id, signature.kind, signature.country, +1)
    return was


def _confirm(session, signature: Signature) -> Outcome:
    statement = signature.statement
    # Once signing has closed, a late confirmation waits for a coordinator even under
    # post-moderation: the final count changes only by a person's decision.
    counts_at_once = statement.moderation == "post" and statement.state in (
        StatementState.collecting, StatementState.published)
    after = SignatureState.validated if counts_at_once else SignatureState.confirmed
    before = _move(session, signature, (SignatureState.pending,), after, confirmed_at=utcnow())
    if before:
        _event(session, signature, "confirmed", before, after, actor="signer")
    if signature.state == SignatureState.validated:
        return Outcome.counted
    return Outcome.awaiting_moderation


def _by_token(session, purpose: str, token: str) -> Signature | None:
    uid = tokens.read(purpose, token)
    if uid is None:
        return None
    return session.scalars(select(Signature).where(Signature.uid == uid)).one_or_none()


def confirm(token: str) -> Outcome:
    """Confirm the email of a signature; any number of repeats count once.

    :returns: what the signer should be told. A shadow-rejected signature is told the
        same as a real one and stays uncounted.
    """
    with write() as session:
        signature = _by_token(session, "confirm", token)
        if signature is None:
            return Outcome.invalid
        if signature.state in (SignatureState.withdrawn, SignatureState.rejected,
                               SignatureState.invalidated):
            return Outcome.invalid
        if signature.state == SignatureState.fraudulent:
            return Outcome.awaiting_moderation
        return _confirm(session, signature)


def withdraw(token: str) -> Outcome:
    """Withdraw a signature; it stops counting and showing at once."""
    with write() as session:
        signature = _by_token(session, "withdraw", token)
        if signature is None:
            return Outcome.invalid
        live = (SignatureState.validated, SignatureState.confirmed, SignatureState.pending)
        before = _move(session, signature, live, SignatureState.withdrawn)
        if before:
            _event(session, signature, "withdrawn", before, SignatureState.withdrawn, actor="signer")
        return Outcome.withdrawn


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
        before = _move(session, signature, allowed, after, moderated_at=utcnow())
        if before:
            _event(session, signature, "approved" if approve else "rejected", before, after,
                   actor=actor, actor_id=actor_id, detail=reason)
        return before is not None
