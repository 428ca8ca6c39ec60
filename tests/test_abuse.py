"""Shadow rejection through HTTP: a caught submission is answered exactly like a real one."""

from __future__ import annotations

import re
import time

import pytest
from conftest import csrf_token, fresh_schema, make_app, outbox_bodies
from sqlalchemy import select

from portal import tokens
from portal.abuse import blocklist, clients
from portal.abuse import screening as abuse
from portal.extensions import db
from portal.models import BlockRule, ModerationEvent, Signature, Statement
from portal.signatures.counts import reconcile

SLUG = "free-the-reporters"
PAGE = f"/en/s/{SLUG}"


@pytest.fixture
def database_url(request, tmp_path):
    """SQLite unless a test asks for both: the rules are the same, the storage is what differs."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    return request.getfixturevalue("pg_url")


BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def app(database_url, tmp_path):
    """The portal with every abuse check on: limits, fill time, block list."""
    app = make_app(database_url, tmp_path / "instance", RATELIMIT_ENABLED=True, MIN_FILL_SECONDS=2,
                   SIGN_RATE_LIMIT="3/minute", SIGN_STATEMENT_RATE_LIMIT="1000/minute",
                   LINK_RATE_LIMIT="1000/minute")
    with fresh_schema(app, database_url):
        with app.app_context():
            app.extensions["portal.abuse.ratelimits"].storage.reset()
        yield app


def form_data(client, email: str, **overrides) -> dict:
    """The sign form as a person would send it: tokens from the page, filled a while ago."""
    html = client.get(PAGE).get_data(as_text=True)
    data = {"kind": "organisation", "name": "Reporters United", "signer_name": "Ana Pérez",
            "role": "Director", "country": "FR", "email": email, "visibility": "full",
            "authorised": "y", "comment": "",
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
            "started": re.search(r'name="started" value="([^"]+)"', html).group(1)}
    with client.application.app_context():
        data["started"] = abuse.fill_stamp(time.time() - 30)  # as if it took half a minute
    data.update(overrides)
    return data


def post(client, data: dict, ip: str = "198.51.100.7", htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"{PAGE}/sign", data=data, headers=headers, environ_base={"REMOTE_ADDR": ip})


def state_of(app, email: str) -> str:
    with app.app_context():
        return db.session.scalars(select(Signature.state).where(Signature.email == email)).one()


def answer(response) -> tuple:
    """Everything a submitter can observe, but the Date header."""
    headers = tuple(sorted((k, v) for k, v in response.headers.items() if k.lower() != "date"))
    return response.status_code, headers, response.get_data()


def add(app, kind: str, value: str, statement_id=None) -> None:
    with app.app_context():
        blocklist.add_rule(kind, value, statement_id)


@pytest.mark.parametrize(("kind", "value", "ip", "email", "htmx"), [
    ("ip", "203.0.113.9", "203.0.113.9", "a@clean.example", False),
    ("cidr", "203.0.113.0/24", "203.0.113.77", "b@clean.example", True),
    ("cidr", "2001:db8::/32", "2001:db8::5", "c@clean.example", False),
    ("domain", "spam.example", "192.0.2.1", "d@spam.example", True),
    ("domain", "*.spam.example", "192.0.2.1", "e@mx.eu.spam.example", False),
    ("domain", "*.spam.example", "192.0.2.1", "f@spam.example", True),
    ("email", "Bad.Actor+x@Example.org", "192.0.2.1", "bad.actor@example.org", False),
])
def test_blocked_submission_is_answered_like_a_real_one(app, client, make_statement, kind, value, ip,
                                                        email, htmx):
    sid = make_statement()
    real = post(client, form_data(client, "real@clean.example"), ip="192.0.2.200", htmx=htmx)
    add(app, kind, value)
    shadow = post(client, form_data(client, email), ip=ip, htmx=htmx)
    assert answer(shadow) == answer(real)
    assert real.status_code == (200 if htmx else 303)
    assert state_of(app, "real@clean.example") == "pending"
    assert state_of(app, email) == "fraudulent"
    assert len(outbox_bodies(app)) == 1  # a shadow-rejected submission is never mailed
    with app.app_context():
        assert db.session.get(Statement, sid).count_total == 0
        event = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.to_state == "fraudulent")).one()
        assert event.detail.startswith(f"rule:{kind}:")


def test_wildcard_domain_does_not_match_lookalikes(app, client, make_statement):
    make_statement()
    add(app, "domain", "*.spam.example")
    post(client, form_data(client, "g@notspam.example"))
    post(client, form_data(client, "h@spam.example.org"), ip="192.0.2.3")
    assert state_of(app, "g@notspam.example") == "pending"
    assert state_of(app, "h@spam.example.org") == "pending"


def test_ip_hash_rule_from_the_trending_view_blocks_that_client(app, client, make_statement):
    make_statement()
    with app.test_request_context():
        hashed = clients.ip_hash("198.51.100.50")
    add(app, "ip_hash", hashed)
    post(client, form_data(client, "i@clean.example"), ip="198.51.100.50")
    post(client, form_data(client, "j@clean.example"), ip="198.51.100.51")
    assert state_of(app, "i@clean.example") == "fraudulent"
    assert state_of(app, "j@clean.example") == "pending"


def test_statement_rule_applies_to_that_statement_only(app, client, make_statement):
    make_statement()
    other = make_statement("other-statement")
    add(app, "domain", "spam.example", statement_id=other)
    post(client, form_data(client, "k@spam.example"))
    assert state_of(app, "k@spam.example") == "pending"


@pytest.mark.parametrize(("overrides", "expected"), [
    ({}, "pending"),
    ({"comment": "http://cheap.example"}, "fraudulent"),  # the honeypot
    ({"started": "fresh"}, "fraudulent"),  # filled at once (replaced below)
    ({"started": ""}, "fraudulent"),  # the stamp removed
    ({"started": "1700000000.0123456789abcdef"}, "fraudulent"),  # a forged stamp
    ({"started": "expired"}, "fraudulent"),  # a genuine stamp older than the form's token (replaced below)
])
def test_honeypot_and_fill_time(app, client, make_statement, overrides, expected):
    make_statement()
    data = form_data(client, "l@clean.example", **overrides)
    if overrides.get("started") == "expired":
        with app.app_context():
            data["started"] = abuse.fill_stamp(time.time() - abuse.STAMP_MAX_AGE - 60)
    if overrides.get("started") == "fresh":
        data["started"] = re.search(r'name="started" value="([^"]+)"',
                                    client.get(PAGE).get_data(as_text=True)).group(1)
    response = post(client, data)
    assert response.status_code == 303
    assert state_of(app, "l@clean.example") == expected


def test_honeypot_is_in_the_page_without_javascript(client, make_statement):
    make_statement()
    html = client.get(PAGE).get_data(as_text=True)
    assert re.search(r'<input type="text" id="comment" name="comment" value="" tabindex="-1"', html)
    assert 'name="started"' in html and "<script" not in html.split("</head>")[1]


@BOTH
def test_per_client_limit_shadow_rejects_the_rest(app, client, make_statement):
    sid = make_statement()
    answers = {answer(post(client, form_data(client, f"n{i}@clean.example")))[:2] for i in range(6)}
    assert len(answers) == 1  # all six answered alike
    states = [state_of(app, f"n{i}@clean.example") for i in range(6)]
    assert states == ["pending"] * 3 + ["fraudulent"] * 3
    post(client, form_data(client, "other-client@clean.example"), ip="192.0.2.99")
    assert state_of(app, "other-client@clean.example") == "pending"
    with app.app_context():
        assert db.session.get(Statement, sid).count_total == 0


def test_per_statement_limit_answers_honestly_and_keeps_the_input(app, client, make_statement):
    make_statement()
    app.config["SIGN_STATEMENT_RATE_LIMIT"] = "2/minute"
    answers = [post(client, form_data(client, f"s{i}@clean.example"), ip=f"192.0.2.{10 + i}")
               for i in range(4)]
    assert [a.status_code for a in answers] == [303, 303, 429, 429]
    busy = answers[2].get_data(as_text=True)
    assert "try again" in busy.lower() or "send the form again" in busy
    assert 'value="s2@clean.example"' in busy and answers[2].headers["Retry-After"] == "60"
    with app.app_context():
        assert db.session.scalars(select(Signature.email)).all() == ["s0@clean.example", "s1@clean.example"]
        alerts = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.action == "statement_limit_reached")).all()
        assert len(alerts) == 1  # once a minute at most


@BOTH
def test_confirming_a_shadow_rejected_signature_changes_nothing(app, client, make_statement):
    sid = make_statement(moderation="post")
    add(app, "domain", "spam.example")
    post(client, form_data(client, "m@spam.example"))
    with app.app_context():
        uid = db.session.scalars(select(Signature.uid)).one()
        with app.test_request_context():
            link = f"/confirm/{tokens.make('confirm', uid)}"
    page = client.get(link)
    assert page.status_code == 200 and "Confirm my signature" in page.get_data(as_text=True)
    done = client.post(link, data={"csrf_token": csrf_token(client, link)})
    assert done.status_code == 200
    assert "A coordinator will review it" in done.get_data(as_text=True)
    assert state_of(app, "m@spam.example") == "fraudulent"
    with app.app_context():
        statement = db.session.get(Statement, sid)
        assert (statement.count_total, statement.version) == (0, 0)
        assert reconcile(db.session, repair=False) == []
    listing = client.get(f"{PAGE}/signatories").get_data(as_text=True)
    assert "Reporters United" not in listing


@BOTH
def test_links_get_a_real_429_past_their_limit(app, client, make_statement):
    app.config["LINK_RATE_LIMIT"] = "3/minute"
    codes = [client.get("/confirm/bogus.token", environ_base={"REMOTE_ADDR": "192.0.2.44"}).status_code
             for _ in range(5)]
    assert codes == [404, 404, 404, 429, 429]
    page = client.get("/withdraw/bogus.token", environ_base={"REMOTE_ADDR": "192.0.2.44"})
    assert page.status_code == 429 and "Too many requests" in page.get_data(as_text=True)
    assert client.get("/confirm/bogus.token", environ_base={"REMOTE_ADDR": "192.0.2.45"}).status_code == 404


@BOTH
def test_confirm_presses_get_a_429_past_the_statements_limit(app, client, make_statement):
    """Many clients pressing confirm for one statement: past its limit a clear 429 and
    nothing changed; another statement keeps its own limit; once the window has passed the
    same link confirms."""
    make_statement(moderation="post")
    other = make_statement(slug="another-one", moderation="post")
    app.config["LINK_STATEMENT_RATE_LIMIT"] = "2/minute"
    for i in range(3):
        post(client, form_data(client, f"c{i}@clean.example"), ip=f"192.0.2.{30 + i}")
    with app.app_context():
        uids = db.session.scalars(select(Signature.uid).order_by(Signature.id)).all()
        db.session.add(Signature(uid="x" * 22, statement_id=other, kind="organisation", name="Elsewhere",
                                 country="FR", email="e@clean.example", email_canonical="e@clean.example",
                                 lang="en", state="pending", sort_key="e", search_text="elsewhere"))
        db.session.commit()
        with app.test_request_context():
            links = [f"/confirm/{tokens.make('confirm', uid)}" for uid in [*uids, "x" * 22]]

    def press(link: str, ip: str) -> int:
        response = client.post(link, data={"csrf_token": csrf_token(client, link)},
                               environ_base={"REMOTE_ADDR": ip})
        return response.status_code, response.get_data(as_text=True)

    codes = [press(link, f"198.51.100.{i + 1}")[0] for i, link in enumerate(links[:2])]
    status, page = press(links[2], "198.51.100.3")
    assert codes == [200, 200] and status == 429 and "Too many requests" in page
    assert client.get(links[2]).status_code == 200  # showing the button is not counted
    assert press(links[3], "198.51.100.4")[0] == 200  # the other statement: its own limit
    assert [state_of(app, f"c{i}@clean.example") for i in range(3)] == ["validated"] * 2 + ["pending"]
    assert state_of(app, "e@clean.example") == "validated"
    with app.app_context():
        app.extensions["portal.abuse.ratelimits"].storage.reset()  # the window passes
    assert press(links[2], "198.51.100.3")[0] == 200
    assert state_of(app, "c2@clean.example") == "validated"


def test_block_rule_values_are_checked(app):
    with app.app_context():
        for kind, value in [("ip", "300.1.1.1"), ("cidr", "10.0.0.0/99"), ("domain", "nodot"),
                            ("domain", "bad domain.org"), ("email", "nobody"), ("ip_hash", "xyz")]:
            with pytest.raises(blocklist.BlockError):
                blocklist.add_rule(kind, value)
        rule = blocklist.add_rule("domain", " *.Spam.Example. ")
        assert rule.value == "*.spam.example"
        assert blocklist.add_rule("domain", "*.spam.example").id == rule.id  # no duplicates
        assert blocklist.remove_rule(rule.id) and not blocklist.remove_rule(rule.id)
        assert db.session.scalars(select(BlockRule)).all() == []
        actions = db.session.scalars(select(ModerationEvent.action).order_by(ModerationEvent.id)).all()
        assert actions == ["blocked", "unblocked"]


def test_cli_block_and_rules(app, make_statement):
    make_statement()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["abuse", "block", "domain", "*.spam.example", "--statement", SLUG])
    assert result.exit_code == 0, result.output
    assert "*.spam.example" in runner.invoke(args=["abuse", "rules"]).output
    bad = runner.invoke(args=["abuse", "block", "cidr", "nonsense"])
    assert bad.exit_code != 0 and "valid IP" in bad.output
    assert runner.invoke(args=["abuse", "unblock", "999"]).exit_code != 0
