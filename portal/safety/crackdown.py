"""The crackdown switch: one administrator's action that moves every signatory from a country
to "counted only" (``hidden``) on every statement, at once.

It is a change of each signature's own visibility, so every surface that renders the public
read model (page, fragments, API, feeds, embed, print, exports, and whatever later copies the
list) follows without knowing of it. The visibility each signatory had chosen is kept in
``crackdown_from``; only the organisation raises it again, through its own link (see
:func:`portal.signatures.signer.update`). Each one reachable by email is told, with that
link; an address sealed to the network's key cannot be written to by the server, so those
are counted for the administrator to reach offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select

from portal.accounts import audit
from portal.database import write
from portal.extensions import db
from portal.mail import outbox
from portal.models import LIVE_STATES, Signature, SignatureState, Statement, Visibility
from portal.signatures.counts import listing_changed
from portal.signatures.notices import compose
from portal.signatures.transitions import event
from portal.text import listing_key

TOLD = (SignatureState.confirmed, SignatureState.validated)  # the owner has shown they read the address


@dataclass(frozen=True)
class Result:
    lowered: int
    statements: int
    notified: int
    sealed: int  # owners the server cannot write to: their address is sealed


def _exposed(country: str):
    return (Signature.country == country, Signature.state.in_(LIVE_STATES),
            Signature.visibility != Visibility.hidden)


def exposed(country: str) -> int:
    """How many live signatures from ``country`` are listed now (what the switch would move)."""
    return db.session.scalar(select(func.count()).select_from(Signature).where(*_exposed(country))) or 0


def _without_raise(proposed: str) -> str:
    """An owner's waiting corrections minus a higher visibility, which a coordinator could
    otherwise approve after the crackdown."""
    try:
        waiting = json.loads(proposed or "{}")
    except ValueError:
        return ""
    if not isinstance(waiting, dict):
        return ""
    waiting.pop("visibility", None)
    return json.dumps(waiting, ensure_ascii=False) if waiting else ""


def apply(country: str, actor: audit.Actor) -> Result:
    """Move every listed live signature from ``country`` to "counted only"; audited, one entry
    per signature and a summary; the owners reachable by email get their manage link.

    :returns: what was done.
    """
    lowered, statements, notified, sealed = 0, set(), 0, 0
    with write() as session:
        rows = session.scalars(select(Signature).where(*_exposed(country)).order_by(Signature.id)).all()
        for signature in rows:
            before = signature.visibility
            signature.visibility, signature.crackdown_from = Visibility.hidden, before
            signature.sort_key = listing_key(signature.name, Visibility.hidden, signature.country)
            signature.proposed = _without_raise(signature.proposed)
            session.flush()
            listing_changed(session, signature, signature.country, before)
            event(session, signature, "crackdown_lowered", before, Visibility.hidden, actor=actor.label,
                  actor_id=actor.id, detail=country)
            lowered += 1
            statements.add(signature.statement_id)
            if signature.state not in TOLD:
                continue
            if signature.email:
                statement = session.get(Statement, signature.statement_id)
                outbox.queue(session, signature.email, *compose("crackdown", signature, statement,
                                                                earlier=before))
                notified += 1
            elif signature.email_sealed:
                sealed += 1
        audit.record(session, actor, "crackdown", after=country,
                     detail=f"{lowered} signatures on {len(statements)} statements; "
                            f"{notified} told by email, {sealed} sealed contacts not reachable")
    outbox.worker.notify()
    return Result(lowered, len(statements), notified, sealed)
