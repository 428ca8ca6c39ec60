"""Creating and editing statements, their lifecycle, pausing and co-coordinators."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms import SelectChoice

from portal.extensions import db
from portal.fragments import render, wants_fragment
from portal.mirrors import transparency
from portal.models import Statement, StatementState, as_utc
from portal.statements import authoring, public, translating
from portal.views.manage import bp, form_status, see_other
from portal.views.manage.forms import EDITOR_LANGUAGES, AddCoordinatorForm, StatementForm
from portal.web import auth
from portal.web.moments import zone_choices
from portal.web.refusals import attach
from portal.words import language_name, state_label


def _choices(form: StatementForm) -> StatementForm:
    form.original_lang.choices = [SelectChoice(code, f"{language_name(code)} ({code})")
                                  for code in EDITOR_LANGUAGES]
    form.time_zone.choices = zone_choices(form.time_zone.data)
    return form


def _input(form: StatementForm) -> authoring.StatementInput:
    return authoring.StatementInput(
        slug=form.slug.data or "", original_lang=form.original_lang.data or "",
        allow_organisations=form.allow_organisations.data, allow_individuals=form.allow_individuals.data,
        moderation=form.moderation.data or "", require_confirmation=form.require_confirmation.data,
        deadline_local=form.deadline.data, publish_local=form.publish_at.data,
        time_zone=form.time_zone.data or "UTC", target_count=form.target_count.data,
        title=(form.title.data or "") if "title" in form else "")


def _refused(form: StatementForm, error: authoring.AuthoringError) -> None:
    attach(form, error)
    if isinstance(error, authoring.AddressTaken):
        form.slug.data = error.free


def _local(statement: Statement, moment):
    if moment is None:
        return None
    return as_utc(moment).astimezone(ZoneInfo(statement.deadline_tz or "UTC")).replace(tzinfo=None)


@bp.route("/statements/new", methods=["GET", "POST"])
@auth.login_required
def new_statement():
    """Create a statement (a draft)."""
    form = _choices(StatementForm())
    if request.method == "GET":
        form.original_lang.data = str(get_locale())  # the workspace language, to begin with
    return _statement_form(form, None, lambda: authoring.create_statement(_input(form), auth.actor()))


def _statement_form(form: StatementForm, item: Statement | None, save):
    """The statement form's POST: ``save`` calls the service; a refusal goes onto the form (422)."""
    if form.validate_on_submit():
        try:
            result = save()
        except authoring.AuthoringError as error:
            _refused(form, error)
        else:
            if item is None:
                flash(_("The statement is created as a draft."), "info")
                return see_other(url_for(".statement", statement_id=result.id))
            flash(_("Saved.") if result else _("Nothing changed."), "info")
            return see_other(url_for(".statement", statement_id=item.id))
    return render("manage/new_statement.html" if item is None else "manage/edit_statement.html",
                  "manage/_statement_form.html", status=form_status(), form=form, statement=item)


@bp.get("/statements/<int:statement_id>")
@auth.login_required
def statement(statement_id: int):
    """A statement's overview: state, next step, link, pause, languages."""
    item = auth.statement_for(statement_id)
    return render_template("manage/statement.html", statement=item, **overview(item))


def overview(item: Statement) -> dict:
    """What the statement's overview page shows besides the statement itself."""
    from portal.views.manage.surges import context

    return {**context(item), "step": authoring.next_step(item), "signing": public.signing(item),
            "languages": translating.overview(item, current_app.config["LANGUAGES"]),
            "add_form": AddCoordinatorForm(), "transparency": transparency.verify(item.id)}


@bp.route("/statements/<int:statement_id>/edit", methods=["GET", "POST"])
@auth.login_required
def edit_statement(statement_id: int):
    """Change a statement's settings."""
    item = auth.statement_for(statement_id)
    form = StatementForm(obj=None if request.method == "POST" else item)
    if request.method == "GET":
        form.deadline.data = _local(item, item.deadline_at)
        form.publish_at.data = _local(item, item.publish_at)
        form.time_zone.data = item.deadline_tz or "UTC"
    _choices(form)
    del form.title
    return _statement_form(form, item,
                           lambda: authoring.update_statement(item.id, _input(form), auth.actor()))


@bp.post("/statements/<int:statement_id>/lifecycle")
@auth.login_required
def lifecycle(statement_id: int):
    """Take the next lifecycle step (open, publish, close, archive)."""
    item = auth.statement_for(statement_id)
    to_state = request.form.get("to", "")
    if to_state not in set(StatementState):
        abort(400)
    try:
        authoring.advance(item.id, to_state, auth.actor())
    except authoring.AuthoringError as error:
        return controls_after(item, error.message, 409)
    return controls_after(item, _("The statement is now: %(state)s.", state=state_label(to_state)))


@bp.post("/statements/<int:statement_id>/pause")
@auth.login_required
def pause(statement_id: int):
    """Pause or resume signing of this statement."""
    item = auth.statement_for(statement_id)
    paused = request.form.get("paused") == "1"
    authoring.set_paused(item.id, paused, auth.actor())
    return controls_after(item, _("Signing is paused.") if paused else _("Signing is open again."))


@bp.post("/statements/<int:statement_id>/coordinators")
@auth.login_required
def add_coordinator(statement_id: int):
    """Let another coordinator manage this statement."""
    item = auth.statement_for(statement_id)
    form = AddCoordinatorForm()
    if not form.validate_on_submit():
        message = " ".join(map(str, form.email.errors)) or _("Enter an email address.")
        return controls_after(item, message, 422)
    try:
        authoring.add_coordinator(item.id, form.email.data, auth.actor())
    except authoring.AuthoringError as error:
        return controls_after(item, error.message, 422)
    return controls_after(item, _("Added."))


def controls_after(item: Statement, message: str, status: int = 200):
    """htmx: the refreshed control panel with the message; a plain browser: 303 to the overview."""
    db.session.expire_all()
    item = db.session.get(Statement, item.id)
    if wants_fragment():
        return render_template("manage/_controls.html", statement=item, message=message,
                               failed=status >= 400, **overview(item)), status
    flash(message, "error" if status >= 400 else "info")
    return redirect(url_for(".statement", statement_id=item.id), code=303)


