"""Updates (SQLite and PostgreSQL): posted by a coordinator in several languages, shown as a
timeline and in the feed, emailed through the outbox to a real SMTP server to those who asked,
in their language, with RFC 8058 one-click unsubscribe honoured; "keep me informed" is off by
default; the daily allowance holds further emails back."""

from __future__ import annotations

import re
from datetime import date

import feedparser
from conftest import csrf_token
from fast_app import fast_app, fast_module_app  # noqa: F401
from manage_fixtures import add_signature, add_statement
from sqlalchemy import select
from test_mail import smtp  # noqa: F401  (the real SMTP server fixture)

from portal.extensions import db
from portal.mail.outbox import send_due
from portal.models import OutboxMail, Signature

FORM = {"kind": "organisation", "name": "Reporters United", "signer_name": "Ana", "country": "FR",
        "email": "ana@example.org", "visibility": "full", "authorised": "y"}


def informed(app, sid, name, email, lang="en", keep=True) -> int:
    ident = add_signature(app, sid, name, email, state="validated")
    with app.app_context():
        signature = db.session.get(Signature, ident)
        signature.lang, signature.keep_informed = lang, keep
        db.session.commit()
    return ident


def post_update(auth, sid, day="2026-11-02", follow=False, **texts):
    data = {"happened_on": day, "email": "y"}
    data.update(texts)
    return auth.post(f"/manage/statements/{sid}/updates", data, page=f"/manage/statements/{sid}/record",
                     follow_redirects=follow)


def test_keep_me_informed_is_off_by_default_and_stored_when_ticked(app, client, make_statement):
    make_statement()
    page = client.get("/en/s/free-the-reporters").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="keep_informed"[^>]*>', page).group(0)
    assert "checked" not in box and 'type="checkbox"' in box
    for email, ticked in (("ana@example.org", False), ("bo@example.org", True)):
        data = dict(FORM, email=email, name=email.split("@")[0].title() + " Press",
                    csrf_token=csrf_token(client, "/en/s/free-the-reporters"))
        if ticked:
            data["keep_informed"] = "y"
        assert client.post("/en/s/free-the-reporters/sign", data=data).status_code == 303
    with app.app_context():
        rows = dict(db.session.execute(select(Signature.email, Signature.keep_informed)).all())
    assert rows == {"ana@example.org": False, "bo@example.org": True}


def test_an_update_reaches_those_who_asked_and_one_click_unsubscribe_is_honoured(
        app, client, auth, people, smtp):  # noqa: F811
    app.config["SMTP_URL"] = smtp.url
    sid = add_statement(app, "free-them", people.owner, langs=("en", "fr"))
    informed(app, sid, "Reporters United", "ana@example.org")
    informed(app, sid, "Journalistes Unis", "jean@example.org", lang="fr")
    informed(app, sid, "Not Interested", "no@example.org", keep=False)
    auth.login()
    response = post_update(auth, sid, title_en="The court heard the case",
                           body_en="A **hearing** took place.", title_fr="Le tribunal a entendu l'affaire",
                           body_fr="Une audience a eu lieu.")
    assert response.status_code == 303
    with app.app_context():
        assert send_due() == (2, 0)
    by_to = {m["To"]: m for m in smtp.sink.messages}
    assert set(by_to) == {"ana@example.org", "jean@example.org"}
    english, french = by_to["ana@example.org"], by_to["jean@example.org"]
    assert "A **hearing** took place." in english.get_content()
    assert "Une audience a eu lieu." in french.get_content() and "Le tribunal" in french["Subject"]
    assert english["List-Unsubscribe-Post"].strip() == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<http://localhost(/unsubscribe/\S+)>", english["List-Unsubscribe"].strip()).group(1)
    with app.app_context():  # once delivered, the outbox keeps no link
        assert all(m.headers == "" and m.body == "" for m in db.session.scalars(select(OutboxMail)))
    # RFC 8058: the mail client's POST, with no page, no cookie and no CSRF token.
    one_click = app.test_client().post(link, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert client.post(link[:-3] + "abc", data={"List-Unsubscribe": "One-Click"}).status_code == 404
    smtp.sink.messages.clear()
    assert post_update(auth, sid, day="2026-11-03", title_en="Released!").status_code == 303
    with app.app_context():
        send_due()
    assert [m["To"] for m in smtp.sink.messages] == ["jean@example.org"]
    # The timeline on the page, in the reader's language, and in the statement's feed.
    page = client.get("/fr/s/free-them").get_data(as_text=True)
    timeline = page[page.index('id="timeline"'):]
    assert "Le tribunal a entendu l&#39;affaire" in timeline and "Released!" in timeline
    assert timeline.index("Released!") < timeline.index("Le tribunal")  # newest first
    feed = feedparser.parse(client.get("/en/s/free-them/feed.atom").data)
    assert "The court heard the case" in [entry.title for entry in feed.entries]
    assert "no@example.org" not in page


def test_the_daily_allowance_holds_further_emails(app, auth, people):
    app.config["UPDATE_MAILS_PER_DAY"] = 1
    sid = add_statement(app, "free-them", people.owner)
    informed(app, sid, "Reporters United", "ana@example.org")
    auth.login()
    post_update(auth, sid, title_en="First")
    held = post_update(auth, sid, title_en="Second", follow=True)
    assert "was not emailed" in held.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(OutboxMail)) == 1


def test_an_update_needs_the_original_language_and_stays_on_the_form(app, auth, people):
    sid = add_statement(app, "free-them", people.owner, langs=("en", "fr"))
    auth.login()
    refused = post_update(auth, sid, title_fr="Seulement en français", body_fr="Texte gardé.")
    assert refused.status_code == 422
    assert "Texte gardé." in refused.get_data(as_text=True)
    other = auth.post(f"/manage/statements/{sid}/updates", {"happened_on": date.today().isoformat()},
                      page="/manage/")
    assert other.status_code == 422
    auth.logout()
    auth.login("other@example.org")
    assert post_update(auth, sid, title_en="Not theirs").status_code == 404
