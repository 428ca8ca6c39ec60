"""Workspace forms. Labels are lazy strings so they translate per request."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length


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
