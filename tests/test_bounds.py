"""Reachable 500s closed (issue 11, finding 7): redirect targets and ids from URLs and forms.

A carriage return or line feed in ``next=`` used to split the ``Location`` header (a 500), and an id
past PostgreSQL's ``integer`` (or written ``²``, which ``str.isdigit`` accepts and ``int`` refuses)
used to fail inside the database. Each is now a redirect to the default place, or a 404 like any id
that names nothing. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64

import pytest
from manage_fixtures import add_signature, add_statement, text_of
from werkzeug.exceptions import NotFound

from portal.web import auth, guards

CONTROL = ["\r\n", "\r", "\n", "\x00", "\t", "\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\ufeff",
           "\ud800"]
# Numbers no id column can hold, or that only look like numbers.
BAD_IDS = ["2147483648", "99999999999", "9" * 40, "-1", "0", "²", "١٢", "1e3", " 1", "+1", "1_0", ""]


def test_a_control_character_makes_a_return_path_unsafe():
    assert auth.safe_next("/manage/") == "/manage/"
    assert auth.safe_next("/manage/moderation?state=all&q=é") == "/manage/moderation?state=all&q=é"
    for bad in CONTROL:
        assert auth.safe_next(f"/manage/{bad}Set-Cookie: a=b") is None, repr(bad)
        assert auth.safe_next(f"/manage/audit?q=x{bad}") is None, repr(bad)


def test_login_with_a_line_break_in_next_goes_home(client, auth):
    for bad in ("\r\n", "\n", "\r", "\u2028", "\u0085"):  # the second time, already logged in
        response = auth.login(query_string={"next": f"/manage/{bad}Set-Cookie: evil=1"})
        assert response.status_code == 303, repr(bad)
        assert response.headers["Location"] == "/manage/"
        assert "evil" not in response.headers.get("Set-Cookie", "")
    response = auth.login(query_string={"next": "/manage/\x00Set-Cookie: evil=1"})
    assert response.status_code == 400 and "evil" not in response.headers.get("Set-Cookie", "")
    response = auth.login(query_string={"next": "/manage/audit?q=é😀 x"})  # unicode is no control character
    assert response.headers["Location"] == "/manage/audit?q=%C3%A9%F0%9F%98%80%20x"


def test_moderation_with_a_line_break_in_its_return_path_goes_to_the_queue(app, auth, people):
    sid = add_statement(app, "owner-statement", people.owner)
    sig = add_signature(app, sid, "Press Club", "club@example.org")
    auth.login()
    for bad in ("\r\n", "\n", "\u2028"):
        for url in (f"/manage/signatures/{sig}/reject", "/manage/moderation/bulk"):
            response = auth.post(url, {"next": f"/manage/moderation{bad}Location: //evil.example",
                                       "action": "reject"}, page="/manage/moderation")
            assert response.status_code == 303, url
            assert response.headers["Location"] in (f"/manage/statements/{sid}/moderation",
                                                    "/manage/moderation")


def test_cursors_and_ids_in_query_strings_past_the_range_are_ignored_or_404(app, auth, people):
    sid = add_statement(app, "owner-statement", people.owner)
    add_signature(app, sid, "Press Club", "club@example.org")
    auth.login("admin@example.org")
    get = auth.client.get
    for bad in BAD_IDS:
        for url in ("/manage/audit", "/manage/moderation", f"/manage/statements/{sid}/moderation"):
            for name in ("before", "after"):
                assert get(url, query_string={name: bad}).status_code == 200, (url, name, bad)
        assert get("/manage/audit", query_string={"statement": bad}).status_code == (404 if bad else 200), bad
        response = get("/manage/abuse/invalidate", query_string={"statement": bad, "domain": "x.example"})
        assert response.status_code in (200, 404, 422), bad


def test_ids_in_paths_past_the_range_are_404(app, auth, people):
    auth.login("admin@example.org")
    for n in ("2147483648", "99999999999", "9" * 40):
        for path in ("/manage/statements/{n}", "/manage/statements/{n}/moderation",
                     "/manage/statements/{n}/exports", "/manage/statements/{n}/stats"):
            assert auth.client.get(path.format(n=n)).status_code == 404, path.format(n=n)
        for path in ("/manage/coordinators/{n}/active", "/manage/signatures/{n}/approve",
                     "/manage/signatures/{n}/reject", "/manage/abuse/rules/{n}/delete",
                     "/manage/statements/{n}/pause", "/manage/statements/{n}/lifecycle"):
            response = auth.post(path.format(n=n), {"active": "1", "paused": "1", "to": "closed"},
                                 page="/manage/coordinators")
            assert response.status_code == 404, path.format(n=n)
            assert "There is nothing at this address" in text_of(response)


def test_the_int_converter_stops_at_the_largest_id(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/manage/statements/{guards.MAX_ID}")[1] == {"statement_id": guards.MAX_ID}
    for n in (guards.MAX_ID + 1, 2**63):
        with pytest.raises(NotFound):
            adapter.match(f"/manage/statements/{n}")


def test_bounded_id_takes_ascii_digits_in_range_only():
    assert guards.bounded_id("1") == 1 and guards.bounded_id(str(guards.MAX_ID)) == guards.MAX_ID
    for bad in [*BAD_IDS, None, "12345678901", "\u0661"]:
        assert guards.bounded_id(bad) is None, bad


def test_a_public_cursor_past_the_id_range_gives_no_5xx(client, make_statement):
    make_statement()
    for ident in (2**31, 2**40, 2**63 - 1):
        cursor = base64.urlsafe_b64encode(f"abc:{ident}".encode()).decode().rstrip("=")
        for url in (f"/en/s/free-the-reporters/signatories?after={cursor}",
                    f"/api/v1/statements/free-the-reporters/signatories?cursor={cursor}"):
            assert client.get(url).status_code < 500, url
