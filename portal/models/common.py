"""The shared vocabulary of the models: times in UTC, public ids, the state enums and their
CHECK constraints."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC."""
    return datetime.now(UTC)


def new_uid() -> str:
    """An unguessable public id for a row."""
    return secrets.token_urlsafe(12)


class StatementState(enum.StrEnum):
    draft = "draft"
    collecting = "collecting"
    published = "published"
    closed = "closed"
    archived = "archived"


class SignatureState(enum.StrEnum):
    pending = "pending"  # submitted, email not yet confirmed
    confirmed = "confirmed"  # email confirmed, waiting for a coordinator
    validated = "validated"  # counts and, by visibility, shows
    rejected = "rejected"
    withdrawn = "withdrawn"
    fraudulent = "fraudulent"  # shadow-rejected: never counted, never shown
    invalidated = "invalidated"


class Visibility(enum.StrEnum):
    full = "full"
    country = "country"
    hidden = "hidden"


class Kind(enum.StrEnum):
    organisation = "organisation"
    individual = "individual"


class BlockKind(enum.StrEnum):
    ip = "ip"  # one address, as typed by an administrator
    cidr = "cidr"  # a network, e.g. 203.0.113.0/24
    ip_hash = "ip_hash"  # a keyed hash from the trending view (valid for its hashing period)
    domain = "domain"  # example.org, or *.example.org for it and every subdomain
    email = "email"  # one address, compared in canonical form


def enum_check(column: str, values: type[enum.StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_valid")


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
