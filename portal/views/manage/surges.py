"""Launch-event allowances and the per-statement limit's alerts, on a statement's page."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _

from portal.abuse import surges
from portal.fragments import wants_fragment
from portal.views.manage import bp, see_other
from portal.views.manage.forms import AllowanceForm
from portal.views.manage.statements import overview
from portal.web import auth
from portal.web.refusals import attach


def context(statement, form: AllowanceForm | None = None) -> dict:
    """What the statement page's "Surges" panel shows."""
    return {"allowance_form": form or AllowanceForm(formdata=None), "allowance": surges.allowance(statement),
            "alert": surges.recent_alert([statement.id]).get(statement.id)}


def _panel(statement_id: int, form: AllowanceForm | None, message: str, status: int = 200):
    statement = auth.statement_for(statement_id)
    if wants_fragment():
        return render_template("manage/_surges.html", statement=statement, message=message,
                               **context(statement, form)), status
    if message:
        flash(message, "info" if status < 400 else "error")
    return see_other(url_for(".statement", statement_id=statement_id)) if status < 400 else (
        render_template("manage/statement.html", statement=statement,
                        **(overview(statement) | context(statement, form))), status)


@bp.post("/statements/<int:statement_id>/allowance")
@auth.login_required
def open_allowance(statement_id: int):
    """Raise the per-client signing limit for a launch event, for a while."""
    statement = auth.statement_for(statement_id)
    form = AllowanceForm()
    if form.validate_on_submit():
        try:
            until = surges.open_allowance(statement.id, form.minutes.data, form.per_minute.data, auth.actor())
        except surges.AllowanceError as error:
            attach(form, error)
        else:
            return _panel(statement.id, None, _("Allowance open until %(until)s.", until=until.strftime(
                "%H:%M UTC")))
    return _panel(statement.id, form, _("The allowance was not opened: correct the fields marked."), 422)


@bp.post("/statements/<int:statement_id>/allowance/end")
@auth.login_required
def end_allowance(statement_id: int):
    """End a launch-event allowance now."""
    statement = auth.statement_for(statement_id)
    ended = surges.end_allowance(statement.id, auth.actor())
    return _panel(statement.id, None, _("The allowance has ended.") if ended else _("No allowance was open."))
