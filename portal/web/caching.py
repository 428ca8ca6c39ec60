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
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from functools import cache

from flask import Flask, Response, current_app, g, request
from flask_wtf.csrf import generate_csrf

from portal import tokens
from portal.config import ROOT
from portal.fragments import wants_fragment


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


def page_csrf_token() -> str:
    """The token for ``<body hx-headers>``: the public form token on public pages, else the session's."""
    if "form_token" in g:
        return g.form_token
    if g.get("public"):
        return ""
    return generate_csrf()


def init_app(app: Flask) -> None:
    # Off in tests unless asked for: a test reads its own writes at once.
    chosen = app.config["MICROCACHE_SECONDS"]
    seconds = float(chosen if chosen is not None else 0 if app.testing else 1)
    if seconds > 0:
        app.wsgi_app = MicroCache(app.wsgi_app, seconds)


class MicroCache:
    """WSGI middleware: keep public statement pages and counters for about a second per worker.

    A read storm is thousands of readers asking for the same page. Inside the time to live a
    repeat is answered from memory without Flask or the database, a matching ``If-None-Match``
    with a 304; while one thread refreshes an expired entry, the others are served the
    previous copy. A conditional request that misses is filled unconditionally, so the entry is
    stored and the next poll is answered from memory (an app's 304 has no body to keep). A
    reload (``Cache-Control: no-cache`` or ``max-age=0``) is served the entry only if it was
    rendered within the time to live; otherwise it waits for a render already under way, or
    renders: at most one render per key per worker per ``seconds``. Only responses the app
    marked ``Cache-Control: public`` without a cookie are kept, keyed on everything they vary
    on, and on the scheme and host they were asked under.
    """

    PATHS = re.compile(r"^/[^/]+/s/[^/]+(/count|/thanks)?$")
    VARY = ("HTTP_HX_REQUEST", "HTTP_HX_BOOSTED", "HTTP_HX_HISTORY_RESTORE_REQUEST", "HTTP_ACCEPT_ENCODING")
    BODY_HEADERS = {"content-length", "content-type", "content-encoding"}
    CONDITIONS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
    WAIT = 10.0  # seconds a request waits for another thread's render before rendering itself

    def __init__(self, app, seconds: float, entries: int = 256, max_bytes: int = 512 * 1024) -> None:
        self.app, self.seconds, self.entries, self.max_bytes = app, seconds, entries, max_bytes
        self.store: OrderedDict[tuple, tuple[float, str, list, bytes, str]] = OrderedDict()
        self.refreshing: dict[tuple, threading.Event] = {}
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET" or not self.PATHS.match(environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        # A reload asks caches to check with the origin (RFC 9111 §5.2.1.4); this cache is part
        # of the origin, whose answer stays the same for ``seconds`` (see bench/README.md).
        asked = environ.get("HTTP_CACHE_CONTROL", "").replace(" ", "")
        reload = "no-cache" in asked or "max-age=0" in asked or environ.get("HTTP_PRAGMA") == "no-cache"
        # Host and scheme too: the app refuses hosts it does not serve and builds its links from
        # BASE_URL, but a page kept for one host must never be handed to another anyway.
        key = (environ.get("wsgi.url_scheme", ""), environ.get("HTTP_HOST", ""), environ["PATH_INFO"],
               environ.get("QUERY_STRING", ""), *(environ.get(name, "") for name in self.VARY))
        deadline = time.monotonic() + self.WAIT
        while True:
            with self.lock:
                hit = self.store.get(key)
                now = time.monotonic()
                fresh = hit is not None and hit[0] > now
                pending = self.refreshing.get(key)
                if fresh or (hit is not None and pending is not None and not reload):
                    break
                if pending is None or now >= deadline:
                    self.refreshing[key] = mine = threading.Event()
                    hit = None
                    break
            # Another thread is rendering this key and there is no copy this request may have:
            # wait for that render rather than start another one.
            pending.wait(max(deadline - time.monotonic(), 0))
        if hit is not None:
            return self._answer(hit, environ, start_response)
        try:
            return self._fill(key, environ, start_response)
        finally:
            with self.lock:
                if self.refreshing.get(key) is mine:
                    del self.refreshing[key]
            mine.set()

    def _answer(self, hit, environ, start_response):
        _expires, status, headers, body, etag = hit
        asked = environ.get("HTTP_IF_NONE_MATCH")
        if asked and etag and status[:3] == "200" and _matches(asked, etag):
            kept = [(name, value) for name, value in headers if name.lower() not in self.BODY_HEADERS]
            start_response("304 Not Modified", kept)
            return [b""]
        start_response(status, list(headers))
        return [body]

    def _fill(self, key, environ, start_response):
        captured: list = []

        def capture(status, headers, exc_info=None):
            captured[:] = [status, headers, exc_info]
            return lambda data: None  # the body is returned, never written

        # Rendered unconditionally, so a poll that revalidates leaves an entry to answer the
        # next one from memory; the client's validator is then checked against that entry.
        plain = {name: value for name, value in environ.items() if name not in self.CONDITIONS}
        iterable = self.app(plain, capture)
        try:
            body = b"".join(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        status, headers, exc_info = captured
        names = {name.lower(): value for name, value in headers}
        entry = (time.monotonic() + self.seconds, status, headers, body, names.get("etag", ""))
        if (status[:3] in ("200", "286") and names.get("cache-control", "").startswith("public")
                and "set-cookie" not in names and len(body) <= self.max_bytes):
            with self.lock:
                self.store[key] = entry
                self.store.move_to_end(key)
                while len(self.store) > self.entries:
                    self.store.popitem(last=False)
        if exc_info is not None:
            start_response(status, headers, exc_info)
            return [body]
        return self._answer(entry, environ, start_response)


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison, as for GET: ``W/"x"`` and ``"x"`` are the same validator."""
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") in (wanted, "*") for tag in if_none_match.split(","))
