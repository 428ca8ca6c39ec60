"""Moderation services: the queue, approve and reject (one or in bulk), and corrections.

Approving and rejecting go through :func:`portal.signatures.signing.moderate`, which moves the state
conditionally and keeps the counts exact; this module adds the queue, bulk actions with
server-issued ids, and display-name corrections that keep the original in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, select

from portal.accounts import audit
from portal.database import given, write
from portal.errors import DomainError
from portal.extensions import db
from portal.mail import outbox as mail
from portal.models import LIVE_STATES, Signature, SignatureState, Statement
from portal.safety import contacts
from portal.signatures import signing
from portal.signatures.notices import compose
from portal.signatures.signer import EDITABLE, Details, apply_details, name_taken, proposal
from portal.signatures.transitions import move
from portal.text import escape_like, fold, listing_key, name_key

BULK_MAX = 50
STATES = ("confirmed", "pending", "validated", "rejected", "withdrawn", "fraudulent", "invalidated",
          "corrections", "all")


class ModerationError(DomainError):
    """A moderation step that cannot be taken."""


@dataclass(frozen=True)
class QueueFilter:
    statement_ids: list[int] | None = None  # None: every statement (administrator)
    statement_id: int | None = None
    state: str = SignatureState.confirmed
    kind: str = ""
    country: str = ""
    q: str = ""
    order: str = "oldest"  # the longest waiting first
    after_id: int | None = None
    limit: int = BULK_MAX


def queue(f: QueueFilter) -> tuple[list[Signature], int | None]:
    """One page of signatures to look at, and the id to continue after (keyset, no OFFSET)."""
    by_state = {"corrections": Signature.proposed != "", "all": None}  # corrections: owners' requests
    state = by_state.get(f.state, Signature.state == f.state)
    query = select(Signature).where(*given(
        (f.statement_ids, lambda: Signature.statement_id.in_(f.statement_ids or [-1])),
        (f.statement_id, lambda: Signature.statement_id == f.statement_id), (state, lambda: state),
        (f.kind, lambda: Signature.kind == f.kind), (f.country, lambda: Signature.country == f.country)))
    if f.q:
        needle = escape_like(fold(f.q)[:100])
        raw = escape_like(f.q.strip().lower()[:100])
        query = query.where(or_(Signature.search_text.like(f"%{needle}%", escape="\\"),
                                Signature.email_canonical.like(f"%{raw}%", escape="\\"),
                                Signature.email_canonical == contacts.keyed(f.q),
                                Signature.website.like(f"%{raw}%", escape="\\")))
    newest = f.order == "newest"
    if f.after_id:
        query = query.where(Signature.id < f.after_id if newest else Signature.id > f.after_id)
    query = query.order_by(Signature.id.desc() if newest else Signature.id).limit(f.limit + 1)
    rows = list(db.session.scalars(query))
    more = len(rows) > f.limit
    rows = rows[:f.limit]
    return rows, rows[-1].id if more and rows else None


def decide(signature_id: int, approve: bool, actor: audit.Actor, reason: str = "") -> bool:
    """Approve (it counts) or reject (with an optional reason); audit logged.

    :returns: True if this call changed the signature (False: someone else already did, or
        its state does not allow it).
    """
    return signing.moderate(signature_id, approve, actor_id=actor.id, actor=actor.label[:60],
                            reason=reason.strip()[:500])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="moderation-bulk")


def issue_ids(ids: list[int], coordinator_id: int) -> str:
    """Sign the ids shown on a queue page, for the bulk form to send back."""
    return _serializer().dumps([coordinator_id, [int(i) for i in ids[:BULK_MAX]]])


def accept_ids(token: str, selected: list[str], coordinator_id: int, max_age: int = 6 * 3600) -> list[int]:
    """The selected ids, if every one was issued to this coordinator on the page.

    :raises ModerationError: the token is forged or old, an id was not issued, or too many.
    """
    try:
        owner, issued = _serializer().loads(token[:4000], max_age=max_age)
    except (BadSignature, ValueError, TypeError) as error:
        raise ModerationError(None, _("This page is out of date. Reload it and select again.")) from error
    if owner != coordinator_id:
        raise ModerationError(None, _("This page is out of date. Reload it and select again."))
    try:
        chosen = sorted({int(value) for value in selected})
    except ValueError as error:
        raise ModerationError("ids", _("Select signatures from the list.")) from error
    if not chosen:
        raise ModerationError("ids", _("Select at least one signature."))
    if len(chosen) > BULK_MAX:
        raise ModerationError("ids", _("Select at most %(n)d at a time.", n=BULK_MAX))
    if not set(chosen) <= set(issued):
        raise ModerationError("ids", _("Only signatures shown on this page can be selected."))
    return chosen


def bulk(ids: list[int], approve: bool, actor: audit.Actor, reason: str = "") -> int:
    """Approve or reject several; each one is its own audited, conditional change.

    :returns: how many changed.
    """
    if len(ids) > BULK_MAX:
        raise ModerationError("ids", _("Select at most %(n)d at a time.", n=BULK_MAX))
    return sum(decide(ident, approve, actor, reason) for ident in ids)


@dataclass(frozen=True)
class Correction:
    """A coordinator's correction of the names a signature shows, with a note for the audit log."""

    signature_id: int
    name: str
    signer_name: str
    role: str
    note: str


def correct(c: Correction, actor: audit.Actor) -> bool:
    """Fix the public display name (a typo, say); the audit log keeps what it said before.

    :returns: True if anything changed.
    :raises ModerationError: the name is empty or too long.
    """
    name = c.name.strip()
    if not name:
        raise ModerationError("name", _("Enter the name to be shown."))
    if len(name) > 300 or len(c.signer_name) > 200 or len(c.role) > 200:
        raise ModerationError("name", _("Use at most 300 characters."))
    with write() as session:
        signature = session.get(Signature, c.signature_id)
        before = {"name": signature.name, "signer_name": signature.signer_name, "role": signature.role}
        after = {"name": name, "signer_name": c.signer_name.strip(), "role": c.role.strip()}
        if before == after:
            return False
        if name_taken(session, signature, name_key(name)):
            raise ModerationError("name", _(
                "This address has already signed for an organisation of this name."))
        for key, value in after.items():
            setattr(signature, key, value)
        signature.sort_key = listing_key(name, signature.visibility, signature.country)
        signature.search_text = fold(name)
        signature.name_key = name_key(name)
        if signature.state == SignatureState.validated:
            statement = session.get(Statement, signature.statement_id)
            statement.version += 1
        audit.record(session, actor, "edited", statement_id=signature.statement_id,
                     signature_id=signature.id, detail=c.note.strip()[:500],
                     before="\n".join(f"{k}: {v}" for k, v in before.items()),
                     after="\n".join(f"{k}: {v}" for k, v in after.items()))
    return True


def restore(signature_id: int, actor: audit.Actor) -> bool:
    """Undo a shadow rejection: the signature waits for its owner's confirmation again, and the
    confirmation email goes out. Never counts anything by itself.

    :returns: True if restored.
    :raises ModerationError: the address has signed again since, for the same organisation.
    """
    with write() as session:
        signature = session.get(Signature, signature_id)
        if signature is None or signature.state != SignatureState.fraudulent:
            return False
        if session.scalar(select(Signature.id).where(
                Signature.statement_id == signature.statement_id,
                Signature.email_canonical == signature.email_canonical,
                Signature.name_key == signature.name_key, Signature.state.in_(LIVE_STATES))) is not None:
            raise ModerationError(None, _("This address has signed again since: nothing to restore."))
        if not move(session, signature, (SignatureState.fraudulent,), SignatureState.pending):
            return False
        audit.record(session, actor, "restored", statement_id=signature.statement_id,
                     signature_id=signature.id, from_state=SignatureState.fraudulent,
                     to_state=SignatureState.pending, detail=signature.screen_reason)
        if signature.email:
            statement = session.get(Statement, signature.statement_id)
            mail.queue(session, signature.email, *compose("confirm", signature, statement))
    mail.worker.notify()
    return True


def decide_correction(signature_id: int, accept: bool, actor: audit.Actor) -> bool:
    """Apply or decline the corrections an approved signature's owner asked for; audited.

    :returns: True if there were corrections waiting.
    :raises SigningError: the corrected name clashes with another signature of the address.
    """
    with write() as session:
        signature = session.get(Signature, signature_id)
        waiting = proposal(signature) if signature is not None else {}
        if not waiting:
            return False
        before = "\n".join(f"{k}: {getattr(signature, k)}" for k in sorted(waiting))
        if accept and signature.state in LIVE_STATES:
            current = {field: getattr(signature, field) for field in (*EDITABLE, "visibility")}
            apply_details(session, signature, Details(**(current | waiting)))
        signature.proposed = ""
        audit.record(session, actor, "correction_applied" if accept else "correction_declined",
                     statement_id=signature.statement_id, signature_id=signature.id, before=before,
                     after="\n".join(f"{k}: {v}" for k, v in sorted(waiting.items())))
    return True
