"""No contact email on any public surface, and none in the logs (figure 8 in SECURITY.md).

Signers with unique emails sign through the real form, confirm through their links, are
moderated, withdraw or get shadow-rejected. Then every public page in every language, its
htmx fragments, the feeds, the API (all pages of it), the embed, print and badge outlets,
the sitemap and the public export are fetched, following every same-site link from the
front page; searches for the emails themselves are tried too. Not one email appears. The
logs of the whole run, which includes failing requests and a crash, hold no email and no
confirmation or withdrawal token.
"""

from __future__ import annotations

import logging
import re
import runpy
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import csrf_token, free_port, link_from, outbox_bodies

from portal.abuse import blocklist
from portal.extensions import db
from portal.mail.outbox import send_due
from portal.models import Signature, statement_coordinators
from portal.signatures import signing

ROOT = Path(__file__).resolve().parent.parent
SLUG = "free-the-reporters"
PASSWORD = "correct horse battery staple"
SIGNERS = [  # name, email, visibility, fate
    ("Zeta Press Union", "Zeta.Press+union@Gmail.com", "full", "approved"),
    ("Élan Reporters", "contact@elan-reporters.example", "full", "approved"),
    ("Quiet Country Group", "quiet.group@mx.example.net", "country", "approved"),
    ("Invisible Collective", "invisible@hidden-collective.example", "hidden", "approved"),
    ("Still Pending Org", "pending.person@pending.example", "full", "pending"),
    ("Confirmed Waiting", "waiting@queue.example", "full", "confirmed"),
    ("Changed Their Mind", "withdrawn@mind.example", "full", "withdrawn"),
    ("Spam Flood Bot", "bot@blocked-spam.example", "full", "blocked"),
]


@pytest.fixture
def database_url(tmp_path):
    """What is shown does not depend on the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'portal.sqlite3'}"


def needles(emails: list[str]) -> list[str]:
    """Each email as typed and lower-cased, and its local part where that is distinctive."""
    found = set()
    for email in emails:
        found.update({email, email.lower()})
        local = email.split("@")[0].lower()
        if len(local) >= 8:
            found.add(local)
    return sorted(found)


def sign_all(app, client) -> tuple[list[str], list[str]]:
    """Sign through the form, then confirm, moderate and withdraw as each signer's fate says."""
    with app.app_context():
        blocklist.add_rule("domain", "blocked-spam.example")
    tokens_seen: list[str] = []
    for i, (name, email, visibility, _fate) in enumerate(SIGNERS):
        token = csrf_token(client, f"/en/s/{SLUG}")
        response = client.post(f"/en/s/{SLUG}/sign", data={
            "csrf_token": token, "kind": "organisation", "name": name, "signer_name": f"Person {i}",
            "role": "Director", "country": ["FR", "KE", "DE", "CO"][i % 4], "email": email,
            "visibility": visibility, "authorised": "y"}, environ_base={"REMOTE_ADDR": f"192.0.2.{i + 1}"})
        assert response.status_code == 303
    bodies = outbox_bodies(app)
    assert len(bodies) == len(SIGNERS) - 1  # the blocked one is never mailed
    for (_name, _email, _visibility, fate), body in zip([s for s in SIGNERS if s[3] != "blocked"], bodies,
                                                       strict=True):
        confirm, withdraw = link_from(body, "confirm"), link_from(body, "withdraw")
        tokens_seen += [confirm.rsplit("/", 1)[1], withdraw.rsplit("/", 1)[1]]
        if fate == "pending":
            continue
        assert client.post(confirm, data={"csrf_token": csrf_token(client, confirm)}).status_code == 200
        if fate == "withdrawn":
            assert client.post(withdraw, data={"csrf_token": csrf_token(client, withdraw)}).status_code == 200
    with app.app_context():
        for signature in db.session.scalars(db.select(Signature)):
            fate = next(s[3] for s in SIGNERS if s[0] == signature.name)
            if fate == "approved":
                assert signing.moderate(signature.id, approve=True)
    return [s[1] for s in SIGNERS], tokens_seen


def crawl(client, starts: list[str], headers: dict | None = None, limit: int = 400) -> dict[str, str]:
    """Fetch pages breadth-first, following same-site links outside /manage, /confirm and /withdraw."""
    seen: dict[str, str] = {}
    queue = deque(starts)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, headers=headers or {})
        body = response.get_data(as_text=True)
        seen[url] = body + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(urljoin(url, response.headers["Location"]))
            continue
        for link in re.findall(r'(?:href|src|hx-get|action)="([^"#]+)', body):
            target = urljoin(url, link.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc not in ("", "localhost") or parts.path.startswith(("/manage", "/confirm",
                                                                                "/withdraw", "/static")):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


def test_no_contact_email_on_any_public_surface_or_in_the_logs(app, client, make_statement, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("markdown_it").setLevel(logging.INFO)  # its parser trace says nothing of people
    sid = make_statement(langs=("en", "fr", "ar"))
    emails, tokens_seen = sign_all(app, client)
    # Failing requests and failing deliveries belong in the logged run too.
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    # One confirmation link each (not the blocked one), and one "you are listed" note per approval.
    mailed = len(SIGNERS) - 1 + sum(fate == "approved" for *_rest, fate in SIGNERS)
    with app.app_context():
        assert send_due()[1] == mailed
    client.get("/confirm/" + tokens_seen[0][:-4] + "AAAA")
    client.post(f"/en/s/{SLUG}/sign", data={"csrf_token": "bad", "email": emails[0]})
    client.post(f"/en/s/{SLUG}/sign", data={"csrf_token": csrf_token(client, f"/en/s/{SLUG}"),
                                            "email": emails[1], "name": ""})

    reader = app.test_client()
    starts = ["/", "/robots.txt", "/sitemap.xml", "/api/v1/statements", "/api/v1/openapi.json",
              f"/api/v1/statements/{SLUG}", f"/api/v1/statements/{SLUG}/signatories?limit=2",
              f"/s/{SLUG}/badge.svg"]
    for lang in app.config["LANGUAGES"]:
        starts += [f"/{lang}/", f"/{lang}/feed.atom", f"/{lang}/s/{SLUG}", f"/{lang}/s/{SLUG}/signatories",
                   f"/{lang}/s/{SLUG}/count", f"/{lang}/s/{SLUG}/print", f"/{lang}/s/{SLUG}/embed",
                   f"/{lang}/s/{SLUG}/feed.atom", f"/{lang}/s/{SLUG}/thanks", f"/{lang}/s/{SLUG}/qr.svg"]
        starts += [f"/{lang}/s/{SLUG}/signatories?q={needle}" for needle in needles(emails)]
    pages = crawl(reader, starts)
    pages |= {f"htmx {url}": body for url, body in crawl(reader, starts, {"HX-Request": "true"}).items()}
    api = f"/api/v1/statements/{SLUG}/signatories?limit=2"  # every page of the API, by its cursors
    while api:
        payload = reader.get(api).get_json()
        pages[api] = str(payload)
        following = payload.get("next") or (payload.get("links") or {}).get("next")
        api = urlsplit(following).path + "?" + urlsplit(following).query if following else None
    # The public export, as a coordinator downloads it.
    app.config.update(ARGON2_TIME_COST=1, ARGON2_MEMORY_COST=1024, ARGON2_PARALLELISM=1)
    with app.app_context():
        from portal.accounts import coordinators as accounts

        admin = accounts.create_coordinator("coordinator@portal.example", "Coordinator", PASSWORD, admin=True)
        db.session.execute(statement_coordinators.insert().values(statement_id=sid, coordinator_id=admin.id))
        db.session.commit()
    coordinator = app.test_client()
    login = csrf_token(coordinator, "/manage/login")
    coordinator.post("/manage/login", data={"email": "coordinator@portal.example", "password": PASSWORD,
                                            "csrf_token": login})
    for fmt in ("csv", "json"):
        export = coordinator.get(f"/manage/statements/{sid}/export/public.{fmt}")
        assert export.status_code == 200
        pages[f"export {fmt}"] = export.get_data(as_text=True)

    assert len(pages) >= 150, len(pages)
    listed = [name for name, _e, visibility, fate in SIGNERS if fate == "approved" and visibility == "full"]
    assert all(any(name in body for body in pages.values()) for name in listed)  # the crawl saw them
    # A search page echoes its own query: only an email the request did not carry is a leak.
    leaks = [(url, needle) for url, body in pages.items() for needle in needles(emails)
             if needle in body.lower() and needle not in unquote(url).lower()]
    assert leaks == []
    log = caplog.text
    assert log.count("not delivered") == mailed  # the capture did see the app's logging
    assert [n for n in needles(emails) if n in log.lower()] == []
    assert [t for t in tokens_seen if t in log or t.split(".")[0] in log] == []


def test_gunicorn_writes_no_access_log_unless_asked(monkeypatch):
    """Access logs would hold /confirm/<token> paths; they are off unless GUNICORN_ACCESSLOG is set."""
    monkeypatch.delenv("GUNICORN_ACCESSLOG", raising=False)
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["accesslog"] is None
