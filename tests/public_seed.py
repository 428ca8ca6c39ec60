"""A statement with signatories of every visibility, for the API, feed, embed and print tests.

Every signatory has a unique email, signer name and uid, so a test can sweep every public
response for them; the names of those who chose "country only" or "hidden" are unique too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from factories import new_statement
from sqlalchemy import select

from portal.extensions import db
from portal.models import Signature, Statement, utcnow
from portal.signatures import signing

SLUG = "free-the-reporters"
# (name, kind, country, visibility, role)
SIGNERS = [
    ("Zeta Press Union", "organisation", "FR", "full", ""),
    ("Élan Reporters", "organisation", "FR", "full", ""),
    ("Abdi Media Watch", "organisation", "KE", "full", ""),
    ("Ana Pérez", "individual", "CO", "full", "Editor-in-chief"),
    ("Quiet Country Group", "organisation", "KE", "country", ""),
    ("Quiet Person Name", "individual", "DE", "country", ""),
    ("Invisible Hidden Collective", "organisation", "FR", "hidden", ""),
    ("Rejected Spam Name", "organisation", "US", "full", ""),
]


@dataclass
class Seeded:
    statement_id: int
    private_key: str
    emails: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # uids, ip hashes, signer names, keys

    @property
    def listed_names(self) -> list[str]:
        return [name for name, _k, _c, vis, _r in SIGNERS if vis == "full" and "Rejected" not in name]

    @property
    def unlisted_names(self) -> list[str]:
        return [name for name, _k, _c, vis, _r in SIGNERS if vis != "full" or "Rejected" in name]


def make(slug: str, state: str, langs=("en", "fr", "ar"), drafts=("es",), **fields) -> Statement:
    if state in ("published", "closed", "archived"):
        fields.setdefault("published_at", utcnow() - timedelta(days=2))
    if state in ("closed", "archived"):
        fields.setdefault("closed_at", utcnow() - timedelta(days=1))
    return new_statement(slug, state, langs, drafts, allow_individuals=True, moderation="post",
                         require_confirmation=False, **fields)


def seed(app, slug: str = SLUG) -> Seeded:
    """The main statement, plus a collecting, a draft and a closed one around it."""
    with app.app_context():
        statement = make(slug, "published", target_count=100)
        make(f"{slug}-collecting", "collecting", drafts=())
        make(f"{slug}-draft", "draft", drafts=())
        make(f"{slug}-closed", "closed", drafts=(), langs=("fr", "en"),
             published_at=utcnow() - timedelta(days=5))
        seeded = Seeded(statement.id, statement.private_key)
        seeded.secrets.append(statement.private_key)
        for i, (name, kind, country, visibility, role) in enumerate(SIGNERS):
            email = f"private.contact{i}.x7q@signer{i}.example.org"
            signing.sign(signing.SignRequest(
                statement_id=statement.id, kind=kind, name=name, country=country, email=email,
                lang="en", visibility=visibility, signer_name=f"Secret Signer Person{i}", role=role,
                website=f"https://site{i}.example.net", authorised=True, ip=f"203.0.113.{i + 1}"))
            seeded.emails.append(email)
        for row in db.session.scalars(select(Signature).where(Signature.statement_id == statement.id)):
            seeded.secrets += [v for v in (row.uid, row.ip_hash, row.signer_name, row.email_canonical,
                                         row.website) if v]
            if row.name.startswith("Rejected"):
                signing.moderate(row.id, approve=False, reason="spam")
        return seeded
