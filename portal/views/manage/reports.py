"""Exports (public fields, or full with emails) and the statistics page."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request, stream_with_context, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from portal.statements import exports as service
from portal.statements import press, public
from portal.statements import stats as stats_service
from portal.statements.sheets import TooManyRows
from portal.views.manage import bp
from portal.web import auth


@bp.get("/statements/<int:statement_id>/exports")
@auth.login_required
def exports(statement_id: int):
    """The export choices."""
    item = auth.statement_for(statement_id)
    return render_template("manage/exports.html", statement=item, lang=str(get_locale()),
                           sealed=service.sealed_note(item)["contacts"]["sealed"])


def _download(statement_id: int, scope: str, fmt: str):
    item = auth.statement_for(statement_id)
    if fmt not in service.MEDIA_TYPES:
        abort(404)
    lang = _export_lang()
    with force_locale(lang):
        labels = service.Labels(lang, _("yes"), _("no"))
    try:
        chunks, mimetype = service.export(item, scope, fmt, auth.actor(), labels)
    except TooManyRows as error:
        return render_template("manage/exports.html", statement=item, lang=lang, error=error.message), 422
    # Sent while it is produced: a million rows never sit in memory at once.
    response = Response(stream_with_context(chunks), content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{item.slug}-{scope}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _export_lang() -> str:
    """The language a spreadsheet export is written in: ``?lang=`` if the interface has it,
    else the workspace's."""
    chosen = request.values.get("lang", "")
    return chosen if chosen in current_app.config["LANGUAGES"] else str(get_locale())


def _list_view(statement_id: int):
    """The statement and its read model in ``?lang=`` (one of its published languages)."""
    item = auth.statement_for(statement_id)
    langs = [t.lang for t in item.translations if t.published or t.lang == item.original_lang]
    lang = request.args.get("lang", "")
    return item, public.view_of(item, lang if lang in langs else item.original_lang), langs


@bp.get("/statements/<int:statement_id>/signatory-list")
@auth.login_required
def signatory_list(statement_id: int):
    """The signatories as text to paste into a press release, in one of the statement's languages."""
    item, view, langs = _list_view(statement_id)
    text = press.press_list(view, current_app.config["PRINT_MAX_SIGNATORIES"], _public_list(item, view))
    return render_template("manage/signatory_list.html", statement=item, view=view, langs=langs, text=text)


@bp.get("/statements/<int:statement_id>/signatory-list.txt")
@auth.login_required
def signatory_list_text(statement_id: int):
    """The same list as a plain text download."""
    item, view, _langs = _list_view(statement_id)
    text = press.press_list(view, current_app.config["PRINT_MAX_SIGNATORIES"], _public_list(item, view))
    response = Response(text, content_type="text/plain; charset=utf-8")
    name = f"{item.slug}-signatories-{view.lang}.txt"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _public_list(item, view) -> str:
    return url_for("statements.signatories", lang=view.lang, slug=item.slug, _external=True)


@bp.get("/statements/<int:statement_id>/export/public.<fmt>")
@auth.login_required
def export_public(statement_id: int, fmt: str):
    """Download the public fields of the listed signatories."""
    return _download(statement_id, "public", fmt)


@bp.post("/statements/<int:statement_id>/export/full.<fmt>")
@auth.login_required
def export_full(statement_id: int, fmt: str):
    """Download everything, contact emails included; written to the audit log."""
    return _download(statement_id, "full", fmt)


@bp.get("/statements/<int:statement_id>/stats")
@auth.login_required
def stats(statement_id: int):
    """Signatures over time (SVG), breakdowns, and waiting times."""
    item = auth.statement_for(statement_id)
    result = stats_service.compute(item)
    charts = {
        "day": stats_service.bar_chart(result.per_day, _("Signatures per day (UTC)"), "chart-day"),
        "hour": stats_service.bar_chart(result.per_hour, _("Signatures per hour, first 48 hours (UTC)"),
                                        "chart-hour"),
    }
    return render_template("manage/stats.html", statement=item, s=result, charts=charts)
