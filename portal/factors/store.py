"""What second factors an account holds, the site-wide requirement, removal and the
administrator's reset: every change is audited."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, select, update

from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Coordinator, RecoveryCode, SecondFactor, SiteSetting, utcnow

REQUIRED = "second_factor_required"


class FactorError(DomainError):
    """A second factor refused: a wrong code, an unknown passkey, a factor one may not remove."""


def derived_key(purpose: str) -> bytes:
    """A 256-bit key for one purpose, derived from ``SECRET_KEY`` (so the database alone has none)."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"undersigned second factors: {purpose}".encode(), hashlib.sha256).digest()


def factors(coordinator_id: int) -> list[SecondFactor]:
    """The account's authenticator apps and passkeys, oldest first."""
    return list(db.session.scalars(select(SecondFactor).where(
        SecondFactor.coordinator_id == coordinator_id).order_by(SecondFactor.id)))


def enrolled(coordinator_id: int) -> bool:
    """True if the account holds at least one second factor (recovery codes do not count)."""
    return bool(db.session.scalar(select(exists().where(SecondFactor.coordinator_id == coordinator_id))))


def enrolled_ids() -> set[int]:
    """The accounts that hold a second factor (for the administrators' list)."""
    return set(db.session.scalars(select(SecondFactor.coordinator_id).distinct()))


def required() -> bool:
    """True while an administrator requires a second factor of every coordinator.

    ``SECOND_FACTOR_REQUIRED`` stays as an operator's override from the environment."""
    if current_app.config.get("SECOND_FACTOR_REQUIRED"):
        return True
    return db.session.scalar(select(SiteSetting.value).where(SiteSetting.key == REQUIRED)) == "1"


def set_required(value: bool, actor: audit.Actor) -> bool:
    """Require a second factor of every coordinator, or stop requiring it; audited.

    :returns: True when the setting changed.
    """
    wanted = "1" if value else ""
    with write() as session:
        row = session.get(SiteSetting, REQUIRED)
        if (row.value if row else "") == wanted:
            return False
        if row is None:
            session.add(SiteSetting(key=REQUIRED, value=wanted))
        else:
            row.value, row.updated_at = wanted, utcnow()
        audit.record(session, actor, "second_factor_required" if value else "second_factor_optional",
                     before="optional" if value else "required", after="required" if value else "optional")
    return True


def _who(coordinator: Coordinator) -> str:
    return f"{coordinator.name} (#{coordinator.id})"


def end_sessions(session, coordinator_id: int) -> None:
    """End every session of the account (its session epoch rises)."""
    session.execute(update(Coordinator).where(Coordinator.id == coordinator_id)
                    .values(session_epoch=Coordinator.session_epoch + 1))


def remove(coordinator_id: int, factor_id: int, actor: audit.Actor) -> None:
    """Remove one of one's own factors. With the requirement on, the last one stays.

    :raises FactorError: no such factor of this account, or it is the last one and required.
    """
    needed = required()
    with write() as session:
        factor = session.get(SecondFactor, factor_id)
        if factor is None or factor.coordinator_id != coordinator_id:
            raise FactorError(None, _("There is no such second factor."))
        count = session.scalar(select(func.count()).where(SecondFactor.coordinator_id == coordinator_id))
        if count == 1 and needed:
            raise FactorError(None, _("A second factor is required: add another one before removing "
                                      "this one."))
        session.delete(factor)
        if count == 1:  # no factor left: the recovery codes would be a second factor of nothing
            session.execute(delete(RecoveryCode).where(RecoveryCode.coordinator_id == coordinator_id))
        audit.record(session, actor, "second_factor_removed", detail=f"{factor.kind} {factor.label}")


def reset(coordinator_id: int, actor: audit.Actor) -> int:
    """An administrator's reset for someone who lost every factor: remove all of them and the
    recovery codes, and end the account's sessions (if it had any factor). Audited.

    :returns: how many factors were removed.
    :raises FactorError: there is no such account, or it is the actor's own.
    """
    with write() as session:
        coordinator = session.get(Coordinator, coordinator_id) if 0 < coordinator_id < 2**31 else None
        if coordinator is None or coordinator_id == actor.id:
            raise FactorError(None, _("You cannot change this account."))
        removed = session.execute(delete(SecondFactor).where(
            SecondFactor.coordinator_id == coordinator_id)).rowcount or 0
        session.execute(delete(RecoveryCode).where(RecoveryCode.coordinator_id == coordinator_id))
        if removed:  # an account without factors keeps its sessions: nothing about it changed
            end_sessions(session, coordinator_id)
        audit.record(session, actor, "second_factors_reset", detail=f"{_who(coordinator)}: {removed}")
    return removed
