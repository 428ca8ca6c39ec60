"""Issue 13, notifications, end to end through the outbox to a real SMTP server (aiosmtpd):
the coordinators' digest (daily, at a threshold, in each one's language, switched off per
coordinator) and the signer's "your signature is approved" email with its links."""

from __future__ import annotations

import re

from conftest import link_from
from manage_fixtures import add_signature, add_statement, text_of
from sqlalchemy import select
from test_mail import SMTPServer, deliver, smtp  # noqa: F401  (the real SMTP server fixture)

from portal.extensions import db
from portal.models import Coordinator, ModerationEvent, Signature, Statement
from portal.notifications import digest


def set_coordinator(app, ident: int, **fields) -> None:
    with app.app_context():
        row = db.session.get(Coordinator, ident)
        for key, value in fields.items():
            setattr(row, key, value)
        db.session.commit()


def run_digest(runner, *args: str) -> int:
    result = runner.invoke(args=["digest", "send", *args])
    assert result.exit_code == 0, result.output
    return int(re.search(r"queued (\d+)", result.output).group(1))


def by_recipient(server: SMTPServer) -> dict[str, list]:
    mails: dict[str, list] = {}
    for message in server.sink.messages:
        mails.setdefault(str(message["To"]), []).append(message)
    return mails


def test_the_digest_daily_at_a_threshold_in_each_language_and_switched_off(
        app, client, runner, auth, people, smtp):  # noqa: F811
    app.config["SMTP_URL"] = smtp.url
    one = add_statement(app, "digest-one", people.owner, langs=("en", "fr"))
    two = add_statement(app, "digest-two", people.owner)
    theirs = add_statement(app, "digest-other", people.other)
    for i in range(3):
        add_signature(app, one, f"Waiting One {i}", f"w1-{i}@press.example")
    add_signature(app, two, "Waiting Two", "w2@press.example")
    add_signature(app, two, "Already Counted", "done@press.example", state="validated")
    add_signature(app, theirs, "Waiting Theirs", "w3@press.example")
    add_signature(app, theirs, "Not Confirmed", "p@press.example", state="pending")
    set_coordinator(app, people.owner, ui_lang="fr")

    assert run_digest(runner) == 2  # owner and other; the administrator coordinates nothing
    assert deliver(app) == (2, 0)
    mails = by_recipient(smtp)
    (owner_mail,) = mails["owner@example.org"]
    (other_mail,) = mails["other@example.org"]
    # In each coordinator's interface language; the queue per statement, with its link.
    assert owner_mail["Subject"] == "Undersigned : 4 signatures attendent votre décision"
    body = owner_mail.get_content().replace("\r\n", "\n")
    assert "Signatures en attente d'approbation" in body
    queue = "http://localhost/manage/statements/{}/moderation".format
    assert f"digest-one title fr : 3 en attente\n  {queue(one)}" in body
    assert f"digest-two title en : 1 en attente\n  {queue(two)}" in body
    assert "http://localhost/manage/notifications" in body
    assert other_mail["Subject"] == "Undersigned: 1 signatures waiting for you"
    assert "digest-other title en: 1 waiting" in other_mail.get_content()
    assert "digest-one" not in other_mail.get_content()  # only their own statements

    # Daily: nothing more today.
    assert run_digest(runner) == 0

    # A threshold sends at once when the queue reaches it, once per crossing.
    auth.login()
    saved = auth.post("/manage/notifications", {"digest_enabled": "y", "digest_threshold": "6",
                                                "ui_lang": "fr"}, page="/manage/notifications")
    assert saved.status_code == 303
    add_signature(app, one, "Waiting One 3", "w1-3@press.example")
    assert run_digest(runner, "--threshold-only") == 0  # 5 waiting: below 6
    add_signature(app, two, "Waiting Two 2", "w2-2@press.example")
    assert run_digest(runner, "--threshold-only") == 1  # 6 waiting: the threshold is reached
    assert run_digest(runner, "--threshold-only") == 0  # and it is not repeated
    deliver(app)
    assert by_recipient(smtp)["owner@example.org"][-1]["Subject"].startswith("Undersigned : 6 signatures")

    # Switched off per coordinator, in the workspace; audited.
    auth.logout()
    auth.login("other@example.org")
    page = text_of(client.get("/manage/notifications"))
    assert re.search(r'<input checked id="digest_enabled" name="digest_enabled" type="checkbox"', page)
    off = auth.post("/manage/notifications", {"digest_threshold": "", "ui_lang": ""},
                    page="/manage/notifications")
    assert off.status_code == 303
    set_coordinator(app, people.other, digest_sent_at=None)  # as if a day had passed
    assert run_digest(runner) == 0  # switched off; the owner's next daily digest waits a day
    with app.app_context():
        assert not db.session.get(Coordinator, people.other).digest_enabled
        audited = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.action == "digest_settings")).all()
        assert [e.actor_id for e in audited] == [people.owner, people.other]
        assert "digest: True" in audited[1].before_text and "digest: False" in audited[1].after_text
    bad = auth.post("/manage/notifications", {"digest_enabled": "y", "digest_threshold": "0"},
                    page="/manage/notifications")
    assert bad.status_code == 422 and "Enter a whole number from 1 to 100000." in text_of(bad)


def test_the_digest_sections_are_composable(app, people):
    extra = digest.register(lambda coordinator: digest.Section("Invitation replies",
                                                               [digest.Line("3 signed")]))
    try:
        add_statement(app, "digest-sections", people.owner)
        with app.app_context():
            parts = digest.sections(db.session.get(Coordinator, people.owner))
            assert [part.heading for part in parts] == ["Invitation replies"]
            subject, body = digest.compose(db.session.get(Coordinator, people.owner), parts)
            assert "Invitation replies\n\n- 3 signed" in body
    finally:
        digest.BUILDERS.remove(extra)


def test_a_signer_is_told_when_approved_with_the_public_link(app, client, auth, people, smtp):  # noqa: F811
    app.config["SMTP_URL"] = smtp.url
    sid = add_statement(app, "approved-and-listed", people.owner, langs=("en", "fr"))
    listed = add_signature(app, sid, "Presse Libre", "libre@press.example")
    with app.app_context():
        db.session.get(Signature, listed).lang = "fr"  # signed the French text
        db.session.commit()
    hidden = add_signature(app, sid, "Quiet Press", "quiet@press.example", visibility="hidden")
    drafting = add_statement(app, "still-collecting", people.owner, state="collecting")
    early = add_signature(app, drafting, "Early Press", "early@press.example")
    auth.login()
    for ident in (listed, hidden, early):
        assert auth.post(f"/manage/signatures/{ident}/approve", page="/manage/").status_code in (200, 303)
    # A rejection tells nothing by this email.
    rejected = add_signature(app, sid, "Rejected Press", "no@press.example")
    auth.post(f"/manage/signatures/{rejected}/reject", page="/manage/")
    assert deliver(app) == (3, 0)
    mails = by_recipient(smtp)
    assert "no@press.example" not in mails
    (french,) = mails["libre@press.example"]
    assert french["Subject"] == "Votre signature est approuvée : approved-and-listed title fr"
    body = french.get_content()
    assert "http://localhost/fr/s/approved-and-listed" in body
    manage = link_from(body, "signature")
    assert client.get(manage).status_code == 200
    link_from(body, "withdraw")
    quiet = mails["quiet@press.example"][0].get_content()  # the statement's original, English
    assert "It is counted, and not listed, as you chose." in quiet and "/s/approved-and-listed" not in quiet
    waiting = mails["early@press.example"][0].get_content()
    assert "It is counted, and will be listed when the statement is published." in waiting
    # Approving again changes nothing and sends nothing.
    auth.post(f"/manage/signatures/{listed}/approve", page="/manage/")
    assert deliver(app) == (0, 0)
    with app.app_context():
        assert db.session.get(Statement, sid).count_total == 2
