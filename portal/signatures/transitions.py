"""A signature's state changes, kept exact under concurrency, and their audit entries; the
owner's confirmation (:func:`confirm_now`) and what a signer's step came to (:class:`Outcome`).

Every service that moves a signature (signing, the signer's links, moderation, invalidation)
moves it through :func:`move`, so the stored counts change in the same transaction and only
the transaction that wins the row does anything.
"""

from __future__ import annotations

import enum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.mirrors import transparency
from portal.models import ModerationEvent, Signature, SignatureState, StatementState, utcnow
from portal.signatures.counts import tally


def event(session: Session, signature: Signature, action: str, before: str | None, after: str | None,
          actor: str = "system", actor_id: int | None = None, detail: str = "") -> None:
    """Write one audit entry about ``signature`` inside the caller's transaction."""
    session.add(ModerationEvent(
        statement_id=signature.statement_id, signature_id=signature.id, action=action,
        from_state=before, to_state=after, actor_label=actor[:60], actor_id=actor_id, detail=detail[:2000],
    ))


def move(session: Session, signature: Signature, before: tuple[str, ...], after: str, **stamps) -> str | None:
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
        tally(session, signature.statement_id, signature.kind, signature.country, -1, signature.visibility)
        transparency.signature_removed(session, signature, after)
    elif after == SignatureState.validated and was != SignatureState.validated:
        tally(session, signature.statement_id, signature.kind, signature.country, +1, signature.visibility)
        transparency.signature_added(session, signature)
    return was


class Outcome(enum.StrEnum):
    awaiting_moderation = "awaiting_moderation"
    counted = "counted"
    withdrawn = "withdrawn"
    already_withdrawn = "already_withdrawn"
    invalid = "invalid"


def confirm_now(session, signature: Signature) -> Outcome:
    """Move a pending signature on, as its owner confirmed it.

    Once signing has closed, a late confirmation waits for a coordinator even under
    post-moderation: the final count changes only by a person's decision.
    """
    statement = signature.statement
    counts_at_once = statement.moderation == "post" and statement.state in (
        StatementState.collecting, StatementState.published)
    after = SignatureState.validated if counts_at_once else SignatureState.confirmed
    before = move(session, signature, (SignatureState.pending,), after, confirmed_at=utcnow())
    if before:
        event(session, signature, "confirmed", before, after, actor="signer")
        _note_return(session, signature)
    if signature.state == SignatureState.validated:
        return Outcome.counted
    return Outcome.awaiting_moderation


def _note_return(session, signature: Signature) -> None:
    """Signing again after a withdrawal restores the signature: say so in the audit log."""
    earlier = session.scalar(select(Signature.id).where(
        Signature.statement_id == signature.statement_id, Signature.id != signature.id,
        Signature.email_canonical == signature.email_canonical, Signature.name_key == signature.name_key,
        Signature.state == SignatureState.withdrawn).order_by(Signature.id.desc()).limit(1))
    if earlier is not None:
        event(session, signature, "restored", SignatureState.withdrawn, signature.state, actor="signer",
              detail=f"#{earlier}")
