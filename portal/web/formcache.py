"""The blank sign form, rendered once per statement version, language and link.

Its WTForms fields were a third of the statement page's render (profile in bench/README.md).
The kept copy carries markers where each request puts its own form token and fill stamp.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from flask import current_app, g, render_template
from markupsafe import Markup, escape

from portal.abuse.screening import fill_stamp
from portal.web import caching

TEMPLATE = "statements/_sign_form.html"
PER_REQUEST = re.compile(r'(name="(csrf_token|started)" value=")[^"]*(")')
ENTRIES = 256

_kept: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()


def blank_sign_form(statement, context: dict) -> Markup:
    """The empty form for ``statement`` as ``_sign_form.html`` renders it for this request."""
    key = (id(current_app.config), caching.release(), statement.id, statement.version, statement.state,
           statement.paused, statement.invite_only, statement.allowed_domains,
           g.get("lang", ""), context.get("key") or "", context.get("via") or "")
    with _lock:
        kept = _kept.get(key)
    if kept is None:
        rendered = render_template(TEMPLATE, **context)
        kept = PER_REQUEST.sub(lambda m: f"{m.group(1)}\x00{m.group(2)}\x00{m.group(3)}", rendered)
        with _lock:
            _kept[key] = kept
            _kept.move_to_end(key)
            while len(_kept) > ENTRIES:
                _kept.popitem(last=False)
    token = escape(caching.page_csrf_token())
    return Markup(kept.replace("\x00csrf_token\x00", token).replace("\x00started\x00", escape(fill_stamp())))
