"""Personal invitations to sign a statement: sending them to organisations chosen by tag,
country or by hand, reminding those who have not replied, the tracking board, and bounces.

Each invitation's link ``/<lang>/s/<slug>/i/<token>`` carries a token as strong as the
signers' confirmation tokens (a random public id and a keyed MAC); the table keeps only the
token's SHA-256, so neither the database alone nor a log of it opens a link. Emails go
through the outbox in the organisation's language. Nothing records whether an email was
opened: no pixel, no tracked link.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal import tokens
from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.languages import ui_language
from portal.mail import outbox
from portal.models import Invitation, InvitationState, Organisation, Statement, new_uid, utcnow
from portal.network import contacts, roster
from portal.statements import public
from portal.words import isolate

MAX_REMINDERS = 2
PURPOSE = "invite"


class InvitationError(DomainError):
    """A reason invitations cannot be sent now."""


def token_of(invitation: Invitation) -> str:
    return tokens.make(PURPOSE, invitation.uid)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link(invitation: Invitation, statement: Statement) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/{invitation.lang}/s/{statement.slug}/i/{token_of(invitation)}"


def by_token(session: Session, token: str) -> Invitation | None:
    """The invitation a well-formed, genuine token names, or None."""
    if tokens.read(PURPOSE, token) is None:
        return None
    return session.scalars(select(Invitation).where(Invitation.token_hash == token_hash(token))).one_or_none()


def compose(invitation: Invitation, statement: Statement, org: Organisation,
            reminder: bool) -> tuple[str, str]:
    """The subject and body of an invitation (or its reminder), in the organisation's language."""
    with force_locale(ui_language(invitation.lang)):
        title = isolate(public.text_for(statement, invitation.lang)[0].title)
        subject = (_("Reminder: an invitation to sign “%(title)s”", title=title) if reminder
                   else _("An invitation to sign “%(title)s”", title=title))
        body = render_template("mail/org_invitation.txt", title=title, name=isolate(org.name),
                               link=link(invitation, statement), reminder=reminder)
    return subject, body


def _mail(session: Session, invitation: Invitation, statement: Statement, org: Organisation,
          reminder: bool) -> bool:
    address = contacts.primary(org.id, session)
    if address is None:
        return False
    mail = outbox.queue(session, address, *compose(invitation, statement, org, reminder))
    session.flush()
    invitation.mail_id, invitation.sent_at = mail.id, utcnow()
    return True


@dataclass(frozen=True)
class Sent:
    sent: int
    already: int  # invited to this statement before
    no_address: int  # in the roster without a contact address


def _open(session: Session, statement_id: int) -> Statement:
    statement = session.get(Statement, statement_id)
    if statement is None or statement.state not in public.OPEN_STATES:
        raise InvitationError(None, _("Invitations can be sent while the statement collects signatures."))
    return statement


def send(statement_id: int, chosen: roster.Selection, actor: audit.Actor) -> Sent:
    """Invite every chosen organisation not yet invited to this statement; audited.

    :raises InvitationError: the statement is not collecting signatures, or nothing was chosen.
    """
    if chosen == roster.Selection():
        raise InvitationError(None, _("Choose organisations by tag, by country or by hand."))
    sent = already = no_address = 0
    with write() as session:
        statement = _open(session, statement_id)
        invited = set(session.scalars(select(Invitation.organisation_id).where(
            Invitation.statement_id == statement.id)))
        for org in session.scalars(roster.select_query(chosen)).all():
            if org.id in invited:
                already += 1
                continue
            uid = new_uid()
            invitation = Invitation(uid=uid, token_hash=token_hash(tokens.make(PURPOSE, uid)),
                                    statement_id=statement.id, organisation_id=org.id, lang=org.language,
                                    state=InvitationState.invited, reminders=0, decline_reason="")
            session.add(invitation)
            session.flush()
            if _mail(session, invitation, statement, org, reminder=False):
                sent += 1
            else:
                session.delete(invitation)
                no_address += 1
        audit.record(session, actor, "invitations_sent", statement_id=statement.id,
                     detail=_describe(chosen, sent))
    outbox.worker.notify()
    return Sent(sent, already, no_address)


def _describe(chosen: roster.Selection, count: int) -> str:
    parts = [f"{count} sent"]
    if chosen.tag:
        parts.append(f"tag {chosen.tag}")
    if chosen.country:
        parts.append(f"country {chosen.country}")
    if chosen.ids:
        parts.append(f"{len(chosen.ids)} chosen by hand")
    return ", ".join(parts)


def remind(statement_id: int, actor: audit.Actor) -> int:
    """Send a reminder to every invitation without a reply (not to those who signed, declined
    or bounced), at most ``MAX_REMINDERS`` per invitation; audited.

    :returns: how many reminders were sent.
    """
    count = 0
    with write() as session:
        statement = _open(session, statement_id)
        due = session.scalars(select(Invitation).where(
            Invitation.statement_id == statement.id, Invitation.state == InvitationState.invited,
            Invitation.reminders < MAX_REMINDERS).order_by(Invitation.id)).all()
        for invitation in due:
            if _mail(session, invitation, statement, invitation.organisation, reminder=True):
                invitation.reminders += 1
                count += 1
        audit.record(session, actor, "invitations_reminded", statement_id=statement.id,
                     detail=f"{count} sent")
    outbox.worker.notify()
    return count


def refused(session: Session, mail_id: int) -> None:
    """The SMTP server refused the address of outbox email ``mail_id``: if it was an
    invitation's last email and there is no reply yet, the invitation has bounced."""
    session.execute(update(Invitation).where(
        Invitation.mail_id == mail_id, Invitation.state == InvitationState.invited)
        .values(state=InvitationState.bounced).execution_options(synchronize_session=False))


outbox.refused.connect(refused)


@dataclass(frozen=True)
class Board:
    """The counts of a statement's invitations by reply."""

    invited: int
    signed: int
    declined: int
    no_reply: int
    bounced: int


def board(statement_id: int) -> Board:
    found = dict(db.session.execute(select(Invitation.state, func.count()).where(
        Invitation.statement_id == statement_id).group_by(Invitation.state)).all())
    return Board(sum(found.values()), found.get(InvitationState.signed, 0),
                 found.get(InvitationState.declined, 0), found.get(InvitationState.invited, 0),
                 found.get(InvitationState.bounced, 0))


def listing(statement_id: int, state: str = "") -> list[Invitation]:
    """A statement's invitations, by organisation name, optionally in one state."""
    query = select(Invitation).join(Organisation).where(Invitation.statement_id == statement_id)
    if state in set(InvitationState):
        query = query.where(Invitation.state == state)
    return list(db.session.scalars(query.order_by(Organisation.name_key, Invitation.id)))
