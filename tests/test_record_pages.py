"""The public record (SQLite and PostgreSQL): the version history with diffs between any two
versions, "corrected/amended on DATE" notes, "signed an earlier version", the list as of
version N, the trust block and its zero state, and the workspace's record settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fast_app import fast_app, fast_module_app  # noqa: F401
from manage_fixtures import add_counted, add_statement, text_of

from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import ModerationEvent, Statement, utcnow
from portal.record import versions
from portal.statements import translating

ACTOR = Actor(None, "test")
URL = "/en/s/free-them"


def edit(sid, body, change, lang="en", title="free-them title en"):
    translating.save(sid, translating.TranslationInput(lang, title, "", body, change), ACTOR)


@pytest.fixture
def amended(app, people):
    """A statement: version 1, a correction (2), an amendment (3); one signer of each."""
    sid = add_statement(app, "free-them", people.owner, langs=("en", "ar"))
    with app.app_context():
        versions.open_record(db.session, db.session.get(Statement, sid))
        db.session.commit()
    add_counted(app, sid, "Early Signers", "a@example.org", original_version=1)
    with app.app_context():
        edit(sid, "Body of free-them, corrected.", "editorial")
        edit(sid, "Body of free-them, <b>amended</b> & extended.", "substantive")
    add_counted(app, sid, "Later Signers", "b@example.org", original_version=3)
    add_counted(app, sid, "Kept On", "c@example.org", original_version=3)
    return sid


def test_version_history_and_a_diff_between_any_two(app, client, amended):
    page = client.get(f"{URL}/versions")
    html = text_of(page)
    assert page.status_code == 200 and "Vary" in page.headers
    for number in ("1", "2", "3"):
        assert f"<bdi>{number}</bdi>" in html
    with app.app_context():
        digest = versions.latest(db.session, amended, "en").sha256
    assert digest in html
    # Default: the latest against the one before; user text is escaped inside the marks.
    assert "<ins><span class=\"visually-hidden\">" in html and "&lt;b&gt;amended&lt;/b&gt;" in html
    assert "<b>amended</b>" not in html
    first_to_last = text_of(client.get(f"{URL}/versions?from=1&to=3"))
    assert "Changes from version 1 to version 3" in first_to_last
    fragment = client.get(f"{URL}/versions?from=1&to=2", headers={"HX-Request": "true"})
    assert text_of(fragment).startswith('<section id="version_diff"')
    assert "<html" not in text_of(fragment)
    assert client.get(f"{URL}/versions?from=9&to=2").status_code == 404
    assert client.get(f"{URL}/versions?to=99999999999").status_code == 404
    arabic = text_of(client.get("/ar/s/free-them/versions"))
    assert 'dir="rtl"' in arabic


def test_notes_earlier_version_and_the_list_as_of_version_n(app, client, amended):
    html = text_of(client.get(URL))
    trust = html[html.index('id="trust"'):]
    assert "Amended on" in trust and "Corrected on" in trust
    assert "versions?to=3&amp;from=2" in trust or "versions?from=2&amp;to=3" in trust
    early = html[html.index("Early Signers"):][:200]
    assert "signed an earlier version" in early
    assert "signed an earlier version" not in html[html.index("Later Signers"):][:120]
    as_of = text_of(client.get(f"{URL}/signatories?version=3"))
    assert "Later Signers" in as_of and "Kept On" in as_of and "Early Signers" not in as_of
    assert "The list as of version 3" in as_of
    assert "Early Signers" in text_of(client.get(f"{URL}/signatories?version=1"))
    # A correction signs the same text as its amendment: version 2 is version 1's list.
    assert "Early Signers" in text_of(client.get(f"{URL}/signatories?version=2"))


def test_trust_block_and_zero_state(app, client, auth, people):
    sid = add_statement(app, "free-them", people.owner, state="closed",
                        closed_at=utcnow() - timedelta(hours=1))
    html = text_of(client.get(URL))
    assert "No one has signed yet." in html and "0 organisations" not in html
    assert "from 0 countries" not in html
    auth.login()
    saved = auth.post(f"/manage/statements/{sid}/record/settings", {
        "initiators": "Reporters Network\r\n\r\n<script>alert(1)</script>\r\n",
        "corrections_contact": "corrections@network.example.org", "reconsent_days": "10",
        "reconsent_lapse": "remove"}, page=f"/manage/statements/{sid}/record")
    assert saved.status_code == 303
    add_counted(app, sid, "Listed One", "a@example.org")
    add_counted(app, sid, "Hidden One", "secret@example.org", visibility="hidden")
    html = text_of(client.get(URL))
    trust = html[html.index('id="trust"'):]
    assert "Reporters Network" in trust and "&lt;script&gt;" in trust and "<script>alert" not in html
    assert 'href="mailto:corrections@network.example.org"' in trust
    assert "1 more chose not to be listed." in trust
    assert "Published" in trust and "Signing closed" in trust
    assert "secret@example.org" not in html and "a@example.org" not in html
    with app.app_context():
        statement = db.session.get(Statement, sid)
        assert (statement.reconsent_days, statement.reconsent_lapse) == (10, "remove")
        assert db.session.scalar(db.select(ModerationEvent.id).where(
            ModerationEvent.action == "record_settings")) is not None
    bad = auth.post(f"/manage/statements/{sid}/record/settings", {
        "initiators": "Kept", "corrections_contact": "not an address", "reconsent_days": "0",
        "reconsent_lapse": "elsewhere"}, page=f"/manage/statements/{sid}/record")
    assert bad.status_code == 422 and "Kept" in text_of(bad)
    auth.logout()
    auth.login("other@example.org")
    assert auth.post(f"/manage/statements/{sid}/record/settings", {"reconsent_days": "3"},
                     page="/manage/").status_code == 404
    assert auth.client.get(f"/manage/statements/{sid}/record").status_code == 404


def test_the_original_form_asks_which_kind_without_javascript(app, auth, people):
    sid = add_statement(app, "free-them", people.owner)
    with app.app_context():
        versions.open_record(db.session, db.session.get(Statement, sid))
        db.session.commit()
    auth.login()
    url = f"/manage/statements/{sid}/translations/en"
    form = text_of(auth.client.get(url))
    assert 'type="radio" value="editorial"' in form and 'value="substantive"' in form
    asked = auth.post(url, {"title": "free-them title en", "body_md": "A new body.", "action": "save"},
                      page=url)
    assert asked.status_code == 422 and "A new body." in text_of(asked)
    assert "editorial correction or a substantive amendment" in text_of(asked)
    done = auth.post(url, {"title": "free-them title en", "body_md": "A new body.", "action": "save",
                           "change": "editorial"}, page=url)
    assert done.status_code == 303
    with app.app_context():
        assert [(v.number, v.kind) for v in versions.history(db.session, sid, "en")] == [
            (2, "editorial"), (1, "first")]
