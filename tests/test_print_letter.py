"""The printed letter: a compact flat list beside the country grouping, and a running title,
address and page numbers in ``@page`` margin boxes (down to a real PDF)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from public_seed import SLUG, seed
from test_embed_print_share import CHROMIUM, live_url  # noqa: F401 (a fixture)

from portal.views.outlets import css_string


@pytest.fixture
def seeded(app):
    return seed(app)


def test_the_flat_list_is_one_list_by_name_with_countries_then_country_only(client, seeded):
    page = client.get(f"/en/s/{SLUG}/print?list=flat").get_data(as_text=True)
    assert "<h3" not in page and 'class="letter-flat"' in page
    names = re.findall(r'<bdi class="name">([^<]+)</bdi>', page)
    assert names == ["Abdi Media Watch", "Ana Pérez", "Élan Reporters", "Zeta Press Union"]  # by collation
    items = re.findall(r"<li>(.*?)</li>", page.split('class="letter-flat"')[1], re.S)
    assert "Kenya" in items[0] and "Colombia" in items[1]
    assert [re.sub(r"<[^>]+>", "", i).strip() for i in items[-2:]] == [
        "A person in Germany", "An organisation in Kenya"]  # by country name
    assert "Invisible Hidden" not in page and "Quiet" not in page and "Rejected" not in page
    assert 'aria-current="page">One compact list, by name' in page
    grouped = client.get(f"/en/s/{SLUG}/print").get_data(as_text=True)
    assert 'aria-current="page">Grouped by country' in grouped and "<h3" in grouped


def test_the_flat_list_sorts_country_only_rows_in_the_readers_language(client, seeded):
    page = client.get(f"/fr/s/{SLUG}/print?list=flat").get_data(as_text=True)
    items = re.findall(r"<li>(.*?)</li>", page.split('class="letter-flat"')[1], re.S)
    assert "Allemagne" in items[-2] and "Kenya" in items[-1]


def test_the_margin_stylesheet_escapes_the_title_and_never_shows_the_key(app, client, seeded, make_statement):
    css = client.get(f"/en/s/{SLUG}/print-pages.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    body = css.get_data(as_text=True)
    assert "@top-center { content: " + css_string("Free the reporters") in body
    assert 'content: "Page " counter(page) " of " counter(pages)' in body
    assert css_string(f"http://localhost/en/s/{SLUG}") in body
    hostile = 'A "}</style><script>x</script>\\'
    escaped = css_string(hostile)
    assert escaped.count('"') == 2 and "<" not in escaped and "\\\\" not in escaped
    assert css_string("é b") == '"\\0000e9  b"'  # the space after an escape ends it; one remains
    page = client.get(f"/en/s/{SLUG}/print").get_data(as_text=True)
    assert f'<link rel="stylesheet" href="/en/s/{SLUG}/print-pages.css">' in page
    assert f'<bdi>http://localhost/en/s/{SLUG}</bdi>' in page  # the footer, for other browsers
    arabic = client.get(f"/ar/s/{SLUG}/print-pages.css").get_data(as_text=True)
    assert css_string("أطلقوا سراح الصحفيين") in arabic


def test_a_collecting_statements_margins_need_its_key_and_print_none(app, client, make_statement):
    from portal.extensions import db
    from portal.models import Statement

    sid = make_statement("collect-print", state="collecting")
    with app.app_context():
        key = db.session.get(Statement, sid).private_key
    assert client.get("/en/s/collect-print/print-pages.css").status_code == 404
    css = client.get(f"/en/s/collect-print/print-pages.css?key={key}")
    assert css.status_code == 200 and key not in css.get_data(as_text=True)
    assert css.headers["Cache-Control"] == "private, no-cache"


def pdf_text(base: str, path: str, tmp_path) -> str:
    pdf = tmp_path / "letter.pdf"
    printed = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-pdf-header-footer", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--print-to-pdf={pdf}", f"{base}{path}"], check=True, capture_output=True, timeout=90,
                   text=True)
    assert pdf.exists(), printed.stderr[-2000:]  # Chromium exits 0 even when its renderer died
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                          text=True, timeout=30).stdout


def test_the_pdf_has_a_running_title_address_and_page_numbers(live_url, tmp_path):  # noqa: F811
    base, seeded = live_url
    assert shutil.which("pdftotext") and shutil.which(CHROMIUM)
    flat = " ".join(pdf_text(base, f"/en/s/{SLUG}/print?list=flat", tmp_path).split())
    assert "Page 1 of 1" in flat
    assert flat.count(f"/en/s/{SLUG}") >= 2  # the address at the foot of the page, and the footer
    assert flat.count("Free the reporters") >= 3  # the running title, the heading, the footer
    for name in seeded.listed_names:  # in columns: pdftotext's reading order is its own
        assert name in flat, name
    assert "Grouped by country" not in flat  # the choice of list is not printed
