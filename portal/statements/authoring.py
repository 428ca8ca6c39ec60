"""Writing statements: settings, translations, the stale flag, lifecycle steps and pausing.

Staleness: the original translation's ``revision`` rises each time its text changes. Every
translation records in ``source_revision`` the original's revision it was written against;
a published translation whose ``source_revision`` is behind is *stale*.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.languages import known
from portal.models import Coordinator, Statement, StatementState, StatementTranslation, as_utc, utcnow
from portal.record import versions
from portal.statements import reading as lifecycle

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Each step and the one action that takes it; nothing skips a step or goes back.
STEPS = {
    StatementState.draft: (StatementState.collecting, "opened"),
    StatementState.collecting: (StatementState.published, "published"),
    StatementState.published: (StatementState.closed, "closed"),
    StatementState.closed: (StatementState.archived, "archived"),
}


class AuthoringError(DomainError):
    """Why a change to a statement was refused."""


class AddressTaken(AuthoringError):
    """The address is in use; ``free`` is a free one to propose instead.

    The answer is the same whoever uses the address (a public statement, or another
    coordinator's draft) and the proposal carries a random suffix, so the form tells only
    what any refusal must: that this one address is in use.
    """

    def __init__(self, free: str) -> None:
        super().__init__("slug", _("This address is not available. A free one is filled in: "
                                   "keep it, or choose another."))
        self.free = free


SUFFIX_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def free_slug(wanted: str, session) -> str:
    """``wanted`` with a random four-character suffix that no statement uses yet."""
    base = wanted[:74].rstrip("-") or "statement"
    while True:
        candidate = f"{base}-{''.join(secrets.choice(SUFFIX_ALPHABET) for _ in range(4))}"
        if not session.scalar(select(Statement.id).where(Statement.slug == candidate)):
            return candidate


@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    return sorted(available_timezones() - {"Factory", "localtime"})


def to_utc(local: datetime | None, zone: str) -> datetime | None:
    """A wall-clock time in ``zone`` as an aware UTC datetime."""
    if local is None:
        return None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class StatementInput:
    slug: str
    original_lang: str
    allow_organisations: bool = True
    allow_individuals: bool = False
    moderation: str = "pre"
    require_confirmation: bool = True
    deadline_local: datetime | None = None
    publish_local: datetime | None = None
    time_zone: str = "UTC"
    target_count: int | None = None
    title: str = ""  # the original's title, when creating


def _validate(inp: StatementInput, statement: Statement | None, session) -> dict:
    slug = inp.slug.strip().lower()
    if not SLUG.match(slug) or len(slug) > 80:
        raise AuthoringError("slug", _("Use lower-case letters, digits and single hyphens (at most 80)."))
    if statement is None or slug != statement.slug:
        if statement is not None and statement.state != StatementState.draft:
            raise AuthoringError("slug", _("The address cannot change once links have been shared."))
        if session.scalar(select(Statement.id).where(Statement.slug == slug)):
            raise AddressTaken(free_slug(slug, session))
    if not known(inp.original_lang):
        raise AuthoringError("original_lang", _("Choose a language from the list."))
    if not (inp.allow_organisations or inp.allow_individuals):
        raise AuthoringError("allow_organisations", _("Allow organisations, individuals or both."))
    if inp.moderation not in ("pre", "post"):
        raise AuthoringError("moderation", _("Choose a moderation mode."))
    if inp.time_zone not in time_zones():
        raise AuthoringError("time_zone", _("Choose a time zone from the list."))
    if inp.target_count is not None and not 0 < inp.target_count < 10**9:
        raise AuthoringError("target_count", _("Enter a positive whole number."))
    deadline, publish_at = to_utc(inp.deadline_local, inp.time_zone), to_utc(inp.publish_local, inp.time_zone)
    now = utcnow()
    old_deadline = statement.deadline_at and as_utc(statement.deadline_at) if statement else None
    if deadline and deadline <= now and deadline != old_deadline:
        raise AuthoringError("deadline", _("The deadline must be in the future."))
    old_publish = statement.publish_at and as_utc(statement.publish_at) if statement else None
    if publish_at and publish_at <= now and publish_at != old_publish:
        raise AuthoringError("publish_at", _("The publication time must be in the future."))
    if deadline and publish_at and publish_at >= deadline:
        raise AuthoringError("publish_at", _("Publication must come before the deadline."))
    return dict(slug=slug, original_lang=inp.original_lang, allow_organisations=inp.allow_organisations,
                allow_individuals=inp.allow_individuals, moderation=inp.moderation,
                require_confirmation=inp.require_confirmation, deadline_at=deadline, publish_at=publish_at,
                deadline_tz=inp.time_zone, target_count=inp.target_count)


def _describe(values: dict) -> str:
    return "\n".join(f"{key}: {'' if value is None else value}" for key, value in sorted(values.items()))


def create_statement(inp: StatementInput, actor: audit.Actor) -> Statement:
    """Create a draft with its original translation (a draft too); the author coordinates it.

    :raises AuthoringError: a field is invalid or the address is taken.
    """
    if not inp.title.strip():
        raise AuthoringError("title", _("Enter a title."))
    try:
        return _create(inp, actor)
    except IntegrityError as error:  # the same address taken by a concurrent request
        db.session.rollback()
        raise AddressTaken(free_slug(inp.slug.strip().lower(), db.session)) from error


def _create(inp: StatementInput, actor: audit.Actor) -> Statement:
    with write() as session:
        values = _validate(inp, None, session)
        statement = Statement(state=StatementState.draft, **values)
        statement.translations.append(StatementTranslation(
            lang=values["original_lang"], title=inp.title.strip()[:300], revision=1, source_revision=1))
        if actor.id is not None:
            statement.coordinators.append(session.get(Coordinator, actor.id))
        session.add(statement)
        session.flush()
        audit.record(session, actor, "statement_created", statement_id=statement.id,
                     to_state=StatementState.draft, after=_describe(values))
    return statement


def update_statement(statement_id: int, inp: StatementInput, actor: audit.Actor) -> bool:
    """Change a statement's settings; the audit entry lists the fields before and after.

    :returns: True if anything changed.
    :raises AuthoringError: a field is invalid.
    """
    with write() as session:
        statement = session.get(Statement, statement_id)
        values = _validate(inp, statement, session)
        before = {k: getattr(statement, k) for k in values}
        before = {k: as_utc(v) if isinstance(v, datetime) else v for k, v in before.items()}
        changed = {k: v for k, v in values.items() if before[k] != v}
        if not changed:
            return False
        if "original_lang" in changed and not any(t.lang == values["original_lang"]
                                                  for t in statement.translations):
            raise AuthoringError("original_lang", _("Write a translation in this language first."))
        for key, value in changed.items():
            setattr(statement, key, value)
        statement.version += 1
        audit.record(session, actor, "statement_edited", statement_id=statement_id,
                     before=_describe({k: before[k] for k in changed}), after=_describe(changed))
        if statement.state == StatementState.closed and changed.get("deadline_at"):
            from portal.statements.lifecycle import reopen_in  # it builds on this module

            session.flush()
            reopen_in(session, statement, actor, "deadline extended")  # past now: _validate saw to it
    return True


def add_coordinator(statement_id: int, email: str, actor: audit.Actor) -> Coordinator:
    """Let another coordinator manage this statement.

    :raises AuthoringError: no active account has this email.
    """
    with write() as session:
        other = session.scalars(select(Coordinator).where(
            func.lower(Coordinator.email) == email.strip().lower(), Coordinator.active)).one_or_none()
        if other is None:
            raise AuthoringError("email", _("No coordinator has this email. "
                                            "An administrator can invite them."))
        statement = session.get(Statement, statement_id)
        if other not in statement.coordinators:
            statement.coordinators.append(other)
            audit.record(session, actor, "coordinator_added", statement_id=statement_id, after=other.email)
    return other


def set_paused(statement_id: int, paused: bool, actor: audit.Actor) -> bool:
    """Pause or resume signing of one statement (reading goes on); audit logged."""
    with write() as session:
        statement = session.get(Statement, statement_id)
        if statement.paused == paused:
            return False
        statement.paused = paused
        statement.version += 1
        audit.record(session, actor, "paused" if paused else "resumed", statement_id=statement_id,
                     before="paused" if not paused else "open", after="paused" if paused else "open")
    return True


def next_step(statement: Statement) -> tuple[str, str] | None:
    """The state this statement may move to next, and the action's name."""
    return STEPS.get(StatementState(statement.state))


def advance(statement_id: int, to_state: str, actor: audit.Actor) -> None:
    """Take the statement one lifecycle step, if its guard allows; audit logged by the transition.

    :raises AuthoringError: the step is not the next one, or its guard fails.
    """
    statement = db.session.get(Statement, statement_id)
    db.session.refresh(statement)
    step = next_step(statement)
    if step is None or step[0] != to_state:
        raise AuthoringError(None, _("This step is not available from the current state."))
    original = next((t for t in statement.translations if t.lang == statement.original_lang), None)
    if to_state == StatementState.collecting and not (original and original.title and original.body_md):
        raise AuthoringError(None, _("Write the original text (title and body) before opening signing."))
    if to_state == StatementState.published and not (original and original.published):
        raise AuthoringError(None, _("Publish the original translation before publishing the statement."))
    if not lifecycle.transition(statement_id, statement.state, to_state, step[1],
                                actor_id=actor.id, actor=actor.label):
        raise AuthoringError(None, _("Someone else changed this statement meanwhile. Reload and retry."))
    if to_state == StatementState.collecting:
        with write() as session:  # signing opens: the texts as they stand are version 1
            versions.open_record(session, session.get(Statement, statement_id), actor.id)
    db.session.expire_all()
