"""Translations of a statement: saving, publishing, and which are missing or stale."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts import audit
from portal.database import write
from portal.languages import known
from portal.mirrors import transparency
from portal.models import Statement, StatementTranslation, utcnow
from portal.record import amending, versions
from portal.statements.authoring import AuthoringError


class Status(enum.StrEnum):
    missing = "missing"
    draft = "draft"
    published = "published"
    stale = "stale"


@dataclass(frozen=True)
class TranslationInput:
    lang: str
    title: str
    summary: str = ""
    body_md: str = ""
    change: str = ""  # "editorial" or "substantive": asked for the original once signing opened


def original(statement: Statement) -> StatementTranslation | None:
    return next((t for t in statement.translations if t.lang == statement.original_lang), None)


def status(statement: Statement, tr: StatementTranslation | None) -> Status:
    """A translation's state; stale means published, but written against an older original."""
    if tr is None:
        return Status.missing
    source = original(statement)
    if tr.published and source is not None and tr is not source and tr.source_revision < source.revision:
        return Status.stale
    return Status.published if tr.published else Status.draft


Row = tuple[str, StatementTranslation | None, Status]


def overview(statement: Statement, wanted: list[str]) -> list[Row]:
    """Every existing translation plus each wanted language still missing, original first."""
    have = {t.lang: t for t in statement.translations}
    langs = [statement.original_lang] + sorted((set(have) | set(wanted)) - {statement.original_lang})
    return [(lang, have.get(lang), status(statement, have.get(lang))) for lang in langs]


def _describe(tr: StatementTranslation | TranslationInput) -> str:
    return f"title: {tr.title}\nsummary: {tr.summary}\n\n{tr.body_md}"


def save(statement_id: int, inp: TranslationInput, actor: audit.Actor) -> StatementTranslation:
    """Create or update the text in one language.

    Saving the original with new text raises its revision, which makes the published
    translations stale; saving a translation records the original's revision it now matches.

    :raises AuthoringError: the language or the title is invalid.
    """
    if not known(inp.lang):
        raise AuthoringError("lang", _("Unknown language."))
    if not inp.title.strip():
        raise AuthoringError("title", _("Enter a title."))
    if len(inp.title) > 300:
        raise AuthoringError("title", _("Use at most 300 characters."))
    if len(inp.summary) > 2000 or len(inp.body_md) > 60000:
        raise AuthoringError("body_md", _("The text is too long."))
    with write() as session:
        statement = session.get(Statement, statement_id)
        tr = session.scalars(select(StatementTranslation).where(
            StatementTranslation.statement_id == statement_id,
            StatementTranslation.lang == inp.lang)).one_or_none()
        created = tr is None
        if created:
            tr = StatementTranslation(statement_id=statement_id, lang=inp.lang, title="", revision=0)
            session.add(tr)
        before = "" if created else _describe(tr)
        new = (inp.title.strip(), inp.summary, inp.body_md)
        if (tr.title, tr.summary or "", tr.body_md or "") == new:
            return tr
        if not created and versions.same_text(tr, *new):
            # Only line ends or trailing spaces differ: the same text, so nothing goes stale.
            tr.title, tr.summary, tr.body_md = new
            return tr
        if not created and amending.needs_kind(session, statement, tr) and inp.change not in versions.KINDS:
            raise AuthoringError("change", _("Signing has opened: say whether this is an editorial "
                                             "correction or a substantive amendment."))
        amending.before_change(session, statement, tr, actor.id)
        tr.title, tr.summary, tr.body_md = inp.title.strip(), inp.summary, inp.body_md
        tr.revision = (tr.revision or 0) + 1
        tr.updated_at = utcnow()
        if inp.lang == statement.original_lang:
            tr.source_revision = tr.revision
        else:
            source = session.scalars(select(StatementTranslation).where(
                StatementTranslation.statement_id == statement_id,
                StatementTranslation.lang == statement.original_lang)).one_or_none()
            tr.source_revision = source.revision if source else 0
        if tr.published:
            statement.version += 1
            transparency.text_event(session, statement_id, "text_changed", tr.lang, tr.title, tr.summary,
                                    tr.body_md)
        session.flush()
        version = amending.after_change(session, statement, tr, inp.change, actor.id)
        audit.record(session, actor, "translation_saved", statement_id=statement_id,
                     detail=f"{inp.lang} v{version.number} {version.kind}" if version else inp.lang,
                     before=before, after=_describe(tr))
    return tr


def set_published(statement_id: int, lang: str, published: bool, actor: audit.Actor) -> bool:
    """Publish a translation (readers get it) or take it back to draft.

    :raises AuthoringError: it does not exist, lacks a body, or is the original of a public statement.
    """
    with write() as session:
        statement = session.get(Statement, statement_id)
        tr = next((t for t in statement.translations if t.lang == lang), None)
        if tr is None:
            raise AuthoringError(None, _("Save this translation first."))
        if tr.published == published:
            return False
        if published and not (tr.title and tr.body_md.strip()):
            raise AuthoringError("body_md", _("Write the body before publishing."))
        if not published and lang == statement.original_lang and statement.state != "draft" \
                and statement.state != "collecting":
            raise AuthoringError(None, _("The original of a public statement stays published."))
        tr.published = published
        statement.version += 1
        if published:
            amending.after_change(session, statement, tr, "", actor.id)
        transparency.text_event(session, statement_id, "text_published" if published else "text_withdrawn",
                                lang, tr.title, tr.summary, tr.body_md)
        audit.record(session, actor, "translation_published" if published else "translation_unpublished",
                     statement_id=statement_id, detail=lang, before="published" if not published else "draft",
                     after="published" if published else "draft")
    return True


def mark_current(statement_id: int, lang: str, actor: audit.Actor) -> bool:
    """Declare a stale translation up to date with the original without changing its text."""
    with write() as session:
        statement = session.get(Statement, statement_id)
        source = original(statement)
        tr = next((t for t in statement.translations if t.lang == lang), None)
        if tr is None or source is None or tr.source_revision >= source.revision:
            return False
        before = tr.source_revision
        tr.source_revision = source.revision
        audit.record(session, actor, "translation_marked_current", statement_id=statement_id, detail=lang,
                     before=f"revision {before}", after=f"revision {source.revision}")
    return True
