"""Paging the public list: short cursors both ways, the position, pushed URLs that reload whole,
and a country filter that offers only the countries with listed signatories."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from portal.extensions import db
from portal.models import Statement
from portal.signatures import signing
from portal.statements import reading as service

SLUG = "free-the-reporters"
PEOPLE = [(f"Group {i:02d}", "KE" if i < 4 else "FR", "full") for i in range(7)] + [
    ("Quiet One", "JP", "hidden"), ("Country Only", "BR", "country")]
HX = {"HX-Request": "true"}


@pytest.fixture
def listed(app, client, make_statement):
    sid = make_statement(moderation="post", require_confirmation=False)
    app.config["SIGNATORIES_PER_PAGE"] = 3
    with app.app_context():
        for i, (name, country, visibility) in enumerate(PEOPLE):
            signing.sign(signing.SignRequest(
                statement_id=sid, kind="organisation", name=name, country=country, email=f"g{i}@example.org",
                lang="en", authorised=True, signer_name="X", visibility=visibility))
    return sid


def page(app, sid: int, **args) -> service.Page:
    with app.app_context():
        return service.signatories(db.session.get(Statement, sid), limit=3, **args)


def names(p: service.Page) -> list[str]:
    return [row.name if row.visibility == "full" else row.country for row in p.rows]


def test_pages_forward_and_back_with_their_places(app, listed):
    first = page(app, listed)
    assert names(first) == ["Group 00", "Group 01", "Group 02"]
    assert (first.start, first.total, first.prev_cursor) == (1, 8, None)  # the hidden one is not listed
    second = page(app, listed, cursor=first.next_cursor)
    assert names(second) == ["Group 03", "Group 04", "Group 05"] and (second.start, second.total) == (4, 8)
    third = page(app, listed, cursor=second.next_cursor)
    assert names(third) == ["Group 06", "BR"] and third.start == 7 and third.next_cursor is None
    back = page(app, listed, before=third.prev_cursor)
    assert names(back) == names(second) and back.start == 4 and back.next_cursor == second.next_cursor
    start = page(app, listed, before=back.prev_cursor)
    assert names(start) == names(first) and start.start == 1 and start.prev_cursor is None
    for cursor in (first.next_cursor, second.next_cursor, third.prev_cursor, back.prev_cursor):
        assert len(cursor) == service.CURSOR_LENGTH == 22


def test_a_search_is_counted_once_its_last_page_is_reached(app, listed):
    found = page(app, listed, q="group 0")
    assert found.start == 1 and found.total is None  # a search is not counted up front
    rest = page(app, listed, q="group 0", cursor=found.next_cursor)
    last = page(app, listed, q="group 0", cursor=rest.next_cursor)
    assert names(last) == ["Group 06"] and (last.start, last.total) == (7, 7)
    assert page(app, listed, country="KE").total == 4


def test_an_old_cursor_without_a_place_still_pages(app, listed):
    with app.app_context():
        ident = db.session.scalar(db.select(service.Signature.id).where(service.Signature.name == "Group 02"))
        legacy = service.cursor_for(listed, ident)  # place 0: not known
    later = page(app, listed, cursor=legacy)
    assert names(later) == ["Group 03", "Group 04", "Group 05"] and later.start is None


def test_the_fragment_pushes_the_statement_page_which_reloads_whole(app, client, listed):
    fragment = client.get(f"/en/s/{SLUG}/signatories", headers=HX)
    text = fragment.get_data(as_text=True)
    assert "1–3 of 8" in text and 'rel="prev"' not in text
    after = re.search(r'hx-get="[^"]*after=([A-Za-z0-9_-]+)', text).group(1)
    assert len(after) == 22
    second = client.get(f"/en/s/{SLUG}/signatories?after={after}", headers=HX)
    pushed = second.headers["HX-Push-Url"]
    assert pushed == f"/en/s/{SLUG}?after={after}" and len(pushed) < 80
    body = second.get_data(as_text=True)
    assert "4–6 of 8" in body and 'rel="prev"' in body and 'rel="next"' in body
    # Reloading the pushed address (or following the link with JavaScript off): the whole page.
    whole = client.get(pushed).get_data(as_text=True)
    assert "<h1" in whole and "Free the reporters" in whole and f'action="/en/s/{SLUG}/sign' in whole
    assert "Group 03" in whole and "Group 00" not in whole and "4–6 of 8" in whole
    assert '<meta name="robots" content="noindex">' in whole
    prev = htmllib.unescape(re.search(r'rel="prev" href="([^"]+)"', body).group(1))
    assert prev.startswith(f"/en/s/{SLUG}?before=") and prev.endswith("#signatories")
    back = client.get(prev.split("#")[0]).get_data(as_text=True)
    assert "Group 00" in back and "1–3 of 8" in back and 'rel="prev"' not in back


def test_search_pushes_its_query_and_a_forged_before_cursor_is_refused(app, client, listed):
    found = client.get(f"/en/s/{SLUG}/signatories?q=group+06&country=FR", headers=HX)
    assert found.headers["HX-Push-Url"] == f"/en/s/{SLUG}?q=group+06&country=FR"
    assert "1–1 of 1" in found.get_data(as_text=True)
    for bad in ("x" * 22, "A" * 700, "%00"):
        assert client.get(f"/en/s/{SLUG}/signatories?before={bad}").status_code == 400
        assert client.get(f"/en/s/{SLUG}?before={bad}").status_code == 400


@pytest.mark.parametrize("lang, kenya", [("en", "Kenya (4)"), ("fr", "Kenya (4)"), ("ar", "كينيا (4)")])
def test_the_country_filter_offers_only_listed_countries_with_counts(app, client, listed, lang, kenya):
    text = client.get(f"/{lang}/s/{SLUG}").get_data(as_text=True)
    select = text[text.index('id="signatory-country"'):]
    select = select[:select.index("</select>")]
    codes = re.findall(r'<option value="([A-Z]*)"', select)
    assert codes[0] == "" and sorted(codes[1:]) == ["BR", "FR", "KE"]  # no Japan: only hidden there
    assert kenya in htmllib.unescape(select)
    chosen = client.get(f"/{lang}/s/{SLUG}?country=JP").get_data(as_text=True)
    assert re.search(r'<option value="JP" selected>[^<]*\(', chosen)  # the filter in force stays shown
