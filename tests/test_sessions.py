"""The session cookie is an opaque random id; the session's data lives in the database.

Flask's default cookie is base64 JSON that anyone holding it can read (the coordinator's
id, the CSRF secret). These tests decode the cookie every way it could be encoded and find
nothing, and check that the rules built on the session (rotation at login, logout, idle
time, expiry) hold with the data on the server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from datetime import timedelta

from manage_fixtures import PASSWORD, AuthActions
from sqlalchemy import select, update

from portal.accounts import sessions as session_store
from portal.extensions import db
from portal.models import Coordinator, utcnow
from portal.models.accounts import WebSession


def rows(app) -> list[WebSession]:
    with app.app_context():
        found = list(db.session.scalars(select(WebSession)))
        db.session.expunge_all()
        return found


def readable(value: str) -> list[str]:
    """Everything a cookie value could decode to: itself, base64 (either alphabet), zlib."""
    found = [value]
    for part in re.split(r"[.]", value.lstrip(".")):
        padded = part + "=" * (-len(part) % 4)
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            try:
                raw = decode(padded)
            except (binascii.Error, ValueError):
                continue
            found.append(raw.decode("latin-1"))
            try:
                found.append(zlib.decompress(raw).decode("latin-1"))
            except zlib.error:
                pass
    return found


def test_the_cookie_holds_nothing_readable(app, client, auth, people):
    assert auth.login().status_code == 303
    page = client.get("/manage/")  # the page puts the CSRF secret in the session
    assert page.status_code == 200 and "Olga Owner" in page.get_data(as_text=True)
    cookie = client.get_cookie("session").value
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie)  # 256 random bits, nothing else
    [row] = rows(app)
    data = json.loads(row.data)
    assert data["coordinator_id"] == people.owner and len(data["csrf_token"]) >= 32
    with app.app_context():
        fingerprint = db.session.get(Coordinator, people.owner).password_hash[-12:]
    held = ["coordinator_id", "csrf", "owner@example.org", "Olga", "epoch", "login_at", fingerprint,
            *(str(value) for value in data.values() if len(str(value)) >= 6)]
    for text in readable(cookie):
        for secret in held:
            assert secret not in text
    assert row.id_hash == hashlib.sha256(cookie.encode()).hexdigest()  # the table holds no cookie
    assert cookie not in row.data


def test_public_pages_set_no_cookie_and_store_no_session(app, client, make_statement):
    make_statement("open-statement")
    for url in ("/en/", "/en/s/open-statement", "/en/s/open-statement/count", "/api/v1/statements"):
        response = client.get(url)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers, url
    assert rows(app) == []


def test_login_issues_a_new_id_and_the_planted_one_dies(app, client, auth):
    planted = auth.token() and client.get_cookie("session").value  # an anonymous session: its CSRF
    attacker = app.test_client()
    attacker.set_cookie("session", planted)  # fixation: the attacker knows this id
    assert auth.login().status_code == 303
    fresh = client.get_cookie("session").value
    assert fresh != planted and len(rows(app)) == 1
    assert attacker.get("/manage/").status_code == 302


def test_logout_deletes_the_row_and_the_cookie(app, client, auth):
    auth.login()
    before = client.get_cookie("session").value
    assert len(rows(app)) == 1
    assert auth.logout().status_code == 303
    hashed = hashlib.sha256(before.encode()).hexdigest()
    assert all(r.id_hash != hashed and "coordinator_id" not in r.data for r in rows(app))
    assert client.get("/manage/").status_code == 302


def test_a_bogus_or_expired_cookie_is_anonymous_and_cleared(app, client, auth):
    for bogus in ("x", "A" * 43, "é" * 30, "a.b.c" * 20):
        client.set_cookie("session", bogus)
        response = client.get("/manage/")
        assert response.status_code == 302
        assert "session=;" in response.headers.get("Set-Cookie", "")  # told to forget it
    auth.login()
    with app.app_context():
        db.session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get("/manage/").status_code == 302
    with app.app_context():
        assert session_store.purge() == 1
    assert rows(app) == []


def test_rows_live_as_long_as_the_longest_rule_and_anonymous_ones_an_hour(app, client, auth):
    def lives() -> timedelta:
        [row] = rows(app)
        return row.expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)

    auth.token()  # the login page: an anonymous session holding its CSRF secret
    assert timedelta(minutes=59) < lives() <= timedelta(hours=1)
    auth.login()
    assert timedelta(hours=11, minutes=59) < lives() <= timedelta(hours=12)


def test_a_second_browser_keeps_its_own_session(app, people):
    first, second = AuthActions(app.test_client()), AuthActions(app.test_client())
    assert first.login().status_code == 303 and second.login("admin@example.org", PASSWORD).status_code == 303
    assert "Olga Owner" in first.client.get("/manage/").get_data(as_text=True)
    assert "Ada Admin" in second.client.get("/manage/").get_data(as_text=True)
    assert len(rows(app)) == 2
