"""The outbox delivers to a real SMTP server on loopback, survives an outage, and prints in dev."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import csrf_token, free_port
from fast_app import fast_app, fast_module_app  # noqa: F401
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal import tokens
from portal.extensions import db
from portal.mail.outbox import send_due
from portal.models import OutboxMail, Signature, Statement, utcnow
from portal.signatures import signing

ROOT = Path(__file__).resolve().parent.parent


class Sink:
    """An aiosmtpd handler that keeps every accepted message, or answers 451 while ``refusing``."""

    def __init__(self) -> None:
        self.messages: list = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refusing = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.refusing:
            return "451 4.3.0 Try again later"
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def per_recipient(self) -> Counter:
        return Counter(rcpt for _from, rcpts in self.envelopes for rcpt in rcpts)


class SMTPServer:
    """A real SMTP server on 127.0.0.1 that can be taken down and brought back on its port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sink = Sink()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def up(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SMTPServer(free_port())
    server.up()
    yield server
    server.down()


@pytest.fixture
def smtp_down():
    """A server that is not running yet; the test brings it up."""
    server = SMTPServer(free_port())
    yield server
    server.down()


def sign(app, sid: int, email: str, lang: str = "en", name: str = "Reporters United") -> str:
    """Sign through the service and return the signature's uid."""
    with app.app_context():
        signing.sign(signing.SignRequest(
            statement_id=sid, kind="organisation", name=name, country="FR", email=email, lang=lang,
            signer_name="Ana Pérez", authorised=True))
        from portal.text import canonical_email

        return db.session.scalar(select(Signature.uid).where(
            Signature.statement_id == sid, Signature.email_canonical == canonical_email(email)))


def outbox(app) -> list[OutboxMail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
        db.session.expunge_all()
        return rows


def make_due(app) -> None:
    """Let the back-off elapse, as the clock would."""
    with app.app_context():
        db.session.execute(update(OutboxMail).where(OutboxMail.sent_at.is_(None))
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def deliver(app) -> tuple[int, int]:
    with app.app_context():
        return send_due()


def translated(app, lang: str, message: str) -> str:
    with app.app_context(), force_locale(lang):
        return _(message)


def token(app, purpose: str, uid: str) -> str:
    with app.app_context():
        return tokens.make(purpose, uid)


def catalogue_compiled(lang: str) -> bool:
    return (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.mo").exists()


@pytest.mark.parametrize("lang, title", [
    ("en", "Free the reporters"),
    ("fr", "Libérez les reporters"),
    ("ar", "أطلقوا سراح الصحفيين"),
    ("fr-CA", "Free the reporters"),  # no such translation: the original, in a French email
])
def test_flask_mail_send_delivers_the_confirmation(app, client, runner, make_statement, smtp, lang, title):
    app.config["SMTP_URL"] = smtp.url
    sid = make_statement(moderation="post")
    uid = sign(app, sid, "Ana.Perez+joint@Reporters.example.org", lang=lang)
    queued = outbox(app)[0].body
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "sent 1, failed 0" in result.output, result.output

    [message] = smtp.sink.messages
    assert smtp.sink.envelopes == [(re.search(r"<(.+)>", app.config["MAIL_FROM"]).group(1),
                                    ["Ana.Perez+joint@Reporters.example.org"])]
    assert message["To"] == "Ana.Perez+joint@Reporters.example.org"
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Date"] and re.fullmatch(r"<outbox-\d+\.[0-9a-f]{16}@undersigned>", message["Message-ID"])
    assert title in message["Subject"]
    ui = lang.split("-")[0]
    subject = translated(app, ui, "Please confirm your signature: %(title)s")
    # The title runs in the email's own direction: as typed, without marks some clients show as boxes.
    assert message["Subject"] == subject % {"title": title}
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    body = message.get_content().replace("\r\n", "\n")
    assert body.rstrip("\n") == queued.rstrip("\n")  # whatever the transfer encoding
    assert body.startswith(translated(app, ui, "Hello,"))
    # A Latin name in an Arabic email is isolated from the sentence's direction (FSI … PDI);
    # in a left-to-right email it needs nothing.
    name = "\u2068Reporters United\u2069" if ui == "ar" else "Reporters United"
    assert title in body and f"\u2068{title}" not in body and name in body
    assert ("\u2068" in body) == (ui == "ar")
    if ui != "en" and catalogue_compiled(ui):
        assert not body.startswith("Hello,"), "the email is not in the signer's language"

    confirm = f"http://localhost/confirm/{token(app, 'confirm', uid)}"
    withdraw = f"http://localhost/withdraw/{token(app, 'withdraw', uid)}"
    manage = f"http://localhost/signature/{token(app, 'manage', uid)}"
    assert re.findall(r"http://\S+", body) == [confirm, withdraw, manage]
    # The links work: the confirm page speaks the signer's language, and its button counts.
    path = confirm.removeprefix("http://localhost")
    page = client.get(path)
    assert page.status_code == 200 and f'lang="{ui}"' in page.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 200
    with app.app_context():
        assert db.session.get(Statement, sid).count_total == 1
    withdraw_path = withdraw.removeprefix("http://localhost")
    assert client.get(withdraw_path).status_code == 200
    form = {"csrf_token": csrf_token(client, withdraw_path)}
    assert client.post(withdraw_path, data=form).status_code == 200
    with app.app_context():
        assert db.session.get(Statement, sid).count_total == 0

    again = runner.invoke(args=["mail", "send"])
    assert "sent 0, failed 0" in again.output and len(smtp.sink.messages) == 1
    [row] = outbox(app)
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""


def test_a_resent_confirmation_is_a_second_message_with_the_same_links(app, runner, make_statement, smtp):
    app.config["SMTP_URL"] = smtp.url
    sid = make_statement()
    sign(app, sid, "ana@reporters.example.org")
    sign(app, sid, "ANA+again@reporters.example.org")
    assert "sent 2, failed 0" in runner.invoke(args=["mail", "send"]).output
    first, second = smtp.sink.messages
    assert first["Message-ID"] != second["Message-ID"]
    assert first.get_content() == second.get_content()
    # Each goes to the address as it was typed that time: one mailbox, the same links.
    assert smtp.sink.per_recipient() == {"ana@reporters.example.org": 1, "ANA+again@reporters.example.org": 1}


@pytest.mark.parametrize("outage", ["refused", "tempfail"])
def test_an_smtp_outage_loses_and_duplicates_nothing(app, make_statement, smtp_down, outage):
    """Issue 5, item 10: server down, sign, server back, every email delivered exactly once."""
    app.config["SMTP_URL"] = smtp_down.url
    if outage == "tempfail":  # up, but answering 451 to every message
        smtp_down.sink.refusing = True
        smtp_down.up()
    sid = make_statement()
    signers = [f"signer{i}@example{i}.org" for i in range(6)]
    for email in signers:
        sign(app, sid, email, name=f"Group {email.split('@')[0]}")

    assert deliver(app) == (0, 6)
    rows = outbox(app)
    assert len(rows) == 6 and all(r.sent_at is None and r.attempts == 1 for r in rows)
    assert {r.last_error for r in rows} == {"ConnectionRefusedError" if outage == "refused"
                                            else "SMTPDataError"}
    now = utcnow()
    first_wait = [r.next_attempt_at.replace(tzinfo=now.tzinfo) - now for r in rows]
    assert all(timedelta(seconds=5) < wait <= timedelta(seconds=11) for wait in first_wait)
    assert deliver(app) == (0, 0)  # backing off: nothing is due yet

    make_due(app)
    assert deliver(app) == (0, 6)  # still down: the back-off grows
    rows = outbox(app)
    assert all(r.attempts == 2 for r in rows)
    assert all(r.next_attempt_at.replace(tzinfo=now.tzinfo) - utcnow() > timedelta(seconds=15)
               for r in rows)

    if outage == "refused":
        smtp_down.up()
    smtp_down.sink.refusing = False
    assert deliver(app) == (0, 0)  # back, but the mails wait for their time
    make_due(app)
    assert deliver(app) == (6, 0)
    assert deliver(app) == (0, 0)
    make_due(app)
    assert deliver(app) == (0, 0)

    assert smtp_down.sink.per_recipient() == Counter({email: 1 for email in signers})
    assert len({m["Message-ID"] for m in smtp_down.sink.messages}) == 6
    rows = outbox(app)
    assert all(r.sent_at is not None and r.attempts == 3 and r.last_error == "" for r in rows)
    with app.app_context():
        uids = dict(db.session.execute(select(Signature.email, Signature.uid)).all())
    for message in smtp_down.sink.messages:
        assert token(app, "confirm", uids[message["To"]]) in message.get_content()


def test_a_claimed_mail_is_not_sent_twice(app, make_statement, smtp):
    """A second sender (another worker) skips a mail the first has claimed."""
    app.config["SMTP_URL"] = smtp.url
    sign(app, make_statement(), "ana@reporters.example.org")
    with app.app_context():
        from portal.mail.outbox import claim

        [mail_id] = db.session.scalars(select(OutboxMail.id)).all()
        assert claim(mail_id) is True
        assert claim(mail_id) is False
    assert deliver(app) == (0, 0) and smtp.sink.messages == []
    with app.app_context():  # the claimant died: its claim expires and the mail goes out once
        db.session.execute(update(OutboxMail).values(claimed_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert deliver(app) == (1, 0) and deliver(app) == (0, 0)
    assert len(smtp.sink.messages) == 1


def test_without_smtp_the_email_is_printed_in_full(app, make_statement, capsys):
    app.config["SMTP_URL"] = ""
    sid = make_statement(langs=("fr", "en"))
    app.config["BASE_URL"] = "https://statements.press-freedom-network.example.org/portal"
    uid = sign(app, sid, "ana@reporters.example.org", lang="fr", name="Rédaction Libre d'Afrique de l'Ouest")
    capsys.readouterr()
    [queued] = outbox(app)
    assert deliver(app) == (1, 0)
    printed = capsys.readouterr().out
    [row] = outbox(app)
    assert row.sent_at is not None
    assert "To: ana@reporters.example.org" in printed
    assert f"Subject: {row.subject}" in printed and "Libérez les reporters" in printed
    assert queued.body.strip() in printed  # the whole body, readable: no quoted-printable
    base = "https://statements.press-freedom-network.example.org/portal"
    assert f"{base}/confirm/{token(app, 'confirm', uid)}\n" in printed
    assert f"{base}/withdraw/{token(app, 'withdraw', uid)}\n" in printed
    assert "=\n" not in printed and "=C3=A9" not in printed


def test_one_bad_email_does_not_hold_up_the_queue(app, make_statement, smtp):
    """A message that cannot even be built is retried later; the mails behind it go out now."""
    from portal.database import write
    from portal.mail.outbox import queue

    app.config["SMTP_URL"] = smtp.url
    with app.app_context(), write() as session:
        queue(session, "ana@reporters.example.org", "Broken\r\nBcc: everyone@example.org", "body")
    sign(app, make_statement(), "kwame@press.example.org")
    assert deliver(app) == (1, 1)
    assert deliver(app) == (0, 0)  # the bad one backs off like any failure
    assert smtp.sink.per_recipient() == {"kwame@press.example.org": 1}
    bad, good = outbox(app)
    assert bad.sent_at is None and bad.last_error == "ValueError" and bad.attempts == 1
    assert bad.next_attempt_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
    assert good.sent_at is not None


def test_a_sent_email_keeps_no_working_link_and_no_address(app, client, make_statement, smtp_down):
    """Issue 11 #8: once delivered, a confirmation, an invitation and a reset link leave the
    outbox; an email not yet delivered keeps everything its retry needs."""
    from manage_fixtures import FAST_ARGON2

    from portal.accounts import coordinators as accounts
    from portal.accounts.audit import Actor

    app.config.update(FAST_ARGON2, SMTP_URL=smtp_down.url)
    sid = make_statement()
    uid = sign(app, sid, "Ana.Perez@reporters.example.org")
    with app.app_context():
        accounts.invite(accounts.Invitation("invited@network.example", "Ines Invited"), "Ada Admin")
        owner = accounts.create_coordinator("owner@network.example", "Olga", "a long enough password")
        accounts.issue_reset(owner.id, Actor(None, "test"), send=True)
    queued = outbox(app)
    links = [re.search(r"http://localhost(/\S+)", m.body).group(1) for m in queued]
    assert [link.split("/")[1 if i == 0 else 2] for i, link in enumerate(links)] == [
        "confirm", "invitation", "reset"]
    addresses = [m.to_addr for m in queued]

    assert deliver(app) == (0, 3)  # the server is down: nothing is redacted, the retry needs it all
    assert [(m.body, m.to_addr) for m in outbox(app)] == [(m.body, m.to_addr) for m in queued]

    smtp_down.up()
    make_due(app)
    assert deliver(app) == (3, 0)
    delivered = [re.search(r"http://localhost(/\S+)", m.get_content()).group(1)
                 for m in smtp_down.sink.messages]
    assert delivered == links and smtp_down.sink.per_recipient() == dict.fromkeys(addresses, 1)
    rows = outbox(app)
    assert [(m.body, m.to_addr, m.attempts) for m in rows] == [("", "", 2)] * 3
    assert [m.subject for m in rows] == [m.subject for m in queued] and all(m.sent_at for m in rows)
    with app.app_context():
        dump = " ".join(" ".join(map(str, row)) for row in db.session.execute(select(OutboxMail.__table__)))
    secrets_left = [*links, *addresses, token(app, "confirm", uid), "reporters.example.org"]
    assert [s for s in secrets_left if s in dump] == []
    assert client.get(links[0]).status_code == 200  # the link lives on in the email, not in the database


@pytest.mark.slow
def test_a_restarted_server_sends_what_was_queued_before_any_request(app, make_statement, smtp, tmp_path):
    """Email queued while no server ran (or by one that died) goes out once a server starts,
    with no request and no write to wake it: each worker starts its sender at boot."""
    from live_server import live_server

    sid = make_statement()
    sign(app, sid, "queued@example.org")
    env = {"PORTAL_MAIL_SENDER_THREAD": "true", "PORTAL_SMTP_URL": smtp.url}
    with live_server(app.config["DATABASE_URL"], tmp_path / "served", workers=1, extra_env=env):
        deadline = time.monotonic() + 20
        while not smtp.sink.messages and time.monotonic() < deadline:
            time.sleep(0.1)
    assert smtp.sink.per_recipient() == Counter({"queued@example.org": 1})
    with app.app_context():
        assert db.session.scalars(select(OutboxMail.sent_at)).one() is not None
