"""Every value a coordinator reads is in words and in the workspace language: the audit log's
actors, states and changes, dates formatted by Babel and isolated for right-to-left, the
time-zone picker, and the translations table."""

from __future__ import annotations

import re

from manage_fixtures import add_signature, text_of
from sqlalchemy import text

from portal.extensions import db
from portal.models import ModerationEvent

STATEMENT = {"slug": "worded", "title": "Worded", "original_lang": "en", "allow_organisations": "y",
             "moderation": "pre", "require_confirmation": "y", "time_zone": "UTC"}


def _statement(auth) -> int:
    made = auth.post("/manage/statements/new", STATEMENT)
    return int(made.headers["Location"].rsplit("/", 1)[1])


def test_audit_log_in_arabic_has_words_and_isolated_dates(app, client, auth):
    auth.login()
    sid = _statement(auth)
    base = f"/manage/statements/{sid}"
    assert auth.post(f"{base}/edit", STATEMENT | {"time_zone": "Europe/Paris", "deadline": "2031-12-20T17:00",
                                                  "moderation": "post"}).status_code == 303
    assert auth.post(f"{base}/lifecycle", {"to": "collecting"}).status_code == 303
    assert auth.post(f"{base}/pause", {"paused": "1"}).status_code == 303
    signature = add_signature(app, sid, "Press Union", "press@words.example", state="pending")
    with app.app_context():
        db.session.add(ModerationEvent(statement_id=sid, signature_id=signature, action="confirmed",
                                       from_state="pending", to_state="confirmed", actor_label="signer"))
        db.session.commit()
    auth.post("/manage/language", {"lang": "ar"}, page="/manage/")
    page = text_of(client.get(f"/manage/audit?statement={sid}"))
    assert '<html lang="ar" dir="rtl"' in page
    for raw in ("deadline_at:", "deadline_tz:", "moderation:", ">signer<", ">paused<", ">open<",
                "2031-12-20 16:00:00+00:00", ">pre<", ">post<"):
        assert raw not in page, raw
    assert "<bdi>الموقِّع</bdi>" in page  # the signer
    assert "<dt>الموعد النهائي</dt>" in page  # "Deadline", a label, not the column's name
    # The deadline: a Babel date in Arabic, a <time> with the machine value, isolated.
    deadline = re.search(r'<bdi><time datetime="2031-12-20T16:00\+00:00">([^<]+)</time></bdi>', page)
    assert deadline and "2031" in deadline.group(1) and "UTC" not in deadline.group(1)
    assert "باريس" in page  # the zone by its city, in Arabic
    assert "قبل النشر" in page and "بعد النشر" in page  # before / after publication
    assert ">متوقف مؤقتًا<" in page and ">مفتوح<" in page  # signing paused, from open
    # Every row's moment is isolated, so "UTC" cannot jump to the other end of an Arabic line.
    assert page.count("<time ") >= 5 and page.count("<time ") == page.count("<bdi><time ")


def test_time_zone_picker_offers_common_zones_first_localised_and_no_aliases(client, auth):
    auth.login()
    form = text_of(client.get("/manage/statements/new"))
    select = re.search(r'<select[^>]*name="time_zone".*?</select>', form, re.S).group(0)
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert groups == ["Common time zones", "Every time zone"]
    values = re.findall(r'value="([^"]+)"', select)
    assert values[0] == "UTC" and values.index("Europe/Paris") < values.index("Africa/Abidjan")
    for alias in ("US/Eastern", "Asia/Calcutta", "America/Buenos_Aires", "Etc/GMT+5", "GB", "Factory"):
        assert alias not in values
    assert len(values) == len(set(values)) and 300 < len(values) < 470
    assert ">Paris · Central European Time</option>" in select
    auth.post("/manage/language", {"lang": "ru"}, page="/manage/")
    russian = text_of(client.get("/manage/statements/new"))
    assert ">Париж · Центральная Европа</option>" in russian


def test_a_zone_saved_before_stays_offered_and_valid_zones_still_save(app, client, auth):
    auth.login()
    sid = _statement(auth)
    with app.app_context():
        db.session.execute(text("UPDATE statements SET deadline_tz = 'Asia/Calcutta' WHERE id = :sid"),
                           {"sid": sid})
        db.session.commit()
    form = text_of(client.get(f"/manage/statements/{sid}/edit"))
    assert re.search(r'<option[^>]*selected[^>]*value="Asia/Calcutta"|<option[^>]*value="Asia/Calcutta"'
                     r'[^>]*selected', form)
    refused = auth.post(f"/manage/statements/{sid}/edit", STATEMENT | {"time_zone": "Mars/Olympus"})
    assert refused.status_code == 422


def test_statement_overview_isolates_codes_dates_and_zones_in_arabic(client, auth):
    auth.login()
    sid = _statement(auth)
    auth.post(f"/manage/statements/{sid}/edit", STATEMENT | {"time_zone": "Europe/Paris",
                                                             "deadline": "2031-12-20T17:00"})
    auth.post("/manage/language", {"lang": "ar"}, page="/manage/")
    page = text_of(client.get(f"/manage/statements/{sid}"))
    assert '<bdi lang="en">English</bdi> <bdi dir="ltr">(en)</bdi>' in page  # not "English (en) · original"
    assert '<bdi><time datetime="2031-12-20T16:00+00:00">' in page
    assert "(Europe/Paris)" not in page and "UTC (" not in page


def test_isolation_marks_only_where_the_text_needs_them(app):
    from portal.words import isolate

    with app.app_context():
        assert isolate("Reporters United", "en") == "Reporters United"
        assert isolate("مراسلون متحدون", "ar") == "مراسلون متحدون"
        assert isolate("Reporters United", "ar") == "\u2068Reporters United\u2069"
        assert isolate("مراسلون متحدون", "fr") == "\u2068مراسلون متحدون\u2069"
        assert isolate("Press مراسلون", "en") == "\u2068Press مراسلون\u2069"  # both directions
        assert isolate("2026", "ar") == "2026"


def test_updates_page_for_people_beside_the_feed_and_an_icon(client, make_statement):
    make_statement(langs=("en", "ar"))
    page = text_of(client.get("/ar/s/free-the-reporters/updates"))
    assert '<html lang="ar" dir="rtl"' in page and "أطلقوا سراح الصحفيين" in page
    assert 'value="http://localhost/ar/s/free-the-reporters/feed.atom"' in page
    statement = text_of(client.get("/en/s/free-the-reporters"))
    assert 'href="/en/s/free-the-reporters/updates"' in statement and "Updates feed (Atom)" not in statement
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
    icon.close()
    embed = text_of(client.get("/en/s/free-the-reporters/embed"))
    assert 'rel="icon" href="/static/favicon.svg' in embed
