"""Administrators only: the network's contact key and the crackdown switch."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.safety import contacts, crackdown
from portal.text import countries, country_name
from portal.views.manage import bp, form_status
from portal.views.manage.forms import Form
from portal.web import auth
from portal.web.refusals import attach


class ContactKeyForm(Form):
    public_key = TextAreaField(_l("Public key (the .pub file written by flask contacts keygen)"), validators=[
        DataRequired(_l("Paste the public key.")), Length(max=200)])


class CrackdownForm(Form):
    country = SelectField(_l("Country"), validators=[DataRequired(_l("Choose a country."))],
                          validate_choice=True)
    sure = BooleanField(_l("I understand: every signatory from this country stops being listed on every "
                           "statement, and only each organisation can show itself again"),
                        validators=[InputRequired(_l("Tick the box to confirm."))])


def _page(key_form: ContactKeyForm, switch: CrackdownForm):
    return make_response(render_template("manage/safety.html", key_form=key_form, switch=switch,
                                         key=contacts.active_key()), form_status())


def _crackdown_form() -> CrackdownForm:
    form = CrackdownForm()
    form.country.choices = [("", _("Choose a country")), *countries(str(get_locale()))]
    return form


@bp.get("/safety")
@auth.admin_required
def safety():
    """The contact key and the crackdown switch."""
    return _page(ContactKeyForm(), _crackdown_form())


@bp.post("/safety/key")
@auth.admin_required
def set_contact_key():
    """Register the network's public key; every contact is sealed to it from now on."""
    form = ContactKeyForm()
    if form.validate_on_submit():
        try:
            key, sealed = contacts.register_key(form.public_key.data, auth.actor())
        except contacts.ContactKeyError as error:
            attach(form, error)
        else:
            flash(_("Contacts are now sealed to the key %(fingerprint)s (%(count)d sealed now).",
                    fingerprint=key.fingerprint, count=sealed), "info")
            return redirect(url_for(".safety"), code=303)
    return _page(form, _crackdown_form())


@bp.post("/safety/crackdown")
@auth.admin_required
def crackdown_switch():
    """Stop listing every signatory from one country, on every statement."""
    form = _crackdown_form()
    if form.validate_on_submit():
        country = form.country.data
        done = crackdown.apply(country, auth.actor())
        flash(_("%(country)s: %(lowered)d signatures on %(statements)d statements are no longer listed; "
                "%(notified)d organisations were told by email; %(sealed)d have sealed contacts that "
                "the server cannot write to.", country=country_name(country, str(get_locale())),
                lowered=done.lowered, statements=done.statements, notified=done.notified,
                sealed=done.sealed), "info")
        return redirect(url_for(".safety"), code=303)
    return _page(ContactKeyForm(), form)


@bp.context_processor
def _key_notice() -> dict:
    # Every coordinator sees a recent change of the contact key, whoever made it.
    if request.endpoint and request.endpoint.startswith("manage.") and auth.current_coordinator():
        return {"contact_key_notice": contacts.recent_change()}
    return {}
