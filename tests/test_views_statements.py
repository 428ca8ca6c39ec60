"""The public pages through HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import csrf_token, link_from, outbox_bodies

from portal.models import Signature
from portal.signatures import signing


def sign_form(**overrides) -> dict:
    form = {"kind": "organisation", "name": "Reporters United", "signer_name": "Ana Pérez",
            "role": "Director", "website": "https://reporters.example.org", "country": "FR",
            "email": "ana@reporters.example.org", "visibility": "full", "authorised": "y"}
    form.update(overrides)
    return form


def test_root_redirects_by_cookie_then_accept_language(client):
    assert client.get("/", headers={"Accept-Language": "ru,en;q=0.5"}).headers["Location"] == "/ru/"
    client.set_cookie("lang", "ar")
    assert client.get("/", headers={"Accept-Language": "ru"}).headers["Location"] == "/ar/"


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar", "ru"])
def test_index_lists_published_only(client, make_statement, lang):
    make_statement("public-one")
    make_statement("secret-draft", state="draft")
    make_statement("being-collected", state="collecting")
    html = client.get(f"/{lang}/").get_data(as_text=True)
    assert "/s/public-one" in html
    assert "secret-draft" not in html and "being-collected" not in html


def test_empty_index_says_so(client):
    assert "No statement has been published yet" in client.get("/en/").get_data(as_text=True)


def test_index_lists_closed_statements_after_the_current_ones(client, make_statement):
    """A reader still finds a statement whose signing has closed (its page stays), under its
    own heading, with the day it closed; when none is current, the page says so."""
    closed_at = datetime(2026, 3, 9, 12, tzinfo=UTC)
    make_statement("long-closed", state="closed", closed_at=closed_at)
    make_statement("put-away", state="archived", closed_at=closed_at)
    html = client.get("/en/").get_data(as_text=True)
    assert "No statement is open for signing right now." in html
    assert "No statement has been published yet" not in html
    make_statement("still-current")
    html = client.get("/en/").get_data(as_text=True)
    section = html.index('<h2 id="closed-statements">Closed statements</h2>')
    assert html.index('<h2 lang="en" dir="ltr"><a href="/en/s/still-current"') < section
    heading = '<h3 lang="en" dir="ltr"><a href="/en/s/{}"'
    assert section < html.index(heading.format("long-closed")) and heading.format("put-away") in html
    assert html.count("signing closed on March 9, 2026") == 2
    assert "No statement is open" not in html
    french = client.get("/fr/").get_data(as_text=True)
    assert "Déclarations closes" in french and "signatures closes le 9 mars 2026" in french


def test_unknown_language_and_slug_are_404(client, make_statement):
    make_statement()
    assert client.get("/xx-!!/").status_code == 404
    assert client.get("/en/s/no-such-thing").status_code == 404


def test_statement_page_and_fallback_notice(client, make_statement):
    make_statement(langs=("en", "fr"))
    page = client.get("/fr/s/free-the-reporters")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Libérez les reporters" in html
    assert 'hreflang="en"' in html and 'hreflang="fr"' in html
    assert "HX-Request" in page.headers["Vary"]
    spanish = client.get("/es/s/free-the-reporters").get_data(as_text=True)
    assert "Free the reporters" in spanish and 'class="notice"' in spanish


def test_draft_is_404_and_collecting_needs_its_key(app, client, make_statement):
    make_statement("draft-one", state="draft")
    sid = make_statement("collect-one", state="collecting")
    assert client.get("/en/s/draft-one").status_code == 404
    assert client.get("/en/s/collect-one").status_code == 404
    with app.app_context():
        from portal.extensions import db
        from portal.models import Statement
        key = db.session.get(Statement, sid).private_key
    page = client.get(f"/en/s/collect-one?key={key}")
    assert page.status_code == 200
    assert 'name="robots" content="noindex' in page.get_data(as_text=True)


def test_fragment_has_no_html_element(client, make_statement):
    make_statement()
    fragment = client.get("/en/s/free-the-reporters/signatories", headers={"HX-Request": "true"})
    page = client.get("/en/s/free-the-reporters/signatories")
    assert "<html" not in fragment.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_count_etag_304_and_286_when_closed(app, client, make_statement):
    sid = make_statement()
    first = client.get("/en/s/free-the-reporters/count", headers={"HX-Request": "true"})
    assert first.status_code == 200 and first.headers["ETag"]
    assert "<html" not in first.get_data(as_text=True)
    again = client.get("/en/s/free-the-reporters/count",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    with app.app_context():
        from portal.statements.reading import transition
        transition(sid, "published", "closed", "closed")
    closed = client.get("/en/s/free-the-reporters/count",
                        headers={"If-None-Match": first.headers["ETag"]})
    assert closed.status_code == 286
    assert "hx-trigger" not in closed.get_data(as_text=True)


def test_sign_without_javascript_redirects_303(app, client, make_statement):
    make_statement()
    token = csrf_token(client, "/en/s/free-the-reporters")
    response = client.post("/en/s/free-the-reporters/sign", data=sign_form(csrf_token=token))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/en/s/free-the-reporters/thanks")
    assert "check your email" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(outbox_bodies(app)) == 1


def test_sign_with_htmx_swaps_in_place(client, make_statement):
    make_statement()
    token = csrf_token(client, "/en/s/free-the-reporters")
    response = client.post("/en/s/free-the-reporters/sign", data=sign_form(),
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="thanks"' in html
    assert 'hx-swap-oob="true"' in html and "<html" not in html


def test_invalid_form_is_422_with_errors_and_input_kept(app, client, make_statement):
    make_statement()
    token = csrf_token(client, "/en/s/free-the-reporters")
    response = client.post("/en/s/free-the-reporters/sign",
                           data=sign_form(email="not-an-email", country="", name="Kept Name"),
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert 'value="Kept Name"' in html and 'value="not-an-email"' in html
    assert "Enter an email address" in html and "Choose a country" in html
    assert 'aria-describedby="email-hint email-error"' in html
    assert outbox_bodies(app) == []


def test_resubmitting_answers_the_same_and_mails_the_address_each_time(app, client, make_statement):
    make_statement()
    token = csrf_token(client, "/en/s/free-the-reporters")
    answers = []
    for email in ["ana@reporters.example.org", "ANA+again@Reporters.example.org"] * 3:
        response = client.post("/en/s/free-the-reporters/sign",
                               data=sign_form(csrf_token=token, email=email))
        answers.append((response.status_code, response.headers["Location"]))
    assert len(set(answers)) == 1
    assert len(outbox_bodies(app)) == 6  # capped by SIGNER_MAIL_LIMIT when rate limits are on
    with app.app_context():
        from portal.extensions import db
        assert db.session.query(Signature).count() == 1


def test_confirm_get_never_confirms_and_post_counts_once(app, client, make_statement):
    make_statement(moderation="post")
    token = csrf_token(client, "/en/s/free-the-reporters")
    client.post("/en/s/free-the-reporters/sign", data=sign_form(csrf_token=token))
    link = link_from(outbox_bodies(app)[0], "confirm")
    page = client.get(link)
    assert page.status_code == 200 and "Confirm my signature" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "<strong>0</strong>" in client.get("/en/s/free-the-reporters/count").get_data(as_text=True)
    form_token = csrf_token(client, link)
    for _ in range(3):
        assert client.post(link, data={"csrf_token": form_token}).status_code == 200
    count = client.get("/en/s/free-the-reporters/count").get_data(as_text=True)
    assert "<strong>1</strong>" in count and "1 organisation," in count and "from 1 country" in count
    assert "Reporters United" in client.get("/en/s/free-the-reporters").get_data(as_text=True)


def test_withdraw_removes_from_count_and_list(app, client, make_statement):
    make_statement(moderation="post")
    token = csrf_token(client, "/en/s/free-the-reporters")
    client.post("/en/s/free-the-reporters/sign", data=sign_form(csrf_token=token))
    body = outbox_bodies(app)[0]
    confirm = link_from(body, "confirm")
    assert client.post(confirm, data={"csrf_token": csrf_token(client, confirm)}).status_code == 200
    assert "<strong>1</strong>" in client.get("/en/s/free-the-reporters/count").get_data(as_text=True)
    withdraw = link_from(body, "withdraw")
    assert "Withdraw my signature" in client.get(withdraw).get_data(as_text=True)
    assert client.post(withdraw, data={"csrf_token": csrf_token(client, withdraw)}).status_code == 200
    assert "<strong>0</strong>" in client.get("/en/s/free-the-reporters/count").get_data(as_text=True)
    assert "Reporters United" not in client.get("/en/s/free-the-reporters").get_data(as_text=True)


def test_bad_tokens_are_404(client):
    assert client.get("/confirm/nonsense").status_code == 404
    assert client.get("/withdraw/abc.def").status_code == 404


def test_expired_csrf_keeps_the_form(client, make_statement):
    make_statement()
    response = client.post("/en/s/free-the-reporters/sign",
                           data=sign_form(csrf_token="stale", name="Still Here"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "had expired" in html and 'value="Still Here"' in html


def test_closed_statement_refuses_signing_and_keeps_page(client, make_statement):
    make_statement(state="closed")
    token = csrf_token(client, "/en/s/free-the-reporters")
    assert client.get("/en/s/free-the-reporters").status_code == 200
    response = client.post("/en/s/free-the-reporters/sign", data=sign_form(csrf_token=token))
    assert response.status_code == 422
    assert "Signing of this statement is closed" in response.get_data(as_text=True)


def test_signatories_search_and_country_filter(app, client, make_statement):
    sid = make_statement(moderation="post", require_confirmation=False)
    with app.app_context():
        for name, country in [("Élan Vital", "FR"), ("Bogotá Press", "CO"), ("Élan Sud", "ES")]:
            signing.sign(signing.SignRequest(
                statement_id=sid, kind="organisation", name=name, country=country,
                email=f"{name.split()[1].lower()}@example.org", lang="en", authorised=True,
                signer_name="X"))
    search = client.get("/en/s/free-the-reporters/signatories?q=elan").get_data(as_text=True)
    assert "Élan Vital" in search and "Élan Sud" in search and "Bogotá" not in search
    filtered = client.get("/en/s/free-the-reporters/signatories?country=CO").get_data(as_text=True)
    assert "Bogotá Press" in filtered and "Élan" not in filtered


def test_keyset_pagination_walks_everyone_once(app, client, make_statement):
    sid = make_statement(moderation="post", require_confirmation=False)
    app.config["SIGNATORIES_PER_PAGE"] = 4
    with app.app_context():
        for i in range(10):
            signing.sign(signing.SignRequest(
                statement_id=sid, kind="organisation", name=f"Group {i:02d}", country="KE",
                email=f"g{i}@example.org", lang="en", authorised=True, signer_name="X"))
    seen, url = [], "/en/s/free-the-reporters/signatories"
    import re
    while url:
        html = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        seen += re.findall(r"Group \d\d", html)
        nxt = re.search(r'href="([^"]+after=[^"]+)"', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
    assert seen == [f"Group {i:02d}" for i in range(10)]
