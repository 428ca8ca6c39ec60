"""A statement's record settings: its initiators, its public corrections address, and what
happens to signatories who do not answer after an amendment. Audit logged."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.models import Statement


class SettingsError(DomainError):
    """Why a record setting was refused."""


@dataclass(frozen=True)
class RecordSettings:
    initiators: str = ""  # one organisation per line
    corrections_contact: str = ""
    reconsent_days: int = 14
    reconsent_lapse: str = "stay"


def _clean(inp: RecordSettings) -> dict:
    lines = [line.strip() for line in inp.initiators.replace("\r\n", "\n").split("\n") if line.strip()]
    if len(lines) > 50 or any(len(line) > 300 for line in lines):
        raise SettingsError("initiators", _("List at most 50 organisations, one per line."))
    contact = inp.corrections_contact.strip()
    if contact:
        try:
            contact = validate_email(contact, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise SettingsError("corrections_contact",
                                _("Enter an email address such as name@example.org.")) from error
    if not 1 <= inp.reconsent_days <= 365:
        raise SettingsError("reconsent_days", _("Enter a number of days between 1 and 365."))
    if inp.reconsent_lapse not in ("stay", "remove"):
        raise SettingsError("reconsent_lapse", _("Choose what happens without an answer."))
    return {"initiators": "\n".join(lines), "corrections_contact": contact,
            "reconsent_days": inp.reconsent_days, "reconsent_lapse": inp.reconsent_lapse}


def update(statement_id: int, inp: RecordSettings, actor: audit.Actor) -> bool:
    """:returns: True if anything changed. :raises SettingsError: a field is invalid."""
    values = _clean(inp)
    with write() as session:
        statement = session.get(Statement, statement_id)
        changed = {k: v for k, v in values.items() if getattr(statement, k) != v}
        if not changed:
            return False
        before = "\n".join(f"{k}: {getattr(statement, k)}" for k in sorted(changed))
        for key, value in changed.items():
            setattr(statement, key, value)
        statement.version += 1
        audit.record(session, actor, "record_settings", statement_id=statement_id, before=before,
                     after="\n".join(f"{k}: {v}" for k, v in sorted(changed.items())))
    return True
