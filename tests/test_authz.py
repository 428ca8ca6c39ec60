"""The authorisation matrix: every /manage route × anonymous, another coordinator, owner, admin.

Routes come from ``app.url_map``, so a new route is walked without editing this file; a route
whose arguments this file cannot fill fails loudly. Only allowed cases may get a 2xx; the others
get a 302 to login, a 403 or a 404, and no page shows another statement's data.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import BACKENDS, fresh_schema, make_app
from manage_fixtures import FAST_ARGON2, AuthActions, add_signature, add_statement, make_people
from sqlalchemy import select

from portal.abuse import blocklist
from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import ModerationEvent

PUBLIC = {"manage.login", "manage.logout", "manage.invitation", "manage.reset", "manage.second_step",
          "manage.passkey_login_options", "manage.passkey_login", "manage.language"}
ADMIN = {"manage.coordinators", "manage.invite", "manage.set_active", "manage.issue_reset",
         "manage.site_settings", "manage.safety", "manage.set_contact_key", "manage.crackdown_switch",
         "manage.require_second_factor", "manage.reset_factors"}
# Public routes whose made-up token is answered 404, for every role alike.
TOKENED = {"manage.invitation", "manage.reset"}
# Routes that name the statement in a form field ("statement") rather than in the path.
FORM_SCOPED = {("manage.add_rule", "POST"), ("manage.invalidate", "POST")}
ROLES = ("anonymous", "other", "owner", "admin")
OWNER_MARKERS = ("owner-statement", "Owner Visible Org", "owner-sig@owner-org.example")
OTHER_MARKERS = ("other-secret-statement", "Other Secret Org", "secret@other-org.example")


def _routes() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(f"sqlite:///{tmp}/routes.sqlite3", Path(tmp) / "instance")
        rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/manage")]
        with app.app_context():
            db.engine.dispose()
    cases = []
    for rule in sorted(rules, key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            cases.append((rule.endpoint, method, rule.rule))
    return cases


ROUTES = _routes()


@dataclass
class World:
    app: object
    ids: dict
    cookies: dict


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("authz")
    url = f"sqlite:///{tmp / 'portal.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue(
        "pg_url")
    with fresh_schema(make_app(url, tmp / "instance", WTF_CSRF_ENABLED=False, **FAST_ARGON2)) as app:
        yield from _world(app)


def _world(app):
    people = make_people(app)
    mine = add_statement(app, "owner-statement", people.owner, state="collecting")
    theirs = add_statement(app, "other-secret-statement", people.other, state="collecting")
    ids = {
        "statement_id": mine, "theirs": theirs, "coordinator_id": people.other,
        "signature_id": add_signature(app, mine, "Owner Visible Org", "owner-sig@owner-org.example"),
        "their_signature": add_signature(app, theirs, "Other Secret Org", "secret@other-org.example"),
        "people": people,
    }
    yield World(app, ids, _log_in_everyone(app))


def _log_in_everyone(app) -> dict:
    """A session cookie per role (logging out ends every session of that account)."""
    cookies = {}
    for role, email in (("other", "other@example.org"), ("owner", "owner@example.org"),
                        ("admin", "admin@example.org")):
        client = app.test_client()
        assert AuthActions(client).login(email).status_code == 303
        cookies[role] = client.get_cookie("session").value
    return cookies


VALUES = {"lang": "fr", "fmt": "csv", "token": "not-a-real-invitation-token", "factor_id": "99999",
          "to": "archived"}
# Routes that end another account's sessions: every role logs in again after them.
ENDS_SESSIONS = {"manage.logout", "manage.reset_factors"}


def _url(world: World, rule: str) -> str:
    url = rule
    for name, value in {**VALUES, **{k: str(v) for k, v in world.ids.items() if k != "people"}}.items():
        url = url.replace(f"<int:{name}>", value).replace(f"<{name}>", value)
    assert "<" not in url, f"the matrix cannot fill the arguments of {rule}: add them to VALUES"
    return url


def _form(world: World) -> dict:
    return {"statement": str(world.ids["statement_id"]), "kind": "domain", "value": "spam.example",
            "domain": "spam.example", "to": "published", "paused": "1", "published": "1", "active": "1",
            "action": "approve",
            "ids": [str(world.ids["signature_id"])], "issued": "forged", "reason": "matrix",
            "email": "someone@example.org", "name": "Matrix Name", "title": "Matrix title",
            "body_md": "Matrix body", "slug": "matrix-made", "original_lang": "en", "moderation": "pre",
            "time_zone": "UTC", "allow_organisations": "y", "password": "a long enough password",
            "again": "a long enough password"}


def _client(world: World, role: str):
    client = world.app.test_client()
    if role != "anonymous":
        client.set_cookie("session", world.cookies[role])
    return client


def _allowed(endpoint: str, role: str) -> bool:
    if endpoint in PUBLIC:
        return True
    if role == "anonymous":
        return False
    if endpoint in ADMIN:
        return role == "admin"
    return True  # statement-scoped routes are filled with the owner's statement


def _fresh_rule(world: World) -> None:
    """A block rule on the owner's statement, new for each request (deleting it is a route)."""

    with world.app.app_context():
        world.ids["rule_id"] = blocklist.add_rule("domain", f"r{len(world.cookies)}-{id(object())}.example",
                                              world.ids["statement_id"]).id


@pytest.mark.parametrize("endpoint, method, rule", ROUTES, ids=[f"{m} {r}" for _e, m, r in ROUTES])
def test_route(world, endpoint, method, rule):
    scoped = ("<int:statement_id>" in rule or "<int:signature_id>" in rule or "<int:rule_id>" in rule
              or (endpoint, method) in FORM_SCOPED)
    for role in ROLES:
        if "<int:rule_id>" in rule:
            _fresh_rule(world)
        url = _url(world, rule)
        client = _client(world, role)
        response = client.open(url, method=method, data=_form(world) if method == "POST" else None)
        status, body = response.status_code, response.get_data(as_text=True)
        where = f"{role} {method} {url} -> {status}"
        allowed = _allowed(endpoint, role) and not (scoped and role == "other")
        if allowed:
            assert status < 500, where
            assert status not in (401, 403, 404) or endpoint in TOKENED, where
            if status in (301, 302, 303):
                assert "/manage/login?next" not in response.headers["Location"], where
        else:
            if role == "anonymous":
                assert status == 302 and response.headers["Location"].startswith("/manage/login?next="), where
            else:
                assert status in (403, 404), where
        if role != "admin":
            hidden = OTHER_MARKERS if role == "owner" else OWNER_MARKERS if role == "other" else (
                OWNER_MARKERS + OTHER_MARKERS)
            if endpoint == "manage.home" and role == "other":
                hidden = OWNER_MARKERS
            for marker in hidden:
                assert marker not in body, f"{where} leaks {marker!r}"
    if endpoint in ENDS_SESSIONS:
        world.cookies.update(_log_in_everyone(world.app))
    with world.app.app_context():
        foreign = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.actor_id == world.ids["people"].other,
            ModerationEvent.statement_id == world.ids["statement_id"])).all()
        assert foreign == [], "another coordinator changed the owner's statement"


@pytest.mark.parametrize("url", [
    "/manage/audit?statement={statement_id}", "/manage/audit?statement=owner-statement",
    "/manage/statements/{statement_id}/moderation?state=all",
])
def test_query_arguments_do_not_open_other_statements(world, url):
    url = url.format(**world.ids)
    assert _client(world, "other").get(url).status_code == 404
    assert _client(world, "owner").get(url).status_code == 200


def test_queue_and_audit_show_only_managed_statements(world):
    for url in ("/manage/moderation?state=all", "/manage/audit", "/manage/"):
        body = _client(world, "other").get(url).get_data(as_text=True)
        assert "Other Secret Org" in body or "other-secret-statement" in body or url == "/manage/audit"
        assert not any(marker in body for marker in OWNER_MARKERS), url
        admin = _client(world, "admin").get(url).get_data(as_text=True)
        assert "owner-statement" in admin or "Owner Visible Org" in admin or url == "/manage/audit"


def test_every_route_is_walked():
    endpoints = {endpoint for endpoint, _m, _r in ROUTES}
    assert len(endpoints) >= 25 and {"manage.bulk", "manage.export_full", "manage.approve"} <= endpoints
    assert {"manage.change_password", "manage.reset", "manage.issue_reset"} <= endpoints
    assert {"manage.security", "manage.enrol_totp", "manage.second_step", "manage.reset_factors"} <= endpoints


@pytest.mark.parametrize("endpoint, method, rule", ROUTES, ids=[f"{m} {r}" for _e, m, r in ROUTES])
def test_route_while_a_second_factor_is_required(world, endpoint, method, rule):
    """With the requirement on, a coordinator without a second factor (every role here) reaches
    only enrolment (and logout): every other /manage route sends them to the security page and
    does nothing; an anonymous visitor is sent to login exactly as before."""
    from portal.factors import store as factors
    from portal.views.manage.security import ENROLMENT

    admin = Actor(world.ids["people"].admin, "matrix")
    with world.app.app_context():
        factors.set_required(True, admin)
    try:
        for role in ROLES:
            if "<int:rule_id>" in rule:
                _fresh_rule(world)
            url = _url(world, rule)
            response = _client(world, role).open(url, method=method,
                                                  data=_form(world) if method == "POST" else None)
            where = f"{role} {method} {url} -> {response.status_code}"
            location = response.headers.get("Location", "")
            assert response.status_code < 500, where
            if role == "anonymous" and endpoint not in PUBLIC:
                assert response.status_code == 302 and location.startswith("/manage/login?next="), where
            elif endpoint in ENROLMENT:
                assert location != "/manage/security" or endpoint.startswith("manage.add_"), where
            else:
                assert response.status_code == 303 and location == "/manage/security", where
        if endpoint in ENDS_SESSIONS:
            world.cookies.update(_log_in_everyone(world.app))
        with world.app.app_context():
            assert factors.required()  # no route turned it off for someone without a factor
    finally:
        with world.app.app_context():
            factors.set_required(False, admin)
