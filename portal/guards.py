"""Request guards that apply before any view: input no view could ever accept."""

from __future__ import annotations

from flask import Flask, abort, request


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_nul_bytes():
        # No field, slug, token or query of ours may hold a NUL; PostgreSQL text cannot.
        if "\x00" in request.path:
            abort(404)  # no slug or token holds one: there is nothing at this address
        if _has_nul(request.args.values()):
            abort(400)
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            if _has_nul(request.form.values()):
                abort(400)
