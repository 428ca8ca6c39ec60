"""The coordinator workspace at ``/manage``: every page behind login, none cached."""

from __future__ import annotations

from flask import Blueprint, Response, g

from ... import auth, site

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.record_once
def _setup(state) -> None:
    auth.init_app(state.app)
    # The public page asks this too: a paused statement shows why instead of the form.
    state.app.jinja_env.globals["signing_paused"] = site.paused_for


@bp.before_request
def _language() -> None:
    # The workspace speaks the browser's language; no statement URL picks it here.
    g.pop("lang", None)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.vary.add("Cookie")
    return response


@bp.context_processor
def _workspace() -> dict:
    return {"me": auth.current_coordinator()}


from . import home, sessions  # noqa: E402,F401  (routes register on bp)
