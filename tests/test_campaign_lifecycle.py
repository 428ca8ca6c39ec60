"""Issue 13, a safe lifecycle: publish, close and archive are confirmed (a page without
JavaScript, a dialog's fragment with htmx) saying to how many signatories; a closed statement
reopens by hand or by a later deadline, audited; "Publish this language" publishes what is on
screen; a coordinator is taken off one statement."""

from __future__ import annotations

import re
from datetime import timedelta

from manage_fixtures import add_signature, add_statement, text_of
from sqlalchemy import select

from portal.extensions import db
from portal.models import ModerationEvent, Statement, StatementTranslation, utcnow


def state_of(app, sid: int) -> str:
    with app.app_context():
        return db.session.get(Statement, sid).state


def events(app, sid: int) -> list[ModerationEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.statement_id == sid).order_by(ModerationEvent.id)))
        db.session.expunge_all()
        return rows


def seeded(app, people, state: str = "collecting", **fields) -> int:
    sid = add_statement(app, "jailed-reporters", people.owner, state=state, **fields)
    for i in range(3):
        add_signature(app, sid, f"Counted Press {i}", f"c{i}@press.example", state="confirmed")
    add_signature(app, sid, "Waiting Press", "w@press.example", state="confirmed")
    add_signature(app, sid, "Unconfirmed Press", "u@press.example", state="pending")
    from portal.signatures import signing

    with app.app_context():
        from portal.models import Signature

        for ident in db.session.scalars(select(Signature.id).where(Signature.name.like("Counted%"))):
            assert signing.moderate(ident, True)
    return sid


def facts(html: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))


def test_each_step_is_confirmed_on_a_page_then_taken_by_post(app, client, auth, people):
    sid = seeded(app, people)
    auth.login()
    base = f"/manage/statements/{sid}"
    overview = text_of(client.get(base))
    # Publishing is a GET to its confirmation (enhanced into a dialog), never a one-click POST.
    assert f'<form method="get" action="{base}/step/published" hx-get="{base}/step/published"' in overview
    assert 'name="to" value="published"' not in overview
    assert '<dialog id="step-dialog"' in overview

    page = client.get(f"{base}/step/published")
    html = text_of(page)
    assert page.status_code == 200 and "<html" in html and "Publish this statement?" in html
    shown = facts(html)
    assert shown["Signatures counted"] == "3" and shown["Waiting for your approval"] == "1"
    assert shown["Waiting for their owners to confirm"] == "1"
    assert f'href="{base}"' in html  # Cancel goes back without doing anything
    assert state_of(app, sid) == "collecting"  # the GET changed nothing

    # htmx: the same fragment, for the dialog, with a Cancel that closes it without JavaScript's help.
    fragment = auth.client.get(f"{base}/step/published", headers={"HX-Request": "true"})
    body = text_of(fragment)
    assert "<html" not in body and body.lstrip().startswith("<section id=\"step\"")
    assert '<form method="dialog">' in body and "Publish this statement?" in body

    done = auth.post(f"{base}/step/published", page=base)
    assert done.status_code == 303 and done.headers["Location"].endswith(base)
    assert state_of(app, sid) == "published"

    # Close: a secondary button (not the filled primary); confirmed, then taken through htmx.
    overview = text_of(client.get(base))
    close = re.search(r'<form method="get" action="[^"]+/step/closed"[^>]*>\s*<button type="submit"([^>]*)>',
                      overview)
    assert close and "primary" not in close.group(1)
    html = text_of(client.get(f"{base}/step/closed"))
    assert "Close signing?" in html and "No new signatures are accepted." in html
    swapped = auth.post(f"{base}/step/closed", htmx=True, page=base)
    assert swapped.status_code == 200 and 'id="controls"' in text_of(swapped)
    assert "The statement is now: closed." in text_of(swapped)
    assert state_of(app, sid) == "closed"
    # Closed: archive (primary) and reopen (secondary) are offered, both confirmed.
    overview = text_of(client.get(base))
    assert f'action="{base}/step/archived"' in overview and f'action="{base}/step/reopen"' in overview
    assert "Reopen signing?" in text_of(client.get(f"{base}/step/reopen"))
    assert auth.post(f"{base}/step/reopen", page=base).status_code == 303
    assert state_of(app, sid) == "published"
    reopened = [e for e in events(app, sid) if e.action == "reopened"]
    assert len(reopened) == 1 and reopened[0].from_state == "closed" and reopened[0].to_state == "published"
    assert reopened[0].actor_id == people.owner and reopened[0].detail == "by hand"
    with app.app_context():
        item = db.session.get(Statement, sid)
        assert item.closed_at is None and item.published_at is not None

    # A step that is not available now: a clear 409, nothing changes; an unknown one is a 404.
    refused = auth.post(f"{base}/step/reopen", htmx=True, page=base)
    assert refused.status_code == 409 and "Only a closed statement can be reopened." in text_of(refused)
    assert client.get(f"{base}/step/archived", headers={"HX-Request": "true"}).status_code == 409
    assert client.get(f"{base}/step/deleted").status_code == 404
    assert state_of(app, sid) == "published"


def test_another_coordinator_cannot_see_or_take_a_step(app, client, auth, people):
    sid = seeded(app, people, state="published")
    auth.login("other@example.org")
    base = f"/manage/statements/{sid}"
    assert client.get(f"{base}/step/closed").status_code == 404
    assert auth.post(f"{base}/step/closed", page="/manage/").status_code == 404
    assert auth.post(f"{base}/coordinators/{people.owner}/remove", page="/manage/").status_code == 404
    assert state_of(app, sid) == "published"


def test_extending_the_deadline_past_now_reopens_a_closed_statement(app, client, auth, people):
    sid = seeded(app, people, state="published", deadline_at=utcnow() + timedelta(hours=1))
    with app.app_context():
        db.session.get(Statement, sid).deadline_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    auth.login()
    base = f"/manage/statements/{sid}"
    assert "Signing of this statement is closed." in text_of(client.get("/en/s/jailed-reporters"))
    assert state_of(app, sid) == "closed"
    # Reopening by hand would close again at once: refused, with what to do instead.
    refused = auth.post(f"{base}/step/reopen", page=base, follow_redirects=True)
    assert "The deadline has passed. Set a later deadline in the settings" in text_of(refused)
    assert state_of(app, sid) == "closed"
    later = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    saved = auth.post(f"{base}/edit", {"slug": "jailed-reporters", "original_lang": "en",
                                       "allow_organisations": "y", "moderation": "pre",
                                       "require_confirmation": "y", "time_zone": "UTC", "deadline": later},
                      page=base)
    assert saved.status_code == 303
    assert state_of(app, sid) == "published"
    assert "Signing of this statement is closed." not in text_of(client.get("/en/s/jailed-reporters"))
    actions = [(e.action, e.detail) for e in events(app, sid)]
    assert ("statement_edited", "") in actions and ("reopened", "deadline extended") in actions


def test_publish_this_language_publishes_what_is_on_screen(app, client, auth, people):
    sid = add_statement(app, "on-screen", people.owner, state="draft")
    with app.app_context():
        db.session.add(StatementTranslation(statement_id=sid, lang="fr", title="Ancien titre",
                                            body_md="Ancien texte.", revision=1, source_revision=1))
        db.session.commit()
    auth.login()
    url = f"/manage/statements/{sid}/translations/fr"
    page = text_of(client.get(url))
    # The button submits the text form itself: no separate form that would publish the saved text.
    assert re.search(r'<button type="submit" form="translation_form" name="action" value="publish"', page)
    published = auth.post(url, {"title": "Titre à l'écran", "summary": "", "body_md": "Texte à l'écran.",
                                "action": "publish"}, page=url)
    assert published.status_code == 303
    assert "Saved and published." in text_of(client.get(url))
    with app.app_context():
        tr = db.session.scalars(select(StatementTranslation).where(
            StatementTranslation.statement_id == sid, StatementTranslation.lang == "fr")).one()
        assert (tr.title, tr.body_md, tr.published) == ("Titre à l'écran", "Texte à l'écran.", True)
    assert [e.action for e in events(app, sid)][-2:] == ["translation_saved", "translation_published"]
    # Text on screen that cannot be published is saved (nothing lost) and the refusal is clear.
    assert auth.post(f"{url}/publish", {"published": "0"}, page=url).status_code == 303
    refused = auth.post(url, {"title": "Sans corps", "summary": "", "body_md": " ", "action": "publish"},
                        page=url)
    assert refused.status_code == 422 and "Write the body before publishing." in text_of(refused)
    with app.app_context():
        tr = db.session.scalars(select(StatementTranslation).where(
            StatementTranslation.statement_id == sid, StatementTranslation.lang == "fr")).one()
        assert tr.title == "Sans corps" and not tr.published


def test_removing_a_coordinator_from_one_statement(app, client, auth, people):
    sid = seeded(app, people, state="published")
    other_sid = add_statement(app, "elsewhere", people.other)
    auth.login()
    base = f"/manage/statements/{sid}"
    # The last coordinator stays: nobody but administrators would be left to run it.
    alone = auth.post(f"{base}/coordinators/{people.owner}/remove", htmx=True, page=base)
    assert alone.status_code == 409 and "keeps at least one coordinator" in text_of(alone)
    assert auth.post(f"{base}/coordinators", {"email": "other@example.org"}, page=base).status_code == 303
    assert f"/coordinators/{people.other}/remove" in text_of(client.get(base))
    removed = auth.post(f"{base}/coordinators/{people.other}/remove", htmx=True, page=base)
    assert removed.status_code == 200 and "Removed from this statement." in text_of(removed)
    event = [e for e in events(app, sid) if e.action == "coordinator_removed"]
    assert len(event) == 1 and event[0].before_text == "other@example.org"
    assert event[0].actor_id == people.owner
    # Not a coordinator of it any more (a second removal is refused); their account and own statement stay.
    again = auth.post(f"{base}/coordinators/{people.other}/remove", htmx=True, page=base)
    assert again.status_code == 409 and "This coordinator does not run this statement." in text_of(again)
    auth.logout()
    auth.login("other@example.org")
    assert client.get(base).status_code == 404
    assert client.get(f"/manage/statements/{other_sid}").status_code == 200
