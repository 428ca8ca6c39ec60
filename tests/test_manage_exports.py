"""Exports (public and full, CSV and JSON) and the statistics page."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from manage_fixtures import add_signature, add_statement, text_of
from sqlalchemy import select

from portal.extensions import db
from portal.models import ModerationEvent, Signature, utcnow
from portal.statements.exports import neutralise

DANGEROUS = ["=HYPERLINK(\"http://evil.example\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
             "\tTabbed", "\rReturned", "＝fullwidth"]


@pytest.fixture
def listed(app, people):
    sid = add_statement(app, "export-me", people.owner)
    for i, name in enumerate(DANGEROUS):
        add_signature(app, sid, name, f"person{i}@export.example", state="validated")
    add_signature(app, sid, "Safe Org, Ltd.", "safe@export.example", state="validated", role="=2+2")
    add_signature(app, sid, "Hidden Org", "hidden@export.example", state="validated", visibility="hidden")
    add_signature(app, sid, "Country Only Org", "co@export.example", state="validated", visibility="country",
                  country="BR")
    add_signature(app, sid, "Awaiting Org", "wait@export.example")
    return sid


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a=1", "a=1"), ("", ""), (5, 5), (True, True),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_public_csv_neutralises_formulas_and_holds_no_contact(client, auth, listed):
    auth.login()
    response = client.get(f"/manage/statements/{listed}/export/public.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'attachment; filename="export-me-public.csv"' == response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert "@export.example" not in body and "Hidden Org" not in body and "Awaiting Org" not in body
    assert "Country Only Org" not in body
    names = [row["name"] for row in rows(response)]
    for cell in names:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "'=HYPERLINK(\"http://evil.example\")" in names and "'-2+3" in names and "Safe Org, Ltd." in names
    assert "" in names  # the country-only signatory is listed without a name
    assert set(rows(response)[0]) == {"name", "kind", "country", "country_name", "org_type", "launch",
                                      "signed_on"}


def test_exports_are_streamed_in_batches(app, client, auth, listed, people, monkeypatch):
    """A million rows never sit in memory: the body is sent in chunks as rows are fetched."""
    from portal.statements import exports

    monkeypatch.setattr(exports, "STREAM_BATCH", 2)
    auth.login()
    response = client.get(f"/manage/statements/{listed}/export/public.csv", buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) >= (len(DANGEROUS) + 2) // 2 and chunks[0].startswith(b"\xef\xbb\xbfname,kind,country")
    assert b"".join(chunks).count(b"\r\n") == len(DANGEROUS) + 3  # the header and every listed row
    empty = add_statement(app, "nobody-yet", people.owner)
    data = json.loads(client.get(f"/manage/statements/{empty}/export/public.json").get_data(as_text=True))
    assert data == {"statement": "nobody-yet", "signatories": [], "count": 0}


def test_public_json(client, auth, listed):
    auth.login()
    data = json.loads(client.get(f"/manage/statements/{listed}/export/public.json").get_data(as_text=True))
    assert data["statement"] == "export-me" and data["count"] == len(DANGEROUS) + 2
    assert all("email" not in row for row in data["signatories"])
    assert "=HYPERLINK(\"http://evil.example\")" in [row["name"] for row in data["signatories"]]


def test_full_export_has_emails_is_post_only_and_audited(app, client, auth, listed, people):
    auth.login()
    assert client.get(f"/manage/statements/{listed}/export/full.csv").status_code == 405
    response = auth.post(f"/manage/statements/{listed}/export/full.csv",
                         page=f"/manage/statements/{listed}/exports")
    assert response.status_code == 200
    found = rows(response)
    assert len(found) == len(DANGEROUS) + 4
    emails = {r["email"] for r in found}
    assert {"person0@export.example", "wait@export.example", "hidden@export.example"} <= emails
    assert {r["role"] for r in found if r["email"] == "safe@export.example"} == {"'=2+2"}
    assert {r["state"] for r in found} == {"approved", "confirmed, awaiting approval"}
    as_json = auth.post(f"/manage/statements/{listed}/export/full.json")
    assert json.loads(as_json.get_data(as_text=True))["count"] == len(DANGEROUS) + 4
    with app.app_context():
        logged = list(db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.action == "exported_full").order_by(ModerationEvent.id)))
        assert [(e.actor_id, e.statement_id, e.detail) for e in logged] == [
            (people.owner, listed, f"csv, {len(DANGEROUS) + 4} rows"),
            (people.owner, listed, f"json, {len(DANGEROUS) + 4} rows")]
    assert client.get(f"/manage/statements/{listed}/export/public.xml").status_code == 404


def test_statistics_page(app, client, auth, people):
    sid = add_statement(app, "stats-one", people.owner)
    made = [add_signature(app, sid, f"Org {i}", f"s{i}@stats.example", state="validated",
                          country="FR" if i % 3 else "SN", kind="organisation" if i % 2 else "individual")
            for i in range(6)]
    add_signature(app, sid, "Shadow", "shadow@stats.example", state="fraudulent")
    with app.app_context():
        now = utcnow()
        for offset, ident in zip((0, 1, 1, 30, 30, 72), made, strict=True):
            row = db.session.get(Signature, ident)
            row.created_at = now - timedelta(hours=100 - offset)
            row.confirmed_at = row.created_at + timedelta(minutes=10)
            row.moderated_at = row.created_at + timedelta(hours=2)
        db.session.commit()
    auth.login()
    page = client.get(f"/manage/statements/{sid}/stats")
    html = text_of(page)
    assert page.status_code == 200
    assert html.count('<svg class="chart"') == 2 and "<script" not in html.split("<main", 1)[1]
    hour_chart = html[html.index('id="chart-hour"'):]
    hour_chart = hour_chart[:hour_chart.index("</svg>")]
    assert hour_chart.count("<rect") == 31  # hours 0..30 of the first 48
    day_chart = html[html.index('id="chart-day"'):]
    day_chart = day_chart[:day_chart.index("</svg>")]
    assert 4 <= day_chart.count("<rect") <= 5 and ": 0</title>" not in hour_chart.split("<rect")[1]
    assert "Senegal" in html and "France" in html
    assert "set aside as fraudulent" in html  # in the by-state table, while the charts leave it out
    assert "10 minutes" in html and "2 hours" in html
