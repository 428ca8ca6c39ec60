"""The coordinator workspace at ``/manage``, one blueprint: statements, translations,
moderation, abuse control, reports, the audit log, accounts. Every page is behind login and
none is cached; each module adds its routes to ``bp`` and calls services only."""

from __future__ import annotations

from flask import Blueprint, Response, g, make_response, redirect, request

from portal.fragments import wants_fragment
from portal.web import auth
from portal.web.locale import workspace_language

bp = Blueprint("manage", __name__, url_prefix="/manage")


def form_status() -> int:
    """422 for a form that came back from a POST unaccepted, 200 for a first display."""
    return 422 if request.method == "POST" else 200


def see_other(url: str) -> Response:
    """After a successful POST: a 303 for a browser; for htmx, HX-Redirect so the whole page loads
    (a followed 303 would swap a full page into the form)."""
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


@bp.before_request
def _language() -> None:
    # The workspace speaks the coordinator's chosen language, else the browser's; no statement
    # URL picks it here. Worked out now, while the account is loaded (an export streams later).
    g.pop("lang", None)
    g.workspace_lang = workspace_language()


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.vary.add("Cookie")
    return response


@bp.context_processor
def _workspace() -> dict:
    return {"me": auth.current_coordinator()}


from portal.views.manage import (  # noqa: E402,F401  (routes register on bp)
    abuse,
    admin,
    audit,
    entries,
    home,
    invitations,
    language,
    moderation,
    notifications,
    passwords,
    record,
    reports,
    roster,
    safety,
    second_step,
    security,
    sessions,
    statements,
    steps,
    surges,
    translations,
)
