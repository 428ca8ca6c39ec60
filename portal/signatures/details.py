"""The rules every signatory's published details follow, wherever they come from (the sign
form, the confirm page, "your signature", a coordinator's correction): one-line names without
hidden characters or addresses, a real web address, a known country and visibility."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext as _

from portal.errors import DomainError
from portal.models import Kind, Visibility
from portal.text import country_codes, name_problem


class SigningError(DomainError):
    """A reason the signature cannot be taken."""


class SigningBusy(SigningError):
    """The statement's own limit is reached: the signer is asked to try again shortly."""


def name_error(value: str) -> str | None:
    """What is wrong with a name field, in words, or None (see :func:`portal.text.name_problem`)."""
    return {
        "lines": _("Write it on one line, without line breaks."),
        "direction": _("Remove the text-direction control characters."),
        "invisible": _("Remove the invisible characters, such as zero-width spaces."),
        "control": _("Remove the control characters."),
        "url": _("Write the name without a web or email address: the website has its own field."),
    }.get(name_problem(value) or "")


def website_error(value: str) -> str | None:
    """What is wrong with a website as normalised, or None."""
    if not value:
        return None
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or "." not in host or any(c.isspace() for c in value):
        return _("Enter a web address, such as example.org.")
    return None


def check_kind(statement, kind: str) -> None:
    """Whether ``statement`` takes signatures of this kind (organisations, individuals or both).

    :raises SigningError: on the ``kind`` field.
    """
    if kind == Kind.organisation and not statement.allow_organisations:
        raise SigningError("kind", _("This statement is signed by individuals only."))
    if kind == Kind.individual and not statement.allow_individuals:
        raise SigningError("kind", _("This statement is signed by organisations only."))


def check_details(kind: str, country: str, visibility: str, names: dict[str, str], website: str) -> None:
    """The rules every signatory's details follow, wherever they come from.

    :raises SigningError: naming the first field that breaks one.
    """
    if kind not in set(Kind):
        raise SigningError("kind", _("Choose who is signing."))
    for field_name, value in names.items():
        if message := name_error(value):
            raise SigningError(field_name, message)
    if not names.get("name", "").strip():
        raise SigningError("name", _("Enter the name to be shown."))
    if message := website_error(website):
        raise SigningError("website", message)
    if country not in country_codes():
        raise SigningError("country", _("Choose a country from the list."))
    if visibility not in set(Visibility):
        raise SigningError("visibility", _("Choose how your signature is shown."))
