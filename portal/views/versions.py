"""The public record of a statement: its text's versions with diffs, and its delivery snapshots
(routes on the statements blueprint, under ``/<lang>/s/<slug>/``)."""

from __future__ import annotations

from flask import abort, g, make_response, request

from portal.extensions import db
from portal.fragments import render
from portal.record import diffs, versions
from portal.views.statements import bp
from portal.web import caching
from portal.web.reading import public_statement, public_view


def cached(statement, build, part: str):
    """A 304 while the reader's copy is current, else ``build()`` with public caching headers."""
    tag = caching.etag([statement], part)
    mark = caching.private if statement.state == "collecting" else caching.public
    if caching.not_modified(tag):
        return mark(make_response("", 304), tag)
    return mark(make_response(build()), tag)


def _number(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 7 else None


@bp.get("/s/<slug>/versions")
def versions_page(slug: str):
    """Every version of the text in the reader's language, and the changes between two."""
    statement = public_statement(slug)
    view = public_view(statement)
    history = versions.history(db.session, statement.id, view.text.lang)
    by_number = {v.number: v for v in history}
    new = by_number.get(_number("to") or 0) or (history[0] if history else None)
    old = by_number.get(_number("from") or 0)
    if old is None and new is not None:
        old = next((v for v in history if v.number < new.number), None)
    if (request.args.get("to") and _number("to") not in by_number) or (
            request.args.get("from") and _number("from") not in by_number):
        abort(404)
    lines = diffs.compare(old, new) if old and new else []

    def build():
        return render("record/versions.html", "record/_version_diff.html", view=view, statement=statement,
                      tr=view.text, history=history, old=old, new=new, lines=lines, key=g.get("key"))

    return cached(statement, build, "versions")
