"""Issue 13's acceptance journey, on SQLite and PostgreSQL, with emails through a real SMTP
server (aiosmtpd) on loopback: import 100 organisations (3 bad rows), invite the 60 members,
30 sign through their links in one step, 5 decline, 1 address bounces, Remind sends 24; the
board shows 30 / 5 / 24 / 1 at every step."""

from __future__ import annotations

import re
import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from conftest import csrf_token, free_port
from factories import TEXTS
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, text

from portal.extensions import db
from portal.mail.outbox import send_due
from portal.models import Invitation, Signature, Statement
from portal.network import invitations
from portal.words import isolate

SLUG = "free-the-reporters"
LANGS = ("en", "fr", "es", "ar", "ru")
BAD_LINES = {12: "Atlantis", 52: "not-an-email", 92: ""}  # unknown country, bad address, no name
BOUNCING = "contact002@org002.example"


class Refusing:
    """Keeps every accepted message and every recipient tried; refuses one address (550)."""

    def __init__(self) -> None:
        self.messages: list = []
        self.tried: list[str] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.tried.append(address)
        if address == BOUNCING:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(app):
    sink = Refusing()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    yield sink
    controller.stop()


def roster_csv() -> tuple[str, dict[str, str]]:
    """100 rows after the header, 3 of them bad; the first 60 good ones are members.

    :returns: the CSV, and each good organisation's address with its language.
    """
    lines = ["name,country,website,emails,language,tags"]
    languages: dict[str, str] = {}
    good = 0
    for n in range(100):
        line = n + 2
        lang = LANGS[n % 5]
        name = f"Org {n:03d}"
        email = f"contact{n:03d}@org{n:03d}.example"
        country, emails = ("FR" if n % 2 else "Tunisia"), f"{email}; second{n:03d}@org{n:03d}.example"
        if line in BAD_LINES:
            if BAD_LINES[line] == "Atlantis":
                country = "Atlantis"
            elif BAD_LINES[line] == "not-an-email":
                emails = "not-an-email"
            else:
                name = ""
            tags = "member"
        else:
            tags = "member MENA" if good < 60 else "partner"
            good += 1
            languages[email] = lang
        lines.append(f"{name},{country},org{n:03d}.example,{emails},{lang},{tags}")
    return "\n".join(lines) + "\n", languages


def board(app) -> tuple[int, int, int, int]:
    with app.app_context():
        b = invitations.board(db.session.scalar(select(Statement.id).where(Statement.slug == SLUG)))
        assert b.invited == b.signed + b.declined + b.no_reply + b.bounced
        return b.signed, b.declined, b.no_reply, b.bounced


def deliver(app) -> tuple[int, int]:
    with app.app_context():
        return send_due(limit=1000)


def links(messages) -> dict[str, str]:
    """Recipient -> the invitation path in its email."""
    found = {}
    for message in messages:
        match = re.search(r"http://localhost(/[a-z-]+/s/[\w-]+/i/[A-Za-z0-9_\-.]+)", message.get_content())
        assert match, message.get_content()
        found[message["To"]] = match.group(1)
    return found


def test_the_campaign_journey(app, client, make_statement, smtp, tmp_path):
    make_statement(SLUG, langs=("en", "fr", "ar"))
    data, languages = roster_csv()
    path = tmp_path / "roster.csv"
    path.write_text(data, encoding="utf-8")
    runner = app.test_cli_runner()

    # 1. Import: 97 created, the 3 bad rows reported with their line numbers.
    result = runner.invoke(args=["organisations", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "97 created, 0 updated, 3 rows refused" in result.output
    for line in BAD_LINES:
        assert f"line {line}:" in result.output

    # 2. Invite the 60 members: exactly 60 emails, each in its organisation's language.
    result = runner.invoke(args=["invitations", "send", SLUG, "--tag", "member"])
    assert result.exit_code == 0, result.output
    assert "60 invited" in result.output
    assert deliver(app) == (59, 1)
    assert len(smtp.tried) == 60 and len(set(smtp.tried)) == 60
    assert all(address.startswith("contact") for address in smtp.tried)  # the first address only
    assert len(smtp.messages) == 59
    with app.app_context():
        for message in smtp.messages:
            lang = languages[message["To"]]
            title = TEXTS[lang if lang in ("en", "fr", "ar") else "en"][0]  # es and ru: the original
            with force_locale(lang):
                expected = _("An invitation to sign “%(title)s”", title=isolate(title, lang))
            assert message["Subject"] == expected, lang
            if lang != "en":
                assert not message["Subject"].startswith("An invitation")
    assert board(app) == (0, 0, 59, 1)  # the refused address is a bounce at once
    paths = links(smtp.messages)

    # 3. 30 sign through their links, each in one step (no confirmation email).
    members = sorted(paths)
    for address in members[:30]:
        page = client.get(paths[address])
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        name = re.search(r'id="name"[^>]*value="([^"]+)"', html).group(1)
        assert 'readonly' in re.search(r'<input[^>]*id="name"[^>]*>', html).group(0)
        response = client.post(paths[address], data={
            "csrf_token": csrf_token(client, paths[address]), "answer": "sign", "name": name,
            "signer_name": "Sam Signer", "role": "Director", "website": "", "country": "TN",
            "visibility": "full", "authorised": "y"})
        assert response.status_code == 303, response.get_data(as_text=True)
        assert board(app)[0] == members.index(address) + 1
    assert board(app) == (30, 0, 29, 1)
    with app.app_context():
        states = db.session.scalars(select(Signature.state).where(Signature.statement_id == 1)).all()
        assert sorted(states) == ["confirmed"] * 30  # pre-moderation: confirmed, awaiting a coordinator
    deliver(app)
    notes = smtp.messages[59:]
    assert len(notes) == 30 and not any("confirm your signature" in m["Subject"].lower() for m in notes)
    assert all("/signature/" in m.get_content() for m in notes)  # the manage and withdraw link

    # A link works once; it signs only for its own organisation.
    used = paths[members[0]]
    again = client.post(used, data={"csrf_token": csrf_token(client, used), "answer": "sign",
                                    "name": "Org 000", "signer_name": "X", "country": "FR",
                                    "visibility": "full", "authorised": "y"})
    assert again.status_code == 409
    other = paths[next(a for a in members[35:] if languages[a] == "en")]
    forged = client.post(other, data={"csrf_token": csrf_token(client, other), "answer": "sign",
                                      "name": "Org 001", "signer_name": "X", "country": "FR",
                                      "visibility": "full", "authorised": "y"})
    assert forged.status_code == 422 and "This link signs only for" in forged.get_data(as_text=True)
    assert board(app) == (30, 0, 29, 1)

    # 4. 5 decline, one with a reason.
    for address in members[30:35]:
        response = client.post(paths[address], data={
            "csrf_token": csrf_token(client, paths[address]), "answer": "decline",
            "reason": "Outside our mandate" if address == members[30] else ""})
        assert response.status_code == 303
    assert board(app) == (30, 5, 24, 1)
    with app.app_context():
        assert db.session.scalar(select(Invitation.decline_reason).where(
            Invitation.state == "declined", Invitation.decline_reason != "")) == "Outside our mandate"

    # 6. Remind sends exactly 24, twice at most; the board does not move.
    for expected in (24, 24, 0):
        before = len(smtp.messages)
        result = runner.invoke(args=["invitations", "remind", SLUG])
        assert f"{expected} reminded" in result.output
        deliver(app)
        reminded = smtp.messages[before:]
        assert len(reminded) == expected
        assert {m["To"] for m in reminded} <= set(members[35:]) - {BOUNCING}
        assert board(app) == (30, 5, 24, 1)
    result = runner.invoke(args=["invitations", "board", SLUG])
    assert "invited 60, signed 30, declined 5, no reply 24, bounced 1" in result.output


def test_tokens_are_strong_single_use_and_stored_only_as_hashes(app, client, make_statement, smtp, sql):
    make_statement(SLUG)
    runner = app.test_cli_runner()
    with app.app_context():
        from portal.accounts.audit import Actor
        from portal.network import roster

        roster.save(roster.OrgInput("Radio Libre", "FR", emails="desk@radio.example", tags="member"),
                    Actor(None, "test"))
    assert "1 invited" in runner.invoke(args=["invitations", "send", SLUG, "--tag", "member"]).output
    deliver(app)
    path = links(smtp.messages)["desk@radio.example"]
    token = path.rsplit("/", 1)[1]
    uid, mac = token.split(".")
    assert len(uid) >= 16 and len(mac) >= 24  # 96 random bits and a 144-bit MAC, as confirmation tokens
    for table in ("invitations", "mail_outbox"):
        dump = " ".join(str(row) for row in sql(f"SELECT * FROM {table}"))  # noqa: S608
        assert token not in dump and mac not in dump
    for forged in (path[:-1] + ("A" if path[-1] != "A" else "B"), path.replace(uid, "x" * len(uid)),
                   path.rsplit("/", 1)[0] + "/nothing", path.replace(f"/s/{SLUG}/", "/s/another/")):
        assert client.get(forged).status_code == 404, forged
    assert client.get(path).status_code == 200
    assert client.get(path).headers["Referrer-Policy"] == "no-referrer"
    with app.app_context():
        db.session.execute(text("UPDATE statements SET state = 'closed'"))
        db.session.commit()
    closed = client.get(path).get_data(as_text=True)
    assert "Signing of this statement is closed." in closed and 'name="answer" value="sign"' not in closed
