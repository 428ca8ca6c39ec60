"""Issue 13, signatures entered by a coordinator: one from the workspace, 200 from a CSV file
with a preview; each records its channel, evidence, who checked it and when, is audited,
marked in the full export, counts like any other, and its organisation gets a notice with
its manage and withdraw links when an address is given."""

from __future__ import annotations

import csv
import io

from conftest import link_from, outbox_bodies
from manage_fixtures import add_statement, text_of
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ModerationEvent, OutboxMail, Signature, Statement

ONE = {"kind": "organisation", "name": "Radio Libre Tunis", "country": "TN", "website": "radiolibre.example",
       "signer_name": "Amal B.", "role": "Director", "visibility": "full", "channel": "signal",
       "evidence": "Signal message from Amal, 2 Dec, screenshot in the shared drive",
       "email": "amal@radiolibre.example"}


def count_of(app, sid: int) -> int:
    with app.app_context():
        return db.session.get(Statement, sid).count_total


def test_a_coordinator_enters_one_signature(app, client, auth, people):
    sid = add_statement(app, "entered-one", people.owner)
    auth.login()
    url = f"/manage/statements/{sid}/entries"
    assert "Enter one signature" in text_of(client.get(url))
    done = auth.post(url, ONE, page=url)
    assert done.status_code == 303
    assert "The signature of Radio Libre Tunis is entered and counted." in text_of(client.get(url))
    assert count_of(app, sid) == 1
    with app.app_context():
        row = db.session.scalars(select(Signature).where(Signature.statement_id == sid)).one()
        assert (row.state, row.channel, row.checked_by_id, row.checked_by) == (
            "validated", "signal", people.owner, "Olga Owner")
        assert row.evidence == ONE["evidence"] and row.checked_at is not None and row.moderated_at
        event = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.action == "signature_entered")).one()
        assert event.signature_id == row.id and event.actor_id == people.owner
        assert event.detail == f"signal: {ONE['evidence']}"
    # Listed on the public page like any other signature; its email never shown.
    public = text_of(client.get("/en/s/entered-one"))
    assert "Radio Libre Tunis" in public and "amal@radiolibre.example" not in public
    # The organisation is told, with its manage and withdraw links, in the statement's language.
    body = outbox_bodies(app)[-1]
    assert "Radio Libre Tunis" in body and "by Signal" in body
    link_from(body, "signature")
    withdraw = link_from(body, "withdraw")
    # The link works: the organisation can undo an entry it did not agree to.
    page = client.get(withdraw)
    assert page.status_code == 200
    from conftest import csrf_token

    gone = client.post(withdraw, data={"csrf_token": csrf_token(client, withdraw)})
    assert gone.status_code in (200, 303)
    assert count_of(app, sid) == 0
    # Marked in the full export.
    export = text_of(auth.post(f"/manage/statements/{sid}/export/full.csv", page=f"/manage/statements/{sid}"))
    header, first = list(csv.reader(io.StringIO(export)))[:2]
    marked = dict(zip(header, first, strict=True))
    assert (marked["channel"], marked["checked_by"]) == ("signal", "Olga Owner")
    assert marked["evidence"] == ONE["evidence"] and marked["checked_at"]


def test_an_entry_is_refused_clearly_and_nothing_is_stored(app, client, auth, people):
    sid = add_statement(app, "entered-bad", people.owner)
    auth.login()
    url = f"/manage/statements/{sid}/entries"
    assert auth.post(url, ONE, page=url).status_code == 303
    again = auth.post(url, ONE | {"email": "someone@else.example"}, page=url)
    assert again.status_code == 422
    assert "Radio Libre Tunis has signed this statement already." in text_of(again)
    no_evidence = auth.post(url, ONE | {"name": "Other Press", "evidence": ""}, page=url)
    assert no_evidence.status_code == 422 and "Write a short evidence note." in text_of(no_evidence)
    bad_channel = auth.post(url, ONE | {"name": "Other Press", "channel": "pigeon"}, page=url)
    assert bad_channel.status_code == 422
    hidden_chars = auth.post(url, ONE | {"name": "Other\u202ePress"}, page=url)
    assert hidden_chars.status_code == 422
    assert count_of(app, sid) == 1
    # Nobody enters signatures on an archived statement: its list is final.
    archived = add_statement(app, "entered-archived", people.owner, state="archived")
    url = f"/manage/statements/{archived}/entries"
    refused = auth.post(url, ONE, page=url)
    assert refused.status_code == 422 and "Signatures can be entered while" in text_of(refused)
    # Another coordinator's statement: 404 for the page, the form and the import.
    auth.logout()
    auth.login("other@example.org")
    assert client.get(f"/manage/statements/{sid}/entries").status_code == 404
    assert auth.post(f"/manage/statements/{sid}/entries", ONE, page="/manage/").status_code == 404
    assert auth.post(f"/manage/statements/{sid}/entries/import", {"csv": "name\n"},
                     page="/manage/").status_code == 404


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["name", "country", "channel", "evidence", "email", "visibility"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_a_csv_import_of_200_with_a_preview(app, client, auth, people):
    sid = add_statement(app, "entered-many", people.owner)
    rows = [{"name": f"Member Press {i:03d}", "country": "France" if i % 2 else "de",
             "channel": ("email", "phone", "paper")[i % 3], "evidence": f"Reply #{i} kept in the inbox",
             "email": f"member{i}@press.example" if i < 10 else "", "visibility": ""} for i in range(200)]
    bad = [{"name": "No Country Press", "country": "Atlantis", "channel": "email", "evidence": "x",
            "email": "", "visibility": ""},
           {"name": "Member Press 007", "country": "FR", "channel": "email", "evidence": "twice",
            "email": "", "visibility": ""},
           {"name": "Carrier Pigeon Press", "country": "FR", "channel": "pigeon", "evidence": "coo",
            "email": "", "visibility": ""}]
    text = _csv(rows[:100] + bad[:1] + rows[100:150] + bad[1:] + rows[150:])
    auth.login()
    url = f"/manage/statements/{sid}/entries/import"
    page = f"/manage/statements/{sid}/entries"
    preview = auth.post(url, {"csv": text, "action": "preview"}, page=page)
    html = text_of(preview)
    assert preview.status_code == 200
    assert "Preview: 200 rows will be entered; rows with an error: 3." in html
    assert html.count("will be entered</td>") == 200
    # Each bad row with its line in the file (the header is line 1).
    assert "<td>102</td><td><bdi>No Country Press</bdi>" in html and "Choose a country from the list." in html
    assert "<td>153</td><td><bdi>Member Press 007</bdi>" in html
    assert "Member Press 007 has signed this statement already" in html
    assert "<td>154</td><td><bdi>Carrier Pigeon Press</bdi>" in html
    assert count_of(app, sid) == 0  # the preview stores nothing
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    assert "Import 200 signatures" in html
    imported = auth.post(url, {"csv": text, "action": "import"}, page=page)
    assert imported.status_code == 303
    assert "Signatures entered and counted: 200." in text_of(client.get(page))
    assert count_of(app, sid) == 200
    with app.app_context():
        entered = db.session.scalars(select(Signature).where(Signature.statement_id == sid)).all()
        assert {s.state for s in entered} == {"validated"} and {s.country for s in entered} == {"FR", "DE"}
        assert all(s.checked_by_id == people.owner and s.checked_at for s in entered)
        audited = db.session.scalar(select(func.count()).select_from(ModerationEvent).where(
            ModerationEvent.statement_id == sid, ModerationEvent.action == "signature_entered"))
        assert audited == 200
        notices = db.session.scalar(select(func.count()).select_from(OutboxMail))
        assert notices == 10  # one per row that gave an address
    # The same file again: every row is a duplicate now, so nothing is offered to import.
    again = text_of(auth.post(url, {"csv": text, "action": "preview"}, page=page))
    assert "Preview: 0 rows will be entered; rows with an error: 203." in again
    assert "Import 0 signatures" not in again


def test_a_file_without_its_columns_is_refused_with_a_message(app, client, auth, people):
    sid = add_statement(app, "entered-file", people.owner)
    auth.login()
    url = f"/manage/statements/{sid}/entries/import"
    page = f"/manage/statements/{sid}/entries"
    missing = auth.post(url, {"csv": "organisation,land\nA,FR\n", "action": "preview"}, page=page)
    assert missing.status_code == 422
    assert "missing: name, country, channel, evidence" in text_of(missing)
    empty = auth.post(url, {"csv": "  ", "action": "preview"}, page=page)
    assert empty.status_code == 422 and "Choose a CSV file, or paste its text." in text_of(empty)
    semicolons = "name;country;channel;evidence\nPresse Libre;FR;phone;Call on 3 Dec\n"
    uploaded = auth.post(url, {"file": (io.BytesIO(("\ufeff" + semicolons).encode()), "list.csv"),
                               "action": "import"}, page=page, content_type="multipart/form-data")
    assert uploaded.status_code == 303 and count_of(app, sid) == 1
