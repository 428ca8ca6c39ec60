"""The crackdown switch (issue 16): one administrator's action stops listing every signatory
from a country, on every statement and every public surface; each organisation is told with
its own link, and only it can show itself again."""

from __future__ import annotations

import json
import re

import pytest
from conftest import csrf_token, link_from
from manage_fixtures import add_statement, text_of
from sqlalchemy import select

from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import ModerationEvent, OutboxMail, Signature, Statement
from portal.safety import contacts, crackdown, keys
from portal.signatures import signing
from portal.signatures.counts import reconcile
from portal.signatures.moderation import decide_correction

SIGNERS = [  # (name, country, visibility)
    ("Nairobi Press Freedom Watch", "KE", "full"),
    ("Mombasa Reporters Circle", "KE", "country"),
    ("Paris Open Newsroom", "FR", "full"),
    ("Kisumu Hidden Collective", "KE", "hidden"),
]
KENYAN = ("Nairobi Press Freedom Watch", "Mombasa Reporters Circle", "Kisumu Hidden Collective")


def seed(app, people, slug: str, prefix: str) -> int:
    sid = add_statement(app, slug, people.owner, moderation="post", require_confirmation=False)
    with app.app_context():
        for i, (name, country, visibility) in enumerate(SIGNERS):
            signing.sign(signing.SignRequest(
                statement_id=sid, kind="organisation", name=name, country=country,
                email=f"{prefix}{i}@org{i}.example", lang="en", visibility=visibility,
                signer_name="Signer", authorised=True))
        db.session.execute(db.delete(OutboxMail))
        db.session.commit()
    return sid


@pytest.fixture
def two(app, people):
    return seed(app, people, "first-statement", "a"), seed(app, people, "second-statement", "b")


def surfaces(client, slug: str) -> dict[str, str]:
    """Every public surface of a statement, as text."""
    urls = [f"/en/s/{slug}", f"/en/s/{slug}/signatories", f"/en/s/{slug}/signatories?country=KE",
            f"/en/s/{slug}/count", f"/en/s/{slug}/print", f"/en/s/{slug}/embed", f"/fr/s/{slug}",
            "/api/v1/statements", f"/api/v1/statements/{slug}", f"/api/v1/statements/{slug}/signatories",
            f"/api/v1/statements/{slug}/signatories?country=KE", "/en/feed.atom", f"/en/s/{slug}/feed.atom"]
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = text_of(response)
    return found


def kenya_on(pages: dict[str, str]) -> list[str]:
    """Where Kenya or a Kenyan signatory shows (outside the country pickers, which list every country)."""
    hits = []
    for url, body in pages.items():
        body = re.sub(r"<select.*?</select>", "", body, flags=re.S)
        for word in (*KENYAN, "Kenya", "Kenia", '"KE"', "country-KE", ">KE<"):
            if word in body:
                hits.append(f"{url}: {word}")
    return hits


def test_the_switch_hides_a_country_on_every_public_surface_of_every_statement(app, client, auth, two):
    before = {slug: surfaces(client, slug) for slug in ("first-statement", "second-statement")}
    assert any(kenya_on(pages) for pages in before.values())  # the check can fail: Kenya was listed
    with app.app_context():
        totals = [db.session.get(Statement, sid).count_total for sid in two]
        assert crackdown.exposed("KE") == 4

    auth.login("admin@example.org")
    response = auth.post("/manage/safety/crackdown", {"country": "KE", "sure": "y"}, page="/manage/safety")
    assert response.status_code == 303
    page = text_of(client.get("/manage/safety"))
    assert "4 signatures on 2 statements" in page and "4 organisations were told by email" in page

    for slug in ("first-statement", "second-statement"):
        pages = surfaces(client, slug)
        assert kenya_on(pages) == [], kenya_on(pages)
        assert "Paris Open Newsroom" in pages[f"/en/s/{slug}"]
        api = json.loads(pages[f"/api/v1/statements/{slug}"])
        assert api["counts"]["by_country"] == {"FR": 1} and api["counts"]["countries"] == 1
    with app.app_context():
        assert [db.session.get(Statement, sid).count_total for sid in two] == totals  # still counted
        assert reconcile(db.session, repair=False) == []
        rows = db.session.scalars(select(Signature).where(Signature.country == "KE")).all()
        assert {(r.visibility, r.crackdown_from) for r in rows} == {("hidden", "full"), ("hidden", "country"),
                                                                    ("hidden", "")}
        mails = db.session.scalars(select(OutboxMail)).all()
        assert sorted(m.to_addr for m in mails) == ["a0@org0.example", "a1@org1.example",
                                                    "b0@org0.example", "b1@org1.example"]
        assert all("/signature/" in m.body for m in mails)
        actions = [e.action for e in db.session.scalars(select(ModerationEvent))]
        assert actions.count("crackdown") == 1 and actions.count("crackdown_lowered") == 4
    assert crackdown_exposed_again(app) == 0


def crackdown_exposed_again(app) -> int:
    with app.app_context():
        return crackdown.exposed("KE")


def post_manage(client, link: str, visibility: str, **fields):
    with client.application.app_context():
        row = db.session.scalars(select(Signature).where(
            Signature.uid == link_uid(client, link))).one()
        data = {"name": row.name, "signer_name": row.signer_name, "role": row.role, "website": row.website,
                "country": row.country, "visibility": visibility, **fields}
    data["csrf_token"] = csrf_token(client, link)
    return client.post(link, data=data)


def link_uid(client, link: str) -> str:
    from portal import tokens

    return tokens.read("manage", link.rsplit("/", 1)[1])


def test_only_the_organisation_shows_itself_again_through_its_link(app, client, auth, two):
    with app.app_context():
        nairobi = db.session.scalars(select(Signature).where(
            Signature.name == KENYAN[0], Signature.statement_id == two[0])).one()
        # The owner had asked to be shown differently; a coordinator could approve that later.
        nairobi.proposed = json.dumps({"visibility": "full", "role": "Chair"})
        db.session.commit()
        crackdown.apply("KE", Actor(None, "test"))
        assert json.loads(db.session.get(Signature, nairobi.id).proposed) == {"role": "Chair"}
        # A coordinator deciding the owner's waiting corrections cannot raise it.
        assert decide_correction(nairobi.id, True, Actor(None, "coordinator"))
        assert db.session.get(Signature, nairobi.id).visibility == "hidden"
        bodies = {m.to_addr: m.body for m in db.session.scalars(select(OutboxMail))}
    link = link_from(bodies["a0@org0.example"], "signature")
    mombasa_link = link_from(bodies["a1@org1.example"], "signature")

    # Mombasa had chosen "country only": asking for more than that waits for a coordinator.
    assert post_manage(client, mombasa_link, "full").status_code == 200
    with app.app_context():
        mombasa = db.session.scalars(select(Signature).where(
            Signature.name == KENYAN[1], Signature.statement_id == two[0])).one()
        assert mombasa.visibility == "hidden" and json.loads(mombasa.proposed) == {"visibility": "full"}

    # Nairobi shows itself again in full, at once, through its own link.
    assert post_manage(client, link, "full").status_code == 200
    page = text_of(client.get("/en/s/first-statement"))
    assert KENYAN[0] in page and KENYAN[0] not in text_of(client.get("/en/s/second-statement"))
    with app.app_context():
        again = db.session.get(Signature, nairobi.id)
        assert (again.visibility, again.crackdown_from) == ("full", "")
        assert reconcile(db.session, repair=False) == []
        assert "crackdown_lifted" in set(db.session.scalars(select(ModerationEvent.action)))


def test_sealed_contacts_are_counted_not_written_to(app, two):
    with app.app_context():
        contacts.register_key(keys.generate()[1], Actor(None, "test"))
        done = crackdown.apply("KE", Actor(None, "test"))
        assert (done.lowered, done.statements, done.notified, done.sealed) == (4, 2, 0, 4)
        assert db.session.scalar(select(db.func.count()).select_from(OutboxMail)) == 0


def test_only_administrators_may_press_the_switch(app, client, auth, two):
    anonymous = client.post("/manage/safety/crackdown", data={"country": "KE", "sure": "y"})
    assert anonymous.status_code in (302, 400)
    auth.login()  # the statements' own coordinator, not an administrator
    assert auth.post("/manage/safety/crackdown", {"country": "KE", "sure": "y"}).status_code == 403
    assert client.get("/manage/safety").status_code == 403
    auth.logout()
    auth.login("admin@example.org")
    assert client.post("/manage/safety/crackdown", data={"country": "KE", "sure": "y"}).status_code == 400
    refused = auth.post("/manage/safety/crackdown", {"country": "KE"}, page="/manage/safety")
    assert refused.status_code == 422 and "Tick the box to confirm." in text_of(refused)
    unknown = auth.post("/manage/safety/crackdown", {"country": "XX", "sure": "y"}, page="/manage/safety")
    assert unknown.status_code == 422
    assert crackdown_exposed_again(app) == 4
