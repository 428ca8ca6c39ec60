"""Request guards that apply before any view: input no view could ever accept.

Ids taken from a URL or a form are bounded here at the database's range: a number past
PostgreSQL's ``integer`` would make the query itself fail (a 500) instead of finding nothing.
The ``<int:...>`` route converter is bounded for every route; :func:`bounded_id` and
:func:`id_or_slug` do the same for query and form values.
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL integer (and serial): the widest id column here


class BoundedInt(IntegerConverter):
    """``<int:...>`` that matches 0 to :data:`MAX_ID` only: a larger number is a 404, like any unknown id."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def bounded_id(raw: str | None) -> int | None:
    """An id or cursor written in ASCII digits, from 1 to :data:`MAX_ID`; anything else is None.

    ``str.isdigit`` is not enough: it accepts ``²`` (which ``int`` refuses) and numbers of any size.
    """
    if not raw or len(raw) > 10 or not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def id_or_slug(raw: str) -> int | str:
    """A statement named in a query or form by id or by slug; 404 for a number no row can have."""
    if raw.isdigit():
        ident = bounded_id(raw)
        if ident is None:
            abort(404)
        return ident
    return raw


def _has_nul(values) -> bool:
    return any("\x00" in value for value in values)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt

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
