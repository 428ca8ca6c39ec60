"""Two-factor login for coordinators: authenticator apps (checked with pyotp), single-use
recovery codes, the second step after the password (not skippable, rate-limited), changes
only after typing the password again, the administrators' requirement and their audited reset.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pyotp
import pytest
from conftest import BACKENDS, fresh_schema, make_app
from manage_fixtures import FAST_ARGON2, PASSWORD, AuthActions, make_people, text_of, token_in
from sqlalchemy import select

from portal.accounts import coordinators as accounts
from portal.accounts.audit import Actor
from portal.extensions import db, limiter
from portal.factors import passkeys, recovery, totp
from portal.factors import store as factors
from portal.models import ModerationEvent, RecoveryCode, SecondFactor

SECOND_STEP = "/manage/login/second-step"


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, tmp_path_factory):
    """One app per backend for the module; each test makes its own accounts."""
    tmp = tmp_path_factory.mktemp("factors")
    url = f"sqlite:///{tmp / 'portal.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue(
        "pg_url")
    app = make_app(url, tmp / "instance", **FAST_ARGON2)
    with fresh_schema(app, url):
        make_people(app)
        yield app


_serial = iter(range(10_000))


def account(app, admin: bool = False) -> tuple[int, str]:
    email = f"person{next(_serial)}@example.org"
    with app.app_context():
        return accounts.create_coordinator(email, f"Person {email[:8]}", PASSWORD, admin=admin).id, email


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(datetime.fromtimestamp(time.time() + 30 * offset_steps, UTC))


def enrol_app(app, ident: int) -> tuple[str, list[str]]:
    """An authenticator app added through the service; returns its secret and the recovery codes."""
    secret = totp.new_secret()
    with app.app_context():
        codes = totp.enrol(ident, secret, code_at(secret), "Phone", Actor(ident, "self"))
    return secret, codes


def second_step(auth: AuthActions, code: str):
    return auth.post(SECOND_STEP, {"code": code}, page=SECOND_STEP)


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(ModerationEvent.action).order_by(ModerationEvent.id)))


def test_an_authenticator_app_is_added_and_then_asked_for_at_login(site):
    ident, email = account(site)
    auth = AuthActions(site.test_client())
    assert auth.login(email).headers["Location"] == "/manage/"
    setup = auth.client.get("/manage/security/totp")
    assert setup.status_code == 200 and "<svg" in text_of(setup)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', text_of(setup)).group(1)
    wrong = auth.post("/manage/security/totp", {"code": "000000" if code_at(secret) != "000000" else "111111",
                                                "label": "Phone"}, page="/manage/security/totp")
    assert wrong.status_code == 422 and "This code is wrong" in text_of(wrong)
    added = auth.post("/manage/security/totp", {"code": code_at(secret), "label": "Phone"},
                      page="/manage/security/totp")
    codes = re.findall(r'<bdi dir="ltr">([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})</bdi>', text_of(added))
    assert added.status_code == 200 and len(set(codes)) == 10
    assert auth.client.get("/manage/").status_code == 200  # this session goes on
    # The codes page carries the new session's CSRF token: logging out from it works.
    out = auth.client.post("/manage/logout", data={"csrf_token": token_in(text_of(added))})
    assert out.status_code == 303

    held = auth.login(email)
    assert held.status_code == 303 and held.headers["Location"] == SECOND_STEP
    home = auth.client.get("/manage/")  # a half-logged-in session opens nothing
    assert home.status_code == 302 and home.headers["Location"].startswith("/manage/login?next=")
    assert auth.client.get("/manage/security").status_code == 302
    assert second_step(auth, code_at(secret)).status_code == 422  # the code used at enrolment: spent
    assert second_step(auth, "12345").status_code == 422
    done = second_step(auth, code_at(secret, 1))
    assert done.status_code == 303 and done.headers["Location"] == "/manage/"
    assert auth.client.get("/manage/").status_code == 200
    assert second_step(auth, code_at(secret, 1)).status_code == 303  # logged in: the page sends home
    assert "second_factor_added" in audit_actions(site)


def test_a_next_url_survives_the_second_step(site):
    ident, email = account(site)
    secret, _codes = enrol_app(site, ident)
    auth = AuthActions(site.test_client())
    token = auth.token()
    held = auth.client.post("/manage/login?next=/manage/audit", data={
        "email": email, "password": PASSWORD, "csrf_token": token})
    assert held.headers["Location"] == SECOND_STEP
    assert second_step(auth, code_at(secret, 1)).headers["Location"] == "/manage/audit"


def test_recovery_codes_work_once_each_and_are_stored_hashed(site):
    ident, email = account(site)
    secret, codes = enrol_app(site, ident)
    with site.app_context():
        stored = db.session.scalars(select(RecoveryCode.code_hash).where(
            RecoveryCode.coordinator_id == ident)).all()
        blob = db.session.scalar(select(SecondFactor.secret).where(SecondFactor.coordinator_id == ident))
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}
    assert secret.encode() not in blob  # the TOTP secret is sealed
    auth = AuthActions(site.test_client())
    auth.login(email)
    used = second_step(auth, " " + codes[0].lower().replace("-", " ") + " ")  # typed loosely
    home = auth.client.get("/manage/")
    assert used.status_code == 303 and home.status_code == 200 and "9 are left" in text_of(home)
    auth.logout()
    auth.login(email)
    again = second_step(auth, codes[0])
    assert again.status_code == 422 and "already used" in text_of(again)
    assert second_step(auth, codes[1]).status_code == 303
    with site.app_context():
        assert recovery.remaining(ident) == 8
        assert not recovery.use(ident, codes[1])
    assert audit_actions(site).count("recovery_code_used") >= 2
    # Another account's code is no code here.
    other, _email = account(site)
    _secret, theirs = enrol_app(site, other)
    with site.app_context():
        assert not recovery.use(ident, theirs[0]) and recovery.use(other, theirs[0])


def test_a_secret_sealed_under_another_key_or_account_does_not_open(site):
    with site.app_context():
        blob = totp.seal("JBSWY3DPEHPK3PXP", 7)
        assert totp.unseal(blob, 7) == "JBSWY3DPEHPK3PXP"
        assert totp.unseal(blob, 8) is None
        site.config["SECRET_KEY"], before = "another-secret-" + "y" * 20, site.config["SECRET_KEY"]
        try:
            assert totp.unseal(blob, 7) is None
        finally:
            site.config["SECRET_KEY"] = before


def test_a_reset_link_is_no_way_around_the_second_factor(site):
    ident, email = account(site)
    secret, _codes = enrol_app(site, ident)
    with site.app_context():
        link = accounts.issue_reset(ident, Actor(None, "test"))
    path = link.split("localhost", 1)[1]
    client = site.test_client()
    token = token_in(text_of(client.get(path)))
    chosen = client.post(path, data={"password": "a new long password!", "again": "a new long password!",
                                     "csrf_token": token})
    assert chosen.status_code == 303 and chosen.headers["Location"] == SECOND_STEP
    assert client.get("/manage/").status_code == 302
    assert second_step(AuthActions(client), code_at(secret, 1)).status_code == 303
    assert client.get("/manage/").status_code == 200


def test_changing_factors_needs_the_password_again(site):
    ident, email = account(site)
    auth = AuthActions(site.test_client())
    auth.login(email)
    with auth.client.session_transaction() as session:
        session["login_at"] -= 3600
    asked = auth.client.get("/manage/security/totp")
    assert asked.status_code == 303 and asked.headers["Location"].startswith("/manage/security/confirm?next=")
    assert auth.client.post("/manage/security/passkeys/options", data={
        "csrf_token": auth.token("/manage/security")}).status_code == 403
    wrong = auth.post(asked.headers["Location"], {"password": "not the password"}, page="/manage/security")
    assert wrong.status_code == 422 and "The password is wrong" in text_of(wrong)
    right = auth.post(asked.headers["Location"], {"password": PASSWORD}, page="/manage/security")
    assert right.status_code == 303 and right.headers["Location"] == "/manage/security/totp"
    assert auth.client.get("/manage/security/totp").status_code == 200


def test_removing_a_factor_and_the_administrators_reset(site):
    ident, email = account(site)
    admin, admin_email = account(site, admin=True)
    enrol_app(site, ident)
    secret, _codes = enrol_app(site, ident)  # a second app: no new codes
    with site.app_context():
        assert recovery.remaining(ident) == 10
        first = factors.factors(ident)[0].id
    auth = AuthActions(site.test_client())
    auth.login(email)
    assert second_step(auth, code_at(secret, 1)).status_code == 303
    assert auth.post(f"/manage/security/factors/{first}/remove", page="/manage/security").status_code == 303
    with site.app_context():
        assert len(factors.factors(ident)) == 1
        mine = factors.factors(ident)[0].id
    # Someone else's factor id is no factor of mine.
    boss = AuthActions(site.test_client())
    boss.login(admin_email)
    boss.post(f"/manage/security/factors/{mine}/remove", page="/manage/security")
    with site.app_context():
        assert len(factors.factors(ident)) == 1
    # Lost everything: the administrator resets; that account's sessions end; it is audited.
    reset = boss.post(f"/manage/coordinators/{ident}/second-factors/reset", page="/manage/security")
    assert reset.status_code == 303
    with site.app_context():
        assert factors.factors(ident) == [] and recovery.remaining(ident) == 0
        event = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.action == "second_factors_reset").order_by(ModerationEvent.id.desc())).first()
    assert event.actor_id == admin and f"(#{ident})" in event.detail
    assert auth.client.get("/manage/").status_code == 302  # the old session ended
    assert auth.login(email).headers["Location"] == "/manage/"  # the password alone, until enrolment
    # A coordinator cannot reset anyone's; an administrator not their own.
    assert auth.post(f"/manage/coordinators/{admin}/second-factors/reset", page="/manage/").status_code == 403
    with site.app_context():
        with pytest.raises(factors.FactorError):
            factors.reset(admin, Actor(admin, "self"))


def test_the_administrators_requirement(site):
    ident, email = account(site)
    admin, admin_email = account(site, admin=True)
    boss = AuthActions(site.test_client())
    boss.login(admin_email)
    refused = boss.post("/manage/security/required", {"required": "1"}, page="/manage/security")
    assert refused.status_code == 303
    with site.app_context():
        assert not factors.required()  # not without a factor of one's own
    secret, _codes = enrol_app(site, admin)
    boss.login(admin_email)
    assert second_step(boss, code_at(secret, 1)).status_code == 303
    boss.post("/manage/security/required", {"required": "1"}, page="/manage/security")
    try:
        with site.app_context():
            assert factors.required()
        auth = AuthActions(site.test_client())
        auth.login(email)
        for url in ("/manage/", "/manage/audit", "/manage/password", "/manage/statements/new"):
            sent = auth.client.get(url)
            assert sent.status_code == 303 and sent.headers["Location"] == "/manage/security", url
        fragment = auth.client.get("/manage/audit", headers={"HX-Request": "true"})
        assert fragment.headers["HX-Redirect"] == "/manage/security"
        assert auth.client.get("/manage/security").status_code == 200
        assert auth.client.get("/manage/security/totp").status_code == 200
        mine = enrol_app(site, ident)[0]
        auth.login(email)
        assert second_step(auth, code_at(mine, 1)).status_code == 303
        assert auth.client.get("/manage/").status_code == 200
        with site.app_context():
            only = factors.factors(ident)[0].id
        auth.post(f"/manage/security/factors/{only}/remove", page="/manage/security")
        with site.app_context():
            assert len(factors.factors(ident)) == 1  # the last one stays while required
    finally:
        with site.app_context():
            factors.set_required(False, Actor(admin, "test"))
    assert {"second_factor_required", "second_factor_optional"} <= set(audit_actions(site))


def test_made_up_passkey_answers_are_refused(site):
    ident, _email = account(site)
    rp = passkeys.RelyingParty(id="localhost", origin="http://localhost")
    with site.app_context():
        for answer in ("", "not json", "[]", '{"id": "x"}', "{" * 70_000):
            with pytest.raises(factors.FactorError):
                passkeys.register(rp, ident, b"challenge", answer, "key", Actor(ident, "self"))
            assert not passkeys.authenticate(rp, ident, b"challenge", answer)
        assert factors.factors(ident) == []


@pytest.fixture(params=BACKENDS)
def limited(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'portal.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    app = make_app(url, tmp_path / "instance", RATELIMIT_ENABLED=True, SECOND_FACTOR_RATE_LIMIT="3/minute",
                   **FAST_ARGON2)
    with fresh_schema(app, url):
        make_people(app)
        with app.app_context():
            limiter.reset()
        yield app


def test_the_second_step_is_rate_limited_per_account(limited):
    ident, email = account(limited)
    secret, codes = enrol_app(limited, ident)
    auth = AuthActions(limited.test_client())
    auth.login(email)
    statuses = [second_step(auth, "000001").status_code for _ in range(4)]
    assert statuses[:3] == [422, 422, 422] and statuses[3] == 429
    assert second_step(auth, code_at(secret, 1)).status_code == 429  # even the right code, for now
    elsewhere = AuthActions(limited.test_client())  # the limit is the account's, from any client
    elsewhere.login(email)
    assert second_step(elsewhere, codes[0]).status_code == 429
    with limited.app_context():
        assert recovery.remaining(ident) == 10  # nothing was spent behind the 429


def test_the_cli_resets_a_lost_administrators_factors(site):
    admin, email = account(site, admin=True)
    enrol_app(site, admin)
    result = site.test_cli_runner().invoke(args=["coordinators", "reset-second-factors", email.upper()])
    assert result.exit_code == 0 and "removed 1 second factor" in result.output
    with site.app_context():
        assert factors.factors(admin) == [] and recovery.remaining(admin) == 0
        event = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.action == "second_factors_reset").order_by(ModerationEvent.id.desc())).first()
    assert event.actor_label == "cli" and f"(#{admin})" in event.detail
    unknown = site.test_cli_runner().invoke(args=["coordinators", "reset-second-factors",
                                                  "nobody@example.org"])
    assert unknown.exit_code != 0 and "no account" in unknown.output


def test_a_pending_second_step_lapses_after_five_minutes(site):
    ident, email = account(site)
    secret, _codes = enrol_app(site, ident)
    auth = AuthActions(site.test_client())
    before = auth.client.get_cookie("session")
    auth.login(email)
    assert auth.client.get_cookie("session").value != (before.value if before else None)  # a new id
    token = token_in(text_of(auth.client.get(SECOND_STEP)))
    with auth.client.session_transaction() as session:
        assert "coordinator_id" not in session and session["pending"]["id"] == ident
        session["pending"] = {**session["pending"], "at": session["pending"]["at"] - 301}
    late = auth.client.post(SECOND_STEP, data={"code": code_at(secret, 1), "csrf_token": token})
    assert late.status_code == 303 and late.headers["Location"] == "/manage/login"
    assert auth.client.get("/manage/").status_code == 302
