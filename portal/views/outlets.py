"""The statement away from its page: the embed, the count badge, the printable letter, the QR code."""

from __future__ import annotations

import io

import segno
from flask import Blueprint, Response, current_app, g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.languages import known, ui_language
from portal.models import Statement, utcnow
from portal.record import trust
from portal.statements import outputs, press
from portal.web.headers import CSP
from portal.web.locale import pull_lang
from portal.web.reading import public_statement, public_view

bp = Blueprint("outlets", __name__)
# The embed is the one page other sites may frame; every other page keeps frame-ancestors 'none'.
EMBED_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors *")


@bp.url_value_preprocessor
def _pull_lang(endpoint, values):
    pull_lang(endpoint, values)
    g.public = True



def _cache(response: Response, statement: Statement, max_age: int = 60) -> Response:
    if statement.state == "collecting":
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/<lang>/s/<slug>/embed")
def embed(slug: str):
    """A small page for other sites' iframes: the title, the live count and a way to sign."""
    statement = public_statement(slug, keyed=False)
    view = public_view(statement)
    response = make_response(render_template("outlets/embed.html", view=view, statement=statement,
                                             tr=view.text, key=None))
    response.headers["Content-Security-Policy"] = EMBED_CSP
    return _cache(response, statement, max_age=30)


@bp.get("/s/<slug>/badge.svg")
def badge(slug: str):
    """The count as an SVG image, in ``?lang=`` or the statement's original language."""
    wanted = request.args.get("lang", "")
    g.lang = ui_language(wanted) if known(wanted) else None
    statement = public_statement(slug, keyed=False)
    g.lang = g.lang or ui_language(statement.original_lang)
    total = public_view(statement).counts.total
    text = ngettext("%(num)s signatory", "%(num)s signatories", total)
    width = 24 + 7 * len(text)
    response = make_response(render_template("outlets/badge.svg", text=text, width=width))
    response.headers["Content-Type"] = "image/svg+xml; charset=utf-8"
    return _cache(response, statement, max_age=300)


@bp.get("/<lang>/s/<slug>/print")
def letter(slug: str):
    """The statement as a letter: its text, the date and every listed signatory, by country
    or (``?list=flat``) in one compact list by name."""
    statement = public_statement(slug)
    view = public_view(statement)
    flat = request.args.get("list") == "flat"
    limit = current_app.config["PRINT_MAX_SIGNATORIES"]
    letter = press.flat(view, limit) if flat else outputs.letter(view, limit)
    response = make_response(render_template(
        "outlets/print.html", view=view, statement=statement, tr=view.text, letter=letter,
        key=g.key, today=utcnow(), flat=flat, record=trust.of(statement, view.text.lang, g.lang)))
    return _cache(response, statement)


@bp.get("/<lang>/s/<slug>/print-pages.css")
def page_margins(slug: str):
    """The letter's running title, address and page numbers, in ``@page`` margin boxes: a
    stylesheet of this origin, since the CSP allows no inline style."""
    statement = public_statement(slug)
    view = public_view(statement)
    address = url_for("statements.show", lang=g.lang, slug=statement.slug, _external=True)  # never the key
    numbers = _("Page %(page)s of %(pages)s", page="\0page\0", pages="\0pages\0")
    response = make_response(render_template(
        "outlets/print-pages.css", title=css_string(view.text.title), address=css_string(address),
        numbers=" ".join(css_string(part) if i % 2 == 0 else f"counter({part})"
                         for i, part in enumerate(numbers.split("\0")) if part)))
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    return _cache(response, statement, max_age=300)


def css_string(value: str) -> str:
    """A CSS string literal that no value can break out of: every character but ASCII letters,
    digits and spaces as a hexadecimal escape (with the space that ends an escape)."""
    return '"' + "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):06x} "
                         for c in value) + '"'


@bp.get("/<lang>/s/<slug>/qr.svg")
def qr(slug: str):
    """A QR code of the statement's address in this language, for posters and events."""
    statement = public_statement(slug)
    target = url_for("statements.show", lang=g.lang, slug=statement.slug, key=g.key, _external=True)
    out = io.BytesIO()
    segno.make(target, error="m").save(out, kind="svg", scale=8, border=4, light="#fff",
                                       title=_("QR code of %(url)s", url=target))
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "image/svg+xml"
    return _cache(response, statement, max_age=3600)
