"""Password recovery: changing one's own password, and single-use reset links.

A change needs the current password and ends every other session. A reset link is issued
by an administrator (emailed to the account) or printed by ``flask coordinators reset``;
it works once, expires, is stored only as a hash, and both ends are in the audit log.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from conftest import outbox_bodies
from manage_fixtures import FAST_ARGON2, PASSWORD, AuthActions, errors_of, text_of, token_in
from sqlalchemy import select, update

from portal.accounts import coordinators as accounts
from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import ModerationEvent, OutboxMail, utcnow
from portal.models.accounts import PasswordReset

NEW = "a brand new long password"


def change(auth: AuthActions, current: str, password: str = NEW, again: str | None = None, htmx=False):
    return auth.post("/manage/password", {"current": current, "password": password,
                                          "again": password if again is None else again},
                     page="/manage/password", htmx=htmx)


def actions(app) -> list[tuple[str | None, str, str]]:
    with app.app_context():
        return [(e.actor_label, e.action, e.detail) for e in db.session.scalars(
            select(ModerationEvent).where(ModerationEvent.action.like("password%")).order_by(ModerationEvent.id))]


@pytest.mark.parametrize("current, password, again, field, message", [
    ("wrong current password", NEW, NEW, "current", "The current password is wrong."),
    (PASSWORD, "short", "short", "password", "Use between 12 and 1024 characters."),
    (PASSWORD, NEW, NEW + "x", "again", "The two passwords differ."),
    (PASSWORD, PASSWORD, PASSWORD, "password", "Choose a password different from the current one."),
    ("", NEW, NEW, "current", "Enter your current password."),
])
def test_an_invalid_change_is_422_with_the_field_marked(app, client, auth, current, password, again, field,
                                                         message):
    auth.login()
    for htmx in (False, True):
        response = change(auth, current, password, again, htmx=htmx)
        html = text_of(response)
        assert response.status_code == 422 and message in errors_of(html)
        assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
        assert ('<form id="change-password"' in html) and (("<html" in html) != htmx)
    assert AuthActions(app.test_client()).login().status_code == 303  # the password did not change
    assert actions(app) == []


def test_a_change_ends_every_other_session_and_keeps_this_one(app, client, auth, people):
    auth.login()
    elsewhere = AuthActions(app.test_client())
    assert elsewhere.login().status_code == 303
    page = client.get("/manage/password")
    assert page.status_code == 200 and 'autocomplete="current-password"' in text_of(page)
    before = client.get_cookie("session").value
    done = change(auth, PASSWORD)
    assert done.status_code == 303 and done.headers["Location"] == "/manage/"
    assert client.get_cookie("session").value != before  # this session goes on, under a new id
    assert client.get("/manage/").status_code == 200
    assert elsewhere.client.get("/manage/").status_code == 302  # the other one has ended
    assert AuthActions(app.test_client()).login().status_code == 422
    assert AuthActions(app.test_client()).login(password=NEW).status_code == 303
    assert actions(app) == [("Olga Owner", "password_changed", f"Olga Owner (#{people.owner})")]


def test_htmx_change_redirects_the_whole_page(client, auth):
    auth.login()
    done = change(auth, PASSWORD, htmx=True)
    assert done.status_code == 200 and done.headers["HX-Redirect"] == "/manage/"


def reset_link(app) -> str:
    return re.search(r"http://localhost(/manage/reset/\S+)", outbox_bodies(app)[-1]).group(1)


def test_an_administrator_emails_a_single_use_reset_link(app, client, auth, people):
    owner = AuthActions(app.test_client())
    assert owner.login().status_code == 303
    auth.login("admin@example.org")
    page = text_of(client.get("/manage/coordinators"))
    assert f'action="/manage/coordinators/{people.owner}/reset"' in page
    assert f'action="/manage/coordinators/{people.admin}/reset"' not in page  # one's own: the password page
    sent = auth.post(f"/manage/coordinators/{people.owner}/reset", page="/manage/coordinators")
    assert sent.status_code == 303 and sent.headers["Location"] == "/manage/coordinators"
    listing = text_of(client.get("/manage/coordinators"))
    assert "A password reset link was emailed to owner@example.org" in listing
    with app.app_context():
        mail = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
        assert mail.to_addr == "owner@example.org" and mail.subject == "Choose a new password for Undersigned"
    link = reset_link(app)
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        [row] = db.session.scalars(select(PasswordReset)).all()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and len(token) >= 43
        assert row.issued_by == people.admin and row.used_at is None
        assert timedelta(hours=23, minutes=59) < row.expires_at.replace(tzinfo=None) - \
            utcnow().replace(tzinfo=None) <= timedelta(hours=24)

    stranger = app.test_client()
    form = stranger.get(link)
    assert form.status_code == 200 and form.headers["Referrer-Policy"] == "no-referrer"
    assert "owner@example.org" in text_of(form) and 'autocomplete="new-password"' in text_of(form)
    csrf = token_in(text_of(form))
    short = stranger.post(link, data={"password": "short", "again": "short", "csrf_token": csrf})
    assert short.status_code == 422 and 'id="password-error"' in text_of(short)
    done = stranger.post(link, data={"password": NEW, "again": NEW, "csrf_token": csrf})
    assert done.status_code == 303 and stranger.get("/manage/").status_code == 200
    assert stranger.get(link).status_code == 404  # used once
    fresh = token_in(text_of(stranger.get("/manage/")))  # the login issued a new session and CSRF secret
    assert stranger.post(link, data={"password": NEW + "!", "again": NEW + "!", "csrf_token": fresh}
                         ).status_code == 404
    assert owner.client.get("/manage/").status_code == 302  # the owner's old session has ended
    assert AuthActions(app.test_client()).login(password=NEW).status_code == 303
    assert actions(app) == [("Ada Admin", "password_reset_issued", f"Olga Owner (#{people.owner}), emailed"),
                            ("Olga Owner", "password_reset_used", f"Olga Owner (#{people.owner})")]


def test_only_administrators_issue_links_and_not_for_themselves(app, client, auth, people):
    auth.login()
    assert auth.post(f"/manage/coordinators/{people.other}/reset", page="/manage/").status_code == 403
    auth.logout()
    auth.login("admin@example.org")
    own = auth.post(f"/manage/coordinators/{people.admin}/reset", page="/manage/coordinators")
    assert own.status_code == 303
    assert "You cannot change this account." in text_of(client.get("/manage/coordinators"))
    refused = auth.post("/manage/coordinators/999999/reset", page="/manage/coordinators")
    assert refused.status_code == 303
    for beyond in (2**31, 10**12):  # past the id column's range: the route itself is not found
        beyond_range = auth.post(f"/manage/coordinators/{beyond}/reset", page="/manage/coordinators")
        assert beyond_range.status_code == 404
    with app.app_context():
        assert db.session.scalars(select(PasswordReset)).all() == []


def issue(app, coordinator_id: int) -> str:
    with app.app_context():
        return accounts.issue_reset(coordinator_id, Actor(None, "test")).split("localhost", 1)[1]


def test_links_expire_and_a_new_one_ends_the_old(app, people):
    first = issue(app, people.owner)
    second = issue(app, people.owner)
    client = app.test_client()
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    with app.app_context():
        db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(second).status_code == 404
    with app.app_context():
        assert accounts.purge_resets() == 1


def test_a_link_for_a_suspended_account_does_nothing(app, people):
    link = issue(app, people.owner)
    with app.app_context():
        accounts.set_active(people.owner, False)
        with pytest.raises(accounts.AccountError):
            accounts.reset_password(link.rsplit("/", 1)[1], NEW)
    assert app.test_client().get(link).status_code == 404


@pytest.mark.parametrize("token", ["x", "A" * 43, "é" * 10, "a" * 5000])
def test_made_up_tokens_are_404(app, people, token):
    issue(app, people.owner)
    assert app.test_client().get(f"/manage/reset/{token}").status_code == 404


def test_the_cli_prints_a_reset_link(app, runner, people):
    app.config.update(FAST_ARGON2)
    result = runner.invoke(args=["coordinators", "reset", "OWNER@example.org"])
    assert result.exit_code == 0, result.output
    link = re.search(r"http://localhost(/manage/reset/\S+)", result.output).group(1)
    client = app.test_client()
    csrf = token_in(text_of(client.get(link)))
    assert client.post(link, data={"password": NEW, "again": NEW, "csrf_token": csrf}).status_code == 303
    assert actions(app)[0][:2] == ("cli", "password_reset_issued")
    missing = runner.invoke(args=["coordinators", "reset", "nobody@example.org"])
    assert missing.exit_code == 1 and "no account with the email" in missing.output
    with app.app_context():
        assert db.session.scalars(select(OutboxMail)).all() == []  # printed, not emailed
