"""The coordinators' email digest: what waits for them on their statements, in their own
interface language.

A digest is a list of sections. Each section builder takes a coordinator and returns a
:class:`Section` or None; the pending queue is the first, and another area (invitation
replies, say) adds its own with :func:`register`. A coordinator gets the digest once a day
when there is something in it, and at once when their waiting queue passes their threshold
(checked by every ``flask digest send`` and ``flask statements tick``). Each coordinator can
switch it off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.languages import ui_language
from portal.mail import outbox as mail
from portal.models import (
    Coordinator,
    Signature,
    SignatureState,
    Statement,
    StatementState,
    as_utc,
    statement_coordinators,
    utcnow,
)
from portal.statements.public import text_for

DAY = timedelta(hours=23, minutes=30)  # a daily run a little early still sends
MAX_THRESHOLD = 100_000


@dataclass(frozen=True)
class Line:
    text: str
    url: str = ""


@dataclass(frozen=True)
class Section:
    heading: str
    lines: list[Line] = field(default_factory=list)
    size: int = 0  # what this section counts towards the threshold (waiting signatures)


SectionBuilder = Callable[[Coordinator], Section | None]
BUILDERS: list[SectionBuilder] = []


def register(builder: SectionBuilder) -> SectionBuilder:
    """Add a section to every digest (usable as a decorator); called in order of registration."""
    if builder not in BUILDERS:
        BUILDERS.append(builder)
    return builder


def _base() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _title(statement: Statement, lang: str) -> str:
    try:
        return text_for(statement, lang)[0].title
    except (IndexError, AttributeError):
        return statement.slug


@register
def waiting_queue(coordinator: Coordinator) -> Section | None:
    """Signatures confirmed by their owners and waiting for a coordinator, per statement."""
    counts = db.session.execute(
        select(Signature.statement_id, func.count(Signature.id))
        .join(statement_coordinators, statement_coordinators.c.statement_id == Signature.statement_id)
        .join(Statement, Statement.id == Signature.statement_id)
        .where(statement_coordinators.c.coordinator_id == coordinator.id,
               Statement.state != StatementState.archived, Signature.state == SignatureState.confirmed)
        .group_by(Signature.statement_id).order_by(Signature.statement_id)).all()
    rows = [(db.session.get(Statement, ident), n) for ident, n in counts]
    if not rows:
        return None
    lang = coordinator.ui_lang or current_app.config["BABEL_DEFAULT_LOCALE"]
    lines = [Line(_("%(title)s: %(n)s waiting", title=_title(statement, lang), n=n),
                  f"{_base()}/manage/statements/{statement.id}/moderation") for statement, n in rows]
    return Section(_("Signatures waiting for approval"), lines, sum(n for _statement, n in rows))


def sections(coordinator: Coordinator) -> list[Section]:
    """Every section with something in it, in the coordinator's language."""
    with force_locale(_language(coordinator)):
        return [section for builder in BUILDERS if (section := builder(coordinator)) is not None]


def _language(coordinator: Coordinator) -> str:
    return ui_language(coordinator.ui_lang or current_app.config["BABEL_DEFAULT_LOCALE"])


def compose(coordinator: Coordinator, parts: list[Section]) -> tuple[str, str]:
    """The digest's subject and body, in the coordinator's language."""
    with force_locale(_language(coordinator)):
        total = sum(section.size for section in parts)
        subject = _("Undersigned: %(n)s signatures waiting for you", n=total)
        body = render_template("mail/digest.txt", sections=parts, name=coordinator.name,
                               settings_url=f"{_base()}/manage/notifications")
    return subject, body


def why_due(coordinator: Coordinator, parts: list[Section], daily: bool) -> str | None:
    """``threshold`` when the waiting queue has just reached the coordinator's threshold,
    ``daily`` when a day has passed since the last digest and there is something to say."""
    if not coordinator.digest_enabled or not coordinator.active or not parts:
        return None
    size = sum(section.size for section in parts)
    threshold = coordinator.digest_threshold
    if threshold and size >= threshold > (coordinator.digest_sent_size or 0):
        return "threshold"
    last = coordinator.digest_sent_at
    if daily and (last is None or utcnow() - as_utc(last) >= DAY):
        return "daily"
    return None


def send(daily: bool = True) -> int:
    """Queue the digests that are due; remember each coordinator's queue size for the threshold.

    :param daily: also send the daily digests (False: threshold alerts only).
    :returns: how many digests were queued.
    """
    queued = 0
    idents = list(db.session.scalars(
        select(Coordinator.id).where(Coordinator.active).order_by(Coordinator.id)))
    for ident in idents:
        coordinator = db.session.get(Coordinator, ident)
        parts = sections(coordinator)
        size = sum(section.size for section in parts)
        reason = why_due(coordinator, parts, daily)
        message = compose(coordinator, parts) if reason else None
        with write() as session:
            row = session.get(Coordinator, ident)
            row.digest_sent_size = size
            if message:
                row.digest_sent_at = utcnow()
                mail.queue(session, row.email, *message)
                queued += 1
    if queued:
        mail.worker.notify()
    return queued


class SettingsError(DomainError):
    """A digest setting that cannot be taken."""


def configure(coordinator_id: int, enabled: bool, threshold: int | None, ui_lang: str | None,
              actor: audit.Actor) -> bool:
    """Change a coordinator's digest settings and email language; audited.

    :returns: True if anything changed.
    :raises SettingsError: the threshold or the language is invalid.
    """
    if threshold is not None and not 0 < threshold <= MAX_THRESHOLD:
        raise SettingsError("threshold", _("Enter a whole number from 1 to %(n)s, or leave it empty.",
                                           n=MAX_THRESHOLD))
    if ui_lang and ui_lang not in current_app.config["LANGUAGES"]:
        raise SettingsError("ui_lang", _("Choose a language from the list."))
    with write() as session:
        row = session.get(Coordinator, coordinator_id)
        before = (row.digest_enabled, row.digest_threshold, row.ui_lang)
        after = (enabled, threshold, ui_lang or None)
        if before == after:
            return False
        row.digest_enabled, row.digest_threshold, row.ui_lang = after
        describe = "digest: {}\nthreshold: {}\nlanguage: {}".format
        audit.record(session, actor, "digest_settings", before=describe(*before), after=describe(*after))
    return True
