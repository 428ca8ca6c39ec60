"""Deliveries (SQLite and PostgreSQL): an immutable numbered snapshot, a PDF whose hash is
stable, "N organisations as of DATE (delivered to R)" on the page and the letter, and the
"Joined after delivery" section."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from fast_app import fast_app, fast_module_app  # noqa: F401
from manage_fixtures import add_counted
from pypdf import PdfReader

from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import Delivery, Signature, Statement
from portal.record import deliveries, letter

ACTOR = Actor(None, "test")


@pytest.fixture
def signed(app, make_statement):
    sid = make_statement(langs=("en", "ar"))
    add_counted(app, sid, "Reporters United", "a@example.org")
    add_counted(app, sid, "Hidden Friends", "b@example.org", visibility="hidden")
    add_counted(app, sid, "Country Only", "c@example.org", visibility="country", country="EG")
    return sid


def deliver(sid, recipient="Ministry of Justice", on=date(2026, 10, 18)):
    return deliveries.record(sid, deliveries.DeliveryInput(recipient, on, "by hand", "internal note"), ACTOR)


def test_snapshot_freezes_the_public_list_and_a_stable_pdf(app, signed, client):
    with app.app_context():
        first = deliver(signed)
        assert first.number == 1 and first.count == 3
        snapshot = deliveries.snapshot(first)
        # As the letter lists them (by country: Egypt, France); the hidden one is counted, not listed.
        assert [(e["name"], e["country"]) for e in snapshot["entries"]] == [
            (None, "EG"), ("Reporters United", "FR")]
        assert "b@example.org" not in first.listed and "a@example.org" not in first.listed
        assert hashlib.sha256(first.pdf).hexdigest() == first.pdf_sha256
        assert letter.build(snapshot) == first.pdf  # rebuilt from the frozen content: the same bytes
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(first.pdf)).pages)
        assert "Reporters United" in text and "Ministry of Justice" in text
        assert "more chose not to be listed" in text
        pdf_hash, list_hash = first.pdf_sha256, first.list_sha256
    later = add_counted(app, signed, "Late Joiners", "d@example.org")
    with app.app_context():
        # The snapshot never changes: the model refuses it, and a later list is a new snapshot.
        stored = db.session.get(Delivery, first.id)
        stored.recipient = "Someone else"
        with pytest.raises(ValueError):
            db.session.commit()
        db.session.rollback()
        second = deliver(signed, "Parliament")
        assert second.number == 2 and second.count == 4
        again = db.session.get(Delivery, first.id)
        assert (again.pdf_sha256, again.list_sha256, again.recipient) == (pdf_hash, list_hash,
                                                                           "Ministry of Justice")
    pdf = client.get("/en/s/free-the-reporters/delivered/1.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == pdf_hash
    assert "immutable" in pdf.headers["Cache-Control"]
    page = client.get("/en/s/free-the-reporters/delivered/1").get_data(as_text=True)
    assert pdf_hash in page and "Reporters United" in page and "Late Joiners" not in page
    assert "internal note" not in page
    assert client.get("/en/s/free-the-reporters/delivered/3").status_code == 404
    assert later


def test_page_and_letter_say_as_of_and_list_who_joined_after(app, signed, client):
    with app.app_context():
        deliver(signed)
    add_counted(app, signed, "Late Joiners", "d@example.org")
    add_counted(app, signed, "Late And Hidden", "e@example.org", visibility="hidden")
    page = client.get("/en/s/free-the-reporters").get_data(as_text=True)
    assert "3 organisations as of October 18, 2026 (delivered to <bdi>Ministry of Justice</bdi>)." in page
    joined = page[page.index('id="joined"'):]
    assert "Joined after delivery" in joined and "Late Joiners" in joined
    assert "Reporters United" not in joined and "Late And Hidden" not in joined
    printed = client.get("/en/s/free-the-reporters/print").get_data(as_text=True)
    assert "3 organisations as of October 18, 2026" in printed
    arabic = client.get("/ar/s/free-the-reporters").get_data(as_text=True)
    assert 'id="delivered"' in arabic


def test_bad_deliveries_are_refused_and_store_nothing(app, make_statement):
    draft = make_statement(slug="a-draft", state="draft")
    sid = make_statement(slug="public-one")
    with app.app_context():
        with pytest.raises(deliveries.DeliveryError):
            deliver(draft)
        with pytest.raises(deliveries.DeliveryError) as empty:
            deliver(sid, recipient="  ")
        assert empty.value.field == "recipient"
        with pytest.raises(deliveries.DeliveryError) as future:
            deliver(sid, on=date(2999, 1, 1))
        assert future.value.field == "delivered_on"
        assert db.session.scalar(db.select(db.func.count()).select_from(Delivery)) == 0
        assert db.session.get(Statement, sid).version == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Signature)) == 0
