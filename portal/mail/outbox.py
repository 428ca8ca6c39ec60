"""The durable outbox and its sender.

Signing only inserts an :class:`OutboxMail` row in its own transaction. The sender
claims due rows one by one, delivers them, and marks them sent; a failed delivery is
retried later with a growing back-off, so an SMTP outage delays mail but loses none.
A delivered email keeps no body and no recipient: no working link stays in the database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import smtplib
import sys
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from blinker import Namespace
from flask import Flask, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from portal.database import write
from portal.extensions import db
from portal.models import OutboxMail, utcnow
from portal.safety.contacts import sealing

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120  # the default of MAIL_CLAIM_SECONDS
# Set while the WAL may still hold a delivered email's address (sealed contacts, SQLite).
_erase_pending = threading.Event()
MAX_BACKOFF_SECONDS = 3600


# Sent (with the write session and ``mail_id``) when the SMTP server refuses every recipient
# of an email with a permanent (5xx) answer: invitations record it as a bounce.
refused = Namespace().signal("mail-refused")


def queue(session: Session, to_addr: str, subject: str, body: str, headers: dict | None = None) -> OutboxMail:
    """Add one email to the outbox inside the caller's transaction (``headers``: extra ones,
    such as ``List-Unsubscribe``)."""
    mail = OutboxMail(to_addr=to_addr, subject=subject, body=body,
                      headers=json.dumps(headers) if headers else "")
    session.add(mail)
    return mail


def permanently_refused(exc: Exception) -> bool:
    """Every recipient refused with a 5xx code: retrying will not help."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused) and bool(exc.recipients) and all(
        code >= 500 for code, _message in exc.recipients.values())


def build_message(mail: OutboxMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_addr
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    # A stable Message-ID lets receivers drop a copy re-sent after a crash.
    digest = hashlib.sha256(f"{mail.id}:{mail.created_at.isoformat()}".encode()).hexdigest()[:16]
    message["Message-ID"] = f"<outbox-{mail.id}.{digest}@undersigned>"
    for name, value in (json.loads(mail.headers) if mail.headers else {}).items():
        message[name] = value
    message.set_content(mail.body)
    return message


class Transport:
    """Delivers one message: over SMTP when ``SMTP_URL`` is set, else to the console."""

    def __init__(self, url: str, timeout: float = 15.0) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        if not self.url:
            # Decoded, not as_string(): a long or non-ASCII line would come out quoted-printable,
            # with soft line breaks inside the very link the developer has to follow.
            headers = "\n".join(f"{name}: {value}" for name, value in message.items())
            print("-" * 72, headers, "", message.get_content().rstrip("\n"), "-" * 72, sep="\n",
                  file=sys.stdout, flush=True)
            return
        parts = urlsplit(self.url)
        host, port = parts.hostname or "127.0.0.1", parts.port
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port or 465, timeout=self.timeout)
        else:
            client = smtplib.SMTP(host, port or 25, timeout=self.timeout)
        with client:
            if parts.scheme == "smtp+starttls":
                client.starttls()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)


def claim(mail_id: int) -> bool:
    """Take one due email for this sender for ``MAIL_CLAIM_SECONDS``; False if another sender has it.

    A sender that dies holding a claim (a killed worker or host) leaves the email to the others
    once the claim lapses. One that dies after delivering but before marking it sent leaves it
    to be sent again: delivery is at least once, and never more than once per claim. The stable
    Message-ID (:func:`build_message`) lets the receiving server drop such a copy.
    """
    now = utcnow()
    seconds = current_app.config.get("MAIL_CLAIM_SECONDS", CLAIM_SECONDS)
    with write() as session:
        result = session.execute(
            update(OutboxMail)
            .where(
                OutboxMail.id == mail_id,
                OutboxMail.sent_at.is_(None),
                or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
            )
            .values(claimed_until=now + timedelta(seconds=seconds),
                    attempts=OutboxMail.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def send_due(transport: Transport | None = None, limit: int = 100) -> tuple[int, int]:
    """Deliver due emails.

    :param transport: where to deliver; defaults to the app's ``SMTP_URL``.
    :param limit: most emails to try in this call.
    :returns: (sent, failed).
    """
    transport = transport or Transport(current_app.config["SMTP_URL"])
    sender = current_app.config["MAIL_FROM"]
    now = utcnow()
    due = db.session.scalars(
        select(OutboxMail.id)
        .where(OutboxMail.sent_at.is_(None), OutboxMail.next_attempt_at <= now,
               or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now))
        .order_by(OutboxMail.id)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = failed = 0
    for mail_id in due:
        if not claim(mail_id):
            continue
        mail = db.session.get(OutboxMail, mail_id)
        try:
            transport.send(build_message(mail, sender))
        except Exception as exc:  # SMTP, network, or a message that cannot be built: retry later
            # and go on, so that one bad email never holds up the ones queued behind it.
            failed += 1
            backoff = min(MAX_BACKOFF_SECONDS, 5 * 2 ** min(mail.attempts, 12))
            log.warning("mail %s not delivered (attempt %s): %s", mail_id, mail.attempts,
                        type(exc).__name__)
            with write() as session:
                session.execute(
                    update(OutboxMail).where(OutboxMail.id == mail_id)
                    .values(claimed_until=None, last_error=type(exc).__name__[:500],
                            next_attempt_at=utcnow() + timedelta(seconds=backoff))
                    .execution_options(synchronize_session=False))
                if permanently_refused(exc):
                    refused.send(session, mail_id=mail_id)
            continue
        with write() as session:
            # Delivered: the body (live confirm, withdraw, invitation and reset links) and the
            # address go. What stays (subject, times, attempts) is what audit and retry need.
            session.execute(
                update(OutboxMail).where(OutboxMail.id == mail_id)
                .values(sent_at=utcnow(), claimed_until=None, last_error="", body="", to_addr="", headers="")
                .execution_options(synchronize_session=False))
        sent += 1
    if sent or _erase_pending.is_set():
        _erase_history()
    return sent, failed


def _erase_history() -> None:
    """With sealed contacts on SQLite, fold the WAL into the file and empty it, so the pages
    that held a delivered email's address are gone from the disk files (secure_delete zeroes
    them in the file itself). A reader holding an old snapshot defers it to the next pass
    (every ``MAIL_POLL_SECONDS``), until it succeeds."""
    if db.engine.dialect.name != "sqlite" or not sealing():
        return
    _erase_pending.set()
    db.session.commit()
    raw = db.engine.raw_connection()  # autocommit (isolation_level None): outside any BEGIN
    cursor = raw.cursor()
    previous = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
    try:
        # No waiting: a pending TRUNCATE checkpoint holds new writers back, so while a reader
        # (a long export) keeps an old snapshot, give up now and try again after the next pass.
        cursor.execute("PRAGMA busy_timeout=0")
        busy, _frames, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            _erase_pending.clear()
    finally:
        cursor.execute(f"PRAGMA busy_timeout={int(previous)}")
        raw.close()


class MailWorker:
    """A per-process daemon thread that sends the outbox soon after each commit."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._pid: int | None = None
        self._app: Flask | None = None

    def init_app(self, app: Flask) -> None:
        self._app = app
        app.extensions["mail_worker"] = self

    def notify(self) -> None:
        """Wake the sender; start it first in this process if needed (after a fork)."""
        if self._app is None or not self._app.config["MAIL_SENDER_THREAD"]:
            return
        if self._pid != os.getpid():
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="mail-sender", daemon=True).start()
        self._wake.set()

    def _run(self) -> None:
        interval = self._app.config["MAIL_POLL_SECONDS"]
        while True:
            self._wake.wait(timeout=interval)
            self._wake.clear()
            with self._app.app_context():
                try:
                    send_due()
                except Exception:  # keep the thread alive; the row stays queued
                    log.exception("mail sender pass failed")
                finally:
                    db.session.remove()


worker = MailWorker()
