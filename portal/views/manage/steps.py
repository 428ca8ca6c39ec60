"""Confirmed lifecycle steps (publish, close, archive, reopen) and taking a coordinator off a
statement. Without JavaScript a step's confirmation is a page (GET shows it, POST takes it);
with htmx the same fragment opens in a dialog."""

from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _

from portal.fragments import render, wants_fragment
from portal.statements import lifecycle, team
from portal.statements.authoring import AuthoringError
from portal.views.manage import bp, see_other
from portal.views.manage.statements import controls_after
from portal.web import auth
from portal.words import state_label


@bp.route("/statements/<int:statement_id>/step/<to>", methods=["GET", "POST"])
@auth.login_required
def step(statement_id: int, to: str):
    """Confirm a lifecycle step: what it will do and to how many signatories; POST takes it."""
    item = auth.statement_for(statement_id)
    if to not in lifecycle.CONFIRMED_STEPS:
        abort(404)
    if request.method == "POST":
        try:
            lifecycle.take(item.id, to, auth.actor())
        except AuthoringError as error:
            return controls_after(item, error.message, 409)
        if to == lifecycle.REOPEN:
            return controls_after(item, _("Signing is open again."))
        return controls_after(item, _("The statement is now: %(state)s.", state=state_label(to)))
    try:
        preview = lifecycle.preview(item, to)
    except AuthoringError as error:
        return controls_after(item, error.message, 409)
    return render("manage/step.html", "manage/_step.html", statement=item, step=preview,
                  in_dialog=wants_fragment())


@bp.post("/statements/<int:statement_id>/coordinators/<int:coordinator_id>/remove")
@auth.login_required
def remove_coordinator(statement_id: int, coordinator_id: int):
    """Take a coordinator off this statement (their account stays)."""
    item = auth.statement_for(statement_id)
    try:
        removed = team.remove_coordinator(item.id, coordinator_id, auth.actor())
    except AuthoringError as error:
        return controls_after(item, error.message, 409)
    if not removed:
        return controls_after(item, _("This coordinator does not run this statement."), 409)
    if not auth.may_manage(auth.current_coordinator(), item.id):
        return see_other(url_for(".home"))  # they took themselves off
    return controls_after(item, _("Removed from this statement."))
