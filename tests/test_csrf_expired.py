"""An expired form anywhere gives a clear message and its content back, never a blank failure."""

from __future__ import annotations

import re

from manage_fixtures import add_statement, text_of

from portal.extensions import db
from portal.models import StatementTranslation

LONG_BODY = "We call on the authorities **to act now**.\n\nSecond paragraph, kept whole."


def test_expired_translation_form_keeps_the_text_and_sends_again(app, client, auth, people):
    sid = add_statement(app, "kept-text", people.owner, state="draft")
    auth.login()
    url = f"/manage/statements/{sid}/translations/fr"
    form = {"title": "Titre gardé", "summary": "Résumé", "body_md": LONG_BODY}
    expired = client.post(url, data=form | {"csrf_token": "stale-token"})
    html = text_of(expired)
    assert expired.status_code == 400 and "This form had expired" in html
    assert 'value="Titre gardé"' in html
    assert "Second paragraph, kept whole." in html and "<textarea" in html
    with app.app_context():
        assert db.session.query(StatementTranslation).filter_by(lang="fr").count() == 0
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    kept = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    kept["body_md"] = re.search(r"<textarea[^>]*>(.*?)</textarea>", html, re.S).group(1)
    kept["csrf_token"] = fresh
    again = client.post(url, data=kept)
    assert again.status_code == 303
    with app.app_context():
        saved = db.session.query(StatementTranslation).filter_by(lang="fr").one()
        assert saved.title == "Titre gardé" and saved.body_md.replace("\r", "") == LONG_BODY


def test_expired_htmx_form_shows_the_notice_in_main(app, client, auth, people):
    sid = add_statement(app, "kept-htmx", people.owner, state="draft")
    auth.login()
    response = client.post(f"/manage/statements/{sid}/pause", data={"paused": "1", "csrf_token": "x"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#main" and response.headers["HX-Reswap"] == "innerHTML"
    assert 'id="expired"' in text_of(response) and "<html" not in text_of(response)


def test_login_password_is_never_echoed(client, people):
    response = client.post("/manage/login", data={"email": "owner@example.org",
                                                   "password": "hunter2-secret", "csrf_token": "x"})
    assert response.status_code == 400 and "hunter2-secret" not in text_of(response)
    assert 'value="owner@example.org"' in text_of(response)
