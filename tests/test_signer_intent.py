"""The signer's intent always wins: each attack of issue 10 through the real form, on SQLite
and PostgreSQL, ending with the genuine owner's own choices published (or nothing)."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest
from conftest import fresh_schema, link_from, make_app, outbox_bodies
from manage_fixtures import AuthActions, add_statement, make_people, text_of
from sqlalchemy import select

from portal.abuse import screening as abuse
from portal.extensions import db
from portal.models import ModerationEvent, OutboxMail, Signature, Statement

SLUG = "free-the-reporters"
PAGE = f"/en/s/{SLUG}"


@pytest.fixture
def app(database_url, tmp_path):
    """Every check on, as shipped: per-client and per-statement limits, fill time, email cap."""
    app = make_app(database_url, tmp_path / "instance", RATELIMIT_ENABLED=True, MIN_FILL_SECONDS=2,
                   SIGN_RATE_LIMIT="10/minute;60/hour", SIGN_STATEMENT_RATE_LIMIT="20/minute",
                   LINK_RATE_LIMIT="1000/minute", SIGNER_MAIL_LIMIT="4/day")
    with fresh_schema(app, database_url):
        with app.app_context():
            app.extensions["portal.abuse.ratelimits"].storage.reset()
        yield app


@pytest.fixture
def people(app):
    return make_people(app)


@pytest.fixture
def sid(app, people):
    return add_statement(app, SLUG, people.owner, moderation="pre")


def form_data(client, email: str, **overrides) -> dict:
    """The sign form as a person sends it: its tokens, filled in half a minute."""
    html = client.get(PAGE).get_data(as_text=True)
    data = {"kind": "organisation", "name": "Reporters United", "signer_name": "Ana Pérez",
            "role": "Director", "country": "FR", "email": email, "visibility": "full", "website": "",
            "authorised": "y", "comment": "",
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)}
    with client.application.app_context():
        data["started"] = abuse.fill_stamp(time.time() - 30)
    data.update(overrides)
    return data


def post(client, data: dict, ip: str = "198.51.100.7", htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"{PAGE}/sign", data=data, headers=headers, environ_base={"REMOTE_ADDR": ip})


def rows(app, **where) -> list[Signature]:
    with app.app_context():
        query = select(Signature).order_by(Signature.id)
        for name, value in where.items():
            query = query.where(getattr(Signature, name) == value)
        found = db.session.scalars(query).all()
        db.session.expunge_all()
        return found


def mails_to(app, canonical_local: str) -> list[OutboxMail]:
    with app.app_context():
        found = [m for m in db.session.scalars(select(OutboxMail).order_by(OutboxMail.id))
                 if m.to_addr.lower().split("+")[0].startswith(canonical_local)]
        db.session.expunge_all()
        return found


class FormFields(HTMLParser):
    """The values a browser would send for the forms on a page: inputs, checked radios, selects."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and (attrs.get("type") not in ("radio", "checkbox") or "checked" in attrs):
            self.values[name] = attrs.get("value") or ""
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.values[self.select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def fields_of(html: str) -> dict[str, str]:
    parser = FormFields()
    parser.feed(html)
    return parser.values


def confirm_as_owner(client, body: str, **fields):
    """Open the confirmation link from the email, and press the button with the fields shown
    on the page (``fields`` corrects some of them first)."""
    link = link_from(body, "confirm")
    return client.post(link, data=fields_of(client.get(link).get_data(as_text=True)) | fields)


def approve_all(app, sid_: int) -> None:
    from portal.signatures import signing

    with app.app_context():
        for ident in db.session.scalars(select(Signature.id).where(
                Signature.statement_id == sid_, Signature.state == "confirmed")).all():
            assert signing.moderate(ident, approve=True)


def public_list(client) -> str:
    return client.get(f"{PAGE}/signatories").get_data(as_text=True)


# --- 1. pre-emption --------------------------------------------------------------------------


def test_pre_emption_ends_with_the_victims_own_country_and_visibility(app, client, sid):
    # The attacker knows the organisation's address and signs first, in full, from "RU".
    attack = form_data(client, "press@victim.example", country="RU", visibility="full",
                       signer_name="Mallory", role="Chief", website="evil.example")
    assert post(client, attack, ip="203.0.113.66").status_code == 303
    # The organisation itself signs later and asks to be counted only.
    genuine = form_data(client, "Press@Victim.example", country="FR", visibility="hidden")
    assert post(client, genuine, ip="198.51.100.20").status_code == 303
    [only] = rows(app, statement_id=sid)
    assert (only.country, only.visibility, only.signer_name) == ("FR", "hidden", "Ana Pérez")
    first, last = mails_to(app, "press")
    # Each email names the fixed choices, and quotes nothing else the submitter typed.
    assert "France" in last.body and "Count it, but do not list it" in last.body
    for typed in ("Mallory", "Chief", "evil.example", "Ana Pérez", "Director"):
        assert typed not in first.body and typed not in last.body
    # The attacker submits again after the victim: the victim's confirm page shows every field,
    # and what the owner presses is what is published.
    post(client, form_data(client, "press@victim.example", country="RU", visibility="full",
                           signer_name="Mallory"), ip="203.0.113.66")
    page = client.get(link_from(last.body, "confirm")).get_data(as_text=True)
    assert "Mallory" in page and 'value="RU"' in page  # the owner sees what would be published
    done = confirm_as_owner(client, last.body, country="FR", visibility="hidden", signer_name="Ana Pérez")
    assert done.status_code == 200 and "confirmed" in done.get_data(as_text=True)
    approve_all(app, sid)
    [published] = rows(app, statement_id=sid)
    assert (published.state, published.country, published.visibility, published.signer_name) == (
        "validated", "FR", "hidden", "Ana Pérez")
    assert "Reporters United" not in public_list(client)
    with app.app_context():
        assert db.session.get(Statement, sid).count_total == 1


def test_a_confirmed_signature_is_not_changed_by_a_later_anonymous_submission(app, client, sid):
    post(client, form_data(client, "desk@press.example", visibility="country"), ip="198.51.100.21")
    confirm_as_owner(client, mails_to(app, "desk")[0].body)
    post(client, form_data(client, "desk@press.example", visibility="full", country="RU"), ip="203.0.113.7")
    [row] = rows(app, statement_id=sid)
    assert (row.state, row.visibility, row.country) == ("confirmed", "country", "FR")
    note = mails_to(app, "desk")[-1].body
    assert "/confirm/" not in note and "/signature/" in note and "signed it on" in note


# --- 2. the statement-wide block -------------------------------------------------------------


def test_one_clients_flood_never_blocks_a_genuine_signer_from_another_address(app, client, sid):
    for i in range(120):  # valid forms and junk, as fast as one client can
        data = form_data(client, f"bot{i}@flood.example") if i % 2 else {"junk": "x" * i}
        post(client, data, ip="203.0.113.99")
    answer = post(client, form_data(client, "ana@reporters.example.org"), ip="198.51.100.30")
    assert answer.status_code == 303
    [genuine] = rows(app, email="ana@reporters.example.org")
    assert genuine.state == "pending"
    confirm_as_owner(client, mails_to(app, "ana")[0].body)
    approve_all(app, sid)
    assert rows(app, email="ana@reporters.example.org")[0].state == "validated"
    assert "Reporters United" in public_list(client)
    flood = rows(app, statement_id=sid)
    assert sum(r.state == "fraudulent" for r in flood) == 50  # 60 valid, 10 within the client's limit
    assert all(r.screen_reason == "client_rate" for r in flood if r.state == "fraudulent")


# --- 3. the address lock-out -----------------------------------------------------------------


def test_a_honeypot_row_in_the_victims_name_never_locks_the_owner_out(app, client, sid):
    post(client, form_data(client, "info@victim.example", comment="spam!"), ip="203.0.113.5")
    assert [r.state for r in rows(app, statement_id=sid)] == ["fraudulent"]
    assert mails_to(app, "info") == []
    post(client, form_data(client, "info@victim.example"), ip="198.51.100.40")
    assert [r.state for r in rows(app, statement_id=sid)] == ["fraudulent", "pending"]
    [mail] = mails_to(app, "info")
    assert "/confirm/" in mail.body
    assert confirm_as_owner(client, mail.body).status_code == 200
    assert [r.state for r in rows(app, statement_id=sid)] == ["fraudulent", "confirmed"]


# --- 4 and 5. signing again ------------------------------------------------------------------


def test_signing_again_after_withdrawing_sends_a_confirmation_that_restores(app, client, sid):
    post(client, form_data(client, "ana@reporters.example.org"))
    confirm_as_owner(client, outbox_bodies(app)[0])
    withdraw = link_from(outbox_bodies(app)[0], "withdraw")
    page = client.get(withdraw)
    client.post(withdraw, data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                                          text_of(page)).group(1)})
    again = text_of(client.get(withdraw))
    assert "already withdrawn" in again and "Sign the statement again" in again
    post(client, form_data(client, "ana@reporters.example.org"), ip="198.51.100.8")
    assert [r.state for r in rows(app, statement_id=sid)] == ["withdrawn", "pending"]
    confirm_as_owner(client, outbox_bodies(app)[-1])
    with app.app_context():
        actions = db.session.scalars(select(ModerationEvent.action).where(
            ModerationEvent.statement_id == sid).order_by(ModerationEvent.id)).all()
    assert actions[-1] == "restored"


def test_signing_again_fixes_a_typo_and_a_second_organisation_needs_its_own_confirmation(app, client, sid):
    post(client, form_data(client, "ana@reporters.example.org", role="Directr"))
    post(client, form_data(client, "ana@reporters.example.org", role="Director"), ip="198.51.100.9")
    post(client, form_data(client, "ana@reporters.example.org", name="Press Union"), ip="198.51.100.10")
    found = rows(app, statement_id=sid)
    assert [(r.name, r.role) for r in found] == [("Reporters United", "Director"),
                                                 ("Press Union", "Director")]
    bodies = outbox_bodies(app)
    assert len(bodies) == 3 and all("/confirm/" in body for body in bodies)
    assert link_from(bodies[1], "confirm") != link_from(bodies[2], "confirm")


# --- 6. a shared network ---------------------------------------------------------------------


def test_a_webinar_on_one_network_restore_and_the_launch_event_allowance(app, client, sid, people):
    for i in range(12):
        post(client, form_data(client, f"org{i}@members.example", name=f"Member {i}"), ip="192.0.2.50")
    states = [r.state for r in rows(app, statement_id=sid)]
    assert states.count("pending") == 10 and states.count("fraudulent") == 2
    auth = AuthActions(client)
    auth.login()
    queue = text_of(client.get(f"/manage/statements/{sid}/moderation?state=fraudulent"))
    assert queue.count("per-client limit") == 2 and queue.count('data-action="restore"') == 2
    set_aside = [r for r in rows(app, statement_id=sid) if r.state == "fraudulent"]
    restored = auth.post(f"/manage/signatures/{set_aside[0].id}/restore", page="/manage/")
    assert restored.status_code == 303
    assert rows(app, id=set_aside[0].id)[0].state == "pending"
    assert "/confirm/" in mails_to(app, set_aside[0].email.split("@")[0])[0].body  # the owner confirms
    # For the next session of the webinar: an allowance, audited, raises the limit for a while.
    opened = auth.post(f"/manage/statements/{sid}/allowance", {"minutes": "60", "per_minute": "50"},
                       page="/manage/")
    assert opened.status_code == 303
    for i in range(12, 30):
        post(client, form_data(client, f"org{i}@members.example", name=f"Member {i}"), ip="192.0.2.51")
    assert all(r.state == "pending" for r in rows(app, statement_id=sid) if r.email.startswith(
        tuple(f"org{i}@" for i in range(12, 30))))
    with app.app_context():
        actions = db.session.scalars(select(ModerationEvent.action).where(
            ModerationEvent.statement_id == sid)).all()
        assert {"restored", "allowance_opened"} <= set(actions)
        statement = db.session.get(Statement, sid)
        statement.allowance_until = statement.allowance_until.replace(year=2000)  # it ends by itself
        db.session.commit()
    for i in range(30, 42):
        post(client, form_data(client, f"org{i}@members.example", name=f"Member {i}"), ip="192.0.2.52")
    late = [r.state for r in rows(app, statement_id=sid) if int(r.email[3:].split("@")[0]) >= 30]
    assert late.count("fraudulent") == 2


# --- the statement's own limit: an honest answer ---------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_past_the_statements_limit_genuine_signers_get_an_honest_429_with_their_input(app, client, sid,
                                                                                      htmx):
    app.config["SIGN_STATEMENT_RATE_LIMIT"] = "3/minute"
    for i in range(3):
        assert post(client, form_data(client, f"early{i}@ngo.example"), ip=f"198.51.100.{60 + i}",
                    htmx=htmx).status_code in (200, 303)
    busy = post(client, form_data(client, "late@ngo.example", name="Late Org"), ip="198.51.100.70", htmx=htmx)
    assert busy.status_code == 429
    html = text_of(busy)
    assert "in a minute" in html and 'value="late@ngo.example"' in html and 'value="Late Org"' in html
    assert rows(app, email="late@ngo.example") == []


# --- 8. no phishing relay --------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "words"), [
    ("name", "Reporters United\nClick https://evil.example/login", "one line"),
    ("name", "Visit evil.example now", "web or email address"),
    ("name", "Reporters \u202eUnited", "text-direction"),
    ("name", "Reporters\u200bUnited", "invisible"),
    ("signer_name", "Ana www.evil.example", "web or email address"),
    ("role", "Director\r\nBcc: you", "one line"),
])
def test_attacker_text_never_reaches_an_unverified_mailbox(app, client, sid, field, value, words):
    answer = post(client, form_data(client, "victim@target.example", **{field: value}))
    assert answer.status_code == 422
    assert words in text_of(answer)
    assert rows(app, statement_id=sid) == [] and outbox_bodies(app) == []


def test_the_email_quotes_only_the_organisation_name_isolated(app, client, sid):
    post(client, form_data(client, "victim@target.example", signer_name="Call +1 555 0100",
                           role="Your bank", website="rsf.org"))
    [mail] = mails_to(app, "victim")
    for typed in ("Call +1 555 0100", "Your bank", "rsf.org", "Ana"):
        assert typed not in mail.body and typed not in mail.subject
    assert "Reporters United" in mail.body and "\u2068" not in mail.body + mail.subject  # no marks needed
    assert rows(app, statement_id=sid)[0].website == "https://rsf.org"


# --- the sign form ---------------------------------------------------------------------------


def test_the_error_summary_links_each_error_to_its_field(app, client, sid):
    answer = post(client, form_data(client, "not-an-email", country=""))
    html = text_of(answer)
    assert answer.status_code == 422
    assert '<a href="#email">' in html and '<a href="#country">' in html
    assert html.count("(required)") >= 4


# --- "your signature" ------------------------------------------------------------------------


def manage_link(app, local: str) -> str:
    return link_from(mails_to(app, local)[0].body, "signature")


def test_your_signature_lowers_at_once_and_sends_the_rest_to_the_queue(app, client, sid):
    post(client, form_data(client, "ana@reporters.example.org", website="reporters.example.org"))
    confirm_as_owner(client, mails_to(app, "ana")[0].body)
    approve_all(app, sid)
    assert "Reporters United" in public_list(client)
    link = manage_link(app, "ana")
    page = text_of(client.get(link))
    assert "Counted and listed." in page and "https://reporters.example.org" in page
    assert client.get(link).headers["Cache-Control"] == "no-store"
    # Lower to "only the country": at once, on every public surface.
    lowered = client.post(link, data=fields_of(page) | {"visibility": "country"})
    assert lowered.status_code == 200 and "Saved." in text_of(lowered)
    assert "Reporters United" not in public_list(client)
    # Raise again, and fix the name: both wait for a coordinator.
    page = text_of(client.get(link))
    asked = client.post(link, data=fields_of(page) | {"visibility": "full", "name": "Reporters United Intl"})
    assert "A coordinator will review your corrections" in text_of(asked)
    [row] = rows(app, statement_id=sid)
    assert (row.visibility, row.name) == ("country", "Reporters United")
    auth = AuthActions(client)
    auth.login()
    queue = text_of(client.get(f"/manage/statements/{sid}/moderation?state=corrections"))
    assert "Reporters United Intl" in queue and "Apply the correction" in queue
    applied = auth.post(f"/manage/signatures/{row.id}/correction", {"action": "apply"}, page="/manage/")
    assert applied.status_code == 303
    [row] = rows(app, statement_id=sid)
    assert (row.visibility, row.name, row.proposed) == ("full", "Reporters United Intl", "")
    assert "Reporters United Intl" in public_list(client)


def test_your_signature_refuses_bad_input_and_keeps_what_was_stored(app, client, sid):
    post(client, form_data(client, "ana@reporters.example.org"))
    link = manage_link(app, "ana")
    page = text_of(client.get(link))
    bad = client.post(link, data=fields_of(page) | {"name": "Line\nbreak", "country": "ZZ"})
    assert bad.status_code == 422 and "one line" in text_of(bad)
    assert rows(app, statement_id=sid)[0].name == "Reporters United"
    assert client.get(link.replace(link.rsplit(".", 1)[1], "forged")).status_code == 404
