"""Spreadsheet-ready exports: the CSV with a byte order mark, country names and yes/no; the
XLSX read back with openpyxl; the press-release list of signatories, per language."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from manage_fixtures import add_signature, add_statement
from sqlalchemy import select

from portal.database import write
from portal.extensions import db
from portal.models import ModerationEvent
from portal.signatures import counts

ARABIC = "مؤسسة الصحافة الحرة"
RUSSIAN = "Фонд защиты гласности"


@pytest.fixture
def sheet(app, people):
    sid = add_statement(app, "sheet-me", people.owner, langs=("en", "ar", "fr"))
    add_signature(app, sid, ARABIC, "a@sheet.example", state="validated", country="EG", launch=True)
    add_signature(app, sid, RUSSIAN, "r@sheet.example", state="validated", country="RU")
    add_signature(app, sid, "=cmd|' /C calc'!A0", "f@sheet.example", state="validated", country="FR")
    add_signature(app, sid, "Zeta Individual", "z@sheet.example", state="validated", country="KE",
                  kind="individual", role="Editor")
    add_signature(app, sid, "Country Only Org", "c@sheet.example", state="validated", visibility="country",
                  country="BR")
    add_signature(app, sid, "Hidden Org", "h@sheet.example", state="validated", visibility="hidden",
                  country="JP")
    add_signature(app, sid, "Waiting Org", "w@sheet.example", state="confirmed")
    with app.app_context(), write() as session:
        counts.reconcile(session)
    return sid


def read_csv(response) -> tuple[bytes, list[dict]]:
    raw = response.get_data()
    return raw, list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.mark.parametrize("lang, egypt, yes, no", [("en", "Egypt", "yes", "no"), ("ar", "مصر", "نعم", "لا"),
                                                  ("fr", "Égypte", "oui", "non")])
def test_public_csv_has_a_bom_country_names_and_yes_no(client, auth, sheet, lang, egypt, yes, no):
    auth.login()
    raw, rows = read_csv(client.get(f"/manage/statements/{sheet}/export/public.csv?lang={lang}"))
    assert raw.startswith(b"\xef\xbb\xbfname,kind,country,country_name,")
    by_name = {row["name"]: row for row in rows}
    assert by_name[ARABIC]["country"] == "EG" and by_name[ARABIC]["country_name"] == egypt
    assert by_name[ARABIC]["launch"] == yes and by_name[RUSSIAN]["launch"] == no
    assert RUSSIAN in by_name and "Hidden Org" not in by_name and "Waiting Org" not in by_name
    assert by_name["'=cmd|' /C calc'!A0"]["country"] == "FR"  # still neutralised
    country_only = by_name[""]
    assert country_only["country"] == "BR" and country_only["launch"] == ""  # not shown: empty
    assert "True" not in raw.decode("utf-8-sig") and "False" not in raw.decode("utf-8-sig")


def test_an_unknown_export_language_falls_back_to_the_workspaces(client, auth, sheet):
    auth.login()
    _raw, rows = read_csv(client.get(f"/manage/statements/{sheet}/export/public.csv?lang=xx%3Cscript",
                                     headers={"Accept-Language": "ru"}))
    assert {row["country_name"] for row in rows if row["country"] == "EG"} == {"Египет"}


def test_full_csv_says_yes_no_for_authorisation_and_is_audited(app, client, auth, sheet, people):
    auth.login()
    response = auth.post(f"/manage/statements/{sheet}/export/full.csv", data={"lang": "ar"},
                         page=f"/manage/statements/{sheet}/exports")
    _raw, rows = read_csv(response)
    assert {row["authorised"] for row in rows} == {"نعم"} and len(rows) == 7
    assert {row["email"] for row in rows} >= {"a@sheet.example", "h@sheet.example"}


def test_xlsx_reads_back_with_arabic_intact_and_no_formula(app, client, auth, sheet, people):
    auth.login()
    response = client.get(f"/manage/statements/{sheet}/export/public.xlsx?lang=ar")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == 'attachment; filename="sheet-me-public.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet_ = book.worksheets[0]
    assert sheet_.sheet_view.rightToLeft  # an Arabic export reads right to left
    rows = list(sheet_.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:4] == ("name", "kind", "country", "country_name")
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert by_name[ARABIC]["country_name"] == "مصر" and by_name[ARABIC]["launch"] == "نعم"
    assert RUSSIAN in by_name and "Hidden Org" not in by_name
    # Written as text, never as a formula: the value is exactly the name, with no apostrophe.
    cell = next(c for c in sheet_["A"] if c.value and "cmd" in str(c.value))
    assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s"
    full = auth.post(f"/manage/statements/{sheet}/export/full.xlsx", data={"lang": "en"},
                     page=f"/manage/statements/{sheet}/exports")
    rows = list(openpyxl.load_workbook(io.BytesIO(full.get_data())).worksheets[0].iter_rows(values_only=True))
    assert "email" in rows[0] and len(rows) == 8
    with app.app_context():
        assert db.session.scalars(select(ModerationEvent.detail).where(
            ModerationEvent.action == "exported_full")).all() == ["xlsx, 7 rows"]


def test_xlsx_beyond_a_worksheet_is_refused_with_a_message(app, client, auth, sheet, monkeypatch):
    from portal.statements import sheets

    monkeypatch.setattr(sheets, "XLSX_MAX_ROWS", 3)
    auth.login()
    response = client.get(f"/manage/statements/{sheet}/export/public.xlsx")
    assert response.status_code == 422 and "Download the CSV instead" in response.get_data(as_text=True)


def test_exports_need_the_statements_coordinator(app, client, auth, sheet, people):
    auth.login("other@example.org")
    base = f"/manage/statements/{sheet}"
    for url in (f"{base}/export/public.xlsx", f"{base}/signatory-list", f"{base}/signatory-list.txt"):
        assert client.get(url).status_code in (403, 404), url
    auth.logout()
    assert client.get(f"/manage/statements/{sheet}/signatory-list").status_code in (302, 303)


@pytest.mark.parametrize("lang, heading, egypt, only_country", [
    ("en", "sheet-me title en", "Egypt", "An organisation in Brazil"),
    ("ar", "sheet-me title ar", "مصر", "منظمة من البرازيل"),
    ("fr", "sheet-me title fr", "Égypte", "Une organisation (Brésil)"),
])
def test_press_list_per_language(client, auth, sheet, lang, heading, egypt, only_country):
    auth.login()
    page = client.get(f"/manage/statements/{sheet}/signatory-list?lang={lang}").get_data(as_text=True)
    assert '<textarea id="press-list"' in page and 'data-copy="press-list"' in page
    text = client.get(f"/manage/statements/{sheet}/signatory-list.txt?lang={lang}")
    assert text.mimetype == "text/plain" and text.headers["X-Content-Type-Options"] == "nosniff"
    lines = text.get_data(as_text=True).splitlines()
    assert lines[0] == heading
    names = lines[4:lines.index("", 4)] if "" in lines[4:] else lines[4:]
    assert f"{ARABIC} ({egypt})" in names and names[-1] == only_country
    assert any(line.startswith("Zeta Individual, Editor (") for line in names)
    assert not any("Hidden Org" in line or "Waiting" in line or "@" in line for line in lines)
    assert len(names) == 5  # every listed signatory, once
    assert lines[-2] == "" and len(lines[-1]) > 20  # the one counted but not listed, as a sentence


def test_press_list_escapes_names_on_the_page(app, client, auth, sheet):
    add_signature(app, sheet, "<script>alert(1)</script> Org", "x@sheet.example", state="validated")
    auth.login()
    page = client.get(f"/manage/statements/{sheet}/signatory-list").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Org" in page
