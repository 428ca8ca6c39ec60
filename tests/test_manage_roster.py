"""The roster and the invitations in the workspace: CSV import with a preview then a confirm,
export, merging duplicates, editing with clear refusals, the board with its filters, sending
and reminding; coordinators only, every change in the audit log. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re

from manage_fixtures import add_statement, text_of
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Invitation, ModerationEvent, Organisation, OutboxMail
from portal.network import contacts

CSV = """name,country,website,emails,language,tags,other_names
Radio Libre,FR,radiolibre.example,desk@radiolibre.example; chief@radiolibre.example,fr,member
Tunis Press Club,Tunisia,,club@tpc.example,ar,member MENA
Nowhere Weekly,Atlantis,,news@nowhere.example,en,member
"=HYPERLINK(""x"")",GB,,eq@eq.example,en,partner
Reporters Without Borders,France,rsf.example,rwb@rsf.example,en,partner,RWB
"""


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(ModerationEvent.action).order_by(ModerationEvent.id)))


def test_import_shows_a_preview_then_imports_on_confirm(app, client, auth):
    auth.login()
    preview = auth.post("/manage/organisations/import", {"step": "preview", "csv": CSV},
                        page="/manage/organisations/import")
    html = text_of(preview)
    assert preview.status_code == 200
    assert "4 to create, 0 to update, 1 rows with errors." in html
    assert "Line 4:" in html and "Unknown country" in html
    assert _count(app, Organisation) == 0  # a preview writes nothing
    done = auth.post("/manage/organisations/import", {"step": "confirm", "csv": CSV},
                     page="/manage/organisations/import")
    assert done.status_code == 303
    assert _count(app, Organisation) == 4
    assert _actions(app).count("organisation_created") == 4 and "organisations_imported" in _actions(app)
    with app.app_context():
        radio = db.session.scalar(select(Organisation).where(Organisation.name == "Radio Libre"))
        assert contacts.addresses(radio.id) == ["desk@radiolibre.example", "chief@radiolibre.example"]
        assert radio.language == "fr" and radio.tag_list == ["member"]
        assert db.session.scalar(select(Organisation.country).where(
            Organisation.name == "Tunis Press Club")) == "TN"
    # The same file again, uploaded this time: every good row is an update.
    again = auth.post("/manage/organisations/import", {
        "step": "preview", "file": (io.BytesIO(CSV.encode()), "roster.csv")},
        page="/manage/organisations/import", content_type="multipart/form-data")
    assert "0 to create, 4 to update, 1 rows with errors." in text_of(again)
    listing = text_of(client.get("/manage/organisations?tag=mena"))
    assert "Tunis Press Club" in listing and "Radio Libre" not in listing


def test_bad_files_and_fields_are_refused_with_a_message(app, client, auth):
    auth.login()
    page = "/manage/organisations/import"
    for data, message in (({"csv": "nom,pays\nX,FR\n"}, "The first line must name the columns"),
                          ({"csv": "   "}, "Paste the CSV or choose a file.")):
        refused = auth.post(page, {"step": "preview", **data}, page=page)
        assert refused.status_code == 422 and message in text_of(refused)
    edit = "/manage/organisations/edit"
    bad = auth.post(edit, {"name": "Radio\u202eLibre", "country": "FR", "language": "en"}, page=edit)
    assert bad.status_code == 422 and "text-direction" in text_of(bad)
    bad = auth.post(edit, {"name": "Radio Libre", "country": "FR", "language": "en", "emails": "nope"},
                    page=edit)
    assert bad.status_code == 422 and "nope is not an email address." in text_of(bad)
    assert _count(app, Organisation) == 0
    assert auth.post(edit, {"name": "Radio Libre", "country": "FR", "language": "xx-zz-zz-zz"},
                     page=edit).status_code == 422
    assert auth.post(edit, {"name": "Radio Libre", "country": "FR", "language": "fr"},
                     page=edit).status_code == 303
    dup = auth.post(edit, {"name": "radio  LIBRE", "country": "FR", "language": "fr"}, page=edit)
    assert dup.status_code == 422 and "Another organisation of the roster has this name." in text_of(dup)
    auth.logout()
    assert client.get("/manage/organisations").status_code == 302


def test_export_is_audited_inert_in_spreadsheets_and_imports_back(app, client, auth):
    auth.login()
    auth.post("/manage/organisations/import", {"step": "confirm", "csv": CSV},
              page="/manage/organisations/import")
    exported = auth.post("/manage/organisations/export", page="/manage/organisations")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    body = exported.get_data(as_text=True)
    assert body.startswith("name,country,website,emails,language,tags,other_names,domains")
    assert "desk@radiolibre.example chief@radiolibre.example" in body
    assert "'=HYPERLINK" in body
    assert "roster_exported" in _actions(app)
    back = auth.post("/manage/organisations/import", {"step": "preview", "csv": body},
                     page="/manage/organisations/import")
    assert "0 to create, 4 to update, 0 rows with errors." in text_of(back)


def test_merging_duplicates_keeps_everything_and_is_audited(app, client, auth, people):
    sid = add_statement(app, "merge-me", people.owner)
    auth.login()
    edit = "/manage/organisations/edit"
    auth.post(edit, {"name": "Reporters Without Borders", "country": "FR", "language": "en",
                     "emails": "a@rsf.example", "tags": "partner"}, page=edit)
    auth.post(edit, {"name": "RSF", "country": "FR", "language": "fr", "emails": "b@rsf.example",
                     "tags": "member", "domains": "rsf.example"}, page=edit)
    with app.app_context():
        keep, drop = (db.session.scalar(select(Organisation.id).where(Organisation.name == n))
                      for n in ("Reporters Without Borders", "RSF"))
    auth.post(f"/manage/statements/{sid}/invitations/send", {"org": [str(drop)]}, page=edit)
    same = auth.post("/manage/organisations/merge", {"keep": str(keep), "drop": str(keep)}, page=edit)
    assert same.status_code == 422 and "Choose two different organisations." in text_of(same)
    merged = auth.post("/manage/organisations/merge", {"keep": str(keep), "drop": str(drop)}, page=edit)
    assert merged.status_code == 303
    with app.app_context():
        org = db.session.get(Organisation, keep)
        assert org.other_name_list == ["RSF"] and set(org.tag_list) == {"partner", "member"}
        assert org.domain_list == ["rsf.example"]
        assert contacts.addresses(keep) == ["a@rsf.example", "b@rsf.example"]
        assert db.session.get(Organisation, drop) is None
        assert db.session.scalar(select(Invitation.organisation_id)) == keep  # the invitation moved
    assert "organisations_merged" in _actions(app)


def test_the_board_invites_by_tag_and_by_hand_and_reminds(app, client, auth, people):
    sid = add_statement(app, "campaign", people.owner, langs=("en", "fr"))
    auth.login()
    auth.post("/manage/organisations/import", {"step": "confirm", "csv": CSV},
              page="/manage/organisations/import")
    board = f"/manage/statements/{sid}/invitations"
    sent = auth.post(f"{board}/send", {"tag": "member"}, page=board, follow_redirects=True)
    assert "2 invited; 0 had been invited before; 0 without a contact address." in text_of(sent)
    with app.app_context():
        rsf = db.session.scalar(select(Organisation.id).where(
            Organisation.name == "Reporters Without Borders"))
    auth.post(f"{board}/send", {"org": [str(rsf), "²", "99999999999"]}, page=board)
    page = text_of(client.get(board))
    assert re.search(r'id="board-all">3<', page) and re.search(r'id="board-invited">3<', page)
    assert "Tunis Press Club" in text_of(client.get(f"{board}?state=invited"))
    assert "Tunis Press Club" not in text_of(client.get(f"{board}?state=signed"))
    with app.app_context():
        subjects = set(db.session.scalars(select(OutboxMail.subject)))
    assert "Une invitation à signer « campaign title fr »" in subjects  # Radio Libre reads French
    reminded = auth.post(f"{board}/remind", page=board, follow_redirects=True)
    assert "3 reminders sent." in text_of(reminded)
    assert {"invitations_sent", "invitations_reminded"} <= set(_actions(app))
    nothing = auth.post(f"{board}/send", {}, page=board, follow_redirects=True)
    assert "Choose organisations by tag, by country or by hand." in text_of(nothing)
    auth.logout()
    auth.login("other@example.org")
    assert client.get(board).status_code == 404
    assert auth.post(f"{board}/remind", page="/manage/").status_code == 404
