"""Rendered public HTML kept per statement version, language and page: the statement page, its
list fragment and the blank sign form.

A reload, or a first visit after the micro-cache's second, used to render the whole page again
(7–15 ms: templates, a dozen queries; profile in bench/README.md). What a reader sees of a
statement changes only with its ``version`` (bumped by every visible change: a signature
counted, a text published, a pause, an update), its state, texts and deadline, so a copy kept
under those is as fresh as a new render. Each request puts its own form token and fill stamp
into the kept copy.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app, g, render_template, request
from markupsafe import escape

from portal.abuse.screening import fill_stamp
from portal.fragments import wants_fragment
from portal.web import caching, switcher

TOKEN, STAMP = "\x00csrf_token\x00", "\x00started\x00"
_STAMPED = re.compile(r'(name="started" value=")[^"]*(")')
_FORM_TOKEN = re.compile(r'(name="csrf_token" value=")[^"]*(")')


class Kept:
    """A small thread-safe LRU of rendered HTML, bounded by its total size."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, str] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
            return html

    def put(self, key: tuple, html: str) -> None:
        with self._lock:
            if key in self._items:
                self._size -= len(self._items.pop(key))
            self._items[key] = html
            self._size += len(html)
            while self._size > self.max_bytes and len(self._items) > 1:
                self._size -= len(self._items.popitem(last=False)[1])


def statement_key(statement) -> tuple:
    """What of ``statement`` a public page shows, and the deployment and host it is rendered for."""
    return (id(current_app.config), caching.release(), request.host_url, g.get("lang", ""),
            statement.id, statement.version, statement.state, statement.paused, statement.deadline_at,
            statement.invite_only, statement.allowed_domains, statement.created_at,
            tuple((tr.lang, tr.revision, tr.published) for tr in statement.translations))


def _marked(html: str) -> str:
    """``html`` with this request's form token and fill stamp replaced by markers."""
    token = g.get("form_token")
    if token:
        html = html.replace(str(escape(token)), TOKEN)
    html = _FORM_TOKEN.sub(lambda m: f"{m.group(1)}{TOKEN}{m.group(2)}", html)
    return _STAMPED.sub(lambda m: f"{m.group(1)}{STAMP}{m.group(2)}", html)


def _filled(kept: str) -> str:
    token = escape(caching.page_csrf_token())
    return kept.replace(TOKEN, token).replace(STAMP, escape(fill_stamp()))


def rendered(kept: Kept, key: tuple, render: Callable[[], str]) -> str:
    """The HTML ``render`` makes for ``key``, from ``kept`` when it was made before."""
    html = kept.get(key)
    if html is None:
        html = _marked(render())
        kept.put(key, html)
    return _filled(html)


PAGES = Kept(max_bytes=8 * 1024 * 1024)  # per worker: about 150 statement pages of 50 names
FORMS = Kept(max_bytes=2 * 1024 * 1024)


def page_key(statement, view, filters: dict, via: str) -> tuple:
    """A public statement page or list fragment, as this request asks for it."""
    kept_args = tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k in switcher.KEPT_ARGS))
    return (*statement_key(statement), request.endpoint, wants_fragment(), view.signing.why_not,
            g.get("key") or "", via, tuple(sorted((k, v or "") for k, v in filters.items())), kept_args)


def blank_sign_form(statement, context: dict) -> str:
    """The empty form for ``statement`` as ``_sign_form.html`` renders it for this request (its
    WTForms fields were a third of the page's render)."""
    key = (*statement_key(statement), context.get("key") or "", context.get("via") or "")
    return rendered(FORMS, key, lambda: render_template("statements/_sign_form.html", **context))
