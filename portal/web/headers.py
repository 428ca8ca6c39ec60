"""Security headers on every response, and request hygiene before any view runs."""

from __future__ import annotations

from flask import Flask, Response, abort, request

from portal.web import hosts

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        # Unset: a site served over https sends its session cookie over https only.
        app.config["SESSION_COOKIE_SECURE"] = str(app.config.get("BASE_URL", "")).startswith("https://")

    @app.before_request
    def _forms_only() -> None:
        # Flask-WTF fills forms from a JSON body too: numbers and lists where text is expected.
        # Nothing here takes JSON, so a JSON body on an unsafe request is refused outright.
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json:
            abort(415)

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        hosts.onion_location(response)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        return response
