"""The record in the public JSON API: versions of the text, deliveries and updates (routes on
the API blueprint; described by :mod:`portal.web.openapi_record`)."""

from __future__ import annotations

from flask import url_for

from portal.extensions import db
from portal.models import TextVersion
from portal.record import deliveries, updates
from portal.statements import public
from portal.views.api import bp, json_answer, public_statement_or_404


@bp.get("/statements/<slug>/versions")
def versions(slug: str):
    """Every version of every published translation, newest first per language."""
    found = public_statement_or_404(slug)
    published = {tr.lang for tr in found.published_translations()} | {found.original_lang}
    rows = db.session.scalars(db.select(TextVersion).where(TextVersion.statement_id == found.id)
                              .order_by(TextVersion.lang, TextVersion.number.desc()))
    return json_answer({"original_lang": found.original_lang, "versions": [
        {"lang": v.lang, "number": v.number, "kind": v.kind, "sha256": v.sha256,
         "published_at": public.iso(v.created_at), "title": v.title, "summary": v.summary,
         "body_markdown": v.body_md} for v in rows if v.lang in published]})


@bp.get("/statements/<slug>/deliveries")
def deliveries_list(slug: str):
    """Each delivery and its "as delivered" snapshot, newest first."""
    found = public_statement_or_404(slug)
    items = []
    for d in deliveries.of(db.session, found.id):
        snapshot = deliveries.snapshot(d)
        page = {"lang": found.original_lang, "slug": found.slug, "number": d.number, "_external": True}
        items.append({"number": d.number, "recipient": d.recipient,
                      "delivered_on": d.delivered_on.isoformat(), "channel": d.channel, "count": d.count,
                      "listed": snapshot["listed"],
                      "text_version": snapshot["version"], "recorded_at": public.iso(d.created_at),
                      "pdf_sha256": d.pdf_sha256, "list_sha256": d.list_sha256,
                      "links": {"html": url_for("statements.delivered", **page),
                                "pdf": url_for("statements.delivered_pdf", **page)}})
    return json_answer({"deliveries": items})


@bp.get("/statements/<slug>/updates")
def updates_list(slug: str):
    """Updates on the outcome, newest first, in every language they were written in."""
    found = public_statement_or_404(slug)
    return json_answer({"updates": [
        {"id": u.id, "happened_on": u.happened_on.isoformat(), "published_at": public.iso(u.created_at),
         "texts": [{"lang": t.lang, "title": t.title, "body_markdown": t.body_md} for t in u.texts]}
        for u in updates.timeline(db.session, found.id)]})
