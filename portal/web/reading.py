"""The public statement a URL names, for the request: found once, 404 otherwise, and its read
model (:class:`portal.statements.public.PublicView`) in the request's language."""

from __future__ import annotations

from flask import abort, g, request

from portal import tokens
from portal.models import Statement
from portal.statements import public


def public_statement(slug: str, keyed: bool = True) -> Statement:
    """The statement the public may see at this URL (with ``?key=`` while it is collecting,
    where ``keyed``), or a 404. Sets ``g.key`` and the public form's token for the page."""
    key = request.values.get("key") if keyed else None
    statement = public.find(slug, key)
    if statement is None:
        abort(404)
    g.key = key if statement.state == "collecting" else None
    g.form_token = tokens.form_token(statement.slug)
    g.page_statement = statement  # the language switcher offers the languages it exists in
    return statement


def public_view(statement: Statement) -> public.PublicView:
    """The read model of ``statement`` for this request's language, worked out once."""
    views = g.setdefault("public_views", {})
    if statement.id not in views:
        views[statement.id] = public.view_of(statement, g.lang)
    return views[statement.id]
