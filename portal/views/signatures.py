"""The signer's own links: confirm, withdraw and "your signature". A GET only shows a page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, request
from flask_babel import gettext as _

from portal.abuse import ratelimits
from portal.extensions import db, limiter
from portal.fragments import render
from portal.languages import ui_language
from portal.models import Signature
from portal.signatures import signer
from portal.signatures.details import SigningError
from portal.signatures.signing import Outcome
from portal.statements import public
from portal.views.forms import DetailsForm
from portal.web.refusals import attach
from portal.web.switcher import chosen_language
from portal.web.widgets import CountrySelect

bp = Blueprint("signatures", __name__)
# Per client: guessing tokens or hammering a link gets a 429 (LINK_RATE_LIMIT).
limiter.shared_limit(lambda: current_app.config["LINK_RATE_LIMIT"], scope="links")(bp)


def _signature(purpose: str, token: str) -> Signature:
    signature = signer.by_token(db.session, purpose, token)
    if signature is None and purpose == "withdraw":
        signature = signer.by_token(db.session, "manage", token)
    if not signature:
        abort(404)
    # The signer's language, or the one picked in the switcher (kept on this page's forms).
    g.chosen_lang = chosen_language(signature.statement)
    g.lang = g.chosen_lang or ui_language(signature.lang)
    g.page_statement = signature.statement
    return signature


@bp.url_defaults
def _keep_lang(endpoint, values):
    if g.get("chosen_lang") and "lang" not in values:
        values["lang"] = g.chosen_lang


def _pressed(signature: Signature) -> bool:
    """A POST (the button), counted against its statement's limit: a flood of confirmations
    or withdrawals for one statement, from however many clients, gets a 429 (the link keeps
    working once the flood passes)."""
    if request.method != "POST":
        return False
    if ratelimits.exceeded("LINK_STATEMENT_RATE_LIMIT", "statement", str(signature.statement_id)):
        abort(429)
    return True


def _page(template: str, fragment: str, signature: Signature, status: int = 200, **context):
    statement = signature.statement
    response = render(template, fragment, status=status, signature=signature, statement=statement,
                      tr=public.text_for(statement, g.get("chosen_lang") or signature.lang)[0],
                      can_sign=public.signing(statement).open, **context)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _details_form(signature: Signature) -> DetailsForm:
    form = DetailsForm(obj=signature if request.method == "GET" else None)
    form.country.widget = CountrySelect(g.lang, _("Choose a country"))
    if signature.kind == "individual":
        form.name.label.text = _("Your full name")
    return form


def _details(form: DetailsForm) -> signer.Details:
    return signer.Details(form.name.data, form.signer_name.data or "", form.role.data or "",
                          form.website.data or "", form.country.data, form.visibility.data)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Show every field that will be published, to check and correct; only the POST confirms."""
    signature = _signature("confirm", token)
    form, outcome = _details_form(signature), None
    if _pressed(signature):
        # A press without the fields (a script, an old page) confirms the details as they are.
        editable = signature.state in ("pending", "fraudulent") and "name" in request.form
        if not editable or form.validate_on_submit():
            try:
                outcome = signer.confirm(token, _details(form) if editable else None)
            except SigningError as error:
                attach(form, error)
        if outcome is None:
            return _page("signatures/confirm.html", "signatures/_confirm.html", signature, 422,
                         form=form, token=token, outcome=None)
        db.session.expire_all()
        signature = _signature("confirm", token)
    return _page("signatures/confirm.html", "signatures/_confirm.html", signature, form=form, token=token,
                 outcome=outcome)


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
def withdraw(token: str):
    """Show the withdrawing button; only the POST withdraws."""
    signature = _signature("withdraw", token)
    if signature.state == "withdrawn" and request.method == "GET":
        outcome = Outcome.already_withdrawn
    else:
        outcome = signer.withdraw(token) if _pressed(signature) else None
    return _page("signatures/withdraw.html", "signatures/_withdraw.html", signature, token=token,
                 outcome=outcome)


@bp.route("/signature/<token>", methods=["GET", "POST"])
def manage(token: str):
    """"Your signature": its status and published fields; lower the visibility, correct, withdraw."""
    signature = _signature("manage", token)
    form, result = _details_form(signature), None
    if _pressed(signature):
        if form.validate_on_submit():
            try:
                result = signer.update(token, _details(form))
            except SigningError as error:
                attach(form, error)
        if result is None:
            return _page("signatures/manage.html", "signatures/_manage.html", signature, 422, form=form,
                         token=token, result=None, waiting=signer.proposal(signature))
        db.session.expire_all()
        signature = _signature("manage", token)
        form = DetailsForm(obj=signature, formdata=None)
        form.country.widget = CountrySelect(g.lang, _("Choose a country"))
    return _page("signatures/manage.html", "signatures/_manage.html", signature, form=form, token=token,
                 result=result, waiting=signer.proposal(signature))
