"""The public record of a statement: its text's versions with diffs, and its delivery snapshots
(routes on the statements blueprint, under ``/<lang>/s/<slug>/``)."""

from __future__ import annotations

import base64

from flask import abort, g, make_response, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from portal.extensions import db
from portal.fragments import render
from portal.record import deliveries, diffs, updates, versions
from portal.statements import markdown, public
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


def _delivery(statement, number: int):
    found = deliveries.numbered(db.session, statement.id, number)
    if found is None:
        abort(404)
    return found


@bp.get("/s/<slug>/delivered/<int:number>")
def delivered(slug: str, number: int):
    """An "as delivered" snapshot: the list as it stood, frozen, and its PDF's SHA-256."""
    statement = public_statement(slug)
    delivery = _delivery(statement, number)
    snapshot = deliveries.snapshot(delivery)

    def build():
        return render_template("record/delivered.html", statement=statement, delivery=delivery,
                               snapshot=snapshot, view=public_view(statement), key=g.get("key"))

    return cached(statement, build, f"delivered-{number}")


@bp.get("/s/<slug>/delivered/<int:number>.pdf")
def delivered_pdf(slug: str, number: int):
    """The snapshot's letter as a PDF, byte for byte as frozen; it never changes."""
    statement = public_statement(slug)
    delivery = _delivery(statement, number)
    response = make_response(delivery.pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{statement.slug}-delivered-{number}.pdf"'
    response.headers["Digest"] = "sha-256=" + base64.b64encode(bytes.fromhex(delivery.pdf_sha256)).decode()
    if statement.state == "collecting":
        return caching.private(response)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def feed_entries(statement, lang: str) -> list[dict]:
    """The statement feed's entries for its deliveries and updates (fields of feeds.Entry)."""
    page = url_for("statements.show", lang=lang, slug=statement.slug, _external=True)
    entries = []
    for delivery in deliveries.of(db.session, statement.id):
        url = url_for("statements.delivered", lang=lang, slug=statement.slug, number=delivery.number,
                      _external=True)
        at = public.iso(delivery.created_at)
        entries.append(dict(
            id=url, title=_("Delivered to %(recipient)s", recipient=delivery.recipient), lang=lang, url=url,
            updated=at, published=at, summary=ngettext(
                "%(num)s signatory as of %(date)s. SHA-256 of the letter: %(hash)s",
                "%(num)s signatories as of %(date)s. SHA-256 of the letter: %(hash)s", delivery.count,
                date=format_date(delivery.delivered_on, format="long"), hash=delivery.pdf_sha256)))
    for update in updates.timeline(db.session, statement.id):
        text = update.text(lang, statement.original_lang)
        if text is None:
            continue
        at = public.iso(update.created_at)
        entries.append(dict(id=f"{page}#update-{update.id}", title=text.title, lang=text.lang,
                            url=f"{page}#update-{update.id}", updated=at, published=at,
                            summary=format_date(update.happened_on, format="long"),
                            content=markdown.render(text.body_md)))
    return entries
