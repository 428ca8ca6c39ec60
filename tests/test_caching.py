"""Public pages are cacheable and cookie-free; the sign form's stateless token guards signing."""

from __future__ import annotations

import time

import pytest
from conftest import csrf_token, fresh_schema, link_from, outbox_bodies
from factories import new_statement, titled
from test_views_statements import sign_form
from waits import wait_for

from portal import tokens
from portal.extensions import db
from portal.models import Signature, Statement
from portal.signatures import signing

SLUG = "free-the-reporters"
PUBLIC_GETS = ["/en/", f"/en/s/{SLUG}", f"/fr/s/{SLUG}", f"/en/s/{SLUG}/signatories",
               f"/en/s/{SLUG}/signatories?q=press&country=FR", f"/en/s/{SLUG}/count",
               f"/en/s/{SLUG}/thanks"]


def validated(app, sid: int, name: str, email: str) -> None:
    with app.app_context():
        signing.sign(signing.SignRequest(statement_id=sid, kind="organisation", name=name, country="FR",
                                         email=email, lang="en", authorised=True, signer_name="X"))


@pytest.mark.parametrize("url", PUBLIC_GETS)
@pytest.mark.parametrize("htmx", [False, True])
def test_public_gets_are_shared_cacheable_and_set_no_cookie(client, make_statement, url, htmx):
    make_statement(moderation="post", require_confirmation=False)
    response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    cache_control = response.headers["Cache-Control"]
    assert cache_control.startswith("public, max-age=") and "stale-while-revalidate=" in cache_control
    assert {v.strip() for v in response.headers["Vary"].split(",")} <= {
        "HX-Request", "HX-Boosted", "HX-History-Restore-Request", "Accept-Encoding"}
    assert response.headers["ETag"].startswith('W/"')


@pytest.mark.parametrize("url", PUBLIC_GETS)
def test_unchanged_page_is_304_and_a_new_signature_changes_it(app, client, make_statement, url):
    sid = make_statement(moderation="post", require_confirmation=False)
    tag = client.get(url).headers["ETag"]
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["Cache-Control"].startswith("public") and "Set-Cookie" not in again.headers
    validated(app, sid, "Press Club de France", "club@example.org")
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_page_and_fragment_do_not_share_a_validator(client, make_statement):
    make_statement()
    url = f"/en/s/{SLUG}/signatories"
    page_tag = client.get(url).headers["ETag"]
    fragment = client.get(url, headers={"HX-Request": "true", "If-None-Match": page_tag})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_collecting_statement_is_private_and_noindex(app, client, make_statement):
    sid = make_statement(state="collecting")
    with app.app_context():
        key = db.session.get(Statement, sid).private_key
    for url in (f"/en/s/{SLUG}?key={key}", f"/en/s/{SLUG}/count?key={key}",
                f"/en/s/{SLUG}/signatories?key={key}"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"].startswith("private")
        assert "noindex" in response.headers["X-Robots-Tag"]
        assert "Set-Cookie" not in response.headers


def test_confirm_and_withdraw_pages_are_never_stored(app, client, make_statement):
    make_statement()
    client.post(f"/en/s/{SLUG}/sign", data=sign_form(csrf_token=csrf_token(client, f"/en/s/{SLUG}")))
    body = outbox_bodies(app)[0]
    for kind in ("confirm", "withdraw"):
        response = client.get(link_from(body, kind))
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_changing_language_on_the_index_is_remembered_privately(client):
    client.set_cookie("lang", "fr")
    response = client.get("/ar/")
    assert "lang=ar" in response.headers["Set-Cookie"]
    assert response.headers["Cache-Control"].startswith("private")


def _rows(app) -> int:
    with app.app_context():
        return db.session.query(Signature).count()


def test_public_token_is_the_same_for_every_reader_and_signs(app, client, make_statement):
    make_statement()
    token = csrf_token(client, f"/en/s/{SLUG}")
    assert token == csrf_token(app.test_client(), f"/fr/s/{SLUG}")
    page = client.get(f"/en/s/{SLUG}").get_data(as_text=True)
    assert f'"X-CSRFToken": "{token}"' in page
    by_header = client.post(f"/en/s/{SLUG}/sign", data=sign_form(),
                            headers={"X-CSRFToken": token, "HX-Request": "true",
                                     "Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert by_header.status_code == 200 and _rows(app) == 1


def _expired(app) -> str:
    with app.test_request_context():
        return tokens.form_token(SLUG, now=time.time() - 7 * 3600)


def _other_statement(app) -> str:
    with app.test_request_context():
        return tokens.form_token("another-statement")


@pytest.mark.parametrize("bad", [None, "", "stale", "1.abc", "expired", "other"])
def test_wrong_expired_or_missing_token_is_refused_with_the_form_kept(app, client, make_statement, bad):
    make_statement()
    token = {"expired": _expired, "other": _other_statement}.get(bad, lambda _app: bad)(app)
    data = sign_form(name="Still Here") | ({} if token is None else {"csrf_token": token})
    response = client.post(f"/en/s/{SLUG}/sign", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "had expired" in html and 'value="Still Here"' in html
    assert _rows(app) == 0
    fresh = csrf_token(client, f"/en/s/{SLUG}")
    assert f'value="{fresh}"' in html  # the kept form can be sent again as it is


def test_token_checks_its_time_buckets(app):
    with app.test_request_context():
        now = time.time()
        assert tokens.check_form_token(SLUG, tokens.form_token(SLUG, now), now)
        assert tokens.check_form_token(SLUG, tokens.form_token(SLUG, now - tokens.FORM_TOKEN_BUCKET), now)
        assert not tokens.check_form_token(SLUG, tokens.form_token(SLUG, now - 2 * tokens.FORM_TOKEN_BUCKET),
                                           now)
        assert not tokens.check_form_token(SLUG, tokens.form_token(SLUG, now + tokens.FORM_TOKEN_BUCKET),
                                           now)


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_cross_site_post_is_refused(app, client, make_statement, headers):
    make_statement()
    token = csrf_token(client, f"/en/s/{SLUG}")
    response = client.post(f"/en/s/{SLUG}/sign", data=sign_form(csrf_token=token), headers=headers)
    assert response.status_code == 403
    assert _rows(app) == 0


def test_micro_cache_answers_repeats_for_its_time_to_live_only(database_url, tmp_path, make_statement):
    from conftest import make_app

    with fresh_schema(make_app(database_url, tmp_path / "cached", MICROCACHE_SECONDS=3)) as app:
        with app.app_context():
            sid = new_statement(SLUG, moderation="post", require_confirmation=False, texts=titled("T")).id
        micro_cache_expires(app, sid)


def micro_cache_expires(app, sid):
    client = app.test_client()
    url = f"/en/s/{SLUG}/count"
    first = client.get(url)
    assert "<strong>0</strong>" in first.get_data(as_text=True)
    validated(app, sid, "Press Club", "club@example.org")
    assert "<strong>0</strong>" in client.get(url).get_data(as_text=True)  # from memory
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    other = client.get(url, headers={"If-None-Match": 'W/"old"'})
    assert other.status_code == 200 and "<strong>0</strong>" in other.get_data(as_text=True)
    for reload in ("no-cache", "max-age=0"):  # a reload within the time to live: the kept entry
        kept = client.get(url, headers={"Cache-Control": reload})
        assert "<strong>0</strong>" in kept.get_data(as_text=True)
    wait_for(lambda: "<strong>1</strong>" in client.get(url, headers={"Cache-Control": "no-cache"})
             .get_data(as_text=True), 5, "a reload after the entry's expiry")
    fragment = client.get(url, headers={"HX-Request": "true"})  # another variant, another entry
    assert "<strong>1</strong>" in fragment.get_data(as_text=True)
    wait_for(lambda: "<strong>1</strong>" in client.get(url).get_data(as_text=True), 15,
             "the entry's expiry")
    with app.app_context():
        key = db.session.get(Statement, sid).private_key
        db.session.execute(db.update(Statement).values(state="collecting"))
        db.session.commit()
    private = client.get(f"/en/s/{SLUG}/count?key={key}")
    assert private.headers["Cache-Control"].startswith("private")
