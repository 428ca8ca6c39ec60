"""The micro-cache on the poll and reload paths: a conditional poll is answered from memory, the
app's own 304 costs one lookup, and reloads render at most once per key per time to live."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import fresh_schema, make_app
from factories import new_statement, titled
from sqlalchemy import event

from portal.extensions import db
from portal.signatures import signing
from portal.web.caching import MicroCache

SLUG = "free-the-reporters"
COUNT = f"/en/s/{SLUG}/count"


class Origin:
    """A small WSGI app standing in for the portal: counts its renders, honours If-None-Match."""

    def __init__(self, pause: float = 0.0) -> None:
        self.renders, self.pause, self.lock = 0, pause, threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.renders += 1
            n = self.renders
        time.sleep(self.pause)
        tag = 'W/"v1"'
        if environ.get("HTTP_IF_NONE_MATCH") == tag:
            start_response("304 Not Modified", [("ETag", tag), ("Cache-Control", "public, max-age=5")])
            return [b""]
        body = f"render {n}".encode()
        start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body))),
                                  ("ETag", tag), ("Cache-Control", "public, max-age=5")])
        return [body]


def call(app, headers: dict | None = None, path: str = COUNT) -> tuple[str, bytes]:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.url_scheme": "http",
               "HTTP_HOST": "localhost"}
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    seen: list = []
    body = b"".join(app(environ, lambda status, headers, exc_info=None: seen.append(status)))
    return seen[0], body


def test_a_stream_of_conditional_polls_renders_once_and_is_answered_304_from_memory():
    origin = Origin()
    cache = MicroCache(origin, seconds=60)
    answers = [call(cache, {"If-None-Match": 'W/"v1"'}) for _ in range(50)]
    assert answers == [("304 Not Modified", b"")] * 50
    assert origin.renders == 1  # the first poll filled the entry unconditionally
    assert call(cache) == ("200 OK", b"render 1")
    assert call(cache, {"If-None-Match": 'W/"old"'}) == ("200 OK", b"render 1")
    assert call(cache, {"If-None-Match": '"v1", W/"x"'})[0] == "304 Not Modified"  # weak comparison
    assert origin.renders == 1


def test_repeated_reloads_render_once_per_time_to_live():
    origin = Origin()
    cache = MicroCache(origin, seconds=0.3)
    bodies = {call(cache, {"Cache-Control": reload})[1] for reload in ["no-cache", "max-age=0"] * 10}
    bodies.add(call(cache, {"Pragma": "no-cache"})[1])
    assert bodies == {b"render 1"} and origin.renders == 1
    time.sleep(0.35)
    assert call(cache, {"Cache-Control": "no-cache"}) == ("200 OK", b"render 2")  # expired: renders
    assert origin.renders == 2


def test_concurrent_reloads_wait_for_the_one_render_and_get_it():
    origin = Origin(pause=0.3)
    cache = MicroCache(origin, seconds=0.2)
    call(cache)  # an entry that will be stale when the reloads arrive
    time.sleep(0.25)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: call(cache, {"Cache-Control": "no-cache"}), range(8)))
    # Stale copies are not handed to a reload: all eight got the fresh render, and only one ran.
    assert answers == [("200 OK", b"render 2")] * 8
    assert origin.renders == 2


def test_a_plain_request_during_a_refresh_gets_the_previous_copy():
    origin = Origin(pause=0.3)
    cache = MicroCache(origin, seconds=0.1)
    call(cache)
    time.sleep(0.15)
    with ThreadPoolExecutor(2) as pool:
        reload = pool.submit(call, cache, {"Cache-Control": "no-cache"})
        time.sleep(0.1)
        plain = pool.submit(call, cache)
        assert plain.result() == ("200 OK", b"render 1")
        assert reload.result() == ("200 OK", b"render 2")


def test_an_uncacheable_answer_is_not_kept_and_a_failure_releases_the_key():
    state = {"fail": True}

    def origin(environ, start_response):
        if state["fail"]:
            raise RuntimeError("database down")
        start_response("200 OK", [("Cache-Control", "private, no-cache"), ("ETag", 'W/"p"')])
        return [b"private"]

    cache = MicroCache(origin, seconds=60)
    try:
        call(cache)
    except RuntimeError:
        pass
    assert cache.refreshing == {}  # nobody waits for a render that died
    state["fail"] = False
    assert call(cache) == ("200 OK", b"private")
    assert call(cache, {"If-None-Match": 'W/"p"'})[0] == "304 Not Modified"  # still checked
    assert cache.store == {}


def sign(app, sid: int, email: str) -> None:
    with app.app_context():
        signing.sign(signing.SignRequest(statement_id=sid, kind="organisation", name=email.split("@")[0],
                                         country="FR", email=email, lang="en", authorised=True,
                                         signer_name="X"))


def queries(app) -> list[str]:
    """The SQL statements the app runs from now on (transaction control left out)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
    return seen


def test_the_app_answers_a_current_poll_after_one_lookup(database_url, tmp_path):
    with fresh_schema(make_app(database_url, tmp_path / "plain")) as app:
        with app.app_context():
            new_statement(SLUG, moderation="post", require_confirmation=False, texts=titled("T"))
        client = app.test_client()
        tag = client.get(COUNT).headers["ETag"]
        seen = queries(app)
        answer = client.get(COUNT, headers={"If-None-Match": tag})
        assert answer.status_code == 304
        assert len(seen) == 1 and "statement" in seen[0].lower()


def test_polls_through_the_micro_cache_reach_the_database_once(database_url, tmp_path):
    with fresh_schema(make_app(database_url, tmp_path / "cached", MICROCACHE_SECONDS=3)) as app:
        with app.app_context():
            sid = new_statement(SLUG, moderation="post", require_confirmation=False, texts=titled("T")).id
        sign(app, sid, "first@example.org")  # the first signature loads what signing needs
        client = app.test_client()
        # The htmx variant has the same validator and an entry of its own.
        tag = client.get(COUNT, headers={"HX-Request": "true"}).headers["ETag"]
        seen = queries(app)
        for _ in range(20):
            assert client.get(COUNT, headers={"If-None-Match": tag}).status_code == 304
        rendered = len(seen)
        assert 1 <= rendered <= 6  # one render's queries, not twenty lookups
        sign(app, sid, "club@example.org")
        for reload in ("no-cache", "max-age=0"):  # within the time to live: the kept entry
            kept = client.get(COUNT, headers={"Cache-Control": reload})
            assert kept.status_code == 200 and "<strong>1</strong>" in kept.get_data(as_text=True)
        time.sleep(3.05)
        fresh = client.get(COUNT, headers={"Cache-Control": "no-cache", "If-None-Match": tag})
        assert fresh.status_code == 200 and "<strong>2</strong>" in fresh.get_data(as_text=True)


def test_the_kept_sign_form_carries_each_request_s_token_and_stamp(app, client, make_statement):
    from conftest import csrf_token
    from test_views_statements import sign_form

    from portal import tokens
    from portal.abuse.screening import fill_seconds
    from portal.models import Signature

    make_statement(SLUG, moderation="post", require_confirmation=False)
    pages = [client.get(f"/en/s/{SLUG}?n={i}").get_data(as_text=True) for i in range(2)]
    assert pages[0].count('name="started"') == 1 and "\x00" not in pages[0]
    with app.test_request_context():
        token = tokens.form_token(SLUG)
    for page in pages:
        assert f'name="csrf_token" value="{token}"' in page
        stamp = page.split('name="started" value="')[1].split('"')[0]
        with app.app_context():
            assert fill_seconds(stamp) is not None  # signed and current, not a kept one from elsewhere
    assert client.get(f"/fr/s/{SLUG}").get_data(as_text=True).count('lang="fr"') >= 1
    answer = client.post(f"/en/s/{SLUG}/sign", data=sign_form(csrf_token=csrf_token(client, f"/en/s/{SLUG}")))
    assert answer.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Signature)) == 1


def test_a_kept_page_is_served_until_the_statement_changes_and_never_across_hosts(database_url, tmp_path):
    """A reload of an unchanged statement reuses its rendered page (three lookups, no render);
    a counted signature or a pause is on the very next request; a page kept for one
    host never answers another (links built for a request through the onion address stay on it)."""
    from portal.accounts.audit import Actor
    from portal.statements import authoring

    page = f"/en/s/{SLUG}"
    onion = "http://" + "a" * 56 + ".onion"
    app = make_app(database_url, tmp_path / "kept", ONION_URL=onion)
    with fresh_schema(app):
        with app.app_context():
            sid = new_statement(SLUG, moderation="post", require_confirmation=False, texts=titled("T")).id
        client = app.test_client()
        first = client.get(page).get_data(as_text=True)
        seen = queries(app)
        reload = {"Cache-Control": "no-cache"}
        again = client.get(f"{page}?utm_source=x", headers=reload).get_data(as_text=True)
        assert len(seen) <= 3 and "utm_source" not in again  # kept: no list, country or record queries
        assert again == first

        sign(app, sid, "first@example.org")
        counted = client.get(page).get_data(as_text=True)
        assert "<strong>1</strong>" in counted and "<strong>0</strong>" in first
        with app.app_context():
            assert authoring.set_paused(sid, True, Actor(None, "test"))
        assert "Signing is paused" in client.get(page).get_data(as_text=True)

        through_tor = client.get(page, base_url=onion).get_data(as_text=True)
        assert f'content="{onion}/en/s/' in through_tor and "http://localhost/en/s/" not in through_tor
        assert onion not in client.get(page).get_data(as_text=True)
