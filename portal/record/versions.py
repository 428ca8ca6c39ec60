"""Versions of a statement's text: one per published revision of each translation.

Versions begin when signing opens (before that, a draft is only a draft). From then on each
change to a live text (a published translation, or the original of a statement signing has
opened for) whose *normalised* text hashes differently becomes a new numbered version; saving
the same text back changes nothing, so nothing goes stale. A change to the original is either
``editorial`` (a correction, "corrected on DATE") or ``substantive`` (an amendment, "amended on
DATE", which asks the signatories again: :mod:`portal.record.amending`). A translation's new
version takes the kind of the original's change it follows.

:data:`version_created` is sent (inside the transaction) for every new version, so other
records (a transparency log) can hook in.
"""

from __future__ import annotations

import hashlib
import unicodedata

from blinker import Namespace
from sqlalchemy import func, select

from portal.models import Statement, StatementState, StatementTranslation, TextVersion

signals = Namespace()
#: ``version_created.send(session, version=TextVersion)``, inside the writing transaction.
version_created = signals.signal("version-created")

KINDS = ("editorial", "substantive")


def normalise(title: str, summary: str, body_md: str) -> str:
    """The text as hashed: NFC, LF line ends, no trailing spaces, no blank lines at the ends."""
    def clean(part: str) -> str:
        lines = unicodedata.normalize("NFC", part or "").replace("\r\n", "\n").replace("\r", "\n")
        return "\n".join(line.rstrip() for line in lines.split("\n")).strip("\n")

    return "\x1e".join(clean(part) for part in (title.strip(), summary, body_md))


def digest(title: str, summary: str, body_md: str) -> str:
    """SHA-256 (hex) of the normalised text."""
    return hashlib.sha256(normalise(title, summary, body_md).encode()).hexdigest()


def same_text(tr: StatementTranslation, title: str, summary: str, body_md: str) -> bool:
    return digest(tr.title, tr.summary or "", tr.body_md or "") == digest(title, summary, body_md)


def latest(session, statement_id: int, lang: str) -> TextVersion | None:
    return session.scalars(select(TextVersion).where(
        TextVersion.statement_id == statement_id, TextVersion.lang == lang)
        .order_by(TextVersion.number.desc()).limit(1)).first()


def numbers(session, statement: Statement, lang: str) -> tuple[int | None, int | None]:
    """The current version numbers of the text in ``lang`` (its fallback, the original, where
    it has no published translation) and of the original: what a signature records."""
    text_lang = lang if statement.translation(lang) is not None else statement.original_lang
    rows = dict(session.execute(select(TextVersion.lang, func.max(TextVersion.number)).where(
        TextVersion.statement_id == statement.id,
        TextVersion.lang.in_({text_lang, statement.original_lang})).group_by(TextVersion.lang)).all())
    return rows.get(text_lang), rows.get(statement.original_lang)


def live(statement: Statement, tr: StatementTranslation) -> bool:
    """Whether the text is versioned: signing has opened, and readers or signers see it."""
    if statement.state == StatementState.draft:
        return False
    return tr.published or tr.lang == statement.original_lang


def record(session, statement: Statement, tr: StatementTranslation, kind: str,
           actor_id: int | None = None) -> TextVersion | None:
    """Record ``tr``'s current text as a new version unless the latest one has the same hash.

    :param kind: ``editorial`` or ``substantive``; a language's first version is ``first``.
    """
    sha = digest(tr.title, tr.summary or "", tr.body_md or "")
    last = latest(session, statement.id, tr.lang)
    if last is not None and last.sha256 == sha:
        return None
    version = TextVersion(statement_id=statement.id, lang=tr.lang, number=(last.number + 1) if last else 1,
                          kind=kind if last else "first", sha256=sha, title=tr.title,
                          summary=tr.summary or "", body_md=tr.body_md or "", created_by=actor_id)
    session.add(version)
    session.flush()
    version_created.send(session, version=version)
    return version


def following_kind(session, statement: Statement, lang: str) -> str:
    """The kind of a translation's new version: substantive if the original was amended since
    the translation's last version, else editorial."""
    last = latest(session, statement.id, lang)
    query = select(func.count()).select_from(TextVersion).where(
        TextVersion.statement_id == statement.id, TextVersion.lang == statement.original_lang,
        TextVersion.kind == "substantive")
    if last is not None:
        query = query.where(TextVersion.created_at >= last.created_at)
    return "substantive" if session.scalar(query) else "editorial"


def open_record(session, statement: Statement, actor_id: int | None = None) -> None:
    """Signing opens: the original and every published translation get their first version."""
    for tr in statement.translations:
        if live(statement, tr):
            record(session, statement, tr, "editorial", actor_id)


def history(session, statement_id: int, lang: str) -> list[TextVersion]:
    """Every version of the text in ``lang``, newest first."""
    return list(session.scalars(select(TextVersion).where(
        TextVersion.statement_id == statement_id, TextVersion.lang == lang)
        .order_by(TextVersion.number.desc())))


def base_of(session, statement_id: int, lang: str, number: int) -> int:
    """The substantive version (or the first) that version ``number`` corrects: signing that
    one is signing this one."""
    found = session.scalar(select(func.max(TextVersion.number)).where(
        TextVersion.statement_id == statement_id, TextVersion.lang == lang,
        TextVersion.number <= number, TextVersion.kind.in_(("first", "substantive"))))
    return found or 1
