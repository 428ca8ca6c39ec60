"""Shadow rejection: the checks that quietly mark a submission fraudulent, and the block list.

A submission that trips any check is stored as ``fraudulent`` and answered exactly like a
real one, so a flood learns nothing from the answers: not that it was caught, not which
rule caught it. The checks are a honeypot field, a minimum time to fill the form, the
rate limits per client and per statement, and the block list (IP, network, IP hash,
email domain with or without subdomains, email).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from portal import tokens
from portal.abuse import ratelimits
from portal.accounts import audit
from portal.accounts.audit import Actor
from portal.database import write
from portal.extensions import db
from portal.models import BlockKind, BlockRule, Statement
from portal.text import canonical_email


class BlockError(Exception):
    """A block rule that cannot be saved; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Submission:
    """What screening looks at. ``ip`` and ``started`` are None for submissions not made
    through the public form (the command line, the demo), which only the block list screens.
    ``allowance`` is a launch-event's raised per-client limit per minute, if one is open."""

    statement_id: int
    email_canonical: str
    ip: str | None = None
    honeypot: str = ""
    started: str | None = None
    allowance: int | None = None


# --- the form's fill-time stamp --------------------------------------------------------------

STAMP_MAX_AGE = 6 * 3600  # as long as the form's own token lives: an older form is re-sent anyway


def _stamp_mac(moment: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"started:{moment}".encode(), hashlib.sha256).hexdigest()[:16]


def fill_stamp(now: float | None = None) -> str:
    """A signed time for the sign form. A cached page carries an older one, which only
    makes the check more lenient; it never rejects a real signer."""
    moment = int(time.time() if now is None else now)
    return f"{moment}.{_stamp_mac(moment)}"


def fill_seconds(stamp: str | None, now: float | None = None) -> float | None:
    """Seconds since the form was rendered, or None for a missing, forged or expired stamp."""
    raw, _sep, mac = (stamp or "").partition(".")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        return None
    if not hmac.compare_digest(mac.encode(), _stamp_mac(int(raw)).encode()):
        return None
    seconds = (time.time() if now is None else now) - int(raw)
    return seconds if seconds <= STAMP_MAX_AGE else None


# --- screening -------------------------------------------------------------------------------

def screen(sub: Submission) -> str | None:
    """Decide whether a submission is shadow-rejected.

    Every screened web submission counts against its client's limit, whatever else is wrong
    with it; the statement's own limit is counted later, only for submissions that pass
    (:func:`portal.abuse.surges.statement_busy`), so one client's flood never sets aside anyone else.

    :returns: the reasons as codes separated by ``;`` (shown to coordinators by
        :func:`reason_labels`, never to the submitter), or None.
    """
    reasons = []
    if sub.ip is not None:
        limits = f"{sub.allowance}/minute" if sub.allowance else None
        if ratelimits.exceeded("SIGN_RATE_LIMIT", "ip", tokens.ip_hash(sub.ip) or "", limits=limits):
            reasons.append("client_rate")
    if sub.honeypot:
        reasons.append("honeypot")
    if sub.started is not None:
        seconds = fill_seconds(sub.started)
        minimum = float(current_app.config.get("MIN_FILL_SECONDS") or 0)
        if minimum > 0 and (seconds is None or seconds < minimum):
            reasons.append("too_fast" if seconds is not None else "no_stamp")
    rule = matching_rule(sub.statement_id, sub.email_canonical, sub.ip)
    if rule is not None:
        reasons.append(f"rule:{rule.kind}:{rule.id}")
    return ";".join(reasons) or None


def reason_labels(reasons: str) -> list[str]:
    """Why a submission was set aside, in words, for the moderation queue."""
    words = {
        "client_rate": _("too many submissions from one network (per-client limit)"),
        "honeypot": _("the hidden field that people never see was filled"),
        "too_fast": _("the form was sent back within seconds of opening it"),
        "no_stamp": _("the form came back without its time stamp"),
    }
    labels = []
    for code in filter(None, (reasons or "").split(";")):
        if code.startswith("rule:"):
            _rule, kind, ident = (code.split(":") + ["", ""])[:3]
            labels.append(_("a block rule (%(kind)s, rule %(id)s)", kind=kind, id=ident))
        else:
            labels.append(words.get(code, code))
    return labels


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
    hashed = tokens.ip_hash(ip)
    for rule in rules:
        if rule.kind == BlockKind.email and rule.value == email_canonical:
            return rule
        if rule.kind == BlockKind.domain and _domain_matches(rule.value, domain):
            return rule
        if rule.kind in (BlockKind.ip, BlockKind.cidr, BlockKind.ip_hash) and _ip_matches(
                rule.kind, rule.value, address, hashed):
            return rule
    return None


# --- the block list --------------------------------------------------------------------------

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
        raise BlockError(_("Enter a valid IP address or network, such as 203.0.113.0/24.")) from None
    if kind == BlockKind.ip_hash:
        if len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
            raise BlockError(_("Enter an IP hash as shown in the trending list."))
        return value
    if kind == BlockKind.domain:
        base = value.removeprefix("*.").removeprefix("@").rstrip(".")
        labels = base.split(".")
        if len(labels) < 2 or not all(label and len(label) <= 63 and all(
                c.isalnum() or c == "-" for c in label) for label in labels):
            raise BlockError(_("Enter a domain such as example.org, "
                               "or *.example.org for its subdomains too."))
        return ("*." if value.startswith("*.") else "") + base
    if kind == BlockKind.email:
        local, at, domain = value.rpartition("@")
        if not at or not local or "." not in domain:
            raise BlockError(_("Enter an email address such as name@example.org."))
        return canonical_email(value)
    raise BlockError(_("Choose what to block."))


def add_rule(kind: str, value: str, statement_id: int | None = None, note: str = "",
             actor: Actor | None = None) -> BlockRule:
    """Add a block rule (an existing identical rule is returned unchanged).

    :raises BlockError: the value is invalid, or the statement does not exist.
    """
    stored = normalise(kind, value)
    with write() as session:
        if statement_id is not None and session.get(Statement, statement_id) is None:
            raise BlockError(_("There is no such statement."))
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
