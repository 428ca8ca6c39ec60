"""The record in the JSON API (SQLite and PostgreSQL): versions, deliveries and updates match
the OpenAPI document, hold nothing private, and schemathesis drives the three operations
against a statement that has each of them."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
import schemathesis
from conftest import make_app
from fast_app import fast_app, fast_module_app  # noqa: F401
from hypothesis import HealthCheck, settings
from public_seed import SLUG, seed
from test_api import check

from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import Statement
from portal.record import deliveries, updates, versions
from portal.statements import translating
from portal.web.openapi import document

API = "/api/v1"
ACTOR = Actor(None, "test")


def add_record(app, statement_id: int) -> None:
    """A correction, a delivery and an update on the seeded statement."""
    with app.app_context():
        statement = db.session.get(Statement, statement_id)
        versions.open_record(db.session, statement)
        db.session.commit()
        translating.save(statement_id, translating.TranslationInput(
            "en", "Free the reporters", "A call to free them.", "We call for **their release**!",
            "editorial"), ACTOR)
        deliveries.record(statement_id, deliveries.DeliveryInput("Ministry", date(2026, 11, 1), "post",
                                                                 "private note"), ACTOR)
        updates.post(statement_id, updates.UpdateInput(date(2026, 11, 2), {
            "en": ("A hearing", "It took place."), "fr": ("Une audience", "")}, email=False), ACTOR)


def test_versions_deliveries_and_updates_match_the_document(app, client):
    seeded = seed(app)
    add_record(app, seeded.statement_id)
    listed = client.get(f"{API}/statements/{SLUG}/versions")
    body = listed.get_json()
    check("VersionList", body)
    assert listed.headers["ETag"] and "public" in listed.headers["Cache-Control"]
    en = [(v["number"], v["kind"]) for v in body["versions"] if v["lang"] == "en"]
    assert en == [(2, "editorial"), (1, "first")]
    assert "es" not in {v["lang"] for v in body["versions"]}  # a draft translation is not public
    delivered = client.get(f"{API}/statements/{SLUG}/deliveries").get_json()
    check("DeliveryList", delivered)
    (one,) = delivered["deliveries"]
    assert one["number"] == 1 and one["recipient"] == "Ministry"
    pdf = client.get(one["links"]["pdf"].replace("http://localhost", ""))
    assert hashlib.sha256(pdf.data).hexdigest() == one["pdf_sha256"]
    news = client.get(f"{API}/statements/{SLUG}/updates").get_json()
    check("UpdateList", news)
    assert [t["lang"] for t in news["updates"][0]["texts"]] == ["en", "fr"]
    everything = "".join(client.get(f"{API}/statements/{SLUG}/{part}").get_data(as_text=True)
                         for part in ("versions", "deliveries", "updates"))
    for secret in [*seeded.emails, *seeded.secrets, "private note"]:
        assert secret not in everything
    assert client.get(f"{API}/statements/nope/versions").status_code == 404
    assert client.get(f"{API}/statements/{SLUG}/updates").headers["Access-Control-Allow-Origin"] == "*"


@pytest.fixture(scope="module")
def record_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("schemathesis-record")
    app = make_app(f"sqlite:///{path / 'api.sqlite3'}", path / "instance")
    with app.app_context():
        db.create_all()
    add_record(app, seed(app).statement_id)
    yield app
    with app.app_context():
        db.engine.dispose()


schema = schemathesis.openapi.from_dict(document()).include(
    operation_id=["listVersions", "listDeliveries", "listUpdates"])


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_record_operations_conform_with_data(case, record_app):
    # The statement that has a record (tests/test_api.py drives these with made-up slugs too).
    case.path_parameters = {"slug": SLUG}
    case.call_and_validate(app=record_app, headers={"Accept-Encoding": "identity"})
