"""Malformed and fuzzed requests across every route give no 5xx (figure 1 in SECURITY.md).

Hypothesis builds requests from ``app.url_map``: every rule with every method it has (and a
wrong one now and then), path arguments from real values to garbage, query strings, headers
(If-None-Match, Accept-Language, HX-Request, tokens, cookies) and bodies (forms with null
bytes and huge fields, raw bytes that are not UTF-8, JSON where a form is expected). Half
of them come from a logged-in administrator, so the workspace's views run, not only its
login redirect. The bulk runs on SQLite; a smaller run checks PostgreSQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from conftest import csrf_token
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal import tokens
from portal.accounts import coordinators as accounts
from portal.extensions import db
from portal.models import Signature, statement_coordinators
from portal.signatures.signing import SignRequest, sign

PASSWORD = "correct horse battery staple"
SLUG = "free-the-reporters"
VARIANTS = 4  # each drawn request is sent four ways (see ``variants``)
HUGE = "<a field over MAX_CONTENT_LENGTH>"  # expanded when sent: a 70 kB repr would slow hypothesis

nasty = st.sampled_from([
    "", " ", "\x00", "a\x00b", "%00", "%ff%fe", "%ed%a0%80", "%c0%af", "'; DROP TABLE signatures; --",
    "../../etc/passwd", "١٢٣", "١.ä",
    "<script>alert(1)</script>", "${7*7}{{7*7}}", "-1", "0", "1e309", "NaN", "null", "[]", "{}",
    "9" * 40, "\u202eevil", "\u0000\u0001\u001f", "é" * 300, "x" * 5000, "@", "a@b", "ä@ß.例え",
])
text = st.one_of(nasty, st.text(max_size=60), st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
FIELDS = ["name", "email", "country", "kind", "visibility", "signer_name", "role", "website", "org_type",
          "authorised", "comment", "started", "key", "password", "title", "summary", "body_md", "value",
          "statement", "domain", "ip_hash", "since", "until", "reason", "lang", "state", "ids", "note",
          "deadline_at", "publish_at", "slug", "original_lang", "moderation", "paused", "active"]
QUERY = ["q", "country", "after", "before", "limit", "page", "key", "next", "cursor", "lang", "state",
         "action", "actor", "since", "until", "kind", "value", "domain", "ip_hash", "name", "statement",
         "format", "fields"]


@dataclass(frozen=True)
class Known:
    slug: str
    statement_id: int
    signature_id: int
    confirm: str
    withdraw: str
    form_token: str
    session_token: str


def arg(name: str, converter: str, known: Known):
    if converter == "int":
        return st.one_of(st.sampled_from([known.statement_id, known.signature_id, 0, 1]),
                         st.integers(min_value=0, max_value=2**70)).map(str)
    if name == "lang":
        choices = st.sampled_from(["en", "fr", "ar", "ru", "es", "pt-BR", "EN", "xx", "en-US", "zz-ZZ-x"])
    elif name == "slug":
        choices = st.sampled_from([known.slug, known.slug.upper(), "no-such-statement", "a" * 200])
    elif name == "token":
        mangled = known.confirm[:-3] + "AAA"
        choices = st.sampled_from([known.confirm, known.withdraw, mangled, "x.y", ".", "a" * 300,
                                   known.confirm + "." + known.confirm])
    elif name == "fmt":
        choices = st.sampled_from(["csv", "json", "xlsx", "pdf", "CSV"])
    elif name == "filename":
        choices = st.sampled_from(["portal.css", "vendor/htmx.min.js", "../secret_key", "nope.js"])
    else:
        choices = st.nothing()
    return st.one_of(choices, choices, text).map(lambda v: quote(v, safe="") if "%" not in v else v)


def variables(rule) -> list[tuple[str, str, str]]:
    """(placeholder, converter, name) for each variable part of a rule."""
    return [(m.group(0), m.group(1) or "default", m.group(2))
            for m in re.finditer(r"<(?:(\w+):)?(\w+)>", rule.rule)]


@st.composite
def request_for(draw, rules, known: Known):
    rule, parts = draw(st.sampled_from(rules))
    path = rule.rule
    for placeholder, converter, name in parts:
        path = path.replace(placeholder, draw(arg(name, converter, known)), 1)
    methods = sorted(rule.methods - {"OPTIONS"})
    method = draw(st.one_of(st.sampled_from(methods), st.sampled_from(["GET", "POST", "PUT", "DELETE"])))
    query = draw(st.dictionaries(st.one_of(st.sampled_from(QUERY), st.text(max_size=8)), text, max_size=4))
    raw_query = "&".join(f"{quote(k, safe='')}={quote(v, safe='') if draw(st.booleans()) else v}"
                         for k, v in query.items())
    headers = draw(st.fixed_dictionaries({}, optional={
        "If-None-Match": st.one_of(text, st.sampled_from(['*', 'W/"x"', '"', 'W/', '"a", W/"b",,'])),
        "Accept-Language": st.one_of(text, st.sampled_from(["ar;q=2", "*", "en;q=abc", "zz, fr;q=0.5"])),
        "HX-Request": st.sampled_from(["true", "false", ""]),
        "HX-Boosted": st.just("true"),
        "X-CSRFToken": st.sampled_from([known.form_token, known.session_token, "bogus", ""]),
        "Content-Type": st.sampled_from(["application/json", "multipart/form-data", "text/plain",
                                         "application/x-www-form-urlencoded; charset=latin-1"]),
        "Sec-Fetch-Site": st.sampled_from(["cross-site", "same-origin", "none"]),
        "Origin": st.sampled_from(["null", "http://localhost", "https://evil.example"]),
        # A forged host is refused before any other check runs (tests/test_hosts.py).
        "Host": st.sampled_from(["evil.example", "localhost:80", "localhost.evil.example", "[::1]", ""]),
        "X-Forwarded-Host": st.sampled_from(["evil.example", "localhost"]),
    }))
    # As on the wire: UTF-8 bytes read as latin-1, without line breaks (no server sees those).
    headers = {k: re.sub(r"[\r\n]", " ", v.encode("utf-8", "replace").decode("latin-1"))[:2000]
               for k, v in headers.items()}
    body_kind = draw(st.sampled_from(["none", "form", "form", "bytes", "json"]))
    data = None
    if body_kind == "form":
        values = st.one_of(text, st.just(HUGE))
        data = draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=8))
        data["csrf_token"] = draw(st.sampled_from([known.form_token, known.session_token, "bogus"]))
    elif body_kind == "bytes":
        data = draw(st.one_of(st.binary(max_size=300), st.just(b"name=%ff%fe&email=\xff\xfe\x00")))
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif body_kind == "json":
        data = draw(st.sampled_from([b'{"name": 1}', b"[]", b"null", b'{"a":', b'"\\ud800"']))
        headers["Content-Type"] = "application/json"
    cookie = draw(st.sampled_from([None, "session=garbage", "lang=\x00", "session=.eJw.bad.sig"]))
    return method, path + ("?" + raw_query if raw_query else ""), headers, data, cookie


def seed(app, make_statement) -> Known:
    app.config.update(ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=1024, ARGON2_PARALLELISM=1)
    sid = make_statement()
    with app.app_context():
        admin = accounts.create_coordinator("admin@portal.example", "Admin", PASSWORD, admin=True)
        db.session.execute(statement_coordinators.insert().values(statement_id=sid, coordinator_id=admin.id))
        db.session.commit()
        with app.test_request_context():
            sign(SignRequest(statement_id=sid, kind="organisation", name="Signer", country="FR",
                             email="signer@example.org", lang="en", signer_name="S", authorised=True))
            signature = db.session.scalars(select(Signature)).one()
            return Known(SLUG, sid, signature.id, tokens.make("confirm", signature.uid),
                         tokens.make("withdraw", signature.uid), tokens.form_token(SLUG), "")


def logged_in_client(app):
    client = app.test_client()
    token = csrf_token(client, "/manage/login")
    assert client.post("/manage/login", data={"email": "admin@portal.example", "password": PASSWORD,
                                              "csrf_token": token}).status_code == 303
    html = client.get("/manage/").get_data(as_text=True)
    return client, re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def fuzz(app, make_statement, examples: int) -> int:
    """Send ``examples`` × VARIANTS fuzzed requests; fail on the first 5xx, shrunk by hypothesis."""
    known = seed(app, make_statement)
    admin, session_token = logged_in_client(app)
    known = Known(**{**known.__dict__, "session_token": session_token})
    anonymous = app.test_client()
    rules = [(r, variables(r)) for r in app.url_map.iter_rules() if r.endpoint != "manage.logout"]
    sent = [0]

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(drawn=request_for(rules, known))
    def run(drawn):
        for client, method, url, headers, data in variants(drawn, anonymous, admin):
            if isinstance(data, dict) and HUGE in data.values():
                data = {k: "x" * 70_000 if v == HUGE else v for k, v in data.items()}
            response = client.open(url, method=method, headers=headers, data=data)
            sent[0] += 1
            assert response.status_code < 500, f"{method} {url} {headers} {data!r:.300} -> {response.status}"
            response.close()

    run()
    return sent[0]


def variants(drawn, anonymous, admin):
    """Anonymous with the drawn cookie, the administrator, an htmx request with the path's
    last part made invalid UTF-8, and the administrator with the other method."""
    method, url, headers, data, cookie = drawn
    path, _sep, query = url.partition("?")
    broken = path.rstrip("/") + "%ff%c0" + ("?" + query if query else "")
    other = "GET" if method != "GET" else "POST"
    yield anonymous, method, url, {**headers, "Cookie": cookie} if cookie else headers, data
    yield admin, method, url, headers, data
    yield anonymous, method, broken, {**headers, "HX-Request": "true"}, data
    yield admin, other, url, headers, data if other == "POST" else None


@pytest.fixture
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.mark.slow
@pytest.mark.parametrize(("database_url", "examples"), [("sqlite", 2500), ("postgresql", 250)],
                         indirect=["database_url"])
def test_fuzzed_requests_never_give_5xx(app, make_statement, database_url, examples):
    sent = fuzz(app, make_statement, examples)
    assert sent >= examples * VARIANTS
    if database_url.startswith("sqlite"):
        assert sent >= 10_000
