"""Surges: the statement's own limit, the signer's email cap, and launch-event allowances.

- The per-statement limit is counted only for submissions that passed every other check.
  Past it, genuine signers are told to try again in a minute (never shadow-rejected), and
  coordinators see an alert, which is also written to the audit log (once a minute at most).
- Each address gets at most ``SIGNER_MAIL_LIMIT`` emails about one statement (4 a day by
  default), so nobody can turn the portal into a mail cannon aimed at one person.
- A launch-event allowance raises the per-client limit for one statement for a while (a
  webinar where many organisations sign from one network); it is audited and ends by itself.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.abuse import ratelimits
from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.models import ModerationEvent, Statement, as_utc, utcnow

LIMIT_REACHED = "statement_limit_reached"
ALLOWANCE_MINUTES = (15, 24 * 60)  # the shortest and the longest window
ALLOWANCE_PER_MINUTE = (11, 1000)  # above the default per-client limit, and a sane ceiling


class AllowanceError(DomainError):
    """An allowance that cannot be opened."""


def statement_busy(statement_id: int) -> bool:
    """Count a screened submission against its statement's limit; True when it is over.

    The first refusal in a minute is written to the audit log, where the workspace shows it.
    """
    if not ratelimits.exceeded("SIGN_STATEMENT_RATE_LIMIT", "statement", str(statement_id)):
        return False
    if not ratelimits.exceeded("SIGN_STATEMENT_ALERT", "statement", str(statement_id), limits="1/minute"):
        with write() as session:
            audit.record(session, audit.Actor.system(), LIMIT_REACHED, statement_id=statement_id,
                         detail=current_app.config["SIGN_STATEMENT_RATE_LIMIT"])
    return True


def may_mail(statement_id: int, email_canonical: str) -> bool:
    """True while this address may still get an email about this statement today (the cap is
    counted on a keyed hash, so the counters never hold the address)."""
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), f"mail:{email_canonical}".encode(),
                   hashlib.sha256).hexdigest()[:32]
    return not ratelimits.exceeded("SIGNER_MAIL_LIMIT", "statement", str(statement_id), key)


def allowance(statement: Statement) -> int | None:
    """The raised per-client limit per minute while a launch-event allowance is open."""
    if statement.allowance_until and as_utc(statement.allowance_until) > utcnow():
        return statement.allowance_per_minute
    return None


def open_allowance(statement_id: int, minutes: int, per_minute: int, actor: audit.Actor) -> datetime:
    """Raise the per-client limit of one statement for ``minutes``; audited.

    :returns: when it ends.
    :raises AllowanceError: a value outside the allowed range.
    """
    if not ALLOWANCE_MINUTES[0] <= minutes <= ALLOWANCE_MINUTES[1]:
        raise AllowanceError("minutes", _("Choose between %(low)d and %(high)d minutes.",
                                          low=ALLOWANCE_MINUTES[0], high=ALLOWANCE_MINUTES[1]))
    if not ALLOWANCE_PER_MINUTE[0] <= per_minute <= ALLOWANCE_PER_MINUTE[1]:
        raise AllowanceError("per_minute", _("Choose between %(low)d and %(high)d a minute.",
                                             low=ALLOWANCE_PER_MINUTE[0], high=ALLOWANCE_PER_MINUTE[1]))
    until = utcnow() + timedelta(minutes=minutes)
    with write() as session:
        statement = session.get(Statement, statement_id)
        statement.allowance_until, statement.allowance_per_minute = until, per_minute
        audit.record(session, actor, "allowance_opened", statement_id=statement_id,
                     detail=f"{per_minute}/minute, {minutes} min")
    return until


def end_allowance(statement_id: int, actor: audit.Actor) -> bool:
    """End an open allowance now; audited. :returns: True if one was open."""
    with write() as session:
        statement = session.get(Statement, statement_id)
        if statement.allowance_until is None or as_utc(statement.allowance_until) <= utcnow():
            return False
        statement.allowance_until = utcnow()
        audit.record(session, actor, "allowance_ended", statement_id=statement_id)
    return True


@dataclass(frozen=True)
class Alert:
    """Refusals at the statement's limit in the last hour: how many minutes, and the latest."""

    minutes: int
    latest: datetime


def recent_alert(statement_ids: list[int] | None) -> dict[int, Alert]:
    """The limit alerts of the last hour, per statement (None: every statement)."""
    query = select(ModerationEvent.statement_id, ModerationEvent.created_at).where(
        ModerationEvent.action == LIMIT_REACHED, ModerationEvent.created_at >= utcnow() - timedelta(hours=1))
    if statement_ids is not None:
        query = query.where(ModerationEvent.statement_id.in_(statement_ids or [-1]))
    found: dict[int, Alert] = {}
    for statement_id, moment in db.session.execute(query):
        before = found.get(statement_id)
        latest = max(as_utc(moment), before.latest) if before else as_utc(moment)
        found[statement_id] = Alert((before.minutes if before else 0) + 1, latest)
    return found
