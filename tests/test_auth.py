"""Workspace accounts: login, session rotation and timeouts, rehashing, throttling, invitations."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from conftest import fresh_schema, make_app, outbox_bodies
from manage_fixtures import FAST_ARGON2, PASSWORD, AuthActions, make_people, token_in
from sqlalchemy import select

from portal.extensions import db, limiter
from portal.models import Coordinator


def test_anonymous_is_sent_to_login_and_back(client, auth):
    response = client.get("/manage/moderation?state=all")
    assert response.status_code == 302
    assert response.headers["Location"] == "/manage/login?next=/manage/moderation?state%3Dall"
    token = auth.token()
    back = client.post("/manage/login?next=/manage/moderation?state%3Dall",
                       data={"email": "owner@example.org", "password": PASSWORD, "csrf_token": token})
    assert back.status_code == 303 and back.headers["Location"] == "/manage/moderation?state=all"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(client, auth, target):
    token = auth.token()
    response = client.post("/manage/login", query_string={"next": target},
                           data={"email": "owner@example.org", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/manage/"


@pytest.mark.parametrize("email, password", [
    ("owner@example.org", "wrong password entirely"),
    ("nobody@example.org", PASSWORD),
    ("", ""),
])
def test_wrong_login_is_422_with_one_message(client, auth, email, password):
    response = auth.login(email, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The email or the password is wrong." in html or 'class="error"' in html
    assert client.get("/manage/").status_code == 302


def test_email_is_case_insensitive_and_pages_are_not_stored(client, auth):
    assert auth.login("OWNER@Example.org").status_code == 303
    page = client.get("/manage/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert 'hx-history="false"' in page.get_data(as_text=True)
    assert "manage.css" in page.get_data(as_text=True)
    assert "manage.css" not in client.get("/en/").get_data(as_text=True)


def test_session_is_rotated_at_login_and_cleared_at_logout(client, auth):
    token = auth.token()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before login"
        before = dict(session)
    auth.client.post("/manage/login", data={"email": "owner@example.org", "password": PASSWORD,
                                            "csrf_token": token})
    with client.session_transaction() as session:
        after = dict(session)
    assert "planted" not in after and after.get("coordinator_id")
    assert after["sid"] != before.get("sid") and after.get("csrf_token") != before.get("csrf_token")
    assert auth.logout().status_code == 303
    with client.session_transaction() as session:
        assert "coordinator_id" not in session and "sid" not in session
    assert client.get("/manage/").status_code == 302


def test_a_copied_session_cookie_dies_at_logout(app, client, auth):
    """Someone who copied the cookie (a shared computer, a stolen backup) is out as soon as
    the coordinator logs out, not at the idle timeout; logging in again works."""
    auth.login()
    cookie = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/manage/").status_code == 200  # the copy works while the session lives
    assert auth.logout().status_code == 303
    assert thief.get("/manage/").status_code == 302
    assert auth.login().status_code == 303 and client.get("/manage/").status_code == 200
    thief.set_cookie("session", cookie)  # the old cookie stays dead after the new login
    assert thief.get("/manage/").status_code == 302


@pytest.mark.parametrize("key, age", [("seen_at", 61 * 60), ("login_at", 13 * 3600)],
                         ids=["idle", "absolute"])
def test_idle_and_absolute_timeouts(client, auth, key, age):
    auth.login()
    assert client.get("/manage/").status_code == 200
    with client.session_transaction() as session:
        session[key] -= age
        if key == "login_at":
            session["seen_at"] -= 10  # still active, but logged in too long ago
    assert client.get("/manage/").status_code == 302
    with client.session_transaction() as session:
        assert "coordinator_id" not in session


def test_password_change_ends_other_sessions(app, client, auth):
    from portal.accounts.coordinators import set_password

    auth.login()
    with app.app_context():
        owner = db.session.scalar(select(Coordinator).where(Coordinator.email == "owner@example.org"))
        set_password(owner.id, "another long password")
    assert client.get("/manage/").status_code == 302


def test_suspended_account_cannot_log_in(app, client, auth, people):
    from portal.accounts.coordinators import set_active

    with app.app_context():
        set_active(people.owner, False)
    assert auth.login().status_code == 422


def test_hash_is_upgraded_when_parameters_change(app, client, auth):
    def stored() -> str:
        with app.app_context():
            return db.session.scalar(select(Coordinator.password_hash)
                                     .where(Coordinator.email == "owner@example.org"))

    old = stored()
    assert old.startswith("$argon2id$") and ",t=1," in old
    app.config["ARGON2_TIME_COST"] = 2
    assert auth.login().status_code == 303
    new = stored()
    assert new != old and ",t=2," in new
    assert PasswordHasher().verify(new, PASSWORD)
    auth.logout()
    assert auth.login().status_code == 303 and stored() == new  # no rehash when current


@pytest.fixture
def limited(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance", RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3/minute",
                   LOGIN_CLIENT_RATE_LIMIT="6/minute", **FAST_ARGON2)
    with fresh_schema(app, database_url):
        make_people(app)
        with app.app_context():
            limiter.reset()  # PostgreSQL keeps its counters table between tests
        yield app


def from_address(app, address: str) -> AuthActions:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return AuthActions(client)


def test_login_is_throttled_per_client_before_hashing(limited, monkeypatch):
    calls = []
    real = PasswordHasher.verify

    def counting(self, hash, password):  # a spy: the real verification still runs
        calls.append(1)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    actions = AuthActions(limited.test_client())
    codes = [actions.login(f"guess{i}@example.org", "wrong guess number").status_code for i in range(6)]
    assert codes == [422] * 6 and len(calls) == 6
    blocked = actions.login("owner@example.org", PASSWORD)
    assert blocked.status_code == 429 and len(calls) == 6
    assert actions.client.get("/manage/").status_code == 302


def test_wrong_passwords_from_other_clients_never_lock_the_owner_out(limited):
    """Five clients each spend their three tries on the owner's account and are then refused,
    even with the right password; the owner, from a client of their own, logs in at once."""
    for i in range(5):
        guesser = from_address(limited, f"192.0.2.{i + 1}")
        assert [guesser.login("owner@example.org", f"wrong password {n}").status_code
                for n in range(3)] == [422, 422, 422]
        assert guesser.login("owner@example.org", PASSWORD).status_code == 429  # per (account, client)
    owner = from_address(limited, "198.51.100.7")
    assert owner.login("OWNER@example.org ", PASSWORD).status_code == 303
    assert owner.client.get("/manage/").status_code == 200


def test_an_ipv6_client_is_its_whole_64(limited):
    for i in range(3):
        assert from_address(limited, f"2001:db8:5:6::{i + 1:x}").login(
            "owner@example.org", "wrong password here").status_code == 422
    assert from_address(limited, "2001:db8:5:6:ffff::9").login().status_code == 429  # the same /64
    assert from_address(limited, "2001:db8:5:7::1").login().status_code == 303


def test_the_account_wide_ceiling_counts_failures_and_spares_known_browsers(limited):
    limited.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "4/hour"
    usual = from_address(limited, "203.0.113.1")  # the owner's own browser, which has logged in before
    for i in range(5):  # successes never count against the ceiling
        helper = usual if i == 0 else from_address(limited, f"203.0.113.{i + 10}")
        assert helper.login().status_code == 303 and helper.logout().status_code == 303
    for i in range(4):  # a distributed guesser: one wrong password from each of four addresses
        assert from_address(limited, f"192.0.2.{i + 1}").login(
            "owner@example.org", "wrong password here").status_code == 422
    assert from_address(limited, "198.51.100.9").login().status_code == 429  # a new browser waits
    assert usual.login().status_code == 303  # the owner's usual browser does not
    other = AuthActions(usual.client).login("other@example.org", "wrong password here")
    assert other.status_code == 422  # the ceiling of another account is its own
    device = usual.client.get_cookie("device", path="/manage/").value
    assert "owner" not in device and "@" not in device and len(device) < 60


def test_changing_the_password_is_throttled_too(limited):
    owner = from_address(limited, "203.0.113.20")
    assert owner.login().status_code == 303
    new = {"password": "a new long password", "again": "a new long password"}
    tries = [owner.post("/manage/password", {"current": f"wrong guess {n}", **new}, page="/manage/password")
             .status_code for n in range(4)]
    assert tries == [422, 422, 422, 429]


def test_admin_invites_a_coordinator_who_sets_a_password(app, client, auth):
    auth.login("admin@example.org")
    sent = auth.post("/manage/coordinators/invite", {"email": "new@example.org", "name": "Nia New"},
                     page="/manage/coordinators")
    assert sent.status_code == 303
    body = outbox_bodies(app)[-1]
    assert body.startswith("Ada Admin invites you")  # a Latin name in English needs no isolation marks
    link = re.search(r"http://localhost(/manage/invitation/\S+)", body).group(1)
    auth.logout()
    invitee = app.test_client()
    assert AuthActions(invitee).login("new@example.org", "").status_code == 422
    page = invitee.get(link)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    token = token_in(page.get_data(as_text=True))
    short = invitee.post(link, data={"password": "short", "again": "short", "csrf_token": token})
    assert short.status_code == 422 and 'aria-describedby="password-error"' in short.get_data(as_text=True)
    done = invitee.post(link, data={"password": "a fine long password", "again": "a fine long password",
                                    "csrf_token": token})
    assert done.status_code == 303 and invitee.get("/manage/").status_code == 200
    assert invitee.get(link).status_code == 404  # used once


def test_only_administrators_invite(client, auth):
    auth.login()
    assert client.get("/manage/coordinators").status_code == 403
    assert auth.post("/manage/coordinators/invite", {"email": "x@example.org", "name": "X"},
                     page="/manage/").status_code == 403


def test_cli_creates_an_account(app, runner):
    app.config.update(FAST_ARGON2)
    result = runner.invoke(args=["coordinators", "create", "cli@example.org", "--name", "Cli",
                                 "--password", "a long cli password"])
    assert result.exit_code == 0, result.output
    assert AuthActions(app.test_client()).login("cli@example.org", "a long cli password").status_code == 303


def test_cli_refuses_a_short_password_or_a_taken_email_clearly(app, runner, people):
    short = runner.invoke(args=["coordinators", "create", "x@example.org", "--password", "short"])
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    taken = runner.invoke(args=["coordinators", "create", "owner@example.org", "--password", "long enough!"])
    assert taken.exit_code == 1 and "exists" in taken.output
