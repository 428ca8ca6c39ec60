"""Sealed contacts (issue 16): once the network's public key is registered, no contact email
is left readable on the server once its email is sent.

The seizure test signs 200 organisations through the real form (rate limits on, counters in
their real store), delivers every email to a real SMTP server and confirms every signature
through its link; then it reads every byte of the database files (WAL, SHM and journal
included) or a ``pg_dump``, the rate-limit store and the logs: none of the 200 addresses is
there. A full export from the workspace, opened offline with ``flask contacts unseal --key``,
gives all 200 back.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import subprocess
import threading
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import csrf_token, free_port, fresh_schema, make_app
from manage_fixtures import FAST_ARGON2, AuthActions, make_people

from portal.extensions import db
from portal.mail.outbox import Transport, send_due
from portal.models import ModerationEvent, OutboxMail, Signature, Statement, StatementTranslation, utcnow
from portal.safety import contacts, keys, offline
from portal.text import canonical_email

SLUG = "sealed-statement"
SIGNERS = 200


class Sink:
    """A real SMTP server's handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 accepted"


@pytest.fixture
def smtp():
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    yield sink, f"smtp://127.0.0.1:{port}"
    controller.stop()


@pytest.fixture
def seized_app(database_url, tmp_path):
    """An app whose rate limits are on and kept in their real store (SQLite file or table)."""
    app = make_app(database_url, tmp_path / "instance", RATELIMIT_ENABLED=True, **FAST_ARGON2)
    with fresh_schema(app, database_url) as app:
        yield app


@pytest.fixture
def log_file(tmp_path):
    """Everything logged at any level during the test, as a file a seizure would find."""
    path = tmp_path / "portal.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("markdown_it").setLevel(logging.INFO)
    # The test's own SMTP server (aiosmtpd) logs every line it receives: it stands for the
    # recipients' mail server, not for this one.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    yield path
    root.removeHandler(handler)
    root.setLevel(level)
    handler.close()


def add_statement(app) -> int:
    with app.app_context():
        statement = Statement(slug=SLUG, original_lang="en", state="published", published_at=utcnow(),
                              moderation="pre")
        statement.translations.append(StatementTranslation(lang="en", title="Sealed", summary="",
                                                           body_md="Free them.", published=True))
        db.session.add(statement)
        db.session.commit()
        return statement.id


def emails_for(count: int) -> list[str]:
    """Distinct addresses, each with a distinctive local part, some in forms canonicalised."""
    found = []
    for i in range(count):
        local = f"sealed{i:03d}x{secrets.token_hex(4)}"
        found.append(f"{local.capitalize()}+tag@Org{i}.example" if i % 3 == 0 else f"{local}@org{i}.example")
    return found


def needles(emails: list[str]) -> list[bytes]:
    """Each address as typed, lower-cased, canonical, and its local part alone."""
    out = set()
    for email in emails:
        canonical = canonical_email(email)
        out.update({email, email.lower(), canonical, canonical.split("@")[0]})
    return sorted(n.encode() for n in out)


def address(i: int) -> str:
    """Signer ``i``'s own client address, so the per-client limits (on) let each one through."""
    return f"10.1.{i // 200}.{i % 200 + 1}"


def sign_through_the_form(client, emails: list[str]) -> None:
    token = csrf_token(client, f"/en/s/{SLUG}")
    for i, email in enumerate(emails):
        response = client.post(f"/en/s/{SLUG}/sign", data={
            "csrf_token": token, "kind": "organisation", "name": f"Sealed Org {i}", "signer_name": "A Person",
            "role": "Director", "country": ["FR", "KE", "DE", "CO"][i % 4], "email": email,
            "visibility": "full", "authorised": "y"}, environ_base={"REMOTE_ADDR": address(i)})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]


def generate_keys(runner, tmp_path) -> tuple[Path, Path]:
    private = tmp_path / "offline" / "network-key"
    private.parent.mkdir()
    result = runner.invoke(args=["contacts", "keygen", str(private)])
    assert result.exit_code == 0, result.output
    assert private.stat().st_mode & 0o777 == 0o600
    return private, Path(f"{private}.pub")


def database_bytes(app, database_url: str, tmp_path: Path) -> dict[str, bytes]:
    """What a seizure takes: every file of the instance (SQLite: the database, its WAL, SHM and
    any journal, the rate-limit counters and theirs), or a pg_dump of the database (which holds
    the rate-limit table), and the log."""
    if database_url.startswith("sqlite"):
        return {str(p): p.read_bytes() for p in tmp_path.rglob("*")
                if p.is_file() and "offline" not in p.parts}
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    dump = subprocess.run(["pg_dump", "--no-owner", url], check=True, capture_output=True, timeout=120).stdout
    assert b"rate_limit_counters" in dump and b"mail_outbox" in dump
    return {"pg_dump": dump, **{str(p): p.read_bytes() for p in tmp_path.rglob("*")
                                if p.is_file() and "offline" not in p.parts}}


def found_in(files: dict[str, bytes], emails: list[str]) -> list[tuple[str, str]]:
    hits = []
    for needle in needles(emails):
        for name, data in files.items():
            if needle in data or needle.lower() in data.lower():
                hits.append((name, needle.decode()))
    return hits


@pytest.mark.slow
def test_a_seized_server_holds_none_of_200_sealed_emails(seized_app, database_url, tmp_path, smtp, log_file):
    app, (sink, smtp_url) = seized_app, smtp
    client, runner = app.test_client(), app.test_cli_runner()
    make_people(app)
    statement_id = add_statement(app)
    private, public = generate_keys(runner, tmp_path)
    result = runner.invoke(args=["contacts", "key", "set", str(public)])
    assert result.exit_code == 0, result.output
    emails = emails_for(SIGNERS)

    sign_through_the_form(client, emails)
    with app.app_context():
        # Until sent, each address is in its outbox row and nowhere else.
        assert sorted(db.session.scalars(db.select(OutboxMail.to_addr))) == sorted(e.strip() for e in emails)
        assert db.session.scalar(db.select(db.func.count()).where(Signature.email.is_not(None))) == 0
        # A first pass while the relay refuses: the failures are logged, the emails kept.
        assert send_due(Transport(f"smtp://127.0.0.1:{free_port()}", timeout=2), limit=5) == (0, 5)
        db.session.execute(db.update(OutboxMail).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert send_due(Transport(smtp_url), limit=1000) == (SIGNERS, 0)
    assert len(sink.messages) == SIGNERS
    token = None
    for message in sink.messages:
        link = re.search(r"http://localhost(/confirm/[A-Za-z0-9_\-.]+)", message.get_content()).group(1)
        i = emails.index(message["To"])
        token = token or csrf_token(client, link)  # the session's token, the same on every page
        response = client.post(link, data={"csrf_token": token},
                               environ_base={"REMOTE_ADDR": address(i)})
        assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).where(Signature.state == "confirmed")) == SIGNERS
        # The rate-limit store was used (its counters are in what is searched below).
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMail)
                                 .where(OutboxMail.to_addr == "")) == SIGNERS

    files = database_bytes(app, database_url, tmp_path)
    assert files[str(log_file)].count(b"not delivered") == 5, "the log captured nothing"
    if database_url.startswith("sqlite"):
        assert any(name.endswith("ratelimits.sqlite3") for name in files)
    assert found_in(files, emails) == []

    # The coordinator's full export says the contacts are sealed, and opens offline.
    auth = AuthActions(client)
    assert auth.login("admin@example.org").status_code == 303
    exported = {}
    for fmt in ("json", "csv"):
        response = auth.post(f"/manage/statements/{statement_id}/export/full.{fmt}")
        assert response.status_code == 200
        exported[fmt] = tmp_path / "offline" / f"export.{fmt}"
        exported[fmt].write_bytes(response.data)
    data = json.loads(exported["json"].read_text())
    assert data["contacts"]["sealed"] == SIGNERS
    assert all(row["email"] is None and row["email_sealed"] for row in data["signatories"])
    assert found_in({"export": exported["json"].read_bytes() + exported["csv"].read_bytes()}, emails) == []
    for fmt, path in exported.items():
        out = tmp_path / "offline" / f"opened.{fmt}"
        result = runner.invoke(args=["contacts", "unseal", "--key", str(private), str(path),
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        opened = out.read_text()
        assert sum(email in opened for email in emails) == SIGNERS, fmt
    assert found_in(database_bytes(app, database_url, tmp_path), emails) == []


def test_the_search_finds_plain_emails_without_a_key(tmp_path):
    """The same search on a server with no key finds the addresses: the test above can fail."""
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    with fresh_schema(make_app(url, tmp_path / "instance"), url) as app:
        add_statement(app)
        emails = emails_for(5)
        sign_through_the_form(app.test_client(), emails)
        with app.app_context():
            send_due(Transport(""))  # delivered (to the console) and erased from the outbox
        hits = found_in(database_bytes(app, url, tmp_path), emails)
        assert {needle for _name, needle in hits} >= {canonical_email(e) for e in emails}


def test_keys_seal_open_and_refuse_the_wrong_kind():
    private, public = keys.generate()
    sealed = keys.seal(public, "a@example.org")
    assert keys.unseal(keys.private_key(private), sealed) == "a@example.org"
    assert keys.unseal(keys.private_key(keys.generate()[0]), sealed) is None
    assert keys.unseal(keys.private_key(private), sealed[:-4] + "AAAA") is None
    assert keys.seal(public, "a@example.org") != sealed  # a fresh ephemeral key each time
    for bad, message in ((private, "not a public key"), ("undersigned-contacts-public-v1:AAAA", "32 bytes"),
                         ("hello", "starts with"), ("undersigned-contacts-public-v1:@@", "base64")):
        with pytest.raises(keys.KeyFormatError, match=message):
            keys.public_key(bad)
    with pytest.raises(keys.KeyFormatError, match="not a private key"):
        keys.private_key(public)


def test_keyed_hashes_compare_canonical_addresses_and_depend_on_the_secret(app):
    with app.app_context():
        first = contacts.keyed_canonical(canonical_email("Jo.Doe+x@GMail.com"))
        assert first == contacts.keyed_canonical(canonical_email("jodoe@gmail.com"))
        assert first.endswith("@gmail.com") and "jodoe" not in first
        app.config["SECRET_KEY"] = "another-secret-" + "y" * 20
        assert contacts.keyed_canonical("jodoe@gmail.com") != first


def test_reseal_moves_every_contact_to_a_new_key_offline(app, runner, tmp_path):
    old_private, old_public = keys.generate()
    new_private, new_public = keys.generate()
    sid = add_statement(app)
    with app.app_context():
        db.session.add(Signature(statement_id=sid, kind="organisation", name="Before Key", country="FR",
                                 email="before@org.example", email_canonical="before@org.example", lang="en"))
        db.session.commit()
        _key, sealed_now = contacts.register_key(old_public, contacts.audit.Actor(None, "test"))
        assert sealed_now == 1  # the plain row is sealed at once
    sign_through_the_form(app.test_client(), ["after@org.example"])
    files = {name: tmp_path / name for name in ("old", "new.pub", "out.json", "back.json")}
    files["old"].write_text(old_private)
    files["new.pub"].write_text(new_public)
    refused = runner.invoke(args=["contacts", "key", "set", str(files["old"])])
    assert refused.exit_code == 1 and "This is a private key" in refused.output
    assert runner.invoke(args=["contacts", "key", "set", str(files["new.pub"])]).exit_code == 0
    result = runner.invoke(args=["contacts", "reseal", "export", str(files["out.json"])])
    assert "2 sealed contacts" in result.output
    result = runner.invoke(args=["contacts", "reseal", "offline", "--key", str(files["old"]), "--to",
                                 str(files["new.pub"]), str(files["out.json"]), str(files["back.json"])])
    assert "resealed 2" in result.output, result.output
    back = ["contacts", "reseal", "import", str(files["back.json"])]
    assert "now sealed" in runner.invoke(args=back).output
    with app.app_context():
        rows = db.session.execute(db.select(Signature.email, Signature.email_sealed,
                                            Signature.email_key)).all()
        assert {r.email_key for r in rows} == {keys.fingerprint(new_public)}
        opened = {keys.unseal(keys.private_key(new_private), r.email_sealed) for r in rows}
        assert opened == {"before@org.example", "after@org.example"} and {r.email for r in rows} == {None}
        actions = set(db.session.scalars(db.select(ModerationEvent.action)))
    assert {"contact_key_set", "contacts_resealed"} <= actions
    # Run again, the import changes nothing: each row already moved on from what went out.
    assert "0 contacts" in runner.invoke(args=back).output
    assert offline.unseal_export(keys.private_key(old_private), "email,email_sealed\r\n").unsealed == 0


def test_the_workspace_registers_a_key_and_every_coordinator_sees_the_change(app, client, people):
    from manage_fixtures import add_statement as add_managed

    private, public = keys.generate()
    sid = add_managed(app, "workspace-sealed", people.owner, moderation="pre")
    auth = AuthActions(client)
    auth.login("admin@example.org")
    refused = auth.post("/manage/safety/key", {"public_key": private}, page="/manage/safety")
    assert refused.status_code == 422 and "This is a private key" in refused.get_data(as_text=True)
    garbled = auth.post("/manage/safety/key", {"public_key": public[:-6]}, page="/manage/safety")
    assert garbled.status_code == 422 and "not a public contact key" in garbled.get_data(as_text=True)
    with app.app_context():
        assert contacts.active_key() is None  # nothing stored from either
    assert auth.post("/manage/safety/key", {"public_key": public}, page="/manage/safety").status_code == 303
    fingerprint = keys.fingerprint(public)
    assert fingerprint in client.get("/manage/safety").get_data(as_text=True)
    auth.logout()

    sign_via_service(app, sid, "Sealed.Person+x@Example.org")
    auth.login()  # the statement's coordinator, not an administrator
    home = client.get("/manage/").get_data(as_text=True)
    assert 'id="key-notice"' in home and fingerprint in home and "Ada Admin" in home
    card = client.get(f"/manage/statements/{sid}/moderation?state=pending").get_data(as_text=True)
    assert "sealed to the contact key" in card and "Sealed.Person" not in card and "sealed.person" not in card
    # A coordinator can still find a signature by its address: the keyed hash is compared.
    found = client.get(f"/manage/statements/{sid}/moderation?state=all&q=sealed.person%40example.org")
    assert "Sealed Signer Org" in found.get_data(as_text=True)
    missed = client.get(f"/manage/statements/{sid}/moderation?state=all&q=other%40example.org")
    assert "Sealed Signer Org" not in missed.get_data(as_text=True)
    exports = client.get(f"/manage/statements/{sid}/exports").get_data(as_text=True)
    assert "1 contact email of this statement is sealed" in exports
    with app.app_context():
        entry = db.session.scalars(db.select(ModerationEvent).where(
            ModerationEvent.action == "contact_key_set")).one()
        assert (entry.after_text, entry.actor_label) == (fingerprint, "Ada Admin")


def sign_via_service(app, sid: int, email: str) -> None:
    from portal.signatures import signing

    with app.app_context():
        signing.sign(signing.SignRequest(statement_id=sid, kind="organisation", name="Sealed Signer Org",
                                         country="FR", email=email, lang="en", signer_name="S",
                                         authorised=True))
        row = db.session.scalars(db.select(Signature)).one()
        assert row.email is None and row.email_canonical.startswith("h:") and row.email_key
        # The same address in another form is the same signer: one row, one more email.
        signing.sign(signing.SignRequest(statement_id=sid, kind="organisation", name="Sealed Signer Org",
                                         country="FR", email=email.lower(), lang="en", signer_name="S",
                                         authorised=True))
        assert db.session.scalar(db.select(db.func.count()).select_from(Signature)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMail)) == 2


def test_the_retention_purge_drops_sealed_addresses_too(app):
    from datetime import timedelta

    from portal.signatures import retention

    sid = add_statement(app)
    with app.app_context():
        contacts.register_key(keys.generate()[1], contacts.audit.Actor(None, "test"))
    sign_through_the_form(app.test_client(), ["kept@org.example"])
    with app.app_context():
        statement = db.session.get(Statement, sid)
        statement.state, statement.closed_at = "closed", utcnow() - timedelta(days=400)
        db.session.commit()
        assert retention.purge(days=180).signatures == 1
        row = db.session.scalars(db.select(Signature)).one()
        assert (row.email, row.email_sealed) == (None, None)
        assert row.email_canonical.startswith(retention.PURGED_PREFIX)


def test_a_reader_holding_an_old_snapshot_only_defers_the_erasure(tmp_path):
    """SQLite: while a long read (an export) keeps an old snapshot the WAL cannot be emptied,
    and signing is never held back for it; the next sending pass empties it."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    with fresh_schema(make_app(url, tmp_path / "instance"), url) as app:
        add_statement(app)
        with app.app_context():
            contacts.register_key(keys.generate()[1], contacts.audit.Actor(None, "test"))
        sign_through_the_form(app.test_client(), ["first.sealed.signer@org.example"])
        reader = sqlite3.connect(tmp_path / "portal.sqlite3", isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM signatures").fetchall()  # a snapshot from before sending
        try:
            with app.app_context():
                assert send_due(Transport("")) == (1, 0)
            wal = tmp_path / "portal.sqlite3-wal"
            assert b"first.sealed.signer@org.example" in wal.read_bytes()  # held by the reader's snapshot
            sign_through_the_form(app.test_client(), ["second.sealed.signer@org.example"])  # writers go on
            with app.app_context():
                assert send_due(Transport("")) == (1, 0)
        finally:
            reader.execute("COMMIT")
            reader.close()
        with app.app_context():
            assert send_due(Transport("")) == (0, 0)  # nothing to send: the erasure still due runs
        addresses = ["first.sealed.signer@org.example", "second.sealed.signer@org.example"]
        assert found_in(database_bytes(app, url, tmp_path), addresses) == []
