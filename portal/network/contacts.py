"""The one way to an organisation's contact addresses. Nothing else reads or writes
``organisation_contacts``, so that sealing the addresses later changes this module alone."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import OrganisationContact


def addresses(organisation_id: int, session: Session | None = None) -> list[str]:
    """The organisation's contact addresses, the invitation address first."""
    session = session or db.session
    return list(session.scalars(select(OrganisationContact.email).where(
        OrganisationContact.organisation_id == organisation_id).order_by(
        OrganisationContact.position, OrganisationContact.id)))


def primary(organisation_id: int, session: Session | None = None) -> str | None:
    """The address invitations go to (the first one), or None."""
    found = addresses(organisation_id, session)
    return found[0] if found else None


def replace(session: Session, organisation_id: int, emails: list[str]) -> None:
    """Set the organisation's addresses to ``emails`` (in this order, duplicates dropped)."""
    session.execute(delete(OrganisationContact).where(
        OrganisationContact.organisation_id == organisation_id))
    seen: list[str] = []
    for email in emails:
        if email.lower() not in (known.lower() for known in seen):
            seen.append(email)
    for position, email in enumerate(seen):
        session.add(OrganisationContact(organisation_id=organisation_id, email=email, position=position))
    session.flush()


def all_addresses(session: Session | None = None) -> dict[int, list[str]]:
    """Every organisation's addresses by organisation id (for the export)."""
    session = session or db.session
    found: dict[int, list[str]] = {}
    for org_id, email in session.execute(select(
            OrganisationContact.organisation_id, OrganisationContact.email).order_by(
            OrganisationContact.organisation_id, OrganisationContact.position, OrganisationContact.id)):
        found.setdefault(org_id, []).append(email)
    return found
