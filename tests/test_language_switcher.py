"""One language switcher: it keeps the page, marks the current language and offers only the
languages the page exists in; the workspace language is chosen in the workspace, per coordinator."""

from __future__ import annotations

import re

from conftest import csrf_token, link_from, outbox_bodies
from manage_fixtures import text_of

from portal.extensions import db
from portal.models import Coordinator, ModerationEvent

FORM = {"kind": "organisation", "name": "Late Press", "signer_name": "L", "country": "PE",
        "email": "late@example.org", "visibility": "full", "authorised": "y"}


def switcher(html: str) -> list[tuple[str, str, bool]]:
    """(code, href, current) of every entry of the page's language switcher."""
    nav = re.search(r'<nav class="switcher" [^>]*>(.*?)</nav>', html, re.S)
    assert nav, "no language switcher"
    found = []
    for tag in re.findall(r"<(?:a|button) [^>]*>", nav.group(1)):
        code = re.search(r' lang="([^"]+)"', tag).group(1)
        href = re.search(r' (?:href|value)="([^"]+)"', tag).group(1).replace("&amp;", "&")
        found.append((code, href, "aria-current" in tag))
    return found


def test_statement_page_switches_to_the_same_page_in_its_languages(client, make_statement):
    make_statement(langs=("fr", "en", "ar"))
    html = text_of(client.get("/fr/s/free-the-reporters"))
    assert switcher(html) == [("en", "/en/s/free-the-reporters", False),
                              ("fr", "/fr/s/free-the-reporters", True),
                              ("ar", "/ar/s/free-the-reporters", False)]  # no es or ru: none published
    assert "Read this statement in" not in html  # one switcher, not two
    assert html.count('class="switcher"') == 1


def test_signatories_print_and_thanks_keep_the_page_and_the_search(client, make_statement):
    make_statement(langs=("en", "ar"))
    listing = switcher(text_of(client.get("/en/s/free-the-reporters/signatories?q=press&country=FR")))
    assert ("ar", "/ar/s/free-the-reporters/signatories?q=press&country=FR", False) in listing
    for page in ("print", "thanks"):
        entries = switcher(text_of(client.get(f"/ar/s/free-the-reporters/{page}")))
        assert entries == [("en", f"/en/s/free-the-reporters/{page}", False),
                           ("ar", f"/ar/s/free-the-reporters/{page}", True)]


def test_a_private_link_keeps_its_key(app, client, make_statement):
    make_statement(state="collecting", langs=("en", "fr"), private_key="k" * 22)
    entries = switcher(text_of(client.get(f"/en/s/free-the-reporters?key={'k' * 22}")))
    assert ("fr", f"/fr/s/free-the-reporters?key={'k' * 22}", False) in entries


def test_the_list_of_statements_offers_every_interface_language(client, make_statement):
    make_statement()
    entries = switcher(text_of(client.get("/ru/")))
    assert [code for code, _, _ in entries] == ["en", "fr", "es", "ar", "ru"]
    assert ("ru", "/ru/", True) in entries


def test_confirm_page_switches_language_and_keeps_it_on_its_form(app, client, make_statement):
    make_statement(langs=("en", "ar"))
    token = csrf_token(client, "/en/s/free-the-reporters")
    assert client.post("/en/s/free-the-reporters/sign", data=FORM | {"csrf_token": token}).status_code == 303
    link = link_from(outbox_bodies(app)[0], "confirm")
    entries = switcher(text_of(client.get(link)))
    assert entries == [("en", f"{link}?lang=en", True), ("ar", f"{link}?lang=ar", False)]
    arabic = text_of(client.get(f"{link}?lang=ar"))
    assert 'lang="ar" dir="rtl"' in arabic and "أطلقوا سراح الصحفيين" in arabic
    assert f'action="{link}?lang=ar"' in arabic  # the button keeps the reader's language
    english = text_of(client.get(f"{link}?lang=de"))  # not a language of this statement: ignored
    assert '<html lang="en"' in english


def test_workspace_language_is_stored_per_coordinator(app, client, auth):
    auth.login()
    page = text_of(client.get("/manage/audit"))
    assert ("fr", "fr", False) in switcher(page)
    assert "/manage/" in re.search(r'class="brand" href="([^"]+)"', page).group(1)  # stays in the workspace
    response = auth.post("/manage/language", {"lang": "fr", "next": "/manage/audit"}, page="/manage/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/manage/audit")
    page = text_of(client.get("/manage/audit"))
    assert '<html lang="fr"' in page and ("fr", "fr", True) in switcher(page)
    with app.app_context():
        owner = db.session.scalar(db.select(Coordinator).filter_by(email="owner@example.org"))
        assert owner.ui_lang == "fr"
        assert db.session.scalar(db.select(ModerationEvent.action).order_by(ModerationEvent.id.desc())) \
            == "language_chosen"
    # A new session of the same account, with a browser asking for Russian, keeps French.
    auth.logout()
    client.set_cookie("session", "", expires=0)
    auth.login()
    page = text_of(client.get("/manage/", headers={"Accept-Language": "ru"}))
    assert '<html lang="fr"' in page
    # The public pages keep following their URL.
    assert '<html lang="en"' in text_of(client.get("/en/"))


def test_new_statement_form_defaults_to_the_workspace_language(client, auth):
    auth.login()
    auth.post("/manage/language", {"lang": "ar"}, page="/manage/")
    form = text_of(client.get("/manage/statements/new"))
    assert re.search(r'<option[^>]*selected[^>]*value="ar"|<option[^>]*value="ar"[^>]*selected', form)


def test_language_chosen_before_login_stays_after_it(client, auth):
    token = auth.token()
    response = client.post("/manage/language", data={"lang": "ar", "next": "/manage/login",
                                                     "csrf_token": token})
    assert response.status_code == 303
    assert '<html lang="ar" dir="rtl"' in text_of(client.get("/manage/login"))
    auth.login()
    assert '<html lang="ar" dir="rtl"' in text_of(client.get("/manage/"))


def test_bad_language_choices_are_refused(client, auth):
    auth.login()
    assert auth.post("/manage/language", {"lang": "xx"}, page="/manage/").status_code == 400
    assert auth.post("/manage/language", {"lang": "fr", "next": "https://evil.example/"},
                     page="/manage/").headers["Location"].endswith("/manage/")
    token = auth.token("/manage/")
    assert client.post("/manage/language", data={"lang": "fr"}).status_code == 400  # no CSRF token
    assert token
