"""Every workspace action writes one audit entry: who, what, when (UTC), before and after."""

from __future__ import annotations

import re
from datetime import timedelta

from manage_fixtures import add_signature, text_of
from sqlalchemy import select

from portal.extensions import db
from portal.models import ModerationEvent, as_utc, utcnow
from portal.words import action_label

EXPECTED = [
    "statement_created", "statement_edited", "translation_saved", "translation_published",
    "translation_saved", "translation_published", "translation_unpublished", "coordinator_added",
    "opened", "paused", "resumed", "approved", "rejected", "edited", "translation_saved",
    "translation_marked_current", "published", "exported_full", "closed", "archived",
]


def test_every_action_is_audited_with_who_when_before_and_after(app, client, auth, people):
    started = utcnow() - timedelta(seconds=5)
    auth.login()
    made = auth.post("/manage/statements/new", {
        "slug": "audited", "title": "Audited", "original_lang": "en", "allow_organisations": "y",
        "moderation": "pre", "require_confirmation": "y", "time_zone": "UTC"})
    sid = int(made.headers["Location"].rsplit("/", 1)[1])
    base = f"/manage/statements/{sid}"
    steps = [
        (f"{base}/edit", {"slug": "audited", "original_lang": "en", "allow_organisations": "y",
                          "moderation": "post", "require_confirmation": "y", "time_zone": "UTC"}),
        (f"{base}/translations/en", {"title": "Audited", "body_md": "Text v1."}),
        (f"{base}/translations/en/publish", {"published": "1"}),
        (f"{base}/translations/fr", {"title": "Audité", "body_md": "Texte v1."}),
        (f"{base}/translations/fr/publish", {"published": "1"}),
        (f"{base}/translations/fr/publish", {"published": "0"}),
        (f"{base}/coordinators", {"email": "other@example.org"}),
        (f"{base}/lifecycle", {"to": "collecting"}),
        (f"{base}/pause", {"paused": "1"}),
        (f"{base}/pause", {"paused": "0"}),
    ]
    for url, data in steps:
        assert auth.post(url, data).status_code == 303, url
    first = add_signature(app, sid, "First Org", "first@audit.example")
    second = add_signature(app, sid, "Second Org", "second@audit.example")
    for url, data in [
        (f"/manage/signatures/{first}/approve", {}),
        (f"/manage/signatures/{second}/reject", {"reason": "not them"}),
        (f"/manage/signatures/{first}/edit", {"name": "First Org Ltd", "note": "typo"}),
        # Signing has opened: the original's change says its kind (issue 14).
        (f"{base}/translations/en", {"title": "Audited", "body_md": "Text v2.", "change": "editorial"}),
        (f"{base}/translations/fr/current", {}),
        (f"{base}/lifecycle", {"to": "published"}),
    ]:
        assert auth.post(url, data).status_code == 303, url
    assert auth.post(f"{base}/export/full.csv").status_code == 200
    for step in ("closed", "archived"):
        assert auth.post(f"{base}/lifecycle", {"to": step}).status_code == 303
    with app.app_context():
        entries = list(db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.statement_id == sid, ModerationEvent.actor_label != "signer")
            .order_by(ModerationEvent.id)))
        assert [e.action for e in entries] == EXPECTED
        for entry in entries:
            assert entry.actor_id == people.owner and entry.actor_label == "Olga Owner", entry.action
            assert started <= as_utc(entry.created_at) <= utcnow()
        by_action = {e.action: e for e in entries}
        assert "moderation: pre" in by_action["statement_edited"].before_text
        assert "moderation: post" in by_action["statement_edited"].after_text
        assert (by_action["opened"].from_state, by_action["opened"].to_state) == ("draft", "collecting")
        approved = by_action["approved"]
        assert (approved.from_state, approved.to_state) == ("confirmed", "validated")
        assert by_action["rejected"].detail == "not them"
        edited = by_action["edited"]
        assert "First Org\n" in edited.before_text and "First Org Ltd" in edited.after_text
        assert by_action["paused"].after_text == "paused" and by_action["resumed"].after_text == "open"
        assert by_action["coordinator_added"].after_text == "other@example.org"
        assert "Text v1." in entries[14].before_text and "Text v2." in entries[14].after_text
    page = text_of(client.get(f"/manage/audit?statement={sid}"))
    what = {re.split(r"<br>| · ", cells[2])[0] for cells in (
        re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in page.split("<tr>")[2:])}
    assert what == {action_label(action) for action in EXPECTED}
    assert not what & set(EXPECTED)  # in words, never as the stored code
    assert '">confirmed, awaiting approval</td>' in page and '">collecting (private link)</td>' in page
    assert '<option value="translation_marked_current">marked a translation current</option>' in page
    french = text_of(client.get(f"/manage/audit?statement={sid}", headers={"Accept-Language": "fr"}))
    assert '">a ouvert la signature' in french and '">a approuvé une signature' in french
