"""A statement's invitations: the tracking board (counts and filters), inviting organisations
of the roster by tag, country or by hand, and reminding those who have not replied."""

from __future__ import annotations

from flask import Response, flash, render_template, request, url_for
from flask_babel import gettext as _

from portal.errors import DomainError
from portal.models import InvitationState
from portal.network import access, initiators, invitations, roster
from portal.views.manage import bp, see_other
from portal.views.manage.forms import Form
from portal.views.manage.roster import ident, printable
from portal.web import auth


@bp.get("/statements/<int:statement_id>/invitations")
@auth.login_required
def invitation_board(statement_id: int):
    """Who was invited, and who signed, declined, bounced or has not replied."""
    item = auth.statement_for(statement_id)
    state = request.args.get("state", "")
    state = state if state in set(InvitationState) else ""
    rows = invitations.listing(item.id, state)
    invited = {row.organisation_id for row in invitations.listing(item.id)}
    return render_template("manage/invitations.html", statement=item, board=invitations.board(item.id),
                           rows=rows, state=state, tags=roster.all_tags(), form=Form(),
                           candidates=[org for org in roster.organisations() if org.id not in invited],
                           max_reminders=invitations.MAX_REMINDERS, links=initiators.per_link(item.id))


@bp.post("/statements/<int:statement_id>/invitations/send")
@auth.login_required
def send_invitations(statement_id: int):
    """Invite the organisations chosen by tag, country or by hand."""
    item = auth.statement_for(statement_id)
    ids = tuple(sorted({n for n in map(ident, request.form.getlist("org")) if n}))[:5000]
    chosen = roster.Selection(tag=printable(request.form.get("tag"), 40),
                              country=printable(request.form.get("country"), 2), ids=ids)
    return _act(item, lambda: invitations.send(item.id, chosen, auth.actor()), lambda done: _(
        "%(sent)s invited; %(already)s had been invited before; %(none)s without a contact address.",
        sent=done.sent, already=done.already, none=done.no_address))


def _act(item, act, said, anchor: str = "") -> Response:
    """Run ``act`` (a service call) for a genuine form; flash its refusal, or ``said(result)``;
    then back to the invitations page."""
    if Form().validate_on_submit():
        try:
            result = act()
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(said(result), "info")
    return see_other(url_for(".invitation_board", statement_id=item.id) + anchor)


@bp.post("/statements/<int:statement_id>/invitations/remind")
@auth.login_required
def remind_invitations(statement_id: int):
    """Remind, in one action, the invited organisations that have not replied."""
    item = auth.statement_for(statement_id)
    return _act(item, lambda: invitations.remind(item.id, auth.actor()),
                lambda count: _("%(count)s reminders sent.", count=count))


@bp.post("/statements/<int:statement_id>/invitations/access")
@auth.login_required
def invitation_access(statement_id: int):
    """Make the statement invite-only (with allowed email domains), or open to all again."""
    item = auth.statement_for(statement_id)
    return _act(item, lambda: access.set_access(item.id, request.form.get("invite_only") == "y",
                                                request.form.get("domains", "")[:2000], auth.actor()),
                lambda _result: _("Saved."))


@bp.post("/statements/<int:statement_id>/initiators")
@auth.login_required
def add_initiator(statement_id: int):
    """Name a co-initiating organisation; it gets its own recruitment link."""
    item = auth.statement_for(statement_id)
    return _act(item, lambda: initiators.add(item.id, request.form.get("name", "")[:400], auth.actor()),
                lambda _result: _("Saved."), "#initiators-heading")


@bp.post("/statements/<int:statement_id>/initiators/remove")
@auth.login_required
def remove_initiator(statement_id: int):
    """Stop naming a co-initiator."""
    item = auth.statement_for(statement_id)
    return _act(item, lambda: initiators.remove(item.id, ident(request.form.get("id")) or 0, auth.actor()),
                lambda _result: _("Saved."), "#initiators-heading")
