"""The lifecycle steps a coordinator confirms, what each will do and to how many signatories,
and reopening a closed statement (by hand, or by extending its deadline past now).

Opening signing on the private link is the one step taken without a confirmation: it is the
start of a campaign, and nothing is lost by it. Publishing, closing, archiving and reopening
are each confirmed on a page (or in a dialog built from the same fragment) that says what
will happen and to how many signatories.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.accounts import audit
from portal.database import write
from portal.extensions import db
from portal.models import Signature, SignatureState, Statement, StatementState, as_utc, utcnow
from portal.statements import authoring

REOPEN = "reopen"
CONFIRMED_STEPS = (StatementState.published, StatementState.closed, StatementState.archived, REOPEN)


@dataclass(frozen=True)
class Step:
    """One step as the confirmation shows it: where it goes, and the signatures it touches."""

    to: str
    counted: int  # approved: in the count
    waiting: int  # confirmed by their owners, waiting for a coordinator
    unconfirmed: int  # submitted, their owners' confirmation still due


def available(statement: Statement) -> list[str]:
    """The steps this statement may take now: the next one, and reopening once closed."""
    step = authoring.next_step(statement)
    steps = [step[0]] if step else []
    if statement.state == StatementState.closed:
        steps.append(REOPEN)
    return steps


def preview(statement: Statement, to: str) -> Step:
    """What taking ``to`` will touch, for the confirmation.

    :raises authoring.AuthoringError: the step is not available from the current state.
    """
    if to not in available(statement):
        raise authoring.AuthoringError(None, _("This step is not available from the current state."))
    by_state = dict(db.session.execute(
        select(Signature.state, func.count()).where(Signature.statement_id == statement.id)
        .group_by(Signature.state)).all())
    return Step(to, by_state.get(SignatureState.validated, 0), by_state.get(SignatureState.confirmed, 0),
                by_state.get(SignatureState.pending, 0))


def take(statement_id: int, to: str, actor: audit.Actor) -> None:
    """Take a confirmed step: the next lifecycle step, or reopening.

    :raises authoring.AuthoringError: the step is not available, or its guard fails.
    """
    if to == REOPEN:
        reopen(statement_id, actor)
    else:
        authoring.advance(statement_id, to, actor)


def reopen(statement_id: int, actor: audit.Actor) -> None:
    """Open a closed statement for signing again (published, listed); audited.

    :raises authoring.AuthoringError: it is not closed, or its deadline has passed (a later
        deadline, set in the settings, reopens it).
    """
    with write() as session:
        statement = session.get(Statement, statement_id, populate_existing=True)
        if statement.state != StatementState.closed:
            raise authoring.AuthoringError(None, _("Only a closed statement can be reopened."))
        if statement.deadline_at and as_utc(statement.deadline_at) <= utcnow():
            raise authoring.AuthoringError("deadline", _(
                "The deadline has passed. Set a later deadline in the settings: that reopens signing."))
        if not reopen_in(session, statement, actor, "by hand"):
            raise authoring.AuthoringError(None, _("Someone else changed this statement meanwhile. "
                                                   "Reload and retry."))
    db.session.expire_all()


def reopen_in(session: Session, statement: Statement, actor: audit.Actor, why: str) -> bool:
    """Inside the caller's transaction: closed → published, if it is still closed; audited.

    The first publication's date stays: reopening is not publishing again.
    """
    changed = session.execute(
        update(Statement).where(Statement.id == statement.id, Statement.state == StatementState.closed)
        .values(state=StatementState.published, closed_at=None, version=Statement.version + 1)
        .execution_options(synchronize_session=False)).rowcount == 1
    if changed:
        audit.record(session, actor, "reopened", statement_id=statement.id, from_state=StatementState.closed,
                     to_state=StatementState.published, detail=why)
        session.refresh(statement)
    return changed
