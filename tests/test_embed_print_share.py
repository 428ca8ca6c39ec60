"""The embed and its frame headers, the badge, the printable letter (down to a real PDF), the QR
code, sharing tags and links, a closed statement's permanence, and privacy on every surface."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET

import pytest
import segno
from conftest import free_port, fresh_schema, make_app
from public_seed import SLUG, seed
from waits import wait_for

from portal.extensions import db
from portal.signatures import signing
from portal.statements.reading import transition

SVG = "{http://www.w3.org/2000/svg}"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def seeded(app):
    return seed(app)


def frame_ancestors(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    return next(part.strip() for part in csp.split(";") if part.strip().startswith("frame-ancestors"))


def test_only_the_embed_may_be_framed(client, seeded):
    embed = client.get(f"/en/s/{SLUG}/embed")
    assert embed.status_code == 200 and frame_ancestors(embed) == "frame-ancestors *"
    assert "script-src 'self'" in embed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in embed.headers
    for url in ("/en/", f"/en/s/{SLUG}", f"/en/s/{SLUG}-closed", f"/en/s/{SLUG}/print",
                f"/en/s/{SLUG}/signatories", f"/en/s/{SLUG}/count", "/en/s/nothing"):
        assert frame_ancestors(client.get(url)) == "frame-ancestors 'none'", url


def test_embed_is_a_small_page_with_live_count_and_sign_link(client, seeded):
    response = client.get(f"/en/s/{SLUG}/embed")
    page = response.get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page and "<title>Free the reporters · Undersigned</title>" in page
    assert "<main" in page and "<form" not in page
    assert '<meta name="robots" content="noindex">' in page  # the statement page is the one to index
    assert f'hx-get="/en/s/{SLUG}/count"' in page and 'hx-trigger="every 5s"' in page
    assert "<strong>7</strong>" in page
    assert f'<a class="sign" href="/en/s/{SLUG}#sign-heading" target="_blank" rel="noopener">' in page
    assert response.cache_control.public
    arabic = client.get(f"/ar/s/{SLUG}/embed").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic and 'lang="ar" dir="rtl"' in arabic
    for slug in (f"{SLUG}-collecting", f"{SLUG}-draft", "nothing"):
        assert client.get(f"/en/s/{slug}/embed").status_code == 404


def test_badge_and_qr_code_images(client, seeded):
    response = client.get(f"/s/{SLUG}/badge.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.findtext(f"{SVG}text") == "7 signatories" == root.findtext(f"{SVG}title")
    assert response.cache_control.public and response.cache_control.max_age
    assert client.get(f"/s/{SLUG}/badge.svg",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    french = ET.fromstring(client.get(f"/s/{SLUG}/badge.svg?lang=fr").get_data())
    assert french.findtext(f"{SVG}text") == "7 signataires"
    assert client.get(f"/s/{SLUG}/badge.svg?lang=<x>").status_code == 200
    assert client.get(f"/s/{SLUG}-collecting/badge.svg").status_code == 404
    response = client.get(f"/fr/s/{SLUG}/qr.svg")  # the QR code encodes the address
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.get_data())
    expected = ET.fromstring(segno.make(f"http://localhost/fr/s/{SLUG}", error="m").svg_inline(scale=8))
    drawn = [p.get("d") for p in root.iter(f"{SVG}path") if p.get("stroke")]
    assert drawn == [p.get("d") for p in expected.iter("path") if p.get("stroke")]
    assert client.get(f"/fr/s/{SLUG}-draft/qr.svg").status_code == 404


def test_print_letter_groups_by_localised_country_in_collation_order(client, seeded):
    page = client.get(f"/en/s/{SLUG}/print").get_data(as_text=True)
    assert 'href="/static/print.css"' in page and "<main" in page and "<title>Free the reporters" in page
    countries = re.findall(r'<h3 id="country-([A-Z]{2})">([^<]+)</h3>', page)
    assert countries == [("CO", "Colombia"), ("FR", "France"), ("DE", "Germany"), ("KE", "Kenya")]
    sections = dict(zip([c for c, _ in countries], re.split(r'<h3 id="country-[A-Z]{2}">', page)[1:],
                        strict=True))
    assert re.findall(r"<bdi[^>]*>([^<]+)</bdi>", sections["FR"]) == ["Élan Reporters", "Zeta Press Union"]
    assert "Abdi Media Watch" in sections["KE"] and "An organisation in Kenya" in sections["KE"]
    assert "A person in Germany" in sections["DE"]
    assert 'Ana Pérez</bdi> <span class="role">(<bdi>Editor-in-chief</bdi>)' in sections["CO"]
    assert "7 signatories" in page and "1 of them is counted but not listed" in page
    french = client.get(f"/fr/s/{SLUG}/print").get_data(as_text=True)
    assert [n for _c, n in re.findall(r'<h3 id="country-([A-Z]{2})">([^<]+)</h3>', french)] == [
        "Allemagne", "Colombie", "France", "Kenya"]
    assert '<html lang="fr"' in french and "Libérez les reporters" in french


@pytest.mark.parametrize(("limit", "shown"), [(3, ["CO", "FR"]), (4, ["CO", "FR", "DE"]),
                                              (6, ["CO", "FR", "DE", "KE"])])
def test_print_letter_stops_at_its_limit_and_points_to_the_full_list(app, client, seeded, limit, shown):
    """A letter for a statement with a million names stays printable: it lists the first
    PRINT_MAX_SIGNATORIES in the letter's order and links the full list; when everyone fits,
    it says nothing of the kind."""
    app.config["PRINT_MAX_SIGNATORIES"] = limit
    page = client.get(f"/en/s/{SLUG}/print").get_data(as_text=True)
    assert [c for c, _n in re.findall(r'<h3 id="country-([A-Z]{2})">([^<]+)</h3>', page)] == shown
    listed = re.findall(r"<li>", page.split('id="letter-signatories-heading"')[1])
    assert len(listed) == min(limit, 6)
    complete = limit >= 6
    assert ("Only the first" in page) is not complete
    assert (f'<a href="http://localhost/en/s/{SLUG}/signatories">' in page) is not complete
    assert f"Only the first {limit} signatories are listed here." in page or complete
    assert ("1 of them is counted but not listed" in page) is complete


def test_collecting_statement_letter_needs_its_key_and_nothing_is_shared(client, seeded):
    assert client.get(f"/en/s/{SLUG}-collecting/print").status_code == 404
    with client.application.app_context():
        from portal.models import Statement
        key = db.session.scalars(db.select(Statement.private_key)
                                 .where(Statement.slug == f"{SLUG}-collecting")).one()
    response = client.get(f"/en/s/{SLUG}-collecting/print?key={key}")
    assert response.status_code == 200 and "noindex" in response.headers["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex' in response.get_data(as_text=True)
    assert "public" not in response.headers["Cache-Control"]
    page = client.get(f"/en/s/{SLUG}-collecting?key={key}").get_data(as_text=True)
    assert 'id="share"' not in page and "og:title" not in page and "feed.atom" not in page


def test_sharing_tags_per_language_and_links_that_load_nothing(app, client, seeded):
    french = client.get(f"/fr/s/{SLUG}").get_data(as_text=True)
    assert '<meta property="og:title" content="Libérez les reporters">' in french
    assert '<meta property="og:description" content="Un appel à les libérer.">' in french
    assert f'<meta property="og:url" content="http://localhost/fr/s/{SLUG}">' in french
    assert '<meta property="og:locale" content="fr">' in french
    assert '<meta name="twitter:card" content="summary">' in french
    assert '<meta name="twitter:description" content="Un appel à les libérer.">' in french
    hreflangs = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', french)
    assert hreflangs == [(lang, f"http://localhost/{lang}/s/{SLUG}") for lang in ("ar", "en", "fr")]
    arabic = client.get(f"/ar/s/{SLUG}").get_data(as_text=True)
    assert '<meta property="og:title" content="أطلقوا سراح الصحفيين">' in arabic
    share = french[french.index('<section id="share"'):]
    share = share[:share.index("</section>")]
    assert "mailto:?subject=Lib%C3%A9rez%20les%20reporters&amp;body=http%3A//localhost/fr/s/" in share
    assert "https://bsky.app/intent/compose?text=" in share
    # Nothing on the page is fetched from another host: only <a href> point elsewhere.
    for tag, attr, value in re.findall(r'<(\w+)[^>]*?\s(src|href|action|srcset)="([^"]*)"', french):
        if value.startswith(("http://", "https://", "//")) and not value.startswith("http://localhost/"):
            assert tag == "a", (tag, attr, value)
    assert "<script" not in share and "<img" not in share and "<iframe" not in share


def test_embed_code_is_escaped_and_ready_to_copy(app, client, seeded):
    with app.app_context():
        from portal.models import StatementTranslation
        tr = db.session.scalars(db.select(StatementTranslation).where(
            StatementTranslation.statement_id == seeded.statement_id,
            StatementTranslation.lang == "en")).one()
        tr.title = 'Free "them" </textarea><script>alert(1)</script>'
        db.session.commit()
    page = client.get(f"/en/s/{SLUG}").get_data(as_text=True)
    match = re.search(r'<textarea id="embed-code" readonly[^>]*>(.*?)</textarea>', page, re.S)
    assert match and "<script>alert(1)" not in page
    code = html.unescape(match.group(1))  # what the reader copies
    assert code.startswith(f'<iframe src="http://localhost/en/s/{SLUG}/embed" title="Free &#34;them&#34;')
    assert "&lt;/textarea&gt;&lt;script&gt;" in code and code.endswith("></iframe>")


def test_closed_statement_keeps_its_final_list_and_count(app, client, seeded):
    def snapshot():
        detail = client.get(f"/api/v1/statements/{SLUG}").get_json()
        names = [s.get("name") for s in client.get(
            f"/api/v1/statements/{SLUG}/signatories?limit=200").get_json()["signatories"]]
        letter = client.get(f"/en/s/{SLUG}/print").get_data(as_text=True)
        embed = client.get(f"/en/s/{SLUG}/embed").get_data(as_text=True)
        badge = client.get(f"/s/{SLUG}/badge.svg").get_data(as_text=True)
        page = client.get(f"/en/s/{SLUG}").get_data(as_text=True)
        return (detail["counts"], names, re.findall(r"<bdi>([^<]+)</bdi>", letter),
                re.search(r"<strong>(\d+)</strong>", embed).group(1), "7 signatories" in badge,
                [n for n in seeded.listed_names if html.escape(n) in page])

    before = snapshot()
    with app.app_context():
        assert transition(seeded.statement_id, "published", "closed", "closed")
        with pytest.raises(signing.SigningError):
            signing.sign(signing.SignRequest(statement_id=seeded.statement_id, kind="organisation",
                                             name="Too Late", country="BR", email="late@example.org",
                                             lang="en", authorised=True))
    closed = snapshot()
    assert closed == before and closed[0]["total"] == 7 and len(closed[5]) == 4
    detail = client.get(f"/api/v1/statements/{SLUG}").get_json()
    assert detail["state"] == "closed" and detail["signing_open"] is False and detail["closed_at"]
    embed = client.get(f"/en/s/{SLUG}/embed").get_data(as_text=True)
    assert "hx-trigger" not in embed and "Read the statement" in embed
    with app.app_context():
        assert transition(seeded.statement_id, "closed", "archived", "archived")
    assert snapshot() == before
    assert "Signing closed on" in client.get(f"/en/s/{SLUG}/print").get_data(as_text=True)


def test_no_private_data_on_any_public_surface(client, seeded):
    urls = [f"/api/v1/statements/{SLUG}", f"/api/v1/statements/{SLUG}/signatories?limit=200",
            "/api/v1/statements", "/en/feed.atom", f"/en/s/{SLUG}/feed.atom", "/sitemap.xml",
            "/robots.txt", f"/en/s/{SLUG}/embed", f"/ar/s/{SLUG}/embed", f"/s/{SLUG}/badge.svg",
            f"/en/s/{SLUG}/print", f"/fr/s/{SLUG}/print", f"/en/s/{SLUG}/qr.svg", f"/en/s/{SLUG}",
            f"/en/s/{SLUG}/signatories", f"/en/s/{SLUG}/count", f"/ar/s/{SLUG}/updates"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url  # shared caches may keep these
        text = response.get_data(as_text=True)
        for secret in [*seeded.emails, *seeded.secrets]:
            assert secret not in text, (url, secret)
        for name in seeded.unlisted_names:
            assert name not in text, (url, name)


# The PDF: the app in its own process, a real headless Chromium and pdftotext (SQLite only, for speed).
SERVE = """
import json, sys
from werkzeug.serving import make_server
from portal import create_app
make_server("127.0.0.1", int(sys.argv[2]), create_app(json.loads(sys.argv[1])), threaded=True).serve_forever()
"""


@pytest.fixture
def live_url(tmp_path):
    instance = tmp_path / "instance"
    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'print.sqlite3'}", "SECRET_KEY": "print-" + "x" * 30,
              "MAIL_SENDER_THREAD": False, "RATELIMIT_ENABLED": False}
    with fresh_schema(make_app(config["DATABASE_URL"], instance)) as app:
        seeded = seed(app)
    port = free_port()
    env = {**os.environ, "PORTAL_INSTANCE_PATH": str(instance)}
    process = subprocess.Popen([sys.executable, "-c", SERVE, json.dumps(config), str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        def healthy() -> bool:
            assert process.poll() is None, "the print test server exited"
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    return True
            except OSError:
                return False

        wait_for(healthy, 120, "the print test server's start")
        yield url, seeded
    finally:
        process.terminate()
        process.wait(10)


def test_print_renders_to_a_pdf_with_the_text_and_the_names(live_url, tmp_path):
    base, seeded = live_url
    assert shutil.which("pdftotext") and shutil.which(CHROMIUM)
    pdf = tmp_path / "letter.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-pdf-header-footer", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--print-to-pdf={pdf}", f"{base}/en/s/{SLUG}/print"],
                   check=True, capture_output=True, timeout=90)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=30).stdout
    flat = " ".join(text.split())
    for expected in ("Free the reporters", "A call to free them.", "We call for their release.",
                     "Signatories", "7 signatories", "Colombia", "France", "Germany", "Kenya",
                     "An organisation in Kenya", "A person in Germany", "Ana Pérez (Editor-in-chief)",
                     *seeded.listed_names):
        assert expected in flat, expected
    for absent in ("Undersigned publishes", "Skip to content", *seeded.unlisted_names, *seeded.emails):
        assert absent not in flat, absent
    assert flat.index("Élan Reporters") < flat.index("Zeta Press Union")
