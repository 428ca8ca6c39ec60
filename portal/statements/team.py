"""The coordinators of one statement: taking one off it (suspending an account everywhere is
:mod:`portal.accounts.coordinators`)."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.accounts import audit
from portal.database import write
from portal.models import Coordinator, Statement
from portal.statements.authoring import AuthoringError


def remove_coordinator(statement_id: int, coordinator_id: int, actor: audit.Actor) -> bool:
    """Take a coordinator off this statement; their account and other statements stay. Audited.

    :returns: True if they were one of its coordinators.
    :raises AuthoringError: they are its last coordinator (nobody but administrators would be
        left to run it).
    """
    with write() as session:
        statement = session.get(Statement, statement_id)
        other = session.get(Coordinator, coordinator_id)
        if other is None or other not in statement.coordinators:
            return False
        if len(statement.coordinators) == 1:
            raise AuthoringError(None, _("A statement keeps at least one coordinator. "
                                         "Add another before removing this one."))
        statement.coordinators.remove(other)
        audit.record(session, actor, "coordinator_removed", statement_id=statement_id, before=other.email)
    return True
