"""Logging in and out, and taking up an invitation."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from portal.abuse import clients
from portal.accounts import coordinators as accounts
from portal.extensions import client_hash, limiter
from portal.factors import store as factors
from portal.fragments import render
from portal.views.manage import bp, form_status, see_other
from portal.views.manage.forms import LoginForm, PasswordForm
from portal.web import auth
from portal.web.refusals import attach


def _limit(setting: str) -> Callable[[], str]:
    return lambda: current_app.config[setting]


def _account() -> str:
    return "account:" + clients.account_hash(request.form.get("email"))


def _account_and_client() -> str:
    return _account() + ":" + client_hash()


def _failed(response: Response) -> bool:
    return response.status_code == 422


def _known_device() -> bool:
    return auth.known_device(request.form.get("email") or "")


# Checked before any password is hashed. Keys are keyed hashes: no address and no email is
# stored. A wrong password from one client never locks the account for another: the tight
# limit is per (account, client); across clients only failures count, against a far higher
# ceiling, and a browser that has logged in to the account before is exempt from it.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_CLIENT_RATE_LIMIT"), methods=["POST"], scope="manage-login-client")
@limiter.limit(_limit("LOGIN_RATE_LIMIT"), methods=["POST"], key_func=_account_and_client,
               scope="manage-login-account-client")
@limiter.limit(_limit("LOGIN_ACCOUNT_RATE_LIMIT"), methods=["POST"], key_func=_account,
               scope="manage-login-account", deduct_when=_failed, exempt_when=_known_device)
def login():
    """The login form; the limits above apply before any password is hashed."""
    next_url = auth.safe_next(request.args.get("next"))
    if request.method == "GET" and auth.current_coordinator() is not None:
        return redirect(next_url or url_for(".home"), code=303)
    form = LoginForm()
    if form.validate_on_submit():
        coordinator = accounts.authenticate(form.email.data, form.password.data)
        if coordinator is not None and factors.enrolled(coordinator.id):
            auth.hold(coordinator, next_url)  # the password alone opens nothing: the second step next
            return redirect(url_for(".second_step"), code=303)
        if coordinator is not None:
            auth.log_in(coordinator)
            return auth.remember_device(redirect(next_url or url_for(".home"), code=303), form.email.data)
        form.form_errors.append(_("The email or the password is wrong."))
    return render("manage/login.html", "manage/_login.html", status=form_status(), form=form,
                  next_url=next_url)


@bp.post("/logout")
def logout():
    """End the session."""
    auth.log_out()
    flash(_("You are logged out."), "info")
    return redirect(url_for(".login"), code=303)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """Take up an invitation: choose a password, then log in."""
    coordinator = accounts.read_invitation(token)
    if coordinator is None:
        abort(404)
    return choose_password(coordinator, lambda password: accounts.set_password(coordinator.id, password),
                           "manage/invitation.html", token=token)


def choose_password(coordinator, setter, page: str, **context):
    """The page where someone holding a single-use link chooses a password, then is logged in.

    :param setter: the service that sets it from the password (raises AccountError).
    """
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            coordinator = setter(form.password.data)
        except accounts.AccountError as error:
            attach(form, error, fallback="password")
        else:
            if factors.enrolled(coordinator.id):  # a reset link is no way around the second factor
                auth.hold(coordinator, None)
                flash(_("Your password is set. Now confirm it is you with your second factor."), "info")
                return see_other(url_for(".second_step"))
            auth.log_in(coordinator)
            flash(_("Your password is set. Welcome."), "info")
            return see_other(url_for(".home"))
    response = render(page, "manage/_password.html", status=form_status(), form=form,
                      coordinator=coordinator, **context)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
