"""An organisation's personal invitation, ``/<lang>/s/<slug>/i/<token>``: the statement with
the sign form filled in from the roster (one step, no confirmation email), and a decline
button with an optional reason. A GET only shows the page; the link answers once."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import Length, ValidationError

from portal.extensions import db, limiter
from portal.fragments import render, wants_fragment
from portal.network import replies
from portal.signatures.details import SigningError
from portal.statements import public
from portal.views.forms import ORG_TYPES, DetailsForm, StrippedForm
from portal.web.locale import pull_lang
from portal.web.refusals import attach
from portal.web.widgets import CountrySelect

bp = Blueprint("invitations", __name__, url_prefix="/<lang>")
bp.url_value_preprocessor(pull_lang)
# Per client, as the signer's links: guessing tokens gets a 429 (LINK_RATE_LIMIT).
limiter.shared_limit(lambda: current_app.config["LINK_RATE_LIMIT"], scope="links")(bp)


class InvitedForm(DetailsForm):
    """The sign form of an invitation: the name is the roster's (another of its names at most)."""

    org_type = SelectField(_l("Type of organisation (optional)"), choices=ORG_TYPES, default="")
    authorised = BooleanField(_l("I am authorised to sign on behalf of this organisation"))

    def validate_signer_name(self, field):
        if not field.data:
            raise ValidationError(_l("Enter the name of the person signing."))

    def validate_authorised(self, field):
        if not field.data:
            raise ValidationError(_l("Please confirm that you may sign for this organisation."))


class DeclineForm(StrippedForm):
    reason = TextAreaField(_l("Reason (optional, seen only by the coordinators)"),
                           validators=[Length(max=1000)])


def _opened(slug: str, token: str) -> replies.Opened:
    found = replies.opened(token)
    if found is None or found.statement.slug != slug or found.statement.state == "draft":
        abort(404)
    return found


def _forms(found: replies.Opened) -> tuple[InvitedForm, DeclineForm]:
    org = found.organisation
    posted = request.method == "POST"
    form = InvitedForm(formdata=request.form if posted and request.form.get("answer") == "sign" else None,
                       data=None if posted else {"name": org.name, "country": org.country,
                                                 "website": org.website})
    form.country.widget = CountrySelect(g.lang, _("Choose a country"))
    decline = DeclineForm(formdata=request.form if posted and request.form.get("answer") == "decline"
                          else None)
    return form, decline


def _page(found: replies.Opened, form, decline, status: int = 200):
    view = public.view_of(found.statement, g.lang)
    action = url_for("invitations.invitation", lang=g.lang, slug=found.statement.slug,
                     token=request.view_args["token"])
    response = render("invitations/invitation.html", "invitations/_invitation.html", status=status,
                      found=found, statement=found.statement, view=view, tr=view.text, form=form,
                      decline=decline, action=action)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


@bp.route("/s/<slug>/i/<token>", methods=["GET", "POST"])
def invitation(slug: str, token: str):
    """Show the invitation; a POST signs (in one step) or declines."""
    found = _opened(slug, token)
    form, decline = _forms(found)
    if request.method == "GET":
        return _page(found, form, decline)
    answer = request.form.get("answer")
    chosen = form if answer == "sign" else decline
    if answer not in ("sign", "decline"):
        abort(400)
    if chosen.validate_on_submit():
        try:
            if answer == "sign":
                replies.sign(token, _signed(form), g.lang)
            else:
                replies.decline(token, decline.reason.data or "")
        except (replies.ReplyError, SigningError) as error:
            attach(chosen, error)
        else:
            db.session.expire_all()
            if wants_fragment():
                return _page(_opened(slug, token), form, decline)
            return redirect(url_for(".invitation", lang=g.lang, slug=slug, token=token), code=303)
    return _page(found, form, decline, 409 if found.answered else 422)


def _signed(form: InvitedForm) -> replies.Signed:
    return replies.Signed(signer_name=form.signer_name.data or "", role=form.role.data or "",
                          website=form.website.data or "", country=form.country.data or "",
                          visibility=form.visibility.data or "", authorised=bool(form.authorised.data),
                          name=form.name.data or "", org_type=form.org_type.data or "")
