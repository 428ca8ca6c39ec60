"""The one statement factory of the test suite: every seeder builds its statements here."""

from __future__ import annotations

from datetime import timedelta

from portal.extensions import db
from portal.models import Coordinator, Statement, StatementTranslation, utcnow

TEXTS = {
    "en": ("Free the reporters", "A call to free them.", "We call for **their release**."),
    "fr": ("Libérez les reporters", "Un appel à les libérer.", "Nous demandons **leur libération**."),
    "ar": ("أطلقوا سراح الصحفيين", "نداء للإفراج عنهم.", "نطالب **بالإفراج عنهم**."),
    "es": ("Liberad a los periodistas", "Borrador.", "Borrador sin publicar."),
}


def new_statement(slug: str = "free-the-reporters", state: str = "published", langs=("en",), drafts=(), *,
                  texts: dict | None = None, coordinator_id: int | None = None, revision: int = 0,
                  **fields) -> Statement:
    """Add and commit a statement, inside an application context.

    ``langs`` are published translations (the first is the original), ``drafts`` unpublished
    ones; their texts come from ``texts`` (language → title, summary, body), else ``TEXTS``.
    A published, closed or archived statement was published a day ago unless told otherwise.
    """
    if state in ("published", "closed", "archived"):
        fields.setdefault("published_at", utcnow() - timedelta(days=1))
    statement = Statement(slug=slug, original_lang=(langs or drafts or ("en",))[0], state=state, **fields)
    for lang in (*langs, *drafts):
        title, summary, body = (texts or {}).get(lang) or TEXTS.get(lang, TEXTS["en"])
        statement.translations.append(StatementTranslation(
            lang=lang, title=title, summary=summary, body_md=body, published=lang in langs,
            revision=revision, source_revision=revision))
    if coordinator_id is not None:
        statement.coordinators.append(db.session.get(Coordinator, coordinator_id))
    db.session.add(statement)
    db.session.commit()
    return statement


def titled(title: str, lang: str = "en") -> dict:
    """Texts for a statement that only needs a title."""
    return {lang: (title, "", "")}
