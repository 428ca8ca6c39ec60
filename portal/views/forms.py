"""Forms. Labels are lazy strings so they translate per request."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import URL, DataRequired, Email, Length, Optional, ValidationError

from portal.models import Kind, Visibility
from portal.signatures.details import name_error
from portal.text import normalise_website

ORG_TYPES = [
    SelectChoice("", _l("Not specified")),
    SelectChoice("ngo", _l("Non-governmental organisation")),
    SelectChoice("media", _l("Media outlet")),
    SelectChoice("union", _l("Trade union or professional association")),
    SelectChoice("academic", _l("University or research body")),
    SelectChoice("other", _l("Other")),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _one_line_name(form, field):
    """Names go into emails and are compared for look-alikes: one line, no hidden characters."""
    if field.data and (message := name_error(field.data)):
        raise ValidationError(message)


def _website(value):
    return normalise_website(value) if isinstance(value, str) else value


class StrippedForm(FlaskForm):
    class Meta:
        # Filter, then validate: " " is empty and a pasted URL loses stray spaces.
        def bind_field(self, form, unbound_field, options):
            # The field's own filters come after the stripping (binding options replace them).
            options["filters"] = [_strip, *unbound_field.kwargs.get("filters", ())]
            return unbound_field.bind(form=form, **options)


VISIBILITIES = [
    SelectChoice(Visibility.full.value, _l("Show the name in full")),
    SelectChoice(Visibility.country.value, _l("Show only the country")),
    SelectChoice(Visibility.hidden.value, _l("Count it, but do not list it")),
]


class DetailsForm(StrippedForm):
    """What will be published of a signatory: on the sign form, the confirm page and "your signature"."""

    name = StringField(
        _l("Organisation name"),
        validators=[DataRequired(_l("Enter the name to be shown.")), Length(max=300), _one_line_name],
    )
    signer_name = StringField(_l("Your name"), validators=[Length(max=200), _one_line_name])
    role = StringField(_l("Your role"), validators=[Length(max=200), _one_line_name])
    website = StringField(
        _l("Website (optional)"), filters=[_website],
        validators=[Optional(), Length(max=300),
                    URL(require_tld=True, message=_l("Enter a web address, such as example.org."))],
    )
    country = SelectField(
        _l("Country"), validators=[DataRequired(_l("Choose a country from the list."))],
        validate_choice=False,
    )
    visibility = RadioField(
        _l("How should your signature appear?"), choices=VISIBILITIES, default=Visibility.full.value,
        validators=[DataRequired(_l("Choose how your signature is shown."))],
        description=_l("A signature that is counted but not listed adds to the total only: it is not "
                       "counted under its country, nor in the number of countries."),
    )


class SignForm(DetailsForm):
    kind = RadioField(
        _l("Who is signing?"),
        choices=[SelectChoice(Kind.organisation.value, _l("An organisation")),
                 SelectChoice(Kind.individual.value, _l("An individual"))],
        default=Kind.organisation.value,
        validators=[DataRequired(_l("Choose who is signing."))],
    )
    org_type = SelectField(_l("Type of organisation (optional)"), choices=ORG_TYPES, default="")
    email = EmailField(
        _l("Contact email (never shown publicly)"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=254),
                    Email(message=_l("Enter an email address such as name@example.org."),
                          check_deliverability=False)],
    )
    authorised = BooleanField(_l("I am authorised to sign on behalf of this organisation"))
    keep_informed = BooleanField(_l("Keep me informed: email me updates on what comes of this statement"),
                                 default=False)

    def validate_signer_name(self, field):
        if self.kind.data == Kind.organisation and not field.data:
            raise ValidationError(_l("Enter the name of the person signing."))

    def validate_authorised(self, field):
        if self.kind.data == Kind.organisation and not field.data:
            raise ValidationError(_l("Please confirm that you may sign for this organisation."))
