"""Second factors in the workspace: one's own (add an authenticator app or a passkey, remove
one, new recovery codes; each after typing the password again), and the administrators'
requirement and reset. While the requirement holds, a coordinator without a factor sees
only enrolment."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import select
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from portal.accounts import coordinators as accounts
from portal.extensions import db
from portal.factors import passkeys, recovery, totp
from portal.factors import store as factors
from portal.fragments import render
from portal.models import Coordinator
from portal.views.manage import bp, see_other
from portal.views.manage.forms import Form
from portal.web import auth
from portal.web.passkeys import json_response, relying_party
from portal.web.refusals import attach

# Open to a coordinator without a second factor while one is required.
ENROLMENT = {"manage.login", "manage.logout", "manage.invitation", "manage.reset", "manage.second_step",
             "manage.passkey_login_options", "manage.passkey_login", "manage.security",
             "manage.reauthenticate", "manage.enrol_totp", "manage.passkey_options", "manage.add_passkey",
             "manage.language"}


class ReauthForm(Form):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=1024)])


class TotpForm(Form):
    label = StringField(_l("Name of this app"), validators=[Length(max=60)])
    code = StringField(_l("Code the app shows"), validators=[DataRequired(_l("Enter the code.")),
                                                              Length(max=20)])


class NewPasskeyForm(Form):
    label = StringField(_l("Name of this passkey"), validators=[Length(max=60)])
    credential = HiddenField(validators=[Length(max=passkeys.MAX_ANSWER)])


@bp.before_request
def _second_factor_required():
    if request.endpoint in ENROLMENT or request.endpoint is None:
        return None
    coordinator = auth.current_coordinator()
    if coordinator is None or not factors.required() or factors.enrolled(coordinator.id):
        return None
    flash(_("A second factor is required: add one to go on."), "info")
    return see_other(url_for("manage.security"))


def _recent(view):
    """The password typed again in the last ten minutes (a fresh login counts), else that form."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not auth.recently_authenticated():
            return see_other(url_for(".reauthenticate", next=request.path if request.method == "GET"
                                     else url_for(".security")))
        return view(*args, **kwargs)

    return wrapped


@bp.get("/security")
@auth.login_required
def security():
    """One's second factors and recovery codes; for administrators, everyone's and the requirement."""
    me = auth.current_coordinator()
    people = enrolled = None
    if me.is_admin:
        people = list(db.session.scalars(select(Coordinator).order_by(Coordinator.name, Coordinator.id)))
        enrolled = factors.enrolled_ids()
    return render("manage/security.html", "manage/security.html", factors=factors.factors(me.id),
                  remaining=recovery.remaining(me.id), required=factors.required(), people=people,
                  enrolled=enrolled, passkey_form=NewPasskeyForm(formdata=None),
                  recent=auth.recently_authenticated())


@bp.route("/security/confirm", methods=["GET", "POST"])
@auth.login_required
def reauthenticate():
    """Type the password again before changing second factors."""
    form = ReauthForm()
    target = auth.safe_next(request.args.get("next")) or url_for(".security")
    if form.validate_on_submit():
        me = auth.current_coordinator()
        if accounts.authenticate(me.email, form.password.data) is not None:
            auth.mark_reauthenticated()
            return see_other(target)
        form.password.errors = [*form.password.errors, _("The password is wrong.")]
    return render("manage/reauthenticate.html", "manage/reauthenticate.html",
                  status=422 if request.method == "POST" else 200, form=form, target=target)


def _enrolled(codes: list[str]):
    """After a factor was added: this session goes on under a new id (the others ended)."""
    me = db.session.get(Coordinator, auth.current_coordinator().id)
    db.session.refresh(me)
    auth.log_in(me)
    g.pop("csrf_token", None)  # the page below must carry the new session's token, not the old one
    flash(_("The second factor is added. Your other sessions have ended."), "info")
    if codes:
        return render("manage/recovery_codes.html", "manage/recovery_codes.html", codes=codes)
    return see_other(url_for(".security"))


@bp.route("/security/totp", methods=["GET", "POST"])
@auth.login_required
@_recent
def enrol_totp():
    """Add an authenticator app: scan the code (or type the key), then type the code it shows."""
    me = auth.current_coordinator()
    form = TotpForm()
    secret = session.get("totp_setup")  # the same key until it is used: a reload keeps the scan valid
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session["totp_setup"] = totp.new_secret()
    elif form.validate_on_submit():
        try:
            codes = totp.enrol(me.id, secret, form.code.data, form.label.data or _("Authenticator app"),
                               auth.actor())
        except factors.FactorError as error:
            attach(form, error, fallback="code")
        else:
            session.pop("totp_setup", None)
            return _enrolled(codes)
    uri = totp.provisioning_uri(secret, me.email)
    return render("manage/enrol_totp.html", "manage/enrol_totp.html",
                  status=422 if request.method == "POST" else 200, form=form, secret=secret,
                  qr=Markup(totp.qr_svg(uri)))  # our own SVG, no user text


@bp.post("/security/passkeys/options")
@auth.login_required
def passkey_options():
    """The options to create a passkey (JSON; the challenge stays in the session)."""
    if not auth.recently_authenticated():
        return json_response({"error": _("Type your password again first.")}, 403)
    options, challenge = passkeys.registration_options(relying_party(), auth.current_coordinator())
    session["passkey_setup"] = passkeys.bytes_to_base64url(challenge)
    return json_response(options)


@bp.post("/security/passkeys")
@auth.login_required
@_recent
def add_passkey():
    """Store the passkey the browser made; the challenge is spent whatever the outcome."""
    form = NewPasskeyForm()
    challenge = session.pop("passkey_setup", None)
    if form.validate_on_submit() and challenge:
        try:
            codes = passkeys.register(relying_party(), auth.current_coordinator().id,
                                      passkeys.base64url_to_bytes(challenge), form.credential.data or "",
                                      form.label.data or _("Passkey"), auth.actor())
        except factors.FactorError as error:
            flash(error.message, "error")
        else:
            return _enrolled(codes)
    else:
        flash(_("The passkey could not be checked. Try again."), "error")
    return see_other(url_for(".security"))


def _attempt(change: Callable[[], object], done: Callable[[object], str]):
    """Run a service's change; flash its refusal or ``done(result)``, then back to the page."""
    try:
        result = change()
    except factors.FactorError as error:
        flash(error.message, "error")
    else:
        flash(done(result), "info")
    return see_other(url_for(".security"))


@bp.post("/security/factors/<int:factor_id>/remove")
@auth.login_required
@_recent
def remove_factor(factor_id: int):
    """Remove one of one's own second factors."""
    return _attempt(lambda: factors.remove(auth.current_coordinator().id, factor_id, auth.actor()),
                    lambda _none: _("The second factor is removed."))


@bp.post("/security/recovery-codes")
@auth.login_required
@_recent
def new_recovery_codes():
    """Replace one's recovery codes (shown once)."""
    me = auth.current_coordinator()
    if not factors.enrolled(me.id):
        flash(_("Add a second factor first."), "error")
        return see_other(url_for(".security"))
    return render("manage/recovery_codes.html", "manage/recovery_codes.html",
                  codes=recovery.regenerate(me.id, auth.actor()))


@bp.post("/security/required")
@auth.admin_required
def require_second_factor():
    """Require a second factor of every coordinator, or stop requiring it."""
    value = request.form.get("required") == "1"
    if value and not factors.enrolled(auth.current_coordinator().id):
        flash(_("Add a second factor to your own account first."), "error")
    elif factors.set_required(value, auth.actor()):
        flash(_("Every coordinator now needs a second factor.") if value
              else _("A second factor is now optional."), "info")
    return redirect(url_for(".security"), code=303)


@bp.post("/coordinators/<int:coordinator_id>/second-factors/reset")
@auth.admin_required
def reset_factors(coordinator_id: int):
    """An administrator's reset for someone who lost every factor (not one's own)."""
    return _attempt(lambda: factors.reset(coordinator_id, auth.actor()), lambda removed: ngettext(
        "%(num)d second factor removed; that account's sessions have ended.",
        "%(num)d second factors removed; that account's sessions have ended.", removed))
