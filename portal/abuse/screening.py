"""Shadow rejection: the checks that quietly set a submission aside.

A submission that trips any check is stored as ``fraudulent`` and answered exactly like a
real one, so a flood learns nothing from the answers: not that it was caught, not which
rule caught it. The checks are a honeypot field, a minimum time to fill the form (a signed
stamp), the per-client rate limit, and the block list (:mod:`portal.abuse.blocklist`).
Coordinators see why (:func:`reason_labels`) and may restore it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from flask import current_app

from portal.abuse import clients, ratelimits
from portal.abuse.blocklist import matching_rule


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
        if ratelimits.exceeded("SIGN_RATE_LIMIT", "ip", clients.ip_hash(sub.ip) or "", limits=limits):
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


