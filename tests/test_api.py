"""The public JSON API: shapes against its OpenAPI document, privacy, errors, caching, limits."""

from __future__ import annotations

import base64

import pytest
import schemathesis
from conftest import fresh_schema, make_app
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator
from public_seed import SLUG, seed
from schemathesis.specs.openapi.checks import positive_data_acceptance

from portal.web.openapi import document

API = "/api/v1"


def validator(name: str) -> Draft202012Validator:
    """A validator for one component, resolving its $refs inside the whole document."""
    doc = document()
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": doc["components"]},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def check(name: str, payload) -> None:
    errors = sorted(validator(name).iter_errors(payload), key=str)
    assert not errors, [e.message for e in errors]


@pytest.fixture
def seeded(app):
    return seed(app)


def test_document_is_openapi_3_1_with_valid_schemas(api_app):
    response = api_app.test_client().get(f"{API}/openapi.json")
    doc = response.get_json()
    assert response.status_code == 200 and doc["openapi"] == "3.1.0"
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    assert set(doc["paths"]) == {f"{API}/statements", f"{API}/statements/{{slug}}",
                                 f"{API}/statements/{{slug}}/signatories", f"{API}/openapi.json",
                                 *(f"{API}/statements/{{slug}}/{part}" for part in
                                   ("versions", "deliveries", "updates"))}


def test_list_and_detail_match_the_document(client, seeded):
    listing = client.get(f"{API}/statements").get_json()
    check("StatementList", listing)
    assert [s["slug"] for s in listing["statements"]] == [SLUG]
    closed = client.get(f"{API}/statements?state=closed").get_json()
    check("StatementList", closed)
    assert [s["slug"] for s in closed["statements"]] == [f"{SLUG}-closed"]

    detail = client.get(f"{API}/statements/{SLUG}").get_json()
    check("Statement", detail)
    assert detail["state"] == "published" and detail["deadline_at"] is None
    assert [tr["lang"] for tr in detail["translations"]] == ["ar", "en", "fr"]  # the es draft is not public
    assert detail["translations"][1]["url"].endswith(f"/en/s/{SLUG}")
    # Counted: everyone but the rejected one, hidden and country-only included; per country
    # only the listed ones (the hidden French collective is in the total alone).
    assert detail["counts"] == {"total": 7, "organisations": 5, "individuals": 2, "countries": 4,
                                "by_country": {"CO": 1, "DE": 1, "FR": 2, "KE": 2}}
    assert detail["target_count"] == 100


def test_signatories_honour_visibility_and_page_by_cursor(client, seeded):
    seen, url = [], f"{API}/statements/{SLUG}/signatories?limit=2"
    pages = 0
    while url:
        page = client.get(url).get_json()
        check("SignatoryPage", page)
        seen += page["signatories"]
        url = page["links"]["next"]
        pages += 1
        if url:
            assert page["next_cursor"] in url
            url = url.replace("http://localhost", "")
    assert pages == 3
    full = [s for s in seen if s["visibility"] == "full"]
    assert [s["name"] for s in full] == ["Abdi Media Watch", "Ana Pérez", "Élan Reporters",
                                         "Zeta Press Union"]
    assert next(s for s in full if s["kind"] == "individual")["role"] == "Editor-in-chief"
    only_country = [s for s in seen if s["visibility"] == "country"]
    assert sorted(only_country, key=lambda s: s["country"]) == [
        {"visibility": "country", "kind": "individual", "country": "DE"},
        {"visibility": "country", "kind": "organisation", "country": "KE"}]
    assert len(seen) == 6  # the hidden one is only in the counts, the rejected one nowhere


def test_filters_search_and_country(client, seeded):
    kenya = client.get(f"{API}/statements/{SLUG}/signatories?country=KE").get_json()["signatories"]
    assert {s.get("name") for s in kenya} == {"Abdi Media Watch", None}
    found = client.get(f"{API}/statements/{SLUG}/signatories?q=elan").get_json()["signatories"]
    assert [s["name"] for s in found] == ["Élan Reporters"]
    assert client.get(f"{API}/statements/{SLUG}/signatories?q=quiet").get_json()["signatories"] == []


def test_no_private_field_in_any_api_answer(client, seeded):
    bodies = [client.get(url).get_data(as_text=True) for url in (
        f"{API}/statements", f"{API}/statements?state=closed", f"{API}/statements/{SLUG}",
        f"{API}/statements/{SLUG}/signatories?limit=200", f"{API}/statements/{SLUG}/signatories?country=KE")]
    text = "\n".join(bodies)
    for secret in [*seeded.emails, *seeded.secrets, *seeded.unlisted_names]:
        assert secret not in text
    for word in ("email", "ip_hash", "uid", "private_key", "token", "signer_name", "website"):
        assert f'"{word}"' not in text


def test_errors_are_json_with_a_stable_shape(client, seeded):
    for url in (f"{SLUG}-collecting", f"{SLUG}-draft", "no-such-statement", "bad%00slug",
                f"{SLUG}-collecting/signatories", f"{SLUG}-collecting?key={seeded.private_key}"):
        response = client.get(f"{API}/statements/{url}")
        assert response.status_code == 404 and response.mimetype == "application/json", url
        check("Error", response.get_json())
        assert response.get_json()["error"]["code"] == "not_found"

    for query in ("limit=0", "limit=201", "limit=ten", "limit=", "country=fr", "country=FRA", "country=",
                  "cursor=!!!", "q=%00", "state=draft"):
        path = "statements" if query.startswith("state") else f"statements/{SLUG}/signatories"
        response = client.get(f"{API}/{path}?{query}")
        assert response.status_code == 400, query
        body = response.get_json()
        check("Error", body)
        assert body["error"]["code"] == "bad_request" and body["error"]["message"]

    for raw in (b"ab\x00cd:1", b"zz:1", b"abcd:99999999999999999999", b"abcd:-1"):
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = client.get(f"{API}/statements/{SLUG}/signatories?cursor={cursor}")
        assert response.status_code == 400, raw

    page = client.get("/en/s/no-such-thing")
    assert page.status_code == 404 and page.mimetype == "text/html" and "<html" in page.get_data(as_text=True)
    assert client.get(f"{API}/nothing-here").get_json()["error"]["code"] == "not_found"
    for method in (client.post, client.put, client.delete):
        response = method(f"{API}/statements")
        assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
        assert "GET" in response.headers["Allow"]


def test_etag_304_cache_control_and_cors(client, seeded):
    url = f"{API}/statements/{SLUG}"
    first = client.get(url, headers={"Origin": "https://news.example"})
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in first.headers
    assert "Set-Cookie" not in first.headers
    assert first.cache_control.public and 0 < first.cache_control.max_age <= 300
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get(f"{API}/nothing", headers={"Origin": "https://x.example"}).headers[
        "Access-Control-Allow-Origin"] == "*"
    preflight = client.options(url, headers={"Origin": "https://news.example",
                                             "Access-Control-Request-Method": "GET",
                                             "Access-Control-Request-Headers": "if-none-match"})
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Methods"] == "GET"
    assert preflight.headers["Access-Control-Allow-Headers"] == "If-None-Match"


def test_etag_changes_when_the_count_does(app, client, seeded):
    url = f"{API}/statements/{SLUG}"
    before = client.get(url).headers["ETag"]
    from portal.signatures import signing
    with app.app_context():
        signing.sign(signing.SignRequest(statement_id=seeded.statement_id, kind="organisation",
                                         name="Late Group", country="BR", email="late@example.org",
                                         lang="en", authorised=True))
    response = client.get(url, headers={"If-None-Match": before})
    assert response.status_code == 200 and response.get_json()["counts"]["total"] == 8


def test_rate_limit_answers_429_in_json(tmp_path):
    limited_app = make_app(f"sqlite:///{tmp_path / 'rl.sqlite3'}", tmp_path / "instance",
                           RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                           API_RATE_LIMIT="3/minute")
    with fresh_schema(limited_app) as app:
        client = app.test_client()
        statuses = [client.get(f"{API}/statements").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get(f"{API}/statements")
        assert limited.get_json()["error"]["code"] == "too_many_requests"
        assert limited.headers["Access-Control-Allow-Origin"] == "*"
        assert client.get("/healthz").status_code == 200  # the API's limit is its own


def test_one_statement_has_a_limit_across_clients(tmp_path):
    limited_app = make_app(f"sqlite:///{tmp_path / 'rl.sqlite3'}", tmp_path / "instance",
                           RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                           API_STATEMENT_RATE_LIMIT="2/minute")
    with fresh_schema(limited_app) as app:
        client = app.test_client()

        def get(path: str, n: int) -> int:
            return client.get(f"{API}{path}", environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}).status_code

        assert [get("/statements/one", 1), get("/statements/one/signatories", 2),
                get("/statements/one", 3)] == [404, 404, 429]  # three clients, one statement
        assert get("/statements/two", 4) == 404 and get("/statements", 5) == 200
        assert get("/statements/" + "x" * 500, 6) == 404  # a long slug is keyed short, not an error


# schemathesis drives the app in process through its OpenAPI document (SQLite only, to keep it quick).
@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("schemathesis")
    with fresh_schema(make_app(f"sqlite:///{path / 'api.sqlite3'}", path / "instance")) as app:
        seed(app)
        yield app


def test_served_document_is_the_one_tested(api_app):
    assert api_app.test_client().get(f"{API}/openapi.json").get_json() == document()


schema = schemathesis.openapi.from_dict(document())


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, api_app):
    # A cursor is opaque: only one this API handed out is valid, so a made-up one is a 400
    # even though it is a schema-valid string.
    excluded = [positive_data_acceptance] if (case.query or {}).get("cursor") else []
    # The in-process transport does not decompress, as an HTTP client would.
    case.call_and_validate(app=api_app, headers={"Accept-Encoding": "identity"}, excluded_checks=excluded)
