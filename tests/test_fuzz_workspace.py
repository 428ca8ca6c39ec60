"""The fuzz suite (tests/test_fuzz.py) extended to the workspace, as each role (issue 11, finding 7).

Every ``/manage`` route is sent as the anonymous visitor, the statement's coordinator, another
coordinator and the administrator. First a grid: each route × each shape that used to reach a
500, in the path's ids, in ``next``, ``before`` and ``after``, in ``statement`` and in every form
field: ids and cursors past PostgreSQL's ``integer`` (``before=2147483648``, a path id of
99999999999), negative ones, digits that only look like digits (``²``, ``١٢``), CR/LF and other
control characters, NUL, and unicode. Then requests drawn by hypothesis from the same shapes and
from test_fuzz.py's. CSRF is off here, so that forms reach the views
(tests/test_security_csrf.py covers it). On SQLite and PostgreSQL (the grid shapes where the two
differ: PG_GRID): 0 responses ≥ 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from manage_fixtures import AuthActions, add_signature, add_statement, make_people
from test_fuzz import nasty, variables

from portal.abuse import blocklist
from portal.accounts.coordinators import create_coordinator

ROLES = ("anonymous", "owner", "other", "admin")
SHAPES = st.sampled_from([
    "2147483647", "2147483648", "4294967296", "99999999999", "9223372036854775808", "9" * 40, "-1",
    "-2147483649", "0", "00000000001", "²", "١٢", "１２", "1e3", " 1", "+1", "1_0", "0x10",
    "\r\n", "/manage/\r\nSet-Cookie: evil=1", "/manage/\nLocation: //evil.example", "/manage/\r",
    "/\u2028x", "/\u0085", "/manage/\u202e", "\x00", "/manage/\x00", "\x7f", "\t", "//evil.example",
    "/\\evil.example", "https://evil.example/", "/manage/" + "é" * 50, "ü", "😀",
])
values = st.one_of(SHAPES, SHAPES, nasty, st.text(max_size=30))
QUERY = ["next", "before", "after", "statement", "state", "kind", "country", "q", "order", "action",
         "actor", "since", "until", "lang", "value", "domain", "ip_hash", "name"]
FIELDS = ["next", "ids", "issued", "statement", "active", "paused", "to", "action", "reason", "published",
          "title", "summary", "body_md", "slug", "original_lang", "moderation", "target_count",
          "deadline_at", "publish_at", "time_zone", "kind", "value", "note", "domain", "ip_hash", "name",
          "since", "until", "email", "admin", "signer_name", "role", "password", "lang"]


@dataclass(frozen=True)
class Ids:
    mine: int
    theirs: int
    signature: int
    their_signature: int
    victim: int  # an account the fuzz may suspend: never one of the roles
    rule: int


def path_arg(name: str, ids: Ids):
    if name == "coordinator_id":
        known = st.sampled_from([ids.victim])
    elif name == "rule_id":
        known = st.sampled_from([ids.rule])
    else:
        known = st.sampled_from([ids.mine, ids.theirs, ids.signature, ids.their_signature])
    numbers = st.one_of(known.map(str), SHAPES, st.integers(min_value=2**31 - 2, max_value=2**70).map(str))
    other = st.one_of(st.sampled_from(["fr", "en", "ar", "csv", "json", "xlsx", "x", "not-a-token"]), values)
    return (numbers if name.endswith("_id") else other).map(lambda v: quote(v, safe=""))


@st.composite
def workspace_request(draw, rules, ids: Ids):
    rule, parts = draw(st.sampled_from(rules))
    path = rule.rule
    for placeholder, _converter, name in parts:
        path = path.replace(placeholder, draw(path_arg(name, ids)), 1)
    method = draw(st.sampled_from(sorted(rule.methods - {"OPTIONS", "HEAD"})))
    query = draw(st.dictionaries(st.sampled_from(QUERY), values, max_size=3))
    raw_query = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    data = None
    if method == "POST":
        data = draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=6))
        if draw(st.booleans()):
            data["ids"] = draw(st.lists(st.one_of(SHAPES, st.just(str(ids.signature))), max_size=3))
    headers = draw(st.sampled_from([{}, {"HX-Request": "true"},
                                    {"HX-Request": "true", "HX-Boosted": "true"}]))
    return method, path + ("?" + raw_query if raw_query else ""), headers, data


def seed(app) -> tuple[Ids, dict]:
    people = make_people(app)
    mine = add_statement(app, "owner-statement", people.owner, state="published", langs=("en", "fr"))
    theirs = add_statement(app, "other-statement", people.other, state="collecting")
    with app.app_context():
        victim = create_coordinator("victim@example.org", "Victor Victim", "a long victim password").id
        rule = blocklist.add_rule("domain", "spam.example", mine).id
    ids = Ids(mine, theirs, add_signature(app, mine, "Owner Org", "sig@owner.example"),
              add_signature(app, theirs, "Their Org", "sig@their.example"), victim, rule)
    clients = {"anonymous": app.test_client()}
    for role, email in (("owner", "owner@example.org"), ("other", "other@example.org"),
                        ("admin", "admin@example.org")):
        clients[role] = app.test_client()
        assert AuthActions(clients[role]).login(email).status_code == 303
    return ids, clients


# The shapes every workspace route gets, as each role (the grid), besides what hypothesis draws.
GRID = ["2147483648", "99999999999", "9" * 40, "-1", "²", "١٢", "/manage/\r\nSet-Cookie: evil=1",
        "/\u2028x", "\x00", "/manage/\u202eé😀", "//evil.example"]
# Where PostgreSQL differs from SQLite: integers past its column types, and NUL, which its text
# refuses. The other shapes behave the same on both and run on SQLite (half the suite's time).
PG_GRID = ["2147483648", "99999999999", "9" * 40, "-1", "\x00"]


def grid(rules, ids: Ids, shapes: list[str]):
    """(method, url, data) for each rule × shape: in every id of the path (when it is a number),
    in ``next``, ``before`` and ``after``, in ``statement`` alone, and in every form field."""
    for rule, parts in rules:
        for shape in shapes:
            path = rule.rule
            for placeholder, _converter, name in parts:
                known = {"coordinator_id": ids.victim, "rule_id": ids.rule}.get(name, ids.mine)
                value = (shape if shape.isdigit() else str(known)) if name.endswith("_id") else "fr"
                path = path.replace(placeholder, quote(value, safe=""), 1)
            encoded = quote(shape, safe="")
            for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
                if method == "GET":
                    yield method, f"{path}?next={encoded}&before={encoded}&after={encoded}", None
                    yield method, f"{path}?statement={encoded}", None
                else:
                    yield method, f"{path}?next={encoded}", {**dict.fromkeys(FIELDS, shape), "ids": [shape]}


def fuzz_workspace(app, examples: int) -> dict[str, int]:
    """Send each drawn request as every role; fail on the first 5xx, shrunk by hypothesis."""
    ids, clients = seed(app)
    app.config["WTF_CSRF_ENABLED"] = False
    rules = [(r, variables(r)) for r in app.url_map.iter_rules()
             if r.rule.startswith("/manage") and r.endpoint != "manage.logout"]
    sent = dict.fromkeys(ROLES, 0)
    shapes = PG_GRID if app.config["DATABASE_URL"].startswith("postgresql") else GRID
    for method, url, data in grid(rules, ids, shapes):
        for role in ROLES:
            response = clients[role].open(url, method=method, data=data)
            sent[role] += 1
            assert response.status_code < 500, f"{role} {method} {url} {data!r:.300} -> {response.status}"
            response.close()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(drawn=workspace_request(rules, ids))
    def run(drawn):
        method, url, headers, data = drawn
        for role in ROLES:
            response = clients[role].open(url, method=method, headers=headers, data=data)
            sent[role] += 1
            assert response.status_code < 500, f"{role} {method} {url} {data!r:.300} -> {response.status}"
            response.close()

    run()
    for role in ROLES[1:]:  # each role stayed itself to the end: nothing logged it out or suspended it
        assert clients[role].get("/manage/").status_code == 200, role
    return sent


@pytest.fixture
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.mark.slow
@pytest.mark.parametrize(("database_url", "examples"), [("sqlite", 100), ("postgresql", 30)],
                         indirect=["database_url"])
def test_fuzzed_workspace_requests_never_give_5xx_as_any_role(app, database_url, examples):
    sent = fuzz_workspace(app, examples)
    print(f"workspace fuzz on {database_url.split(':')[0]}: {sent}")
    assert all(n >= examples for n in sent.values()), sent
