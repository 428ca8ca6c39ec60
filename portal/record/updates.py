"""Updates on a statement's outcome: a timeline on the page and in the feed, emailed to the
confirmed signatories who asked to be kept informed, in their language, through the outbox.

At most ``UPDATE_MAILS_PER_DAY`` updates per statement are emailed in 24 hours (a further one
is posted but not emailed). Every email carries ``List-Unsubscribe`` with an HTTPS link and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058): a mail client's POST to the
link stops updates at once, without a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import tokens
from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.languages import known, ui_language
from portal.mail.outbox import queue, worker
from portal.models import (
    Signature,
    SignatureState,
    Statement,
    StatementUpdate,
    UpdateText,
    utcnow,
)
from portal.words import isolate

INFORMED = (SignatureState.confirmed, SignatureState.validated)


class UpdateError(DomainError):
    """Why an update was refused."""


@dataclass(frozen=True)
class UpdateInput:
    happened_on: date
    texts: dict[str, tuple[str, str]]  # language: (title, body in Markdown)
    email: bool = True


@dataclass(frozen=True)
class Posted:
    update: StatementUpdate
    mailed: int
    held: bool  # not emailed: this statement's daily allowance of update emails is spent


def _check(statement: Statement, inp: UpdateInput) -> dict[str, tuple[str, str]]:
    texts = {lang: (title.strip(), body.strip()) for lang, (title, body) in inp.texts.items()
             if title.strip() or body.strip()}
    if statement.original_lang not in texts:
        raise UpdateError("title", _("Write the update in the statement's original language first."))
    for lang, (title, body) in texts.items():
        if not known(lang):
            raise UpdateError("lang", _("Unknown language."))
        if not title or len(title) > 300:
            raise UpdateError("title", _("Give each language a title of at most 300 characters."))
        if len(body) > 20000:
            raise UpdateError("body_md", _("The text is too long."))
    if abs((inp.happened_on - utcnow().date()).days) > 3650:
        raise UpdateError("happened_on", _("Enter a date within ten years of today."))
    return texts


def post(statement_id: int, inp: UpdateInput, actor: audit.Actor) -> Posted:
    """Post an update; email it to those who asked, unless the day's allowance is spent.

    :raises UpdateError: no text in the original language, or a field is invalid.
    """
    with write() as session:
        statement = session.get(Statement, statement_id)
        texts = _check(statement, inp)
        update = StatementUpdate(statement_id=statement_id, happened_on=inp.happened_on, created_by=actor.id,
                                 texts=[UpdateText(lang=lang, title=title, body_md=body)
                                        for lang, (title, body) in sorted(texts.items())])
        session.add(update)
        session.flush()
        held = inp.email and _spent(session, statement_id)
        mailed = _mail(session, statement, update) if inp.email and not held else 0
        update.mailed = mailed
        statement.version += 1
        audit.record(session, actor, "update_posted", statement_id=statement_id,
                     detail=f"#{update.id}, emailed to {mailed}" + (" (held: daily limit)" if held else ""),
                     after="\n\n".join(f"[{lang}] {title}\n{body}" for lang, (title, body) in texts.items()))
    worker.notify()
    return Posted(update, mailed, held)


def _spent(session, statement_id: int) -> bool:
    since = utcnow() - timedelta(days=1)
    emailed = session.scalar(select(func.count()).select_from(StatementUpdate).where(
        StatementUpdate.statement_id == statement_id, StatementUpdate.mailed > 0,
        StatementUpdate.created_at >= since))
    return emailed >= current_app.config["UPDATE_MAILS_PER_DAY"]


def unsubscribe_url(signature: Signature) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/unsubscribe/{tokens.make('unsubscribe', signature.uid)}"


def _mail(session, statement: Statement, update: StatementUpdate) -> int:
    sent = 0
    base = current_app.config["BASE_URL"].rstrip("/")
    for signature in session.scalars(select(Signature).where(
            Signature.statement_id == statement.id, Signature.state.in_(INFORMED),
            Signature.keep_informed.is_(True), Signature.email.is_not(None))):
        text = update.text(signature.lang, statement.original_lang)
        stop = unsubscribe_url(signature)
        with force_locale(ui_language(signature.lang)):
            subject = _("Update: %(title)s", title=isolate(text.title))
            body = render_template("mail/update.txt", text=text, stop_url=stop,
                                   statement_url=f"{base}/{signature.lang}/s/{statement.slug}")
        queue(session, signature.email, subject, body, {
            "List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        sent += 1
    return sent


def stop(token: str) -> bool | None:
    """Stop updates for the signature a link names. :returns: None for a bad link, else whether
    anything changed."""
    uid = tokens.read("unsubscribe", token or "")
    if uid is None:
        return None
    with write() as session:
        signature = session.scalars(select(Signature).where(Signature.uid == uid)).one_or_none()
        if signature is None:
            return None
        if not signature.keep_informed:
            return False
        signature.keep_informed = False
        audit.record(session, audit.Actor(None, "signer"), "updates_stopped",
                     statement_id=signature.statement_id, signature_id=signature.id)
    return True


def timeline(session, statement_id: int) -> list[StatementUpdate]:
    """A statement's updates, newest first."""
    return list(session.scalars(select(StatementUpdate).where(StatementUpdate.statement_id == statement_id)
                                .order_by(StatementUpdate.happened_on.desc(), StatementUpdate.id.desc())))
