"""The network's roster: list and filters, add and edit, CSV import (preview, then confirm)
and export, merging duplicates. Coordinators only; the services audit every change."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.extensions import db
from portal.models import Organisation
from portal.network import contacts, csvfile, roster
from portal.views.manage import bp, form_status, see_other
from portal.views.manage.forms import Form
from portal.web import auth
from portal.web.locale import select_locale
from portal.web.refusals import attach
from portal.web.widgets import CountrySelect
from portal.words import language_name


class OrganisationForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the organisation's name.")),
                                               Length(max=300)])
    other_names = TextAreaField(_l("Other names (one per line)"), validators=[Length(max=3000)])
    country = SelectField(_l("Country"), validate_choice=False)
    website = StringField(_l("Website"), validators=[Length(max=300)])
    emails = TextAreaField(_l("Contact addresses (the first one gets invitations)"),
                           validators=[Length(max=3000)])
    language = StringField(_l("Preferred language (a code such as en, fr, ar)"), default="en",
                           validators=[Length(max=16)])
    tags = StringField(_l("Tags (separated by spaces)"), validators=[Length(max=1000)])
    domains = StringField(_l("Email domains (separated by spaces)"), validators=[Length(max=1000)])


class ImportForm(Form):
    csv = TextAreaField(_l("CSV"), validators=[Length(max=60000)])


class MergeForm(Form):
    keep = SelectField(_l("Keep this organisation"), validate_choice=False)
    drop = SelectField(_l("Merge this duplicate into it"), validate_choice=False)


def ident(value: str | None) -> int | None:
    """A row id from a form or query value (ASCII digits within PostgreSQL's integer), else None."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and 0 < int(value) < 2**31:
        return int(value)
    return None


def printable(value: str | None, most: int) -> str:
    """A filter's value without control characters (PostgreSQL refuses NUL in text), trimmed."""
    return "".join(ch for ch in (value or "")[:most] if ch.isprintable()).strip()


def _selection() -> roster.Selection:
    return roster.Selection(tag=printable(request.args.get("tag"), 40),
                            country=printable(request.args.get("country"), 2),
                            q=printable(request.args.get("q"), 100))


@bp.get("/organisations")
@auth.login_required
def organisations():
    """The roster, filtered by tag, country or text."""
    chosen = _selection()
    return render_template("manage/roster.html", items=roster.organisations(chosen), chosen=chosen,
                           tags=roster.all_tags(), total=db.session.query(Organisation).count(),
                           language_name=language_name)


def _input(form: OrganisationForm) -> roster.OrgInput:
    return roster.OrgInput(name=form.name.data or "", country=form.country.data or "",
                           website=form.website.data or "", emails=form.emails.data or "",
                           language=form.language.data or "", tags=form.tags.data or "",
                           other_names=form.other_names.data or "", domains=form.domains.data or "")


@bp.route("/organisations/edit", methods=["GET", "POST"])
@auth.login_required
def edit_organisation():
    """Add an organisation, or change one (``?id=``)."""
    org = db.session.get(Organisation, ident(request.args.get("id")) or 0)
    form = OrganisationForm()
    form.country.widget = CountrySelect(select_locale(), _("Choose a country"))
    if request.method == "GET" and org is not None:
        form.process(data={"name": org.name, "other_names": "\n".join(org.other_name_list),
                           "country": org.country, "website": org.website, "language": org.language,
                           "emails": "\n".join(contacts.addresses(org.id)), "tags": " ".join(org.tag_list),
                           "domains": " ".join(org.domain_list)})
    if form.validate_on_submit():
        try:
            saved = roster.save(_input(form), auth.actor(), org.id if org else None)
        except roster.RosterError as error:
            attach(form, error)
        else:
            flash(_("Saved: %(name)s.", name=saved.name), "info")
            return see_other(url_for(".organisations"))
    return render_template("manage/organisation.html", form=form, org=org), form_status()


@bp.post("/organisations/delete")
@auth.login_required
def delete_organisation():
    """Remove an organisation from the roster (audited)."""
    form = Form()
    if form.validate_on_submit() and roster.delete(ident(request.form.get("id")) or 0, auth.actor()):
        flash(_("Removed from the roster."), "info")
    else:
        flash(_("This organisation is no longer in the roster."), "error")
    return see_other(url_for(".organisations"))


@bp.route("/organisations/import", methods=["GET", "POST"])
@auth.login_required
def import_organisations():
    """Paste or upload a CSV; see what it will do; then confirm."""
    form = ImportForm()
    upload = request.files.get("file")
    if upload and upload.filename:
        form.csv.data = upload.read(60001).decode("utf-8-sig", errors="replace")
    plan = None
    if form.validate_on_submit() and (form.csv.data or "").strip():
        try:
            if request.form.get("step") == "confirm":
                done = csvfile.load(form.csv.data, auth.actor())
                flash(_("Imported: %(created)s created, %(updated)s updated, %(refused)s rows left out.",
                        created=len(done.created), updated=len(done.updated), refused=len(done.errors)),
                      "info")
                return see_other(url_for(".organisations"))
            plan = csvfile.read(form.csv.data)
        except roster.RosterError as error:
            attach(form, error, fallback="csv")
    elif request.method == "POST" and not form.errors:
        form.csv.errors = [*form.csv.errors, _("Paste the CSV or choose a file.")]
    status = 200 if plan is not None or request.method == "GET" else 422
    return render_template("manage/roster_import.html", form=form, plan=plan,
                           columns=csvfile.COLUMNS), status


@bp.post("/organisations/export")
@auth.login_required
def export_organisations():
    """Download the roster as CSV, contact addresses included (audited)."""
    if not Form().validate_on_submit():
        flash(_("This form had expired, so it was not sent. Check your details and send it again."), "error")
        return see_other(url_for(".organisations"))
    response = Response(b"".join(chunk.encode() for chunk in csvfile.export(auth.actor())),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="organisations.csv"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/organisations/merge", methods=["GET", "POST"])
@auth.login_required
def merge_organisations():
    """Merge two duplicates into one."""
    form = MergeForm()
    choices = [(str(org.id), org.name) for org in roster.organisations()]
    form.keep.choices = form.drop.choices = choices
    if form.validate_on_submit():
        try:
            kept = roster.merge(ident(form.keep.data) or 0, ident(form.drop.data) or 0, auth.actor())
        except roster.RosterError as error:
            attach(form, error)
        else:
            flash(_("Merged into %(name)s.", name=kept.name), "info")
            return redirect(url_for(".edit_organisation", id=kept.id), code=303)
    return render_template("manage/roster_merge.html", form=form), form_status()
