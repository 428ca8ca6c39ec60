"""The read-only public JSON API under ``/api/v1``: statements, counts and signatories."""

from __future__ import annotations

import unicodedata

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from portal.extensions import limiter
from portal.models import Statement, StatementState
from portal.statements import outputs, public
from portal.statements import reading as service
from portal.web.openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)


def _statement_key() -> str:
    return (request.view_args or {}).get("slug", "")[:80]  # the counter's key stays short


# Per statement, from every client together: a distributed scrape of one list gets a 429 too.
limiter.shared_limit(lambda: current_app.config["API_STATEMENT_RATE_LIMIT"], "api-statement",
                     key_func=_statement_key, exempt_when=lambda: not _statement_key())(bp)

ERROR_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
               413: "too_large", 429: "too_many_requests", 500: "internal_error",
               503: "unavailable"}
ERROR_MESSAGES = {
    400: "The request could not be understood.",
    404: "There is no such resource.",
    405: "Only GET is allowed here.",
    429: "Too many requests. Wait a moment and try again.",
    500: "Something went wrong on our side.",
}
STATES = (StatementState.published, StatementState.closed, StatementState.archived)
MAX_LIMIT = 200


def is_api_request() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(error: HTTPException | int) -> Response:
    """An error as ``{"error": {"code", "message"}}``: a stable shape for every client."""
    status = error if isinstance(error, int) else (error.code or 500)
    message = ERROR_MESSAGES.get(status) or ERROR_MESSAGES[500 if status >= 500 else 400]
    if isinstance(error, HTTPException) and error.description != type(error).description:
        message = error.description  # one of ours, written for this case
    response = jsonify(error={"code": ERROR_CODES.get(status, f"http_{status}"), "message": message})
    response.status_code = status
    if isinstance(error, HTTPException):
        for name, value in error.get_headers():
            if name in ("Allow", "Retry-After"):
                response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return _cors(response)


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    if request.method == "OPTIONS":  # a preflight, e.g. for a script that sends If-None-Match
        response.headers["Access-Control-Allow-Methods"] = "GET"
        response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _json(payload: dict, max_age: int = 30) -> Response:
    """A cacheable answer; a client that sends the ETag back gets a 304."""
    response = jsonify(payload)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.add_etag()
    return response.make_conditional(request)


def _links(statement: Statement) -> dict:
    return {"self": url_for("api.statement", slug=statement.slug, _external=True),
            "signatories": url_for("api.signatories", slug=statement.slug, _external=True),
            "html": url_for("statements.show", lang=statement.original_lang, slug=statement.slug,
                            _external=True)}


@bp.get("/statements")
def statements():
    """Public statements in one state (published by default), newest first."""
    state = request.args.get("state", StatementState.published)
    if state not in STATES:
        abort(400, description="state must be one of: published, closed, archived.")
    views = public.views_of(public.listed((state,)), None)
    return _json({"statements": [outputs.summary(view) | {"links": _links(view.statement)}
                                 for view in views]})


@bp.get("/statements/<slug>")
def statement(slug: str):
    """One statement: its published translations, counts, state and deadline."""
    found = _found(slug)
    data = outputs.detail(public.view_of(found, found.original_lang)) | {"links": _links(found)}
    for tr in data["translations"]:
        tr["url"] = url_for("statements.show", lang=tr["lang"], slug=found.slug, _external=True)
    return _json(data)


def _found(slug: str) -> Statement:
    """A public statement (never one still collecting), or the API's 404."""
    statement = public.find(slug)
    if statement is None:
        abort(404)
    return statement


def _limit() -> int:
    raw = request.args.get("limit", "50")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        abort(400, description=f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)


def _filters() -> dict:
    country = request.args.get("country")
    if country is not None and not (len(country) == 2 and country.isascii() and country.isupper()):
        abort(400, description="country must be an ISO 3166-1 alpha-2 code, such as FR.")
    q = request.args.get("q", "")
    if len(q) > 100 or any(unicodedata.category(ch) == "Cc" for ch in q):
        abort(400, description="q must be at most 100 characters, without control characters.")
    return {"country": country or "", "q": q.strip(), "cursor": request.args.get("cursor", "")}


@bp.get("/statements/<slug>/signatories")
def signatories(slug: str):
    """A page of listed signatories, public fields only, by each one's chosen visibility."""
    found = _found(slug)
    view = public.view_of(found, found.original_lang)
    limit, filters = _limit(), _filters()
    try:
        page = service.signatories(found, limit=limit, **filters)
    except service.BadCursor:
        abort(400, description="cursor is not one that this API handed out for this statement.")
    following = None
    if page.next_cursor:
        args = {k: v for k, v in filters.items() if v and k != "cursor"}
        following = url_for("api.signatories", slug=found.slug, limit=limit, cursor=page.next_cursor,
                            _external=True, **args)
    return _json({"signatories": [outputs.signatory(view.shown(row)) for row in page.rows],
                  "next_cursor": page.next_cursor, "links": {"next": following},
                  "counts": outputs.counts(view)})


# Public names for the record's routes (portal/views/api_record.py).
json_answer, public_statement_or_404 = _json, _found


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return _json(document(), max_age=3600)


from portal.views import api_record  # noqa: E402,F401  (routes register on bp)
