"""Administrators only: coordinator accounts, invitations and the site-wide pause."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts import coordinators as accounts
from portal.extensions import db
from portal.fragments import render
from portal.models import Coordinator
from portal.statements import site
from portal.views.manage import bp
from portal.views.manage.forms import InviteForm
from portal.web import auth
from portal.web.refusals import attach


def _listing(form: InviteForm, status: int = 200):
    people = list(db.session.scalars(select(Coordinator).order_by(Coordinator.name, Coordinator.id)))
    return render("manage/coordinators.html", "manage/_invite.html", status=status, form=form,
                  people=people)


@bp.get("/coordinators")
@auth.admin_required
def coordinators():
    """Every account, and the invitation form."""
    return _listing(InviteForm())


@bp.post("/coordinators/invite")
@auth.admin_required
def invite():
    """Create an account and email its invitation link."""
    form = InviteForm()
    if form.validate_on_submit():
        try:
            accounts.invite(accounts.Invitation(form.email.data, form.name.data, form.admin.data),
                            auth.current_coordinator().name)
        except accounts.AccountError as error:
            attach(form, error, fallback="email")
        else:
            flash(_("Invitation sent to %(email)s.", email=form.email.data), "info")
            return redirect(url_for(".coordinators"), code=303)
    return _listing(form, 422)


@bp.post("/coordinators/<int:coordinator_id>/active")
@auth.admin_required
def set_active(coordinator_id: int):
    """Suspend or restore an account (not one's own)."""
    me = auth.current_coordinator()
    if db.session.get(Coordinator, coordinator_id) is None or coordinator_id == me.id:
        flash(_("You cannot change this account."), "error")
    else:
        accounts.set_active(coordinator_id, request.form.get("active") == "1")
        flash(_("Saved."), "info")
    return redirect(url_for(".coordinators"), code=303)


@bp.post("/coordinators/<int:coordinator_id>/reset")
@auth.admin_required
def issue_reset(coordinator_id: int):
    """Email a single-use password reset link to an account (not one's own: use the password page)."""
    me = auth.current_coordinator()
    person = db.session.get(Coordinator, coordinator_id) if coordinator_id < 2**31 else None
    try:
        if person is None or coordinator_id == me.id:
            raise accounts.AccountError(None, _("You cannot change this account."))
        accounts.issue_reset(coordinator_id, auth.actor(), send=True)
    except accounts.AccountError as error:
        flash(error.message, "error")
    else:
        flash(_("A password reset link was emailed to %(email)s. It works once, for %(hours)d hours.",
                email=person.email, hours=current_app.config["PASSWORD_RESET_HOURS"]), "info")
    return redirect(url_for(".coordinators"), code=303)


@bp.route("/site", methods=["GET", "POST"])
@auth.admin_required
def site_settings():
    """The site-wide pause switch."""
    if request.method == "POST":
        paused = request.form.get("paused") == "1"
        site.set_signing_paused(paused, auth.actor())
        flash(_("Signing is paused on the whole site.") if paused else _("Signing is open again."), "info")
        return redirect(url_for(".site_settings"), code=303)
    return render_template("manage/site_settings.html", paused=site.signing_paused())
