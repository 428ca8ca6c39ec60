"""The coordinator's own notification settings: the digest on or off, its threshold, and the
language of their emails."""

from __future__ import annotations

from flask import current_app, flash, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional

from portal.notifications import digest
from portal.views.manage import bp, form_status, see_other
from portal.views.manage.forms import Form
from portal.web import auth
from portal.web.refusals import attach
from portal.words import language_name


class DigestForm(Form):
    digest_enabled = BooleanField(_l("Send me a digest of the signatures waiting on my statements"))
    digest_threshold = IntegerField(
        _l("Also send it at once when this many are waiting (optional)"),
        validators=[Optional(), NumberRange(min=1, max=digest.MAX_THRESHOLD,
                                            message=_l("Enter a whole number from 1 to 100000."))])
    ui_lang = SelectField(_l("Language of my emails"))


@bp.route("/notifications", methods=["GET", "POST"])
@auth.login_required
def notifications():
    """Switch the digest on or off, set its threshold and the language of one's emails."""
    me = auth.current_coordinator()
    form = DigestForm(obj=None if form_status() == 422 else me)
    form.ui_lang.choices = [SelectChoice("", _("The site's language"))] + [
        SelectChoice(code, language_name(code)) for code in current_app.config["LANGUAGES"]]
    if form.validate_on_submit():
        try:
            changed = digest.configure(me.id, form.digest_enabled.data, form.digest_threshold.data,
                                       form.ui_lang.data or None, auth.actor())
        except digest.SettingsError as error:
            attach(form, error)
        else:
            flash(_("Saved.") if changed else _("Nothing changed."), "info")
            return see_other(url_for(".notifications"))
    return render_template("manage/notifications.html", form=form), form_status()
