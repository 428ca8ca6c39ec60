"""A statement's record in the workspace: initiators and the corrections address, the rule
after an amendment, deliveries with their snapshots, and updates to signatories."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.extensions import db
from portal.models import Statement
from portal.record import deliveries, settings, trust, updates
from portal.views.manage import bp, see_other
from portal.views.manage.forms import DeliveryForm, RecordSettingsForm, UpdateForm
from portal.web import auth
from portal.web.refusals import attach


def _langs(item: Statement) -> list[str]:
    return [item.original_lang] + sorted(t.lang for t in item.published_translations()
                                         if t.lang != item.original_lang)


def _page(item: Statement, status: int = 200, **forms):
    forms.setdefault("settings_form", RecordSettingsForm(obj=item, formdata=None))
    forms.setdefault("delivery_form", DeliveryForm(formdata=None))
    forms.setdefault("update_form", UpdateForm(formdata=None))
    return render_template(
        "manage/record.html", statement=item, langs=_langs(item), update_texts=forms.pop("texts", {}),
        deliveries=deliveries.of(db.session, item.id), timeline=updates.timeline(db.session, item.id),
        hidden=trust.hidden_count(item), **forms), status


@bp.get("/statements/<int:statement_id>/record")
@auth.login_required
def record(statement_id: int):
    """The statement's record: trust facts, deliveries, updates."""
    return _page(auth.statement_for(statement_id))


@bp.post("/statements/<int:statement_id>/record/settings")
@auth.login_required
def record_settings(statement_id: int):
    """Save the initiators, the corrections address and the rule after an amendment."""
    item = auth.statement_for(statement_id)
    form = RecordSettingsForm()
    if form.validate_on_submit():
        try:
            changed = settings.update(item.id, settings.RecordSettings(
                form.initiators.data or "", form.corrections_contact.data or "", form.reconsent_days.data,
                form.reconsent_lapse.data or ""), auth.actor())
        except settings.SettingsError as error:
            attach(form, error)
        else:
            flash(_("Saved.") if changed else _("Nothing changed."), "info")
            return see_other(url_for(".record", statement_id=item.id))
    return _page(item, 422, settings_form=form)


@bp.post("/statements/<int:statement_id>/deliveries")
@auth.login_required
def record_delivery(statement_id: int):
    """Record a delivery and freeze its "as delivered" snapshot."""
    item = auth.statement_for(statement_id)
    form = DeliveryForm()
    if form.validate_on_submit():
        try:
            done = deliveries.record(item.id, deliveries.DeliveryInput(
                form.recipient.data, form.delivered_on.data, form.channel.data or "", form.note.data or ""),
                auth.actor())
        except deliveries.DeliveryError as error:
            attach(form, error)
        else:
            flash(_("Delivery %(number)s is recorded and its snapshot frozen.", number=done.number), "info")
            return see_other(url_for(".record", statement_id=item.id))
    return _page(item, 422, delivery_form=form)


@bp.post("/statements/<int:statement_id>/updates")
@auth.login_required
def post_update(statement_id: int):
    """Post an update in the original language and any published translation."""
    item = auth.statement_for(statement_id)
    form = UpdateForm()
    texts = {lang: ((request.form.get(f"title_{lang}") or "")[:400], (request.form.get(f"body_{lang}") or "")
                    .replace("\r\n", "\n")[:25000]) for lang in _langs(item)}
    if form.validate_on_submit():
        try:
            posted = updates.post(item.id, updates.UpdateInput(form.happened_on.data, texts, form.email.data),
                                  auth.actor())
        except updates.UpdateError as error:
            form.form_errors.append(error.message)
        else:
            if posted.held:
                flash(_("The update is posted. It was not emailed: the day's allowance of update emails "
                        "for this statement is spent."), "error")
            else:
                flash(ngettext("The update is posted and emailed to %(num)s signatory.",
                               "The update is posted and emailed to %(num)s signatories.",
                               posted.mailed), "info")
            return see_other(url_for(".record", statement_id=item.id))
    return _page(item, 422, update_form=form, texts=texts)
