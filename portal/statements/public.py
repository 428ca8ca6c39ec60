"""The public read model: what a reader may see of a statement, worked out once.

Every public surface (the page and its fragments, the API, the feeds, the embed, the badge,
the printable letter, the QR code, the public export) and the workspace's panel render a
:class:`PublicView`. Nothing else decides which text a reader gets, whether signing is open
and why not, or what a signatory's chosen visibility shows: an email, an IP hash, a uid or a
token never leaves this module.
"""

from __future__ import annotations

import enum
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import (
    Kind,
    Statement,
    StatementState,
    StatementTranslation,
    Visibility,
    as_utc,
    utcnow,
)
from portal.statements import reading, site

SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
PUBLIC_STATES = (StatementState.published, StatementState.closed, StatementState.archived)
OPEN_STATES = (StatementState.collecting, StatementState.published)


class Closed(enum.StrEnum):
    """Why signing is not open now."""

    state = "state"  # a draft, or closed, or archived
    deadline = "deadline"  # the deadline has passed
    paused = "paused"  # this statement's coordinators paused it
    site_paused = "site_paused"  # an administrator paused the whole site


@dataclass(frozen=True)
class Signing:
    """Whether one can sign now, and if not, why."""

    why_not: Closed | None

    @property
    def open(self) -> bool:
        return self.why_not is None

    @property
    def live(self) -> bool:
        """Open, or only paused: the count may still move, so pages keep polling it."""
        return self.why_not in (None, Closed.paused, Closed.site_paused)

    @property
    def paused(self) -> bool:
        return self.why_not in (Closed.paused, Closed.site_paused)


def signing(statement: Statement, site_paused: bool | None = None) -> Signing:
    """The one rule for "can one sign this statement now": its state, its deadline, its own
    pause, then the site's (read here unless the caller already knows it)."""
    if statement.state not in OPEN_STATES:
        return Signing(Closed.state)
    if statement.deadline_at is not None and as_utc(statement.deadline_at) <= utcnow():
        return Signing(Closed.deadline)
    if statement.paused:
        return Signing(Closed.paused)
    if site.signing_paused() if site_paused is None else site_paused:
        return Signing(Closed.site_paused)
    return Signing(None)


@dataclass(frozen=True)
class Counts:
    """The stored tallies, public by construction (hidden signers are in ``total`` only)."""

    total: int
    organisations: int
    individuals: int
    countries: int


@dataclass(frozen=True)
class Shown:
    """What a reader may see of one listed signatory, by the visibility they chose.

    "Only the country" shows the kind and the country, nothing else (no name, no launch mark,
    no date); "counted, not listed" is never listed at all.
    """

    visibility: str
    kind: str
    country: str
    name: str | None = None
    role: str | None = None  # an individual's role or affiliation
    org_type: str = ""
    launch: bool = False
    signed_at: datetime | None = None


def shown(signature) -> Shown:
    """The projection of one listed signature (any row with the signature's columns)."""
    if signature.visibility != Visibility.full:
        return Shown(Visibility.country.value, signature.kind, signature.country)
    role = signature.role if signature.kind == Kind.individual and signature.role else None
    return Shown(Visibility.full.value, signature.kind, signature.country, signature.name, role,
                 getattr(signature, "org_type", "") or "", bool(getattr(signature, "launch", False)),
                 getattr(signature, "created_at", None))


@dataclass(frozen=True)
class PublicView:
    """One statement as one reader sees it, in one language."""

    statement: Statement
    lang: str
    text: StatementTranslation
    fallback: bool  # the text is the original, for want of a published translation in ``lang``
    signing: Signing
    counts: Counts

    @property
    def can_sign(self) -> bool:
        """Signing is open, and (for an invite-only statement) open beyond personal links."""
        return self.signing.open and not self.invite_only

    @property
    def invite_only(self) -> bool:
        """Only personal invitations sign: no public form at all."""
        return self.statement.invite_only and not self.statement.allowed_domains.strip()

    @staticmethod
    def shown(signature) -> Shown:
        return shown(signature)


def text_for(statement: Statement, lang: str) -> tuple[StatementTranslation, bool]:
    """The published translation in ``lang``, else the original (True: it fell back). The
    original is published before the statement is; while collecting, the private link shows
    it as drafted."""
    tr = statement.translation(lang)
    if tr is not None:
        return tr, False
    original = next((t for t in statement.translations if t.lang == statement.original_lang), None)
    return original or statement.translations[0], True


def view_of(statement: Statement, lang: str, site_paused: bool | None = None) -> PublicView:
    """The read model of ``statement`` for a reader of ``lang``."""
    text, fallback = text_for(statement, lang)
    counts = Counts(statement.count_total, statement.count_organisations, statement.count_individuals,
                    statement.count_countries)
    return PublicView(statement, lang, text, fallback, signing(statement, site_paused), counts)


def views_of(statements: list[Statement], lang: str | None) -> list[PublicView]:
    """Read models for a list (in ``lang``, or each in its original language), with the site's
    pause read once."""
    paused = site.signing_paused()
    return [view_of(statement, lang or statement.original_lang, paused) for statement in statements]


def find(slug: str, key: str | None = None) -> Statement | None:
    """A statement the public may see: published, closed or archived with a published text, or
    still collecting when ``key`` is its private key; never a draft.

    :param slug: as it came in the URL; anything that is not slug-shaped is simply absent.
    """
    if not SLUG.fullmatch(slug or ""):
        return None
    # One query with its texts: the validator covers them, and a 304 costs only this lookup.
    statement = db.session.scalars(select(Statement).options(joinedload(Statement.translations))
                                   .where(Statement.slug == slug)).unique().one_or_none()
    if statement is None or not statement.translations:
        return None
    if statement.state == StatementState.collecting:
        if not (key and hmac.compare_digest(key.encode(), statement.private_key.encode())):
            return None
    elif not (statement.is_public and statement.published_translations()):
        return None
    return reading.refresh(statement)


def listed(states: tuple[str, ...] = PUBLIC_STATES) -> list[Statement]:
    """Public statements in ``states``, newest first, with a published text."""
    return [statement for statement in reading.listed(states) if statement.published_translations()]


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC, as feeds and JSON want it."""
    if moment is None:
        return None
    return as_utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")
