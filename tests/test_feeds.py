"""Atom feeds (checked with a real feed parser and the RFC 4287 rules), the sitemap and robots.txt."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest
from factories import new_statement, titled
from public_seed import SLUG, seed

from portal.extensions import db
from portal.models import Statement, utcnow
from portal.statements.reading import transition

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture
def seeded(app):
    return seed(app)


def atom(client, url: str):
    """Fetch a feed; assert it is well-formed Atom that feedparser reads without complaint."""
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    body = response.get_data()
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    root = ET.fromstring(body)
    rfc4287(root, url)
    return parsed, root


def rfc4287(root, url: str) -> None:
    """The MUSTs of RFC 4287 that a feed like ours can break."""
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    selfs = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert len(selfs) == 1 and selfs[0].get("href").endswith(url)
    assert any(link.get("rel") == "alternate" for link in root.findall(f"{ATOM}link"))
    feed_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    ids = []
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert feed_author or entry.find(f"{ATOM}author") is not None
        links = entry.findall(f"{ATOM}link")
        assert any(link.get("rel", "alternate") == "alternate" for link in links)
        # Without alternate content an entry needs a summary (4.1.1.1 / 4.1.2).
        assert entry.find(f"{ATOM}content") is not None or entry.find(f"{ATOM}summary") is not None
        ids.append(entry.findtext(f"{ATOM}id"))
        stamp = entry.findtext(f"{ATOM}updated")
        assert stamp.endswith("Z") and "T" in stamp
    assert len(ids) == len(set(ids))


def test_language_feed_lists_public_statements_in_that_language(client, seeded):
    parsed, _root = atom(client, "/fr/feed.atom")
    titles = [e.title for e in parsed.entries]
    assert titles == ["Libérez les reporters", "Libérez les reporters"]  # published, and the closed one
    assert [e.link for e in parsed.entries] == [f"http://localhost/fr/s/{SLUG}",
                                                 f"http://localhost/fr/s/{SLUG}-closed"]
    assert "collecting" not in str(parsed) and "draft" not in str(parsed)
    assert parsed.entries[0].summary == "Un appel à les libérer."
    assert "<strong>leur libération</strong>" in parsed.entries[0].content[0].value


def test_language_feed_falls_back_to_the_original(client, seeded):
    parsed, root = atom(client, "/ru/feed.atom")
    assert parsed.entries[0].title == "Free the reporters"
    assert root.find(f"{ATOM}entry").get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


def test_empty_feed_is_still_valid(client):
    parsed, _root = atom(client, "/en/feed.atom")
    assert parsed.entries == []


def test_statement_feed_carries_publication_translations_and_closing(app, client, seeded):
    parsed, _root = atom(client, f"/en/s/{SLUG}/feed.atom")
    ids = [e.id for e in parsed.entries]
    assert f"http://localhost/en/s/{SLUG}#published" in ids
    assert {f"http://localhost/en/s/{SLUG}#translation-{lang}" for lang in ("fr", "ar")} <= set(ids)
    assert not any("translation-es" in i for i in ids)  # a draft translation is not news
    assert not any(i.endswith("#closed") for i in ids)
    with app.app_context():
        transition(seeded.statement_id, "published", "closed", "closed")
    parsed, _root = atom(client, f"/en/s/{SLUG}/feed.atom")
    closing = parsed.entries[0]
    assert closing.id.endswith("#closed") and "closed" in closing.title
    assert closing.summary == "7 signatories."

    for url in (f"/en/s/{SLUG}-collecting/feed.atom", f"/en/s/{SLUG}-draft/feed.atom",
                "/en/s/nothing/feed.atom", "/zz-!!/feed.atom", "/en/s/bad%00slug/feed.atom"):
        assert client.get(url).status_code == 404, url

    first = client.get("/en/feed.atom")
    assert first.cache_control.public and first.cache_control.max_age
    assert client.get("/en/feed.atom", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_feeds_are_discoverable_from_the_statement_page(app, client, seeded):
    with app.app_context():
        transition(seeded.statement_id, "published", "closed", "closed")  # no sign form to render
    html = client.get(f"/en/s/{SLUG}").get_data(as_text=True)
    assert ('type="application/atom+xml" title="Updates on this joint statement" '
            f'href="/en/s/{SLUG}/feed.atom"') in html
    index = client.get("/fr/").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml"' in index and 'href="/fr/feed.atom"' in index


def sitemap(client) -> dict[str, list[tuple[str, str]]]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{SM}urlset"
    pages = {}
    for url in root.findall(f"{SM}url"):
        alternates = [(a.get("hreflang"), a.get("href")) for a in url.findall(f"{XHTML}link")]
        pages[url.findtext(f"{SM}loc")] = alternates
    return pages


def test_sitemap_lists_public_statements_in_published_translations_only(client, seeded):
    pages = sitemap(client)
    statement_pages = sorted(loc for loc in pages if "/s/" in loc)
    assert statement_pages == sorted(
        [f"http://localhost/{lang}/s/{SLUG}" for lang in ("en", "fr", "ar")]
        + [f"http://localhost/{lang}/s/{SLUG}-closed" for lang in ("fr", "en")])
    alternates = dict(pages[f"http://localhost/fr/s/{SLUG}"])
    assert alternates == {"ar": f"http://localhost/ar/s/{SLUG}", "en": f"http://localhost/en/s/{SLUG}",
                          "fr": f"http://localhost/fr/s/{SLUG}", "x-default": f"http://localhost/en/s/{SLUG}"}
    assert "http://localhost/en/" in pages
    text = client.get("/sitemap.xml").get_data(as_text=True)
    assert "collecting" not in text and "draft" not in text and "key=" not in text
    assert "/es/s/" not in text  # the Spanish translation is a draft


def test_sitemap_follows_a_scheduled_publication(app, client):
    with app.app_context():
        new_statement("embargoed", "collecting", publish_at=utcnow(), texts=titled("Embargoed"))
    assert "http://localhost/en/s/embargoed" in sitemap(client)


def test_robots_allows_public_pages_and_keeps_private_routes_out(client, seeded):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    rules = [line.strip() for line in response.get_data(as_text=True).splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules[0] == "User-agent: *" and "Allow: /" in rules
    for path in ("/manage/", "/confirm/", "/withdraw/", "/api/"):
        assert f"Disallow: {path}" in rules
    assert "Sitemap: http://localhost/sitemap.xml" in rules
    # A collecting statement is kept out by noindex on its page, which a crawler must be allowed
    # to fetch to see, and by never being in the sitemap.
    assert not any(rule.startswith("Disallow: /*/s/") and "key" in rule for rule in rules)
    with client.application.app_context():
        key = db.session.scalars(db.select(Statement.private_key)
                                 .where(Statement.slug == f"{SLUG}-collecting")).one()
    page = client.get(f"/en/s/{SLUG}-collecting?key={key}").get_data(as_text=True)
    assert '<meta name="robots" content="noindex' in page
    assert 'property="og:' not in page  # no sharing preview for a private link


def test_odd_public_statements_do_not_break_feeds_or_the_api(app, client):
    """A public statement with no published translation is simply absent; one without a
    publication date still makes a valid entry."""
    with app.app_context():
        new_statement("no-text-yet", langs=(), drafts=("en",), published_at=utcnow(),
                      texts=titled("Unpublished text"))
        new_statement("undated", "closed", published_at=None, texts=titled("Undated"))
    parsed, _root = atom(client, "/en/feed.atom")
    assert [e.title for e in parsed.entries] == ["Undated"]
    atom(client, "/en/s/undated/feed.atom")
    assert client.get("/en/s/no-text-yet/feed.atom").status_code == 404
    assert client.get("/api/v1/statements/no-text-yet").status_code == 404
    assert client.get("/api/v1/statements").get_json()["statements"] == []
    assert "Unpublished text" not in client.get("/sitemap.xml").get_data(as_text=True)
