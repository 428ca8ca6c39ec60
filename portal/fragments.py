"""The page-or-fragment decision and htmx response helpers.

The htmx integration package stays behind this module so that it can be swapped out.
"""

from __future__ import annotations

from flask import Flask, Response, make_response, render_template, request
from htmx_flask import Htmx

htmx = Htmx()


def init_app(app: Flask) -> None:
    htmx.init_app(app)
    app.after_request(_vary)


def _vary(response: Response) -> Response:
    # The three headers wants_fragment() reads: a boosted or history-restore request gets the page.
    for name in ("HX-Request", "HX-Boosted", "HX-History-Restore-Request"):
        response.vary.add(name)
    return response


def wants_fragment() -> bool:
    """True for an htmx request that is neither boosted nor a history restore."""
    hx = getattr(request, "htmx", None)
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render(page_template: str, fragment_template: str, /, status: int = 200, **context) -> Response:
    """Render the fragment for htmx and the full page otherwise."""
    template = fragment_template if wants_fragment() else page_template
    return make_response(render_template(template, **context), status)


def reswap(response: Response, how: str) -> Response:
    """Set ``HX-Reswap`` directly (htmx-flask 0.1.0 rejects some valid values)."""
    response.headers["HX-Reswap"] = how
    return response
