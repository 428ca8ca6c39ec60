"""Error pages: a clear message in the reader's language, never a stack trace."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError, SecurityError

from portal.extensions import db
from portal.fragments import reswap, wants_fragment
from portal.views.api import error_response, is_api_request
from portal.web.hosts import base_url

log = logging.getLogger(__name__)


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You are not allowed to do that."),
        404: _("There is nothing at this address. Check the link you followed."),
        405: _("That action is not allowed here."),
        413: _("What you sent is too large."),
        422: _("Some of what you sent could not be accepted."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Nothing you sent was lost; please try again."),
        503: _("The service is briefly unavailable. Please try again shortly."),
    }


def _page(code: int, message: str | None = None):
    text = message or _messages().get(code) or _messages()[500 if code >= 500 else 400]
    template = "errors/_error.html" if wants_fragment() else "errors/error.html"
    return render_template(template, code=code, message=text), code


SECRET_FIELDS = ("csrf_token", "password", "password_confirm", "new_password", "current_password")


def _resubmit():
    """An expired form elsewhere: give back what was sent, with a fresh token, to send again."""
    kept = [(name, value) for name, value in request.form.items(multi=True)
            if name not in SECRET_FIELDS and not name.startswith("password")]
    body = render_template("errors/_expired.html" if wants_fragment() else "errors/expired.html",
                           action=request.path, kept=kept)
    response = make_response(body, 400)
    if wants_fragment():
        # The form that was swapped may be small (a row's button); show the whole notice instead.
        response.headers["HX-Retarget"] = "#main"
        reswap(response, "innerHTML")
    return response


def _untrusted_host():
    """A ``Host`` this site does not answer to (``TRUSTED_HOSTS``): said in plain text.

    Routing never ran, so no URL can be built: no page template, only the real address.
    """
    message = _("This site does not answer to that address. Its address is %(url)s",
                url=base_url(current_app.config))
    if is_api_request():
        response = error_response(BadRequest(message))
    else:
        response = make_response(message + "\n", 400)
        response.mimetype = "text/plain"
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(SecurityError, lambda _error: _untrusted_host())

    @app.errorhandler(CSRFError)
    def _csrf(error):
        if request.endpoint == "statements.sign":
            from portal.views.statements import resubmit_after_csrf

            return resubmit_after_csrf()
        return _resubmit()

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if isinstance(error, InternalServerError):
            return _internal(error)
        if is_api_request():
            return error_response(error)
        return _page(error.code or 400)

    @app.errorhandler(Exception)
    def _internal(error):
        db.session.rollback()
        # The frames only: an exception's text can quote SQL parameters, emails among them.
        frames = "".join(traceback.format_tb(error.__traceback__))
        log.error("unhandled %s on %s %s\n%s", type(error).__name__, request.method,
                  request.endpoint, frames)
        return error_response(500) if is_api_request() else _page(500)
