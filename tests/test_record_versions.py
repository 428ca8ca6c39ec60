"""Versions of the text (SQLite and PostgreSQL): hashes and staleness by content, editorial and
substantive changes, re-consent emails and both buttons, the no-answer rule, "as of version N"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import csrf_token, outbox_bodies
from fast_app import fast_app, fast_module_app  # noqa: F401
from manage_fixtures import add_signature as add_row
from sqlalchemy import select

from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import OutboxMail, Signature, Statement, TextVersion, utcnow
from portal.record import amending, versions
from portal.statements import translating
from portal.statements.authoring import AuthoringError

ACTOR = Actor(None, "test")
EN = ("Free the reporters", "A call to free them.", "We call for **their release**.")


@pytest.fixture
def opened(app, make_statement):
    """A published statement (en original, fr and ar) whose texts are on record as version 1."""
    sid = make_statement()
    with app.app_context():
        statement = db.session.get(Statement, sid)
        for tr in statement.translations:
            tr.revision = tr.source_revision = 1
        versions.open_record(db.session, statement)
        db.session.commit()
    return sid


def add_signature(app, sid, name, email, lang="en", **fields) -> int:
    """A signature row (manage_fixtures' helper), signed in ``lang``."""
    ident = add_row(app, sid, name, email, **fields)
    with app.app_context():
        db.session.get(Signature, ident).lang = lang
        db.session.commit()
    return ident


def save(sid, lang="en", title=EN[0], summary=EN[1], body=EN[2], change=""):
    return translating.save(sid, translating.TranslationInput(lang, title, summary, body, change), ACTOR)


def stale(sid) -> list[str]:
    db.session.expire_all()
    statement = db.session.get(Statement, sid)
    return sorted(t.lang for t in statement.translations
                  if translating.status(statement, t) == translating.Status.stale)


def history(sid, lang="en") -> list[tuple[int, str]]:
    db.session.expire_all()
    return [(v.number, v.kind) for v in versions.history(db.session, sid, lang)]


def test_hash_is_of_the_normalised_text():
    one = versions.digest("Title", "Sum", "Line one\nLine two\n")
    assert one == versions.digest(" Title ", "Sum", "Line one  \r\nLine two\r\n\r\n")
    assert one == versions.digest("Title", "Sum", "Line one\nLine two")
    assert one != versions.digest("Title", "Sum", "Line one\nLine two.")
    assert re.fullmatch(r"[0-9a-f]{64}", one)


def test_opening_records_version_one_of_each_live_text(app, opened):
    with app.app_context():
        rows = db.session.scalars(select(TextVersion).order_by(TextVersion.lang)).all()
        assert [(v.lang, v.number, v.kind) for v in rows] == [("ar", 1, "first"), ("en", 1, "first"),
                                                              ("fr", 1, "first")]
        assert rows[1].sha256 == versions.digest(*EN)


def test_saving_the_same_text_marks_nothing_stale(app, opened):
    with app.app_context():
        save(opened)  # exactly the same
        save(opened, body=EN[2] + "\r\n\r\n", summary=EN[1] + "  ")  # only line ends and spaces differ
        assert stale(opened) == []
        assert history(opened) == [(1, "first")]
        assert db.session.scalar(select(OutboxMail.id)) is None


def test_once_signing_opened_the_original_asks_which_kind_of_change(app, opened):
    with app.app_context():
        with pytest.raises(AuthoringError) as refused:
            save(opened, body="We call for their release, now.")
        assert refused.value.field == "change"
        assert history(opened) == [(1, "first")]
        assert stale(opened) == []  # nothing was saved


def test_editorial_change_is_a_new_version_that_asks_no_one(app, opened):
    sig = add_signature(app, opened, "Reporters United", "ana@example.org", state="validated",
                        text_version=1, original_version=1)
    with app.app_context():
        save(opened, body="We call for **their release**!", change="editorial")
        assert history(opened) == [(2, "editorial"), (1, "first")]
        assert stale(opened) == ["ar", "fr"]  # the original's hash changed
        assert db.session.scalar(select(OutboxMail.id)) is None
        signature = db.session.get(Signature, sig)
        assert signature.reconsent_version is None and signature.original_version == 1
        # A translation brought up to date follows the kind of the change.
        save(opened, "fr", "Libérez les reporters", "Un appel.", "Nous demandons **leur libération** !")
        assert history(opened, "fr") == [(2, "editorial"), (1, "first")]
        assert stale(opened) == ["ar"]


def test_substantive_change_emails_each_signer_in_their_language_when_their_text_is_ready(
        app, opened, client):
    en = add_signature(app, opened, "Reporters United", "ana@example.org", state="validated",
                       text_version=1, original_version=1)
    fr = add_signature(app, opened, "Journalistes Unis", "jean@example.org", state="confirmed",
                       lang="fr", text_version=1, original_version=1)
    add_signature(app, opened, "Still Pending", "pend@example.org", state="pending")
    with app.app_context():
        save(opened, body="We call for **their release** and compensation.", change="substantive")
        assert history(opened) == [(2, "substantive"), (1, "first")]
        mails = db.session.scalars(select(OutboxMail)).all()
        assert [m.to_addr for m in mails] == ["ana@example.org"]  # the French text is not ready yet
        assert "+We call for **their release** and compensation." in mails[0].body
        assert "-We call for **their release**." in mails[0].body
        assert db.session.get(Signature, fr).reconsent_version == 2
        assert db.session.get(Signature, fr).reconsent_asked_at is None
        save(opened, "fr", TEXTSFR[0], TEXTSFR[1], "Nous demandons **leur libération** et réparation.")
        assert history(opened, "fr") == [(2, "substantive"), (1, "first")]
        mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert [m.to_addr for m in mails] == ["ana@example.org", "jean@example.org"]
        french = mails[1].body
        assert "+Nous demandons **leur libération** et réparation." in french
        assert "Maintenez-vous votre signature sur le texte modifié" in french  # the signer's language
    keep = re.search(r"http://localhost(/reconsent/\S+)", outbox_bodies(app)[0]).group(1)
    withdraw = re.search(r"http://localhost(/withdraw/\S+)", outbox_bodies(app)[0]).group(1)
    page = client.get(keep)
    assert page.status_code == 200 and "Keep my signature" in page.get_data(as_text=True)
    assert "<ins>" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Signature, en).original_version == 1  # a GET never acts
    kept = client.post(keep, data={"csrf_token": csrf_token(client, keep)})
    assert "stands for the amended text" in kept.get_data(as_text=True)
    with app.app_context():
        signature = db.session.get(Signature, en)
        assert signature.original_version == signature.text_version == 2
        assert signature.reconsent_version is None
    again = client.post(keep, data={"csrf_token": csrf_token(client, keep)})
    assert "already stands for this version" in again.get_data(as_text=True)
    # The other button is the ordinary withdrawal, through its own page.
    french_withdraw = re.search(r"http://localhost(/withdraw/\S+)", outbox_bodies(app)[1]).group(1)
    token = csrf_token(client, french_withdraw)
    assert client.post(french_withdraw, data={"csrf_token": token}).status_code == 200
    with app.app_context():
        assert db.session.get(Signature, fr).state == "withdrawn"
    assert withdraw


TEXTSFR = ("Libérez les reporters", "Un appel à les libérer.", "Nous demandons **leur libération**.")


def test_a_forged_or_stale_keep_link_does_nothing(app, opened, client):
    sig = add_signature(app, opened, "Reporters United", "ana@example.org", state="validated",
                        original_version=1)
    with app.app_context():
        signature = db.session.get(Signature, sig)
        good = amending.token_for(signature, 2)
    assert client.get("/reconsent/" + good[:-2] + "xx").status_code == 404
    assert client.get("/reconsent/nonsense").status_code == 404
    page = client.post("/reconsent/" + good, data={"csrf_token": csrf_token(client, "/reconsent/" + good)})
    assert page.status_code == 200  # no amendment asked: keeping changes the record to v2 at most
    forged = client.post("/reconsent/" + good, data={})  # no CSRF token
    assert forged.status_code == 400


@pytest.mark.parametrize("rule", ["stay", "remove"])
def test_no_answer_rule(app, opened, runner, rule):
    with app.app_context():
        statement = db.session.get(Statement, opened)
        statement.reconsent_lapse, statement.reconsent_days = rule, 7
        db.session.commit()
    sig = add_signature(app, opened, "Reporters United", "ana@example.org", state="validated",
                        text_version=1, original_version=1)
    recent = add_signature(app, opened, "Recent Ones", "bo@example.org", state="validated",
                           text_version=1, original_version=1)
    with app.app_context():
        save(opened, body="An amended call.", change="substantive")
        db.session.get(Signature, sig).reconsent_asked_at = utcnow() - timedelta(days=8)
        db.session.commit()
        before = db.session.get(Statement, opened).count_total
    result = runner.invoke(args=["versions", "lapse"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.session.expire_all()
        signature, other = db.session.get(Signature, sig), db.session.get(Signature, recent)
        assert signature.reconsent_asked_at is None and other.reconsent_asked_at is not None
        assert signature.original_version == 1  # signed an earlier version, either way
        if rule == "stay":
            assert signature.state == "validated" and "1 stayed" in result.output
        else:
            assert signature.state == "invalidated" and "1 left" in result.output
            assert db.session.get(Statement, opened).count_total == before - 1
