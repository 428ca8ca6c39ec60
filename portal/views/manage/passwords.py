"""Passwords: changing one's own, and choosing a new one through a reset link."""

from __future__ import annotations

from flask import abort, current_app, flash, url_for
from flask_babel import gettext as _

from portal.accounts import coordinators as accounts
from portal.extensions import limiter
from portal.fragments import render
from portal.views.manage import bp, form_status, see_other
from portal.views.manage.forms import ChangePasswordForm
from portal.views.manage.sessions import choose_password
from portal.web import auth
from portal.web.refusals import attach


def _account_key() -> str:
    coordinator = auth.current_coordinator()
    return f"password-change:{coordinator.id if coordinator else 0}"


@bp.route("/password", methods=["GET", "POST"])
@auth.login_required
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"], key_func=_account_key,
               scope="manage-password-change", exempt_when=lambda: auth.current_coordinator() is None)
def change_password():
    """Change one's own password (the current one is required); other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        me = auth.current_coordinator()
        try:
            coordinator = accounts.change_password(me.id, form.current.data, form.password.data)
        except accounts.AccountError as error:
            attach(form, error, fallback="password")
        else:
            auth.log_in(coordinator)  # this session goes on, under a new id; every other one ended
            flash(_("Your password is changed. Your other sessions have ended."), "info")
            return see_other(url_for(".home"))
    return render("manage/password.html", "manage/_change_password.html", status=form_status(), form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """Choose a new password through a single-use reset link, then log in."""
    coordinator = accounts.read_reset(token)
    if coordinator is None:
        abort(404)
    return choose_password(coordinator, lambda password: accounts.reset_password(token, password),
                           "manage/reset.html", action=url_for(".reset", token=token))

