"""Signatures entered by a coordinator: one from a form, or many from a CSV file with a preview."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.models import Kind, Statement
from portal.signatures import entries, entry_import
from portal.views.forms import DetailsForm
from portal.views.manage import bp, form_status, see_other
from portal.web import auth
from portal.web.refusals import attach
from portal.web.widgets import CountrySelect
from portal.words import channel_label

MAX_CSV = 60000  # characters: within the request size limit (MAX_CONTENT_LENGTH)


class EntryForm(DetailsForm):
    """A sign-on that arrived elsewhere, as the coordinator enters it."""

    kind = RadioField(_l("Who agreed?"), choices=[
        SelectChoice(Kind.organisation.value, _l("An organisation")),
        SelectChoice(Kind.individual.value, _l("An individual"))], default=Kind.organisation.value)
    email = EmailField(_l("Contact email (optional: they get a notice with their links)"), validators=[
        Optional(), Length(max=254),
        Email(message=_l("Enter an email address such as name@example.org."), check_deliverability=False)])
    channel = SelectField(_l("How did they agree?"), validators=[DataRequired(_l("Choose how they agreed."))])
    evidence = StringField(_l("Evidence (a short note: who wrote, when, where it is kept)"), validators=[
        DataRequired(_l("Write a short evidence note.")), Length(max=500)])


def _entry_form(statement: Statement) -> EntryForm:
    form = EntryForm()
    lang = str(get_locale() or "en")
    form.country.widget = CountrySelect(lang, _("Choose a country"))
    form.channel.choices = [SelectChoice("", _("Choose"))] + [
        SelectChoice(code, channel_label(code)) for code in entries.CHANNELS]
    form.signer_name.label.text = _("Name of the person who agreed (optional)")
    form.role.label.text = _("Their role (optional)")
    return form


def _page(statement: Statement, form: EntryForm, status: int = 200, **extra):
    return render_template("manage/entries.html", statement=statement, form=form,
                           entered=entries.recent(statement.id), columns=entry_import.COLUMNS,
                           **extra), status


@bp.route("/statements/<int:statement_id>/entries", methods=["GET", "POST"])
@auth.login_required
def entries_page(statement_id: int):
    """Enter one signature that arrived by email, Signal, phone or on paper."""
    item = auth.statement_for(statement_id)
    form = _entry_form(item)
    if form.validate_on_submit():
        try:
            entries.enter(item.id, entries.Entry(
                name=form.name.data, country=form.country.data, channel=form.channel.data,
                evidence=form.evidence.data, kind=form.kind.data or Kind.organisation,
                email=form.email.data or "", website=form.website.data or "",
                signer_name=form.signer_name.data or "", role=form.role.data or "",
                visibility=form.visibility.data), auth.actor())
        except entries.EntryError as error:
            attach(form, error, fallback="name")
        else:
            flash(_("The signature of %(name)s is entered and counted.", name=form.name.data), "info")
            return see_other(url_for(".entries_page", statement_id=item.id))
    return _page(item, form, form_status())


@bp.post("/statements/<int:statement_id>/entries/import")
@auth.login_required
def entries_import(statement_id: int):
    """Preview a CSV file of signatures (every row, each error with its line), then import it."""
    item = auth.statement_for(statement_id)
    upload = request.files.get("file")
    text = upload.read(MAX_CSV + 1).decode("utf-8", "replace") if upload and upload.filename else (
        request.form.get("csv") or "")
    form = _entry_form(item)
    if not text.strip() or len(text) > MAX_CSV:
        message = _("Choose a CSV file, or paste its text.") if not text.strip() else _(
            "The file is too large: import it in parts of at most 60,000 characters.")
        return _page(item, form, 422, csv_error=message, csv_text=text[:MAX_CSV])
    try:
        if request.form.get("action") == "import":
            created, rows = entry_import.run(item.id, text, auth.actor())
            flash(_("Signatures entered and counted: %(n)s.", n=created), "info")
            return see_other(url_for(".entries_page", statement_id=item.id))
        rows = entry_import.parse(item, text)
    except (entry_import.FileError, entries.EntryError) as error:
        return _page(item, form, 422, csv_error=error.message, csv_text=text)
    return _page(item, form, csv_text=text, rows=rows, good=sum(1 for row in rows if not row.error))
