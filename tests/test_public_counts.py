"""Hidden signatories count in the total only (issue 11, finding 2): a country whose only
signers chose "count it, but do not list it" appears on no public surface. Country-only
signatories carry no launch flag and no date (finding 12, in part).

Statistics per country exist only in the workspace, for the statement's coordinators.
"""

from __future__ import annotations

import json
import re

import pytest
from manage_fixtures import add_signature, add_statement
from sqlalchemy import create_engine, select, text
from test_migrations import flask_db, fresh_url  # noqa: F401  (the fixture, and the real command)

from portal.database import write
from portal.extensions import db
from portal.models import CountryTally, Signature, Statement
from portal.signatures import counts, signing
from portal.signatures.counts import reconcile

SLUG = "quiet-countries"
SIGNERS = [  # (name, kind, country, visibility)
    ("Open Press Syndicate", "organisation", "FR", "full"),
    ("Quiet Kenyan Group", "organisation", "KE", "country"),
    ("Hidden Oslo Watch", "organisation", "NO", "hidden"),
    ("Hidden Bergen Person", "individual", "NO", "hidden"),
    ("Hidden Lyon Union", "organisation", "FR", "hidden"),
]


@pytest.fixture
def quiet(app, people):
    """A public statement whose Norwegian signers all chose not to be listed."""
    sid = add_statement(app, SLUG, people.owner, moderation="post", require_confirmation=False,
                        allow_individuals=True)
    with app.app_context():
        for i, (name, kind, country, visibility) in enumerate(SIGNERS):
            signing.sign(signing.SignRequest(
                statement_id=sid, kind=kind, name=name, country=country, email=f"s{i}@quiet{i}.example",
                lang="en", visibility=visibility, signer_name="Signer", authorised=True))
        statement = db.session.get(Statement, sid)
        assert statement.count_total == 5  # every signature was validated at once
    return sid


def figures(app, sid: int) -> tuple[int, int, dict[str, int]]:
    with app.app_context():
        statement = db.session.get(Statement, sid)
        tallies = {t.country: t.n for t in db.session.scalars(
            select(CountryTally).where(CountryTally.statement_id == sid)) if t.n}
        return statement.count_total, statement.count_countries, tallies


def test_a_country_with_only_hidden_signers_is_on_no_public_surface(app, client, auth, quiet):
    assert figures(app, quiet) == (5, 2, {"FR": 1, "KE": 1})
    norway = ("Norway", "NO", "Hidden Oslo", "Hidden Bergen")

    count = client.get(f"/en/s/{SLUG}/count").get_data(as_text=True)
    assert "from 2 countries" in count and "<strong>5</strong>" in count
    page = client.get(f"/en/s/{SLUG}").get_data(as_text=True)
    assert "from 2 countries" in page
    listing = page[page.index('<div id="signatories">'):]
    listing = listing[:listing.index("</div>")]
    assert not any(word in listing for word in norway)
    filtered = client.get(f"/en/s/{SLUG}/signatories?country=NO").get_data(as_text=True)
    assert "No signatory matches this search." in filtered
    embed = client.get(f"/en/s/{SLUG}/embed").get_data(as_text=True)
    assert "from 2 countries" in embed and "Norway" not in embed

    letter = client.get(f"/en/s/{SLUG}/print").get_data(as_text=True)
    assert "from 2 countries" in letter and "3 of them are counted but not listed" in letter
    assert 'id="country-NO"' not in letter and "Norway" not in letter

    api = client.get(f"/api/v1/statements/{SLUG}").get_json()
    assert api["counts"] == {"total": 5, "organisations": 4, "individuals": 1, "countries": 2,
                             "by_country": {"FR": 1, "KE": 1}}
    listed = client.get("/api/v1/statements").get_json()["statements"]
    assert [s["counts"]["countries"] for s in listed if s["slug"] == SLUG] == [2]
    page_api = client.get(f"/api/v1/statements/{SLUG}/signatories?limit=200").get_json()
    assert page_api["counts"]["countries"] == 2
    assert {s["country"] for s in page_api["signatories"]} == {"FR", "KE"}
    assert client.get(f"/api/v1/statements/{SLUG}/signatories?country=NO").get_json()["signatories"] == []

    for feed in ("/en/feed.atom", f"/en/s/{SLUG}/feed.atom"):
        body = client.get(feed).get_data(as_text=True)
        assert "Norway" not in body and "Hidden" not in body, feed

    auth.login()
    exported = client.get(f"/manage/statements/{quiet}/export/public.csv").get_data(as_text=True)
    assert ",NO," not in exported and "FR" in exported and "KE" in exported
    as_json = json.loads(client.get(f"/manage/statements/{quiet}/export/public.json").get_data(as_text=True))
    assert {row["country"] for row in as_json["signatories"]} == {"FR", "KE"} and as_json["count"] == 2

    with app.app_context():
        assert reconcile(db.session, repair=False) == []


def change_visibility(app, name: str, visibility: str) -> None:
    """What "your signature" does when a signer changes their visibility (issue 10)."""
    with app.app_context(), write() as session:
        signature = session.scalars(select(Signature).where(Signature.name == name)).one()
        before, signature.visibility = signature.visibility, visibility
        counts.listing_changed(session, signature, signature.country, before)


def test_changing_country_moves_a_listed_signature_between_countries(app, quiet):
    with app.app_context(), write() as session:
        signature = session.scalars(select(Signature).where(Signature.name == "Quiet Kenyan Group")).one()
        before, signature.country = signature.country, "FR"
        counts.listing_changed(session, signature, before, signature.visibility)
    assert figures(app, quiet) == (5, 1, {"FR": 2})
    with app.app_context():
        assert reconcile(db.session, repair=False) == []


def test_changing_visibility_moves_a_signature_in_and_out_of_its_country(app, quiet):
    change_visibility(app, "Quiet Kenyan Group", "hidden")  # lowered: Kenya goes
    assert figures(app, quiet) == (5, 1, {"FR": 1})
    change_visibility(app, "Hidden Oslo Watch", "country")  # raised (by a coordinator): Norway comes
    assert figures(app, quiet) == (5, 2, {"FR": 1, "NO": 1})
    change_visibility(app, "Hidden Oslo Watch", "full")  # listed either way: nothing moves
    assert figures(app, quiet) == (5, 2, {"FR": 1, "NO": 1})
    with app.app_context():
        assert reconcile(db.session, repair=False) == []


def test_tally_counts_hidden_ones_in_the_total_only(app, quiet):
    with app.app_context(), write() as session:
        pending = [Signature(statement_id=quiet, kind="organisation", name=f"Late {v}", country="NO",
                             visibility=v, email=f"late-{v}@x.example", email_canonical=f"late-{v}@x.example",
                             lang="en", state="validated") for v in ("hidden", "full")]
        session.add_all(pending)
        session.flush()
        counts.tally(session, quiet, "organisation", "NO", +1, visibility="hidden")
        counts.tally(session, quiet, "organisation", "NO", +1, visibility="full")
    assert figures(app, quiet) == (7, 3, {"FR": 1, "KE": 1, "NO": 1})
    with app.app_context():
        assert reconcile(db.session, repair=False) == []


def test_reconcile_repairs_a_hidden_signature_counted_in_its_country(app, runner, quiet):
    with app.app_context():  # as the tallies stood before this rule
        db.session.execute(text("DELETE FROM country_tallies WHERE country = 'NO'"))
        db.session.execute(text("INSERT INTO country_tallies (statement_id, country, n) "
                                "VALUES (:s, 'NO', 2)"), {"s": quiet})
        db.session.execute(text("UPDATE statements SET count_countries = 3 WHERE id = :s"), {"s": quiet})
        db.session.commit()
    checked = runner.invoke(args=["counts", "reconcile", "--check"])
    assert checked.exit_code == 1 and f"{SLUG}: stored (5, 4, 1, 3), rows (5, 4, 1, 2)" in checked.output
    assert runner.invoke(args=["counts", "reconcile"]).exit_code == 0
    assert figures(app, quiet) == (5, 2, {"FR": 1, "KE": 1})


def test_the_migration_recounts_tallies_without_hidden_signatures(fresh_url, tmp_path):  # noqa: F811
    flask_db(fresh_url, tmp_path, "upgrade", "0003")
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO statements (id, slug, original_lang, state, allow_organisations, "
                "allow_individuals, moderation, require_confirmation, paused, private_key, created_at, "
                "count_total, count_organisations, count_individuals, count_countries, version, deadline_tz) "
                "VALUES (1, 'old', 'en', 'published', TRUE, FALSE, 'pre', TRUE, FALSE, 'k', "
                "CURRENT_TIMESTAMP, 3, 3, 0, 2, 1, 'UTC')"))
            for i, (country, visibility) in enumerate((("FR", "full"), ("NO", "hidden"), ("FR", "hidden"))):
                conn.execute(text(
                    "INSERT INTO signatures (uid, statement_id, kind, name, signer_name, role, website, "
                    "org_type, authorised, country, visibility, email, email_canonical, lang, state, launch, "
                    "confirmation_sends, sort_key, search_text, created_at) VALUES (:uid, 1, 'organisation', "
                    ":name, '', '', '', '', TRUE, :country, :visibility, :email, :email, 'en', 'validated', "
                    "FALSE, 1, 'aa', 'x', CURRENT_TIMESTAMP)"),
                    {"uid": f"u{i}", "name": f"Org {i}", "country": country, "visibility": visibility,
                     "email": f"o{i}@x.example"})
            conn.execute(text("INSERT INTO country_tallies (statement_id, country, n) "
                              "VALUES (1, 'FR', 2), (1, 'NO', 1)"))
        flask_db(fresh_url, tmp_path, "upgrade")
        with engine.connect() as conn:
            tallies = dict(conn.execute(text("SELECT country, n FROM country_tallies")).all())
            assert tallies == {"FR": 1}
            assert conn.execute(text("SELECT count_countries, count_total FROM statements")).one() == (1, 3)
        flask_db(fresh_url, tmp_path, "downgrade", "0003")
        with engine.connect() as conn:
            restored = dict(conn.execute(text("SELECT country, n FROM country_tallies")).all())
            assert restored == {"FR": 2, "NO": 1}
    finally:
        engine.dispose()


def test_country_only_signatories_carry_no_launch_flag_nor_date(app, client, auth, people):
    sid = add_statement(app, "launch-day", people.owner)
    add_signature(app, sid, "Launch Full Org", "a@full.example", state="validated", launch=True)
    add_signature(app, sid, "Launch Quiet Org", "b@quiet.example", state="validated", launch=True,
                  visibility="country", country="KE")
    with app.app_context(), write() as session:
        reconcile(session)

    html = client.get("/en/s/launch-day/signatories").get_data(as_text=True)
    items = re.findall(r"<li>.*?</li>", html, re.S)
    quiet = [item for item in items if "An organisation in Kenya" in item]
    full = [item for item in items if "Launch Full Org" in item]
    assert len(quiet) == len(full) == 1
    assert "launch signatory" in full[0] and "launch" not in quiet[0]

    api = client.get("/api/v1/statements/launch-day/signatories").get_json()["signatories"]
    by_visibility = {row["visibility"]: row for row in api}
    assert by_visibility["full"]["launch"] is True
    assert by_visibility["country"] == {"visibility": "country", "kind": "organisation", "country": "KE"}

    auth.login()
    rows = json.loads(client.get(f"/manage/statements/{sid}/export/public.json").get_data(as_text=True))
    quiet_row = next(row for row in rows["signatories"] if row["country"] == "KE")
    full_row = next(row for row in rows["signatories"] if row["country"] == "FR")
    assert quiet_row == {"name": "", "kind": "organisation", "country": "KE", "org_type": "",
                         "launch": None, "signed_on": None}
    assert full_row["launch"] is True and re.fullmatch(r"\d{4}-\d\d-\d\d", full_row["signed_on"])
    csv_lines = client.get(f"/manage/statements/{sid}/export/public.csv").get_data(as_text=True).splitlines()
    assert csv_lines[0].lstrip("\ufeff") == "name,kind,country,country_name,org_type,launch,signed_on"
    assert ",organisation,KE,Kenya,,," in csv_lines[1:]
