"""Co-initiators: organisations a statement names as initiating it with the coordinators
(shown on the public page), each with its own recruitment link ``/<lang>/s/<slug>?via=<code>``.
A signature that came through a link records it, so the statistics count signatures per link."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.models import CoInitiator, Signature, SignatureSource, SignatureState, Statement
from portal.signatures.details import name_error
from portal.text import canonical_email, name_key

CODE = re.compile(r"^[A-Za-z0-9_-]{1,24}$")


def code(value: str | None) -> str:
    """A recruitment link's code as a URL or form gives it, if it has a code's shape, else ""."""
    return value if value and CODE.match(value) else ""


class InitiatorError(DomainError):
    """A reason a co-initiator cannot be added."""


def listed(statement_id: int) -> list[CoInitiator]:
    return list(db.session.scalars(select(CoInitiator).where(CoInitiator.statement_id == statement_id)
                                   .order_by(CoInitiator.position, CoInitiator.id)))


def add(statement_id: int, name: str, actor: audit.Actor) -> CoInitiator:
    """Name a co-initiating organisation and give it a recruitment link; audited.

    :raises InitiatorError: the name is empty, too long or breaks the rules of names.
    """
    name = " ".join(name.split())
    if not name or len(name) > 300:
        raise InitiatorError("name", _("Enter the organisation's name."))
    if message := name_error(name):
        raise InitiatorError("name", message)
    with write() as session:
        statement = session.get(Statement, statement_id)
        count = session.scalar(select(func.count()).where(CoInitiator.statement_id == statement_id))
        added = CoInitiator(statement_id=statement_id, name=name, code=secrets.token_urlsafe(9),
                            position=count)
        session.add(added)
        statement.version += 1  # the public page names it
        audit.record(session, actor, "co_initiator_added", statement_id=statement_id, detail=name)
        return added


def remove(statement_id: int, initiator_id: int, actor: audit.Actor) -> bool:
    """Stop naming a co-initiator (its link stops counting); audited."""
    with write() as session:
        found = session.get(CoInitiator, initiator_id)
        if found is None or found.statement_id != statement_id:
            return False
        session.get(Statement, statement_id).version += 1
        audit.record(session, actor, "co_initiator_removed", statement_id=statement_id, detail=found.name)
        session.delete(found)
        return True


def record_source(statement_id: int, email: str, name: str, via: str | None) -> None:
    """Note that the live signature of ``email`` and ``name`` came through the link ``via``
    (the first link it came through stays); an unknown code is ignored."""
    if not code(via):
        return
    with write() as session:
        initiator = session.scalars(select(CoInitiator).where(
            CoInitiator.statement_id == statement_id, CoInitiator.code == via)).one_or_none()
        signature_id = session.scalar(select(Signature.id).where(
            Signature.statement_id == statement_id, Signature.email_canonical == canonical_email(email),
            Signature.name_key == name_key(name)).order_by(Signature.id.desc()).limit(1))
        if initiator is None or signature_id is None or session.get(SignatureSource, signature_id):
            return
        session.add(SignatureSource(signature_id=signature_id, co_initiator_id=initiator.id))


@dataclass(frozen=True)
class PerLink:
    initiator: CoInitiator
    counted: int  # approved: in the public count
    waiting: int  # confirmed, waiting for a coordinator


def per_link(statement_id: int) -> list[PerLink]:
    """Signatures per recruitment link, for the statistics."""
    rows = db.session.execute(select(SignatureSource.co_initiator_id, Signature.state, func.count())
                              .join(Signature, Signature.id == SignatureSource.signature_id)
                              .where(Signature.statement_id == statement_id)
                              .group_by(SignatureSource.co_initiator_id, Signature.state)).all()
    found = {(ident, state): n for ident, state, n in rows}
    return [PerLink(c, found.get((c.id, SignatureState.validated), 0),
                    found.get((c.id, SignatureState.confirmed), 0)) for c in listed(statement_id)]
