"""Asking signatories again after a substantive amendment, their answers, and the lapse.

A substantive amendment of the original asks every confirmed or counted signatory whether
they keep their signature. Those who read the original are emailed at once; those who signed
a translation are emailed when that translation catches up (its own substantive version), so
the diff they get is in their language. "Keep" records the new version on the signature;
"withdraw" is the ordinary withdrawal. Whoever has not answered within the statement's
``reconsent_days`` either stays, shown as having signed an earlier version, or leaves the
list (``reconsent_lapse`` = ``remove``: invalidated, with the reason in the audit log):
:func:`lapse`, run by ``flask versions lapse``.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import or_, select

from portal import tokens
from portal.database import write
from portal.languages import ui_language
from portal.mail.outbox import queue, worker
from portal.models import Signature, SignatureState, Statement, TextVersion, as_utc, utcnow
from portal.record import diffs, versions
from portal.signatures.notices import links
from portal.signatures.transitions import event, move
from portal.words import isolate

ASKED = (SignatureState.confirmed, SignatureState.validated)


class Answer(enum.StrEnum):
    kept = "kept"
    already = "already"  # nothing to answer: this version is already the one kept
    too_late = "too_late"  # the signature no longer stands
    invalid = "invalid"


def token_for(signature: Signature, number: int) -> str:
    return tokens.make("reconsent", f"{number}.{signature.uid}")


def read_token(token: str) -> tuple[int, str] | None:
    found = tokens.read("reconsent", token or "")
    number, _, uid = (found or "").partition(".")
    return (int(number), uid) if number.isdigit() and uid and len(number) < 9 else None


def text_lang(statement: Statement, signature: Signature) -> str:
    return signature.lang if statement.translation(signature.lang) is not None else statement.original_lang


def ask(session, statement: Statement, amended: TextVersion) -> int:
    """After a substantive version of ``amended.lang``: mark who must answer, and email those
    whose text is now amended. :returns: how many emails were queued."""
    now, sent = utcnow(), 0
    if amended.lang == statement.original_lang:
        for signature in session.scalars(select(Signature).where(
                Signature.statement_id == statement.id, Signature.state.in_(ASKED),
                or_(Signature.original_version.is_(None), Signature.original_version < amended.number))):
            signature.reconsent_version, signature.reconsent_asked_at = amended.number, None
    session.flush()
    pending = session.scalars(select(Signature).where(
        Signature.statement_id == statement.id, Signature.state.in_(ASKED),
        Signature.reconsent_version.is_not(None), Signature.reconsent_asked_at.is_(None)))
    for signature in pending:
        lang = text_lang(statement, signature)
        if lang != amended.lang:
            continue
        signature.reconsent_asked_at = now
        if signature.email:
            queue(session, signature.email, *compose(session, statement, signature, amended))
            sent += 1
        event(session, signature, "reconsent_asked", signature.state, signature.state,
              detail=f"v{signature.reconsent_version}")
    return sent


def compose(session, statement: Statement, signature: Signature, current: TextVersion) -> tuple[str, str]:
    """The re-consent email in the signer's language, with the diff of their text."""
    signed = None
    if signature.text_version:
        signed = session.scalar(select(TextVersion).where(
            TextVersion.statement_id == statement.id, TextVersion.lang == current.lang,
            TextVersion.number == signature.text_version))
    signed = signed or session.scalar(select(TextVersion).where(
        TextVersion.statement_id == statement.id, TextVersion.lang == current.lang,
        TextVersion.number < current.number).order_by(TextVersion.number.desc()).limit(1))
    base = current_app.config["BASE_URL"].rstrip("/")
    with force_locale(ui_language(signature.lang)):
        title = isolate(current.title)
        context = {
            "title": title, "name": isolate(signature.name),
            "diff": diffs.unified(signed, current) if signed else "",
            "keep_url": f"{base}/reconsent/{token_for(signature, signature.reconsent_version)}",
            "until": format_date(utcnow() + timedelta(days=statement.reconsent_days), format="long"),
            "stay": statement.reconsent_lapse != "remove",
            "versions_url": f"{base}/{signature.lang}/s/{statement.slug}/versions",
            **links(signature.uid),
        }
        subject = _("The text you signed was amended: %(title)s", title=title)
        return subject, render_template("mail/reconsent.txt", **context)


def find(session, token: str) -> tuple[Signature | None, int]:
    read = read_token(token)
    if read is None:
        return None, 0
    number, uid = read
    return session.scalars(select(Signature).where(Signature.uid == uid)).one_or_none(), number


def keep(token: str) -> Answer:
    """The signer keeps their signature for the amended version the link names."""
    with write() as session:
        signature, number = find(session, token)
        if signature is None:
            return Answer.invalid
        if signature.state not in ASKED:
            return Answer.too_late
        if (signature.original_version or 0) >= number:
            return Answer.already
        statement = signature.statement
        lang = text_lang(statement, signature)
        signature.text_version, signature.original_version = versions.numbers(session, statement, lang)
        signature.original_version = max(signature.original_version or 0, number)
        signature.reconsent_version = signature.reconsent_asked_at = None
        statement.version += 1
        event(session, signature, "reconsent_kept", signature.state, signature.state, actor="signer",
              detail=f"v{number}")
    return Answer.kept


def lapse(now=None) -> tuple[int, int]:
    """Apply each statement's no-answer rule to every request older than its days.

    :returns: (stayed, removed).
    """
    now = now or utcnow()
    stayed = removed = 0
    with write() as session:
        rows = session.execute(select(Signature, Statement).join(Statement).where(
            Signature.reconsent_asked_at.is_not(None), Signature.state.in_(ASKED))).all()
        for signature, statement in rows:
            if as_utc(signature.reconsent_asked_at) + timedelta(days=statement.reconsent_days) > now:
                continue
            detail = f"no answer to v{signature.reconsent_version}"
            signature.reconsent_version = signature.reconsent_asked_at = None
            statement.version += 1
            if statement.reconsent_lapse == "remove":
                before = move(session, signature, ASKED, SignatureState.invalidated)
                if before:
                    event(session, signature, "reconsent_lapsed", before, SignatureState.invalidated,
                          detail=detail)
                    removed += 1
            else:
                event(session, signature, "reconsent_lapsed", signature.state, signature.state, detail=detail)
                stayed += 1
    worker.notify()
    return stayed, removed



def needs_kind(session, statement: Statement, tr) -> bool:
    """Whether saving ``tr`` must say editorial or substantive: the original, once signing opened."""
    return versions.live(statement, tr) and tr.lang == statement.original_lang


def before_change(session, statement: Statement, tr, actor_id: int | None) -> None:
    """Put the text as it stands on record first (a statement older than versions has none)."""
    if versions.live(statement, tr) and versions.latest(session, statement.id, tr.lang) is None:
        versions.record(session, statement, tr, "editorial", actor_id)


def after_change(session, statement: Statement, tr, change: str, actor_id: int | None) -> TextVersion | None:
    """Record the new text as a version (the original's of the kind given, a translation's of
    the kind of the change it follows) and, for a substantive one, ask the signatories."""
    if not versions.live(statement, tr):
        return None
    if tr.lang == statement.original_lang:
        kind = change if change in versions.KINDS else "editorial"
    else:
        kind = versions.following_kind(session, statement, tr.lang)
    version = versions.record(session, statement, tr, kind, actor_id)
    if version is not None and version.kind == "substantive":
        ask(session, statement, version)
    return version
