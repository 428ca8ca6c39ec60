"""Login's second step, after the password: a code from an authenticator app, a recovery code
or a passkey. A session waiting here is *pending*: it opens no workspace page."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from portal.accounts import audit
from portal.database import write
from portal.extensions import limiter
from portal.factors import passkeys, recovery, totp
from portal.factors import store as factors
from portal.fragments import render
from portal.views.manage import bp
from portal.views.manage.forms import Form
from portal.web import auth
from portal.web.passkeys import json_response, relying_party


class SecondStepForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the code.")), Length(max=40)])


class PasskeyForm(Form):
    credential = HiddenField(validators=[Length(max=passkeys.MAX_ANSWER)])


def _pending_key() -> str:
    coordinator = auth.pending_coordinator()
    return f"second-step:{coordinator.id if coordinator else 0}"


_limited = limiter.limit(lambda: current_app.config["SECOND_FACTOR_RATE_LIMIT"], methods=["POST"],
                         key_func=_pending_key, scope="manage-second-step",
                         exempt_when=lambda: auth.pending_coordinator() is None)


def _finish(coordinator, how: str) -> Response:
    target = auth.pending_next() or url_for(".home")
    auth.log_in(coordinator)
    if how == "recovery":
        left = recovery.remaining(coordinator.id)
        with write() as transaction:
            audit.record(transaction, auth.actor(), "recovery_code_used", detail=f"{left} left")
        flash(ngettext("You used a recovery code; %(num)d is left. Make new ones on the security page.",
                       "You used a recovery code; %(num)d are left. Make new ones on the security page.",
                       left), "info")
    return auth.remember_device(redirect(target, code=303), coordinator.email)


def _page(coordinator, form: SecondStepForm, passkey_form: PasskeyForm, status: int = 200) -> Response:
    kinds = {factor.kind for factor in factors.factors(coordinator.id)}
    return render("manage/second_step.html", "manage/second_step.html", status=status, form=form,
                  passkey_form=passkey_form, kinds=kinds)


@bp.route("/login/second-step", methods=["GET", "POST"])
@_limited
def second_step():
    """The code form (an authenticator app's code, or a recovery code) and the passkey button."""
    coordinator = auth.pending_coordinator()
    if coordinator is None:
        return redirect(url_for(".login"), code=303)
    form = SecondStepForm()
    if form.validate_on_submit():
        code = form.code.data
        if totp.check(coordinator.id, code):
            return _finish(coordinator, "totp")
        if recovery.use(coordinator.id, code):
            return _finish(coordinator, "recovery")
        form.code.errors = [*form.code.errors, _("This code is wrong, expired or already used.")]
    return _page(coordinator, form, PasskeyForm(formdata=None), 422 if request.method == "POST" else 200)


@bp.post("/login/second-step/passkey/options")
def passkey_login_options():
    """The options of a passkey ceremony for the pending account (JSON; the challenge stays here)."""
    coordinator = auth.pending_coordinator()
    if coordinator is None:
        return json_response({"error": _("Your login has expired. Log in again.")}, 409)
    options, challenge = passkeys.authentication_options(relying_party(), coordinator.id)
    session["passkey_login"] = passkeys.bytes_to_base64url(challenge)
    return json_response(options)


@bp.post("/login/second-step/passkey")
@_limited
def passkey_login():
    """Check the passkey's answer; the challenge is spent whatever the outcome."""
    coordinator = auth.pending_coordinator()
    if coordinator is None:
        return redirect(url_for(".login"), code=303)
    form = PasskeyForm()
    challenge = session.pop("passkey_login", None)
    if form.validate_on_submit() and challenge and passkeys.authenticate(
            relying_party(), coordinator.id, passkeys.base64url_to_bytes(challenge),
            form.credential.data or ""):
        return _finish(coordinator, "passkey")
    form.credential.errors = [_("The passkey could not be checked. Try again, or use a code.")]
    return _page(coordinator, SecondStepForm(formdata=None), form, 422)
