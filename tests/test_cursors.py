"""List cursors are opaque, short and valid for their own statement only (issue 11, finding 9)."""

from __future__ import annotations

import base64
import re

import pytest
from manage_fixtures import add_signature, add_statement
from sqlalchemy import select

from portal.extensions import db
from portal.models import Signature
from portal.statements import reading as statements

API = "/api/v1/statements"
CURSOR = re.compile(r"[A-Za-z0-9_-]{1,40}")


@pytest.fixture
def lists(app, people):
    """Two public statements; their signatures interleave, so ids say something about both."""
    first = add_statement(app, "first-list", people.owner)
    second = add_statement(app, "second-list", people.other)
    for i in range(7):
        add_signature(app, first, f"Alpha Group {i}", f"a{i}@alpha.example", state="validated",
                      visibility="country" if i == 3 else "full", country="KE" if i == 3 else "FR")
        add_signature(app, second, f"Beta Group {i}", f"b{i}@beta.example", state="validated")
    return first, second


def walk(client, slug: str, limit: int = 2) -> tuple[list[str], list[str]]:
    """Every page of the API's list: the names (or countries) and the cursors handed out."""
    names, cursors, url = [], [], f"{API}/{slug}/signatories?limit={limit}"
    while url:
        page = client.get(url).get_json()
        names += [row.get("name", row["country"]) for row in page["signatories"]]
        if page["next_cursor"]:
            cursors.append(page["next_cursor"])
        url = page["links"]["next"]
    return names, cursors


def ids_of(app, statement_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Signature.id).where(Signature.statement_id == statement_id)))


def test_cursors_page_through_everything_and_show_nothing(app, client, lists):
    first, _second = lists
    names, cursors = walk(client, "first-list")
    assert len(names) == 7 and len(set(names)) == 7 and names[-1] == "KE"  # country-only last
    assert len(cursors) == 3
    for cursor in cursors:
        assert CURSOR.fullmatch(cursor) and len(cursor) <= 40
        raw = base64.urlsafe_b64decode(cursor + "==")
        for ident in ids_of(app, first):
            assert str(ident).encode() not in raw and ident.to_bytes(8, "big") not in raw
        assert b":" not in raw and not re.search(rb"[0-9a-f]{8}", raw)  # no sort key either
    assert walk(client, "first-list")[1] == cursors  # the same position, the same cursor: cacheable


def test_html_paging_uses_the_same_cursors(app, client, lists):
    app.config["SIGNATORIES_PER_PAGE"] = 2
    html = client.get("/en/s/first-list/signatories").get_data(as_text=True)
    after = re.search(r'after=([A-Za-z0-9_-]+)"', html).group(1)
    assert len(after) <= 40
    more = client.get(f"/en/s/first-list/signatories?after={after}", headers={"HX-Request": "true"})
    assert more.status_code == 200 and more.get_data(as_text=True).startswith('<div id="signatories">')


def forged(app, first: int, second: int) -> dict[str, str]:
    """Cursors that were not handed out for the first statement's list."""
    with app.app_context():
        theirs = statements.cursor_for(second, ids_of(app, second)[0])
        other_row = statements.cursor_for(first, ids_of(app, second)[0])  # authentic, not its row
        too_big = statements.cursor_for(first, 2**31)  # beyond PostgreSQL's integer
        key = app.config["SECRET_KEY"]
        app.config["SECRET_KEY"] = "another-secret-" + "y" * 20
        try:
            old_key = statements.cursor_for(first, ids_of(app, first)[0])
        finally:
            app.config["SECRET_KEY"] = key
        mine = statements.cursor_for(first, ids_of(app, first)[0])
    flipped = mine[:5] + ("A" if mine[5] != "A" else "B") + mine[6:]
    legacy = base64.urlsafe_b64encode(b"0041004200430044:1").decode().rstrip("=")
    return {"another statement's": theirs, "another statement's row": other_row, "too big": too_big,
            "another key": old_key, "one character changed": flipped, "the old format": legacy,
            "too long": mine + "A", "not base64": "!" * 22, "NUL": "%00" * 22, "non-ASCII": "é" * 22}


def test_a_cursor_not_handed_out_for_this_list_is_a_400(app, client, lists):
    first, second = lists
    cursors = forged(app, first, second)
    assert len(cursors) == 10  # x 3 surfaces: the figure in SECURITY.md
    for what, cursor in cursors.items():
        api = client.get(f"{API}/first-list/signatories?cursor={cursor}")
        assert api.status_code == 400, what
        if what != "NUL":  # refused before any view, like every NUL in a URL
            assert api.get_json()["error"]["message"] == (
                "cursor is not one that this API handed out for this statement."), what
        html = client.get(f"/en/s/first-list/signatories?after={cursor}")
        assert html.status_code == 400, what
        fragment = client.get(f"/en/s/first-list/signatories?after={cursor}", headers={"HX-Request": "true"})
        assert fragment.status_code == 400, what
    with app.app_context():
        mine = statements.cursor_for(first, ids_of(app, first)[0])
    assert client.get(f"{API}/first-list/signatories?cursor={mine}").status_code == 200
    assert client.get(f"{API}/second-list/signatories?cursor={mine}").status_code == 400


def test_cursor_round_trip_and_binding(app):
    with app.app_context():
        seen = set()
        for ident in (1, 2, 3, 255, 256, 2**31 - 1):
            cursor = statements.cursor_for(7, ident)
            assert len(cursor) == statements.CURSOR_LENGTH == 22
            assert statements.read_cursor(7, cursor)[0] == ident
            with pytest.raises(statements.BadCursor):
                statements.read_cursor(8, cursor)
            seen.add(cursor)
        assert len(seen) == 6
