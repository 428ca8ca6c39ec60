"""What an invited organisation does through its personal link: sign in one step (the link
proves the address, so no confirmation email), or decline with an optional reason. A link
answers once, and signs only in its own organisation's name."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.mail.outbox import worker
from portal.models import Invitation, InvitationState, Kind, Organisation, Signature, Statement, utcnow
from portal.network import contacts
from portal.network.invitations import by_token
from portal.signatures import signing
from portal.statements import public


class ReplyError(DomainError):
    """A reason the link cannot take this reply."""


@dataclass(frozen=True)
class Opened:
    """What the invitation page shows: the invitation, its organisation and statement."""

    invitation: Invitation
    organisation: Organisation
    statement: Statement

    @property
    def answered(self) -> bool:
        return self.invitation.state in (InvitationState.signed, InvitationState.declined)


def opened(token: str) -> Opened | None:
    """The invitation behind ``token`` (read only: opening the page records nothing)."""
    invitation = by_token(db.session, token)
    if invitation is None:
        return None
    return Opened(invitation, invitation.organisation, invitation.statement)


@dataclass(frozen=True)
class Signed:
    """The fields the organisation's representative fills in; the name is the roster's."""

    signer_name: str
    role: str
    website: str
    country: str
    visibility: str
    authorised: bool
    name: str = ""  # as sent by the form: it must be the organisation's own (or another of its names)
    org_type: str = ""


def _unanswered(session, token: str) -> Invitation:
    invitation = by_token(session, token)
    if invitation is None:
        raise ReplyError(None, _("This invitation link is not valid."))
    if invitation.state in (InvitationState.signed, InvitationState.declined):
        raise ReplyError(None, _("This invitation has already been answered."))
    return invitation


def _name(org: Organisation, given: str) -> str:
    """The name to sign with: the roster's, or another of its names; never someone else's."""
    given = " ".join(given.split())
    if not given:
        return org.name
    for name in (org.name, *org.other_name_list):
        if name.casefold() == given.casefold():
            return name
    raise ReplyError("name", _("This link signs only for %(name)s.", name=org.name))


def sign(token: str, form: Signed, lang: str) -> Signature:
    """Sign through the link: confirmed at once, then moderated as the statement says.

    :raises ReplyError: the link is not valid, or was used already, or names another organisation.
    :raises SigningError: the statement is closed, or a field breaks a rule.
    """
    with write() as session:
        invitation = _unanswered(session, token)
        org = invitation.organisation
        address = contacts.primary(org.id, session)
        if address is None:
            raise ReplyError(None, _("This invitation link is not valid."))
        signature = signing.take_proven(session, signing.SignRequest(
            statement_id=invitation.statement_id, kind=Kind.organisation, name=_name(org, form.name),
            country=form.country, email=address, lang=lang, visibility=form.visibility,
            signer_name=form.signer_name, role=form.role, website=form.website, org_type=form.org_type,
            authorised=form.authorised, proven=True))
        if signature is None:
            raise ReplyError(None, _("This address cannot sign for more organisations."))
        invitation.state, invitation.replied_at = InvitationState.signed, utcnow()
        invitation.signature_id = signature.id
        audit.record(session, audit.Actor(None, "invitee"), "invitation_signed",
                     statement_id=invitation.statement_id, signature_id=signature.id,
                     detail=f"#{org.id} {org.name}")
    worker.notify()
    return signature


def decline(token: str, reason: str) -> None:
    """Decline the invitation, with an optional reason for the coordinators.

    :raises ReplyError: the link is not valid, or was used already.
    """
    with write() as session:
        invitation = _unanswered(session, token)
        if invitation.statement.state not in public.OPEN_STATES:
            raise ReplyError(None, _("Signing of this statement is closed."))
        invitation.state, invitation.replied_at = InvitationState.declined, utcnow()
        invitation.decline_reason = reason.strip()[:1000]
        audit.record(session, audit.Actor(None, "invitee"), "invitation_declined",
                     statement_id=invitation.statement_id, detail=f"#{invitation.organisation_id}")
