"""Every unsafe route, found by walking ``app.url_map``: no token or a wrong one is refused,
the token htmx sends in its header is accepted.

The public sign form carries a stateless form token (the statement page is cached and sets
no cookie); every other form carries Flask-WTF's session token.
"""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token
from sqlalchemy import select

from portal import tokens
from portal.abuse import blocklist
from portal.accounts import coordinators as accounts
from portal.extensions import db
from portal.models import Coordinator, Signature, Statement, statement_coordinators
from portal.signatures.signing import SignRequest, sign

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PASSWORD = "correct horse battery staple"
SLUG = "free-the-reporters"


@pytest.fixture
def database_url(tmp_path):
    """CSRF does not depend on the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'portal.sqlite3'}"


@pytest.fixture
def world(app, make_statement):
    """A statement with a signature, a block rule, an administrator and a coordinator."""
    app.config.update(ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=1024, ARGON2_PARALLELISM=1)
    sid = make_statement()
    with app.app_context():
        admin = accounts.create_coordinator("admin@portal.example", "Admin", PASSWORD, admin=True)
        other = accounts.create_coordinator("other@portal.example", "Other", PASSWORD)
        db.session.execute(statement_coordinators.insert().values(statement_id=sid, coordinator_id=admin.id))
        db.session.commit()
        with app.test_request_context():
            sign(SignRequest(statement_id=sid, kind="organisation", name="Signer", country="FR",
                             email="signer@example.org", lang="en", signer_name="S", authorised=True))
            signature = db.session.scalars(select(Signature)).one()
            rule = blocklist.add_rule("domain", "spam.example")
            values = {"statement_id": sid, "signature_id": signature.id, "rule_id": rule.id,
                      "coordinator_id": other.id, "lang": "en", "slug": SLUG, "fmt": "csv",
                      "token": tokens.make("confirm", signature.uid)}
    return values


# RFC 8058's one-click unsubscribe: a mail client posts it with no page and no session; the
# link's own MAC is its secret, and stopping updates is all it can do (tests/test_record_updates.py).
TOKEN_ONLY = {"record.unsubscribe"}


def unsafe_routes(app) -> list[tuple[str, str, str]]:
    found = []
    assert TOKEN_ONLY <= {rule.endpoint for rule in app.url_map.iter_rules()}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in TOKEN_ONLY:
            continue
        for method in sorted(rule.methods & UNSAFE):
            found.append((rule.endpoint, method, rule.rule))
    # Logging out ends the session the other requests use: last.
    return sorted(found, key=lambda item: item[0] == "manage.logout")


def url_for_rule(app, endpoint: str, values: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    args = {}
    for name in rule.arguments:
        if name == "token" and endpoint == "signatures.withdraw":
            with app.test_request_context():
                args[name] = tokens.make("withdraw", values["token"].rpartition(".")[0])
        else:
            args[name] = values.get(name, 1)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **args)


def refused(response) -> bool:
    """A CSRF refusal: 400 or 403 with the expired-form message (or the cross-site refusal)."""
    body = response.get_data(as_text=True)
    return response.status_code in (400, 403) and ("expired" in body or response.status_code == 403)


def log_in(client) -> str:
    token = csrf_token(client, "/manage/login")
    assert client.post("/manage/login", data={"email": "admin@portal.example", "password": PASSWORD,
                                              "csrf_token": token}).status_code == 303
    html = client.get("/manage/").get_data(as_text=True)
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def test_walk_finds_the_known_unsafe_routes(app):
    endpoints = {endpoint for endpoint, _method, _rule in unsafe_routes(app)}
    assert {"statements.sign", "signatures.confirm", "signatures.withdraw", "manage.login",
            "manage.add_rule", "manage.invalidate"} <= endpoints


def test_every_unsafe_route_refuses_missing_and_wrong_tokens(app, client, world):
    session_token = log_in(client)
    checked = 0
    for endpoint, method, _rule in unsafe_routes(app):
        url = url_for_rule(app, endpoint, world)
        missing = client.open(url, method=method, data={"name": "Kept across the refusal"})
        wrong = client.open(url, method=method, data={"csrf_token": "forged-" + session_token[:20]},
                            headers={"X-CSRFToken": "forged"})
        stale = client.open(url, method=method, headers={"X-CSRFToken": "1.AAAAAAAAAAAAAAAAAAAAAAAA"})
        assert refused(missing), f"{method} {url} accepted a request without a token"
        assert refused(wrong), f"{method} {url} accepted a wrong token"
        assert refused(stale), f"{method} {url} accepted a made-up token"
        checked += 1
    assert checked == len(unsafe_routes(app)) >= 20


def test_every_unsafe_route_accepts_the_htmx_header_token(app, client, world):
    session_token = log_in(client)
    with app.test_request_context():
        form_token = tokens.form_token(SLUG)
    for endpoint, method, _rule in unsafe_routes(app):
        url = url_for_rule(app, endpoint, world)
        token = form_token if endpoint == "statements.sign" else session_token
        response = client.open(url, method=method, data={},
                               headers={"HX-Request": "true", "X-CSRFToken": token})
        assert not refused(response), f"{method} {url} refused the header token ({response.status_code})"


def test_an_expired_sign_form_keeps_what_was_typed(client, world):
    response = client.post(f"/en/s/{SLUG}/sign", data={"name": "Kept Organisation", "email": "k@x.example",
                                                       "csrf_token": "1.expired"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "expired" in html
    assert 'value="Kept Organisation"' in html and 'value="k@x.example"' in html


def test_cross_site_sign_is_refused_even_with_a_valid_token(app, client, world):
    with app.test_request_context():
        form_token = tokens.form_token(SLUG)
    response = client.post(f"/en/s/{SLUG}/sign", data={"csrf_token": form_token},
                           headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
    assert response.status_code == 403
    with client.application.app_context():
        assert db.session.scalar(select(Statement.count_total)) == 0
        assert db.session.scalars(select(Coordinator)).all()
