"""Demo data looks like a real network's: names that fit their countries, about 40 countries,
each signer reading a language version the statement has."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from portal.commands.demo_people import COUNTRIES, ELISION, PATTERNS, PEOPLE
from portal.extensions import db
from portal.models import Signature, Statement, StatementTranslation
from portal.text import country_name

SCRIPTS = {"ar": "\u0600", "ru": "\u0400"}  # the first code point of each script's block


def test_demo_names_fit_their_countries_and_languages(app, runner):
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0
    by_code = {c.code: c for c in COUNTRIES}
    with app.app_context():
        rows = db.session.execute(select(Signature.statement_id, Signature.name, Signature.kind,
                                         Signature.country, Signature.lang, Signature.visibility)).all()
        langs = {sid: set(db.session.scalars(select(StatementTranslation.lang)
                                             .where(StatementTranslation.statement_id == sid)))
                 for sid in db.session.scalars(select(Statement.id))}
    assert 35 <= len({r.country for r in rows}) <= 45
    assert {r.country for r in rows} <= set(by_code) and "AQ" not in {r.country for r in rows}
    for row in rows:
        country = by_code[row.country]
        if row.kind == "organisation":
            possible = {pattern.format(city=city) for pattern in PATTERNS[country.lang]
                        for city in country.cities}
            if country.lang == "fr":
                possible = {ELISION.sub("d'", name) for name in possible}
            assert row.name in possible, row  # a pattern of its language and a city of its own country
        else:
            assert row.name in PEOPLE[country.lang], row
        for lang, first in SCRIPTS.items():  # Arabic names in Arab countries only, Cyrillic likewise
            in_script = any(first <= ch <= chr(ord(first) + 0xFF) for ch in row.name)
            assert in_script == (country.lang == lang), row
        assert row.lang in langs[row.statement_id]
        assert country_name(row.country, "en") not in row.name  # no "… Nairobi – Switzerland"
    names = Counter((r.statement_id, r.name) for r in rows if r.kind == "organisation")
    assert max(names.values()) == 1  # no organisation signs one statement twice
    shares = Counter(r.visibility for r in rows)
    assert shares["full"] > 0.7 * len(rows) and shares["country"] > shares["hidden"] > 0
    published = [r for r in rows if len(langs[r.statement_id]) == 5]
    assert {r.lang for r in published} == {"en", "fr", "es", "ar", "ru"}
    assert Counter(r.lang for r in published).most_common(1)[0][0] == "en"
