"""After signing closes, the count changes only by a coordinator's decision; archived is final."""

from __future__ import annotations

from conftest import csrf_token, link_from, outbox_bodies

from portal.extensions import db
from portal.models import Signature, Statement
from portal.signatures import signing
from portal.statements.reading import transition

FORM = {"kind": "organisation", "name": "Late Press", "signer_name": "L", "country": "PE",
        "email": "late@example.org", "visibility": "full", "authorised": "y"}


def _sign_then_close(app, client, make_statement):
    sid = make_statement(moderation="post")
    token = csrf_token(client, "/en/s/free-the-reporters")
    assert client.post("/en/s/free-the-reporters/sign", data=FORM | {"csrf_token": token}).status_code == 303
    with app.app_context():
        transition(sid, "published", "closed", "closed")
    return sid


def test_late_confirmation_waits_for_a_coordinator(app, client, make_statement):
    sid = _sign_then_close(app, client, make_statement)
    link = link_from(outbox_bodies(app)[0], "confirm")
    page = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert "A coordinator will review it" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Statement, sid).count_total == 0
        signature = db.session.query(Signature).one()
        assert signature.state == "confirmed"
        assert signing.moderate(signature.id, approve=True) is True
        assert db.session.get(Statement, sid).count_total == 1


def test_archived_statement_is_final_but_withdrawal_still_works(app, client, make_statement):
    sid = _sign_then_close(app, client, make_statement)
    body = outbox_bodies(app)[0]
    confirm = link_from(body, "confirm")
    client.post(confirm, data={"csrf_token": csrf_token(client, confirm)})
    with app.app_context():
        signature_id = db.session.query(Signature.id).scalar()
        transition(sid, "closed", "archived", "archived")
        assert signing.moderate(signature_id, approve=True) is False
        assert db.session.get(Statement, sid).count_total == 0
    withdraw = link_from(body, "withdraw")
    page = client.post(withdraw, data={"csrf_token": csrf_token(client, withdraw)})
    assert "has been withdrawn" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Signature, signature_id).state == "withdrawn"


def test_a_passed_deadline_closes_a_statement_on_the_list_page(app, client, make_statement):
    from datetime import timedelta

    from portal.models import utcnow

    sid = make_statement(deadline_at=utcnow() - timedelta(minutes=1))
    html = client.get("/en/").get_data(as_text=True)  # listed with the closed ones, not the current
    assert "No statement is open for signing right now." in html
    closed = html.index('<h3 lang="en" dir="ltr"><a href="/en/s/free-the-reporters"')
    assert html.index('id="closed-statements"') < closed
    with app.app_context():
        assert db.session.get(Statement, sid).state == "closed"
