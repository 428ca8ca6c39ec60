"""HTTP caching for the public read path, and the page's CSRF token without a session.

Anonymous pages (the index, a statement, its signatories and its counter) are the same for
every reader, so they are sent ``public`` with a short ``max-age`` and
``stale-while-revalidate``, and a weak ETag that is checked *before* rendering: a reader
polling an unchanged count costs one primary-key lookup. They never set a cookie: the sign
form carries a stateless token (:func:`portal.tokens.form_token`) instead of a session one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from functools import cache

from flask import Flask, Response, current_app, g, request
from flask_wtf.csrf import generate_csrf

from . import tokens
from .config import ROOT
from .fragments import wants_fragment


@cache
def release() -> str:
    """Changes when templates or catalogues are deployed, so cached pages are not reused."""
    newest = 0.0
    for folder in (ROOT / "portal" / "templates", ROOT / "translations"):
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                newest = max(newest, os.stat(os.path.join(dirpath, name)).st_mtime)
    return f"{int(newest)}"


def etag(statements: Iterable, *parts: object, by_fragment: bool = True) -> str:
    """A weak validator for a public page built from ``statements`` and the request.

    It covers what a reader can see: each statement's version (bumped by every visible
    change), state and pause, its translations' revisions, the language, page or fragment,
    the query string, and the form token's time bucket (the page embeds the token).
    """
    raw = [release(), g.get("lang", ""), "f" if by_fragment and wants_fragment() else "",
           request.query_string.decode("latin-1"), str(tokens.form_bucket()), *map(str, parts)]
    for statement in statements:
        raw.append(f"{statement.id}:{statement.version}:{statement.state}:{statement.paused}:"
                   f"{statement.deadline_at}")
        raw.extend(f"{tr.lang}{tr.revision}{int(tr.published)}" for tr in statement.translations)
    return hashlib.blake2b("|".join(raw).encode(), digest_size=12).hexdigest()


def not_modified(tag: str) -> bool:
    return request.if_none_match.contains_weak(tag)


def public(response: Response, tag: str | None = None) -> Response:
    """Let browsers and shared caches keep this response for a few seconds."""
    config = current_app.config
    response.headers["Cache-Control"] = (f"public, max-age={config['PUBLIC_MAX_AGE']}, "
                                         f"stale-while-revalidate={config['PUBLIC_STALE']}")
    if tag:
        response.set_etag(tag, weak=True)
    return response


def private(response: Response, tag: str | None = None) -> Response:
    """A page behind a private link: the browser may revalidate it, nobody else may keep it."""
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if tag:
        response.set_etag(tag, weak=True)
    return response


def cross_site() -> bool:
    """True when the browser says the request comes from another site."""
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        return True
    origin = request.headers.get("Origin")
    return origin is not None and origin.rstrip("/") != request.host_url.rstrip("/")


def _page_csrf_token() -> str:
    """The token for ``<body hx-headers>``: the public form token on public pages, else the session's."""
    if "form_token" in g:
        return g.form_token
    if g.get("public"):
        return ""
    return generate_csrf()


def init_app(app: Flask) -> None:
    app.config.setdefault("PUBLIC_MAX_AGE", 5)
    app.config.setdefault("PUBLIC_STALE", 30)

    @app.context_processor
    def _tokens():
        return {"page_csrf_token": _page_csrf_token}
