"""Workspace test helpers: accounts, an AuthActions-style helper, and seeded statements.

``tests/conftest.py`` imports the fixtures (``auth``, ``people``), so every test module can use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from factories import new_statement

from portal.accounts.coordinators import create_coordinator
from portal.extensions import db
from portal.models import Signature, utcnow
from portal.signatures.counts import reconcile
from portal.text import canonical_email, fold, listing_key

PASSWORD = "correct horse battery staple"
# Cheap argon2 parameters: the tests check behaviour, not the cost of the hash.
FAST_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1}


@dataclass(frozen=True)
class People:
    admin: int
    owner: int
    other: int


def make_people(app) -> People:
    app.config.update(FAST_ARGON2)
    with app.app_context():
        admin = create_coordinator("admin@example.org", "Ada Admin", PASSWORD, admin=True)
        owner = create_coordinator("owner@example.org", "Olga Owner", PASSWORD)
        other = create_coordinator("other@example.org", "Omar Other", PASSWORD)
        return People(admin.id, owner.id, other.id)


@pytest.fixture
def people(app) -> People:
    return make_people(app)


def add_statement(app, slug: str, coordinator_id: int | None, state: str = "published",
                  langs=("en",), **fields) -> int:
    """A statement with published translations, coordinated by ``coordinator_id``."""
    texts = {lang: (f"{slug} title {lang}", "", f"Body of {slug}.") for lang in langs}
    with app.app_context():
        return new_statement(slug, state, langs, texts=texts, coordinator_id=coordinator_id,
                             revision=1, **fields).id


def add_signature(app, statement_id: int, name: str, email: str, state: str = "confirmed",
                  kind: str = "organisation", country: str = "FR", website: str = "",
                  visibility: str = "full", **fields) -> int:
    """A signature row as signing would leave it (confirmed: waiting for a coordinator)."""
    with app.app_context():
        now = utcnow()
        signature = Signature(
            statement_id=statement_id, kind=kind, name=name, country=country, email=email,
            email_canonical=canonical_email(email), lang="en", state=state, website=website,
            visibility=visibility, sort_key=listing_key(name, visibility, country), search_text=fold(name),
            signer_name="Sam Signer", authorised=True, created_at=now - timedelta(hours=2),
            confirmed_at=now - timedelta(hours=1) if state != "pending" else None, **fields)
        db.session.add(signature)
        db.session.commit()
        return signature.id


def add_counted(app, statement_id: int, name: str, email: str, **fields) -> int:
    """An approved signature, with the statement's counts and tallies brought up to date."""
    ident = add_signature(app, statement_id, name, email, state="validated", **fields)
    with app.app_context():
        reconcile(db.session)
        db.session.commit()
    return ident


class AuthActions:
    """Log in and out through the real form, and post with the page's CSRF token."""

    def __init__(self, client) -> None:
        self.client = client

    def login(self, email: str = "owner@example.org", password: str = PASSWORD, **kwargs):
        token = self.token()
        return self.client.post("/manage/login", data={"email": email, "password": password,
                                                        "csrf_token": token}, **kwargs)

    def logout(self):
        return self.post("/manage/logout")

    def token(self, url: str = "/manage/login") -> str:
        """The CSRF token a workspace page hands out (logged in, the login page redirects home)."""
        return token_in(self.client.get(url, follow_redirects=True).get_data(as_text=True))

    def post(self, url: str, data: dict | None = None, htmx: bool = False, page: str = "/manage/login",
             **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(page))
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(url, data=data, headers=headers, **kwargs)


@pytest.fixture
def auth(client, people) -> AuthActions:
    return AuthActions(client)


def token_in(html: str) -> str:
    match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def errors_of(html: str) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]+)<', html)
