"""Atom feeds, the sitemap and robots.txt: how readers and search engines follow statements."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, current_app, g, make_response, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from portal.mirrors import transparency
from portal.models import Statement, as_utc, utcnow
from portal.statements import markdown, outputs, public
from portal.web.locale import pull_lang
from portal.web.reading import public_statement, public_view
from portal.words import language_name

bp = Blueprint("feeds", __name__)
ATOM = "application/atom+xml; charset=utf-8"
FEED_LENGTH = 50


@bp.url_value_preprocessor
def _pull_lang(endpoint, values):
    pull_lang(endpoint, values)
    g.public = True


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    lang: str
    url: str
    updated: str
    published: str | None
    summary: str
    content: str = ""


def _cacheable(body: str, mimetype: str, max_age: int = 300) -> Response:
    response = make_response(body)
    response.headers["Content-Type"] = mimetype
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.add_etag()
    return response.make_conditional(request)


def _page(statement: Statement, lang: str) -> str:
    return url_for("statements.show", lang=lang, slug=statement.slug, _external=True)


@bp.get("/<lang>/feed.atom")
def statements():
    """Newly published statements, each in the feed's language or else its original."""
    entries = []
    for view in public.views_of(public.listed()[:FEED_LENGTH], g.lang):
        statement, tr = view.statement, view.text
        url = _page(statement, g.lang)
        published = public.iso(statement.published_at or statement.created_at)
        updated = max(as_utc(statement.published_at or statement.created_at), as_utc(tr.updated_at))
        entries.append(Entry(url, tr.title, tr.lang, url, public.iso(updated), published, tr.summary,
                             markdown.render(tr.body_md)))
    body = render_template(
        "feeds/feed.xml", entries=entries, title=_("New joint statements"),
        self_url=url_for("feeds.statements", lang=g.lang, _external=True),
        page_url=url_for("statements.index", lang=g.lang, _external=True),
        updated=max((e.updated for e in entries), default=public.iso(utcnow())))
    return _cacheable(body, ATOM)


def _update_entry(view: public.PublicView, update: outputs.Update) -> Entry:
    statement, tr = view.statement, public.text_for(view.statement, update.lang)[0]
    url = _page(statement, update.lang)
    if update.kind == "published":
        title = _("Published: %(title)s", title=tr.title)
        summary, content = tr.summary, markdown.render(tr.body_md)
    elif update.kind == "translated":
        title = _("Now in %(language)s: %(title)s", language=language_name(tr.lang), title=tr.title)
        summary, content = tr.summary, markdown.render(tr.body_md)
    else:
        title = _("Signing has closed: %(title)s", title=tr.title)
        summary = ngettext("%(num)s signatory.", "%(num)s signatories.", view.counts.total)
        content = ""
    own = _page(statement, g.lang)
    return Entry(f"{own}#{update.key}", title, tr.lang, url, public.iso(update.at),
                 public.iso(update.at), summary, content)


def log_heads(statement: Statement, own: str) -> list[Entry]:
    """One entry per recent day with changes: the head of the statement's transparency log."""
    entries = []
    for day, head in transparency.daily_heads(statement.id):
        moment = public.iso(head.at)
        entries.append(Entry(
            f"{own}#log-{day.isoformat()}",
            _("Transparency log of the list, %(date)s", date=format_date(day, "long")),
            g.lang, own, moment, moment,
            _("Head of the log of changes to this list: entry %(seq)s, SHA-256 %(hash)s", seq=head.seq,
              hash=head.hash)))
    return entries


@bp.get("/<lang>/s/<slug>/feed.atom")
def statement(slug: str):
    """One statement's updates: its publication, each new translation and its closing."""
    found = public_statement(slug, keyed=False)
    view = public_view(found)
    tr = view.text
    entries = [_update_entry(view, update) for update in outputs.updates(found)]
    from portal.views.versions import feed_entries  # deliveries and updates (portal/record/)

    # The transparency log's head at the end of each recent day, after any update of the same second.
    entries = sorted([*entries, *(Entry(**item) for item in feed_entries(found, g.lang)),
                      *log_heads(found, _page(found, g.lang))], reverse=True,
                     key=lambda entry: (entry.updated, "#log-" not in entry.id))
    body = render_template(
        "feeds/feed.xml", entries=entries, title=tr.title, title_lang=tr.lang,
        subtitle=_("Updates on this joint statement"),
        self_url=url_for("feeds.statement", lang=g.lang, slug=found.slug, _external=True),
        page_url=_page(found, g.lang),
        updated=max((e.updated for e in entries), default=public.iso(found.created_at)))
    return _cacheable(body, ATOM)


@bp.get("/<lang>/s/<slug>/updates")
def updates(slug: str):
    """The same updates as the statement's feed, as a page for people, with the feed's address
    for a feed reader (a browser shows an Atom file as raw XML)."""
    found = public_statement(slug, keyed=False)
    view = public_view(found)
    entries = [(_update_entry(view, update), update.at) for update in outputs.updates(found)]
    html = render_template("feeds/updates.html", view=view, statement=found, tr=view.text, key=None,
                           entries=entries[::-1],
                           feed_url=url_for("feeds.statement", lang=g.lang, slug=found.slug, _external=True))
    return _cacheable(html, "text/html; charset=utf-8")


@bp.get("/sitemap.xml")
def sitemap():
    """Public statements in each published translation; never a draft or a collecting one."""
    languages = current_app.config["LANGUAGES"]
    pages = []
    for code in languages:
        pages.append({"loc": url_for("statements.index", lang=code, _external=True), "lastmod": None,
                      "alternates": [(other, url_for("statements.index", lang=other, _external=True))
                                     for other in languages]})
    for statement in public.listed():
        translations = statement.published_translations()
        alternates = [(tr.lang, _page(statement, tr.lang)) for tr in translations]
        alternates.append(("x-default", _page(statement, statement.original_lang)))
        stamps = [as_utc(m) for m in (statement.published_at, statement.closed_at) if m]
        for tr in translations:
            lastmod = max([*stamps, as_utc(tr.updated_at)])
            pages.append({"loc": _page(statement, tr.lang), "lastmod": public.iso(lastmod),
                          "alternates": alternates})
    return _cacheable(render_template("feeds/sitemap.xml", pages=pages), "application/xml; charset=utf-8")


@bp.get("/robots.txt")
def robots():
    """Public pages are open to crawlers; private, personal and machine routes are not."""
    body = render_template("feeds/robots.txt", sitemap=url_for("feeds.sitemap", _external=True))
    return _cacheable(body, "text/plain; charset=utf-8", max_age=3600)
