"""Invite-only statements, on SQLite and PostgreSQL: signing only through a personal link or
from the allowed email domains; everyone else reads the statement and the list without the form.
The switch is the statement's coordinators' own, and audited."""

from __future__ import annotations

from conftest import csrf_token
from manage_fixtures import add_signature, add_statement, text_of
from sqlalchemy import select

from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import ModerationEvent, Signature
from portal.network import access, invitations, roster

SLUG = "members-only"
FORM = {"kind": "organisation", "name": "Outside Group", "signer_name": "Sam", "country": "FR",
        "visibility": "full", "authorised": "y"}


def _sign(client, email: str):
    page = f"/en/s/{SLUG}"
    return client.post(f"{page}/sign", data={**FORM, "email": email, "csrf_token": csrf_token(client, page)})


def test_only_personal_links_sign_when_no_domain_is_allowed(app, client, people):
    sid = add_statement(app, SLUG, people.owner)
    add_signature(app, sid, "Listed Early", "early@listed.example", state="validated")
    with app.app_context():
        access.set_access(sid, True, "", Actor(people.owner, "Olga Owner"))
        roster.save(roster.OrgInput("Invited Group", "FR", emails="desk@invited.example", tags="member"),
                    Actor(None, "test"))
        invitations.send(sid, roster.Selection(tag="member"), Actor(None, "test"))
        invitation = db.session.scalars(select(invitations.Invitation)).one()
        link = f"/en/s/{SLUG}/i/{invitations.token_of(invitation)}"
    page = text_of(client.get(f"/en/s/{SLUG}"))
    assert 'id="sign-form"' not in page and "signed by personal invitation only" in page
    assert "Listed Early" in page  # the statement and its list stay public
    refused = _sign(client, "someone@outside.example")
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Signature.id).where(Signature.name == "Outside Group")) is None
    signed = client.post(link, data={"csrf_token": csrf_token(client, link), "answer": "sign",
                                     "name": "Invited Group", "signer_name": "Ines", "country": "FR",
                                     "visibility": "full", "authorised": "y"})
    assert signed.status_code == 303
    with app.app_context():
        state = db.session.scalar(select(Signature.state).where(Signature.name == "Invited Group"))
        assert state == "confirmed"


def test_allowed_domains_sign_through_the_public_form(app, client, people):
    sid = add_statement(app, SLUG, people.owner)
    with app.app_context():
        access.set_access(sid, True, "@Members.example  partners.example", Actor(people.owner, "Olga Owner"))
    page = text_of(client.get(f"/en/s/{SLUG}"))
    assert 'id="sign-form"' in page and "members.example, partners.example" in page
    outside = _sign(client, "someone@outside.example")
    assert outside.status_code == 422 and "Only addresses at these domains may sign" in text_of(outside)
    lookalike = _sign(client, "someone@evilmembers.example")
    assert lookalike.status_code == 422
    assert _sign(client, "desk@news.members.example").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Signature.email).where(Signature.name == "Outside Group")) == (
            "desk@news.members.example")


def test_the_switch_is_for_the_statements_coordinators_and_audited(app, client, auth, people):
    sid = add_statement(app, SLUG, people.owner)
    auth.login()
    board = f"/manage/statements/{sid}/invitations"
    bad = auth.post(f"{board}/access", {"invite_only": "y", "domains": "not a domain!"}, page=board,
                    follow_redirects=True)
    assert "is not an email domain." in text_of(bad)
    auth.post(f"{board}/access", {"invite_only": "y", "domains": "members.example"}, page=board)
    assert 'id="sign-form"' in text_of(client.get(f"/en/s/{SLUG}"))
    auth.post(f"{board}/access", {"invite_only": "y", "domains": ""}, page=board)
    assert 'id="sign-form"' not in text_of(client.get(f"/en/s/{SLUG}"))
    with app.app_context():
        changes = db.session.scalars(select(ModerationEvent.after_text).where(
            ModerationEvent.action == "access_changed")).all()
    assert changes == ["True members.example", "True"]
    auth.logout()
    auth.login("other@example.org")
    assert auth.post(f"{board}/access", {"domains": ""}, page="/manage/").status_code == 404
