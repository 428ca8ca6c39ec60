"""Authoring through the workspace: statements, translations and the stale flag, lifecycle, pausing,
deadlines and scheduled publication."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from manage_fixtures import add_statement, errors_of, text_of
from sqlalchemy import select

from portal.extensions import db
from portal.models import ModerationEvent, Signature, Statement, as_utc, utcnow
from portal.statements import reading as statements

NEW = {"slug": "jail-no-more", "title": "Jail no more", "original_lang": "en", "allow_organisations": "y",
       "moderation": "pre", "require_confirmation": "y", "time_zone": "UTC"}


def actions(app, statement_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(ModerationEvent.action).where(
            ModerationEvent.statement_id == statement_id).order_by(ModerationEvent.id)))


def statement(app, statement_id: int) -> Statement:
    with app.app_context():
        item = db.session.get(Statement, statement_id)
        db.session.expunge(item)
        return item


def create(auth, **fields) -> int:
    response = auth.post("/manage/statements/new", NEW | fields)
    assert response.status_code == 303, errors_of(text_of(response))
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_create_edit_and_deadline_in_a_time_zone(app, client, auth, people):
    auth.login()
    sid = create(auth, time_zone="Europe/Paris", deadline="2031-01-15T18:30", target_count="150")
    item = statement(app, sid)
    assert item.state == "draft" and item.require_confirmation and item.moderation == "pre"
    assert as_utc(item.deadline_at) == datetime(2031, 1, 15, 17, 30, tzinfo=UTC)  # CET is UTC+1
    assert item.target_count == 150 and item.deadline_tz == "Europe/Paris"
    with app.app_context():
        assert [c.id for c in db.session.get(Statement, sid).coordinators] == [people.owner]
    form = text_of(client.get(f"/manage/statements/{sid}/edit"))
    assert 'value="2031-01-15T18:30"' in form  # shown back in the zone it was entered in
    edited = auth.post(f"/manage/statements/{sid}/edit", NEW | {
        "time_zone": "Europe/Paris", "deadline": "2031-01-15T18:30", "allow_individuals": "y",
        "moderation": "post"})
    assert edited.status_code == 303
    assert actions(app, sid) == ["statement_created", "statement_edited"]
    with app.app_context():
        event = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.action == "statement_edited")).one()
        assert "moderation: pre" in event.before_text and "moderation: post" in event.after_text
        assert event.actor_id == people.owner


@pytest.mark.parametrize("fields, field", [
    ({"slug": "Not A Slug"}, "slug"),
    ({"title": ""}, "title"),
    ({"allow_organisations": ""}, "allow_organisations"),
    ({"deadline": "2001-01-01T00:00"}, "deadline"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"target_count": "-3"}, "target_count"),
])
def test_invalid_statement_form_is_422_with_tied_errors(client, auth, fields, field):
    auth.login()
    data = NEW | fields
    data = {k: v for k, v in data.items() if v != ""}
    response = auth.post("/manage/statements/new", data)
    html = text_of(response)
    assert response.status_code == 422 and errors_of(html)
    ident = "signers" if field == "allow_organisations" else field
    assert f'aria-describedby="{ident}-error"' in html or f'{ident}-error"' in html
    assert f'id="{ident}-error"' in html


def test_taken_slug_is_refused(app, auth):
    add_statement(app, "jail-no-more", None)
    auth.login()
    response = auth.post("/manage/statements/new", NEW)
    assert response.status_code == 422 and "This address is not available." in text_of(response)
    assert re.search(r'name="slug"[^>]*value="jail-no-more-[a-z2-9]{4}"', text_of(response))


def test_journey_translations_lifecycle_and_private_link(app, client, auth):
    auth.login()
    sid = create(auth)
    base = f"/manage/statements/{sid}"
    opened = auth.post(f"{base}/lifecycle", {"to": "collecting"})
    assert opened.status_code == 303 and statement(app, sid).state == "draft"  # guard: no body yet
    assert auth.post(f"{base}/translations/en", {"title": "Jail no more", "summary": "Now.",
                                                 "body_md": "We call **now**."}).status_code == 303
    assert auth.post(f"{base}/translations/fr", {"title": "Plus de prison", "summary": "",
                                                 "body_md": "Nous appelons."}).status_code == 303
    assert auth.post(f"{base}/translations/ar", {"title": "لا للسجن", "summary": "",
                                                 "body_md": "نطالب **الآن**."}).status_code == 303
    for lang in ("en", "fr", "ar"):
        assert auth.post(f"{base}/translations/{lang}/publish", {"published": "1"}).status_code == 303
    skip = auth.post(f"{base}/lifecycle", {"to": "published"}, htmx=True)
    assert skip.status_code == 409 and statement(app, sid).state == "draft"
    assert auth.post(f"{base}/lifecycle", {"to": "collecting"}).status_code == 303
    item = statement(app, sid)
    assert item.state == "collecting"
    page = text_of(client.get(base))
    link = f"/en/s/jail-no-more?key={item.private_key}"
    assert link in page
    assert client.get(link).status_code == 200 and client.get("/en/s/jail-no-more").status_code == 404
    fragment = auth.post(f"{base}/lifecycle", {"to": "published"}, htmx=True)
    assert fragment.status_code == 200 and 'id="controls"' in text_of(fragment)
    assert "<html" not in text_of(fragment)
    assert client.get("/ar/s/jail-no-more").status_code == 200
    assert "لا للسجن" in text_of(client.get("/ar/s/jail-no-more"))
    assert auth.post(f"{base}/lifecycle", {"to": "closed"}).status_code == 303
    assert auth.post(f"{base}/lifecycle", {"to": "archived"}).status_code == 303
    assert statement(app, sid).state == "archived"
    assert auth.post(f"{base}/lifecycle", {"to": "published"}).status_code == 303  # refused, flashed
    assert statement(app, sid).state == "archived"
    assert [a for a in actions(app, sid) if a in ("opened", "published", "closed", "archived")] == [
        "opened", "published", "closed", "archived"]


def test_live_preview_is_sanitised_like_the_public_page(client, auth, app):
    sid = add_statement(app, "owned", None)
    auth.login("admin@example.org")
    response = auth.post(f"/manage/statements/{sid}/translations/fr/preview", {
        "title": "T", "body_md": "**gras** <script>alert(1)</script> [x](javascript:alert(1)) "
                                 '<a hx-get="/x" href="https://e.org">y</a>'}, htmx=True)
    html = text_of(response)
    assert response.status_code == 200 and html.startswith('<section id="preview"')
    assert "<strong>gras</strong>" in html and "<script" not in html
    assert 'href="javascript' not in html and not re.search(r"<[^>]*hx-get", html) and 'lang="fr"' in html
    plain = auth.post(f"/manage/statements/{sid}/translations/fr", {
        "title": "T", "body_md": "**gras**", "action": "preview"})
    assert plain.status_code == 200 and "<strong>gras</strong>" in text_of(plain)  # without JS


def test_stale_translation_flag(app, client, auth):
    auth.login()
    sid = create(auth)
    base = f"/manage/statements/{sid}"
    auth.post(f"{base}/translations/en", {"title": "Jail no more", "body_md": "Original v1."})
    auth.post(f"{base}/translations/fr", {"title": "Plus de prison", "body_md": "Traduction v1."})
    auth.post(f"{base}/translations/fr/publish", {"published": "1"})
    assert "out of date" not in text_of(client.get(base))
    auth.post(f"{base}/translations/en", {"title": "Jail no more", "body_md": "Original v1."})  # no change
    assert "out of date" not in text_of(client.get(base))
    auth.post(f"{base}/translations/en", {"title": "Jail no more", "body_md": "Original v2, amended."})
    overview = text_of(client.get(base))
    assert 'class="status-stale"' in overview and "out of date" in overview
    assert "status-missing" in overview  # es, ru: not written yet
    assert "out of date" in text_of(client.get(f"{base}/translations/fr"))
    assert auth.post(f"{base}/translations/fr/current").status_code == 303
    assert 'class="status-stale"' not in text_of(client.get(base))
    auth.post(f"{base}/translations/en", {"title": "Jail no more", "body_md": "Original v3."})
    assert 'class="status-stale"' in text_of(client.get(base))
    auth.post(f"{base}/translations/fr", {"title": "Plus de prison", "body_md": "Traduction v3."})
    assert 'class="status-stale"' not in text_of(client.get(base))
    assert {"translation_saved", "translation_published", "translation_marked_current"} <= set(
        actions(app, sid))


def sign(client, slug="paused-one", email="ana@example.org"):
    token_page = text_of(client.get(f"/en/s/{slug}"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token_page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', token_page)
    data = {"kind": "organisation", "name": "Reporters United", "signer_name": "Ana", "role": "Dir",
            "country": "FR", "email": email, "visibility": "full", "authorised": "y",
            "csrf_token": token.group(1) if token else ""}
    return client.post(f"/en/s/{slug}/sign", data=data)


def count_signatures(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Signature)).all())


def test_pausing_a_statement_refuses_signing_and_keeps_reading(app, client, auth):
    sid = add_statement(app, "paused-one", None)
    auth.login("admin@example.org")
    assert auth.post(f"/manage/statements/{sid}/pause", {"paused": "1"}).status_code == 303
    public = app.test_client()
    page = public.get("/en/s/paused-one")
    assert page.status_code == 200 and "Signing is paused for now." in text_of(page)
    assert 'action="/en/s/paused-one/sign"' not in text_of(page)
    refused = sign(public)
    assert refused.status_code in (400, 422) and count_signatures(app) == 0
    assert auth.post(f"/manage/statements/{sid}/pause", {"paused": "0"}).status_code == 303
    assert 'action="/en/s/paused-one/sign"' in text_of(public.get("/en/s/paused-one"))
    assert sign(public).status_code == 303 and count_signatures(app) == 1  # the same form now works
    assert actions(app, sid)[:2] == ["paused", "resumed"]


def test_site_wide_pause_refuses_signing_everywhere(app, client, auth):
    add_statement(app, "paused-one", None)
    auth.login("admin@example.org")
    assert auth.post("/manage/site", {"paused": "1"}, page="/manage/site").status_code == 303
    public = app.test_client()
    page = public.get("/en/s/paused-one")
    assert page.status_code == 200 and "Signing is paused for now." in text_of(page)
    assert sign(public).status_code in (400, 422) and count_signatures(app) == 0
    assert public.get("/en/s/paused-one/signatories").status_code == 200
    with app.app_context():
        event = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.action == "site_paused")).one()
        assert event.statement_id is None and event.after_text == "paused"
    auth.post("/manage/site", {"paused": "0"}, page="/manage/site")
    assert 'action="/en/s/paused-one/sign"' in text_of(public.get("/en/s/paused-one"))
    assert sign(public).status_code == 303 and count_signatures(app) == 1


def test_a_coordinator_cannot_pause_the_site(client, auth):
    auth.login()
    assert auth.post("/manage/site", {"paused": "1"}, page="/manage/").status_code == 403


def test_deadline_closes_signing_on_request(app, client):
    sid = add_statement(app, "deadline-one", None, deadline_at=utcnow() + timedelta(hours=1))
    with app.app_context():
        db.session.get(Statement, sid).deadline_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    page = client.get("/en/s/deadline-one")
    assert page.status_code == 200 and "Signing of this statement is closed." in text_of(page)
    item = statement(app, sid)
    assert item.state == "closed" and item.closed_at is not None
    assert sign(client, "deadline-one").status_code in (400, 404, 422) and count_signatures(app) == 0
    assert actions(app, sid) == ["closed"]


def test_deadline_and_scheduled_publication_by_tick(app, runner):
    late = add_statement(app, "late-one", None, deadline_at=utcnow() + timedelta(hours=1))
    embargo = add_statement(app, "embargoed", None, state="collecting",
                            publish_at=utcnow() + timedelta(hours=1))
    with app.app_context():
        db.session.get(Statement, late).deadline_at = utcnow() - timedelta(minutes=1)
        db.session.get(Statement, embargo).publish_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    result = runner.invoke(args=["statements", "tick"])
    assert result.exit_code == 0, result.output
    assert statement(app, late).state == "closed"
    published = statement(app, embargo)
    assert published.state == "published" and published.published_at is not None
    assert actions(app, embargo) == ["published"]
    assert runner.invoke(args=["statements", "tick"]).exit_code == 0
    assert actions(app, embargo) == ["published"]  # once only


def test_scheduled_publication_on_request(app, client):
    sid = add_statement(app, "embargoed", None, state="collecting", publish_at=utcnow() + timedelta(hours=1))
    assert "embargoed" not in text_of(client.get("/en/"))
    with app.app_context():
        db.session.get(Statement, sid).publish_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert "/s/embargoed" in text_of(client.get("/en/"))
    assert statement(app, sid).state == "published"
    assert client.get("/en/s/embargoed").status_code == 200


def test_refresh_is_idempotent_under_repeats(app):
    sid = add_statement(app, "late-one", None, deadline_at=utcnow() - timedelta(minutes=1))
    with app.app_context():
        for _ in range(3):
            statements.refresh(db.session.get(Statement, sid))
    assert actions(app, sid) == ["closed"]


def test_htmx_forms_redirect_the_whole_page_and_swap_errors(app, auth):
    auth.login()
    done = auth.post("/manage/statements/new", NEW, htmx=True)
    assert done.status_code == 200 and done.headers["HX-Redirect"].startswith("/manage/statements/")
    assert done.get_data(as_text=True) == ""
    again = auth.post("/manage/statements/new", NEW, htmx=True)
    html = text_of(again)
    assert again.status_code == 422 and html.startswith('<form id="statement_form"') and "<html" not in html
