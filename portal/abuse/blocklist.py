"""The block list: rules (an IP, a network, an IP hash, an email domain with or without its
subdomains, one email) that set a matching submission aside, site-wide or per statement.
Every change is written to the audit log."""

from __future__ import annotations

import hmac
import ipaddress

from flask_babel import gettext as _
from sqlalchemy import or_, select

from portal.abuse import clients
from portal.accounts import audit
from portal.accounts.audit import Actor
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.models import BlockKind, BlockRule, Statement
from portal.text import canonical_email


class BlockError(DomainError):
    """A block rule that cannot be saved."""




def _domain_matches(rule: str, domain: str) -> bool:
    if rule.startswith("*."):
        base = rule[2:]
        return domain == base or domain.endswith("." + base)
    return domain == rule


def _ip_matches(kind: str, value: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None,
                hashed: str | None) -> bool:
    if kind == BlockKind.ip_hash:
        return hashed is not None and hmac.compare_digest(value.encode(), hashed.encode())
    if ip is None:
        return False
    if kind == BlockKind.ip:
        return ip == ipaddress.ip_address(value)
    return ip in ipaddress.ip_network(value, strict=False)


def matching_rule(statement_id: int, email_canonical: str, ip: str | None) -> BlockRule | None:
    """The first block rule (site-wide or this statement's) that the submission matches."""
    rules = db.session.scalars(select(BlockRule).where(
        or_(BlockRule.statement_id.is_(None), BlockRule.statement_id == statement_id))
        .order_by(BlockRule.id)).all()
    if not rules:
        return None
    domain = email_canonical.rpartition("@")[2]
    try:
        address = ipaddress.ip_address(ip) if ip else None
    except ValueError:
        address = None
    hashed = clients.ip_hash(ip)
    for rule in rules:
        if rule.kind == BlockKind.email and rule.value == email_canonical:
            return rule
        if rule.kind == BlockKind.domain and _domain_matches(rule.value, domain):
            return rule
        if rule.kind in (BlockKind.ip, BlockKind.cidr, BlockKind.ip_hash) and _ip_matches(
                rule.kind, rule.value, address, hashed):
            return rule
    return None


def normalise(kind: str, value: str) -> str:
    """The stored form of a rule's value.

    :raises BlockError: the value is not a valid address, network, hash, domain or email.
    """
    value = value.strip().lower()
    try:
        if kind == BlockKind.ip:
            return str(ipaddress.ip_address(value))
        if kind == BlockKind.cidr:
            return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise BlockError("value", _("Enter a valid IP address or network, such as 203.0.113.0/24.")) from None
    if kind == BlockKind.ip_hash:
        if len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
            raise BlockError("value", _("Enter an IP hash as shown in the trending list."))
        return value
    if kind == BlockKind.domain:
        base = value.removeprefix("*.").removeprefix("@").rstrip(".")
        labels = base.split(".")
        if len(labels) < 2 or not all(label and len(label) <= 63 and all(
                c.isalnum() or c == "-" for c in label) for label in labels):
            raise BlockError("value", _("Enter a domain such as example.org, "
                               "or *.example.org for its subdomains too."))
        return ("*." if value.startswith("*.") else "") + base
    if kind == BlockKind.email:
        local, at, domain = value.rpartition("@")
        if not at or not local or "." not in domain:
            raise BlockError("value", _("Enter an email address such as name@example.org."))
        return canonical_email(value)
    raise BlockError("kind", _("Choose what to block."))


def add_rule(kind: str, value: str, statement_id: int | None = None, note: str = "",
             actor: Actor | None = None) -> BlockRule:
    """Add a block rule (an existing identical rule is returned unchanged).

    :raises BlockError: the value is invalid, or the statement does not exist.
    """
    stored = normalise(kind, value)
    with write() as session:
        if statement_id is not None and session.get(Statement, statement_id) is None:
            raise BlockError("statement", _("There is no such statement."))
        found = session.scalars(select(BlockRule).where(
            BlockRule.kind == kind, BlockRule.value == stored,
            BlockRule.statement_id.is_(None) if statement_id is None
            else BlockRule.statement_id == statement_id)).one_or_none()
        if found is not None:
            return found
        rule = BlockRule(kind=kind, value=stored, statement_id=statement_id, note=note.strip()[:300],
                         created_by=actor.id if actor else None)
        session.add(rule)
        session.flush()
        _audit(session, "blocked", rule, actor)
    return rule


def remove_rule(rule_id: int, actor: Actor | None = None) -> bool:
    """Delete a block rule. :returns: True if there was one."""
    with write() as session:
        rule = session.get(BlockRule, rule_id)
        if rule is None:
            return False
        _audit(session, "unblocked", rule, actor)
        session.delete(rule)
    return True


def _audit(session, action: str, rule: BlockRule, actor: Actor | None) -> None:
    detail = f"{rule.kind} {rule.value}" + (f" ({rule.note})" if rule.note else "")
    audit.record(session, actor or Actor(None, "cli"), action, statement_id=rule.statement_id, detail=detail)
