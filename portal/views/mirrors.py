"""The signed, self-contained copy of a statement, its signature and the network's public key."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, make_response, render_template, request

from portal.mirrors import keys, mirror
from portal.web import caching
from portal.web.locale import pull_lang
from portal.web.reading import public_statement, public_view

bp = Blueprint("mirrors", __name__)


@bp.url_value_preprocessor
def _pull_lang(endpoint, values):
    pull_lang(endpoint, values)
    g.public = True


def _made(slug: str) -> mirror.Mirror | str:
    """The statement's mirror in this language, or only its tag when the reader's copy is current."""
    statement = public_statement(slug, keyed=False)
    view = public_view(statement)
    config = current_app.config
    tag = mirror.state_key(view, config, caching.release())
    if request.if_none_match.contains(tag):
        return tag
    return mirror.cached(tag, lambda: render_template("mirrors/mirror.html", **mirror.context(view, config)),
                         current_app.instance_path)


def _send(made: mirror.Mirror | str, body: str | bytes, mimetype: str) -> Response:
    response = make_response("", 304) if isinstance(made, str) else make_response(body)
    response.headers["Content-Type"] = mimetype
    response.headers["X-Robots-Tag"] = "noindex"
    caching.public(response)
    response.set_etag(made if isinstance(made, str) else made.tag)
    return response


@bp.get("/<lang>/s/<slug>/mirror.html")
def copy(slug: str):
    """One HTML file with the statement in every language and its public list, to save and share."""
    made = _made(slug)
    response = _send(made, getattr(made, "body", b""), "text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = mirror.CSP
    return response


@bp.get("/<lang>/s/<slug>/mirror.html.sig")
def signature(slug: str):
    """The Ed25519 signature of that file, in base64."""
    made = _made(slug)
    return _send(made, getattr(made, "signature", "") + "\n", "text/plain; charset=utf-8")


@bp.get("/.well-known/undersigned-signing-key")
def signing_key():
    """The network's public key for mirrors (PEM)."""
    key = keys.signing_key(current_app.instance_path).verify_key
    response = make_response(keys.public_pem(key))
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response
