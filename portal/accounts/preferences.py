"""A coordinator's own settings that are not secrets: the workspace language."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import update

from portal.accounts import audit
from portal.accounts.audit import Actor
from portal.database import write
from portal.errors import DomainError
from portal.models import Coordinator


class PreferenceError(DomainError):
    pass


def set_language(actor: Actor, lang: str) -> None:
    """Store the workspace language of the acting coordinator (one of the interface languages).

    :raises PreferenceError: ``lang`` has no interface catalogue here.
    """
    if lang not in current_app.config["LANGUAGES"]:
        raise PreferenceError("lang", "unknown language")
    with write() as session:
        session.execute(update(Coordinator).where(Coordinator.id == actor.id).values(ui_lang=lang))
        audit.record(session, actor, "language_chosen", detail=lang)
