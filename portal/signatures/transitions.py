"""A signature's state changes, kept exact under concurrency, and their audit entries.

Every service that moves a signature (signing, the signer's links, moderation, invalidation)
moves it through :func:`move`, so the stored counts change in the same transaction and only
the transaction that wins the row does anything.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from portal.mirrors import transparency
from portal.models import ModerationEvent, Signature, SignatureState
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
