"""Workspace forms. Labels are lazy strings so they translate per request."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional

from portal.models import BlockKind


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            if unbound_field.field_class is not PasswordField:
                options.setdefault("filters", []).append(_strip)
            return unbound_field.bind(form=form, **options)


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email address.")),
                                                Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=1024)])


class InviteForm(Form):
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter an email address.")), Length(max=254),
        Email(message=_l("Enter an email address such as name@example.org."), check_deliverability=False)])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=200)])
    admin = BooleanField(_l("Administrator (manages coordinators and every statement)"))


class PasswordForm(Form):
    password = PasswordField(_l("New password (at least 12 characters)"), validators=[
        DataRequired(_l("Enter a password.")), Length(min=12, max=1024, message=_l(
            "Use between 12 and 1024 characters."))])
    again = PasswordField(_l("The same password again"), validators=[
        EqualTo("password", message=_l("The two passwords differ."))])


class ChangePasswordForm(PasswordForm):
    current = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")), Length(max=1024)])


EDITOR_LANGUAGES = ["en", "fr", "es", "ar", "ru", "de", "it", "pt", "pt-BR", "fa", "tr", "uk", "zh",
                    "sw", "hi", "ur", "id", "pl", "nl", "el", "he", "ja", "ko", "vi", "th", "am", "ha"]


class StatementForm(Form):
    slug = StringField(_l("Address (slug)"), validators=[DataRequired(_l("Enter an address.")),
                                                         Length(max=80)])
    title = StringField(_l("Title in the original language"), validators=[Length(max=300)])
    original_lang = SelectField(_l("Original language"), validate_choice=False)
    allow_organisations = BooleanField(_l("Organisations may sign"), default=True)
    allow_individuals = BooleanField(_l("Individuals may sign"))
    moderation = RadioField(_l("Moderation"), default="pre", choices=[
        SelectChoice("pre", _l("Before: a coordinator approves each signature before it counts")),
        SelectChoice("post", _l("After: signatures count at once; a coordinator can still reject them"))])
    require_confirmation = BooleanField(_l("Signers confirm their email address"), default=True)
    time_zone = SelectField(_l("Time zone of the times below"), default="UTC", validate_choice=False)
    deadline = DateTimeLocalField(_l("Signing deadline (optional)"), validators=[Optional()],
                                  format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    publish_at = DateTimeLocalField(_l("Scheduled publication (optional)"), validators=[Optional()],
                                    format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    target_count = IntegerField(_l("Target number of signatures (optional)"), validators=[
        Optional(), NumberRange(min=1, max=10**9 - 1, message=_l("Enter a positive whole number."))])


class TranslationForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title.")), Length(max=300)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=2000)])
    body_md = TextAreaField(_l("Body (Markdown)"), validators=[Length(max=60000)])
    # Asked once signing has opened (portal/record/amending.py); an answer is required then.
    change = RadioField(_l("What kind of change is this?"), validators=[Optional()], choices=[
        SelectChoice("editorial", _l("Editorial: typos or formatting. Published with a public "
                                     "\"corrected\" note and the changes; no one is asked again.")),
        SelectChoice("substantive", _l("Substantive: a new version. Published with a public \"amended\" "
                                       "note and the changes; every signatory is emailed to keep or "
                                       "withdraw their signature."))])


class AddCoordinatorForm(Form):
    email = EmailField(_l("Coordinator's email"), validators=[
        DataRequired(_l("Enter an email address.")), Length(max=254)])


class RejectForm(Form):
    reason = StringField(_l("Reason (optional, kept in the audit log)"), validators=[Length(max=500)])


class EditSignatureForm(Form):
    name = StringField(_l("Name as shown"), validators=[DataRequired(_l("Enter the name to be shown.")),
                                                        Length(max=300)])
    signer_name = StringField(_l("Name of the person signing"), validators=[Length(max=200)])
    role = StringField(_l("Role"), validators=[Length(max=200)])
    note = StringField(_l("What you corrected and why (kept in the audit log)"),
                       validators=[Length(max=500)])


class AllowanceForm(Form):
    minutes = IntegerField(_l("For how many minutes"), default=120,
                           validators=[DataRequired(_l("Enter a number of minutes.")), NumberRange(15, 1440)])
    per_minute = IntegerField(_l("Signatures a minute from one network"), default=100,
                              validators=[DataRequired(_l("Enter a number.")), NumberRange(11, 1000)])


KINDS = [SelectChoice(BlockKind.domain.value, _l("Email domain")),
         SelectChoice(BlockKind.email.value, _l("Email address")),
         SelectChoice(BlockKind.ip.value, _l("IP address")),
         SelectChoice(BlockKind.cidr.value, _l("IP network (CIDR)")),
         SelectChoice(BlockKind.ip_hash.value, _l("IP hash"))]


class RuleForm(Form):
    kind = SelectField(_l("What to block"), choices=KINDS)
    value = StringField(_l("Value"), validators=[DataRequired(_l("Enter what to block.")), Length(max=254)])
    statement = SelectField(_l("Statement"), validate_choice=False)
    note = StringField(_l("Note (optional)"), validators=[Length(max=300)])


class CriteriaForm(Form):
    class Meta:
        csrf = False  # the preview is a GET; CSRFProtect guards the POST that acts

    statement = SelectField(_l("Statement"), validate_choice=False)
    domain = StringField(_l("Email domain (*.example.org includes subdomains)"), validators=[Length(max=254)])
    ip_hash = StringField(_l("IP hash"), validators=[Length(max=64)])
    name = StringField(_l("Name contains (* matches anything)"), validators=[Length(max=200)])
    since = DateTimeLocalField(_l("From (UTC)"), validators=[Optional()])
    until = DateTimeLocalField(_l("Until (UTC)"), validators=[Optional()])
    reason = StringField(_l("Reason (kept in the audit log)"), validators=[Length(max=300)])


DAYS = _l("Enter a number of days between 1 and 365.")


class RecordSettingsForm(Form):
    initiators = TextAreaField(_l("Initiating organisations (one per line, shown publicly)"),
                               validators=[Length(max=16000)])
    corrections_contact = EmailField(_l("Address for corrections (shown publicly)"),
                                     validators=[Optional(), Length(max=254)])
    reconsent_days = IntegerField(_l("Days signatories have to answer after an amendment"), default=14,
                                  validators=[DataRequired(DAYS), NumberRange(1, 365, DAYS)])
    reconsent_lapse = RadioField(_l("Those who do not answer in time"), default="stay", choices=[
        SelectChoice("stay", _l("stay, shown as having signed an earlier version")),
        SelectChoice("remove", _l("leave the list"))])


class DeliveryForm(Form):
    recipient = StringField(_l("Recipient"), validators=[DataRequired(_l("Enter the recipient.")),
                                                         Length(max=300)])
    delivered_on = DateField(_l("Date of delivery"), validators=[DataRequired(_l("Enter a date."))])
    channel = StringField(_l("Channel (by hand, email, post…)"), validators=[Length(max=100)])
    note = TextAreaField(_l("Note (for coordinators only)"), validators=[Length(max=5000)])


class UpdateForm(Form):
    happened_on = DateField(_l("Date of the event"), validators=[DataRequired(_l("Enter a date."))])
    email = BooleanField(_l("Email it to signatories who asked to be kept informed"), default=True)
