"""What is trending (signatures per IP hash and per email domain), and bulk invalidation.

Invalidation takes criteria (email domain, IP hash, name pattern, time window), shows how
many live signatures they match, then moves them all to ``invalidated`` in one write
transaction: the stored counts follow row by row, and every row gets an audit entry.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from portal.accounts import audit
from portal.accounts.audit import Actor
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Signature, SignatureState, utcnow
from portal.signatures.transitions import move
from portal.text import escape_like, fold

LIVE = (SignatureState.validated, SignatureState.confirmed, SignatureState.pending)


@dataclass(frozen=True)
class Trend:
    key: str
    signatures: int
    fraudulent: int


def trending(statement_ids: list[int] | None, hours: float = 1, limit: int = 20,
             now: datetime | None = None) -> tuple[list[Trend], list[Trend]]:
    """The IP hashes and the email domains with the most signatures in the last ``hours``.

    :param statement_ids: the statements to look at; None for all of them.
    :returns: (by IP hash, by email domain), busiest first.
    """
    since = (now or utcnow()) - timedelta(hours=hours)
    query = select(Signature.ip_hash, Signature.email_canonical, Signature.state).where(
        Signature.created_at >= since)
    if statement_ids is not None:
        query = query.where(Signature.statement_id.in_(statement_ids or [-1]))
    by_ip: Counter[str] = Counter()
    by_domain: Counter[str] = Counter()
    fraud_ip: Counter[str] = Counter()
    fraud_domain: Counter[str] = Counter()
    for ip_hash, canonical, state in db.session.execute(query):
        domain = canonical.rpartition("@")[2] if "@" in canonical else ""
        fraudulent = state == SignatureState.fraudulent
        if ip_hash:
            by_ip[ip_hash] += 1
            fraud_ip[ip_hash] += fraudulent
        if domain:
            by_domain[domain] += 1
            fraud_domain[domain] += fraudulent

    def top(counts: Counter[str], frauds: Counter[str]) -> list[Trend]:
        return [Trend(key, n, frauds[key]) for key, n in counts.most_common(limit)]

    return top(by_ip, fraud_ip), top(by_domain, fraud_domain)


class CriteriaError(DomainError):
    """Criteria that cannot select signatures."""


@dataclass(frozen=True)
class Criteria:
    """Which live signatures to invalidate. ``statement_ids`` bounds what the actor may touch."""

    statement_ids: list[int] | None = None  # None: every statement (administrators)
    statement_id: int | None = None
    domain: str = ""  # example.org, or *.example.org with its subdomains
    ip_hash: str = ""
    name: str = ""  # a part of the name; * matches anything
    since: datetime | None = None
    until: datetime | None = None

    def describe(self) -> str:
        parts = [f"{label}={value}" for label, value in (
            ("statement", self.statement_id), ("domain", self.domain), ("ip_hash", self.ip_hash),
            ("name", self.name), ("since", self.since and self.since.isoformat()),
            ("until", self.until and self.until.isoformat())) if value]
        return " ".join(parts)


def _query(c: Criteria) -> Select:
    if not (c.domain or c.ip_hash or c.name.strip(" *") or c.since or c.until):
        raise CriteriaError(None, _(
            "Give at least one criterion: a domain, an IP hash, a name or a time window."))
    query = select(Signature).where(Signature.state.in_(LIVE))
    if c.statement_ids is not None:
        query = query.where(Signature.statement_id.in_(c.statement_ids or [-1]))
    if c.statement_id is not None:
        query = query.where(Signature.statement_id == c.statement_id)
    if c.domain:
        domain = c.domain.strip().lower().removeprefix("@")
        base = escape_like(domain.removeprefix("*."))
        match = Signature.email_canonical.like("%@" + base, escape="\\")
        if domain.startswith("*."):
            match = or_(match, Signature.email_canonical.like("%@%." + base, escape="\\"))
        query = query.where(match)
    if c.ip_hash:
        query = query.where(Signature.ip_hash == c.ip_hash.strip().lower())
    if c.name.strip(" *"):
        pattern = "%".join(escape_like(fold(part)) for part in c.name.split("*"))
        query = query.where(Signature.search_text.like(f"%{pattern}%", escape="\\"))
    if c.since:
        query = query.where(Signature.created_at >= c.since)
    if c.until:
        query = query.where(Signature.created_at < c.until)
    return query


def preview(c: Criteria) -> int:
    """How many live signatures the criteria match.

    :raises CriteriaError: no criterion was given.
    """
    return db.session.scalar(select(func.count()).select_from(_query(c).subquery())) or 0


def invalidate(c: Criteria, actor: Actor, reason: str = "") -> int:
    """Invalidate every live signature the criteria match; counts follow; all is audited.

    :returns: how many signatures were invalidated.
    :raises CriteriaError: no criterion was given.
    """
    done = 0
    with write() as session:
        touched: set[int] = set()
        for signature in session.scalars(_query(c).order_by(Signature.id)).all():
            before = move(session, signature, LIVE, SignatureState.invalidated)
            if not before:
                continue
            done += 1
            touched.add(signature.statement_id)
            audit.record(session, actor, "invalidated", statement_id=signature.statement_id,
                         signature_id=signature.id, from_state=before,
                         to_state=SignatureState.invalidated, detail=reason[:500])
        for statement_id in sorted(touched) or [c.statement_id]:
            audit.record(session, actor, "bulk_invalidated", statement_id=statement_id,
                         detail=f"{done} signature(s): {c.describe()}" + (f" — {reason}" if reason else ""))
    return done
