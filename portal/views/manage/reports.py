"""Exports (public fields, or full with emails) and the statistics page."""

from __future__ import annotations

from flask import Response, abort, render_template, stream_with_context
from flask_babel import gettext as _

from portal.statements import exports as service
from portal.statements import stats as stats_service
from portal.views.manage import bp
from portal.web import auth


@bp.get("/statements/<int:statement_id>/exports")
@auth.login_required
def exports(statement_id: int):
    """The export choices."""
    item = auth.statement_for(statement_id)
    return render_template("manage/exports.html", statement=item,
                           sealed=service.sealed_note(item)["contacts"]["sealed"])


def _download(statement_id: int, scope: str, fmt: str):
    item = auth.statement_for(statement_id)
    if fmt not in ("csv", "json"):
        abort(404)
    chunks, mimetype = service.export(item, scope, fmt, auth.actor())
    # Sent while it is produced: a million rows never sit in memory at once.
    response = Response(stream_with_context(chunks), content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{item.slug}-{scope}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


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
