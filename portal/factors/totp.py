"""Authenticator apps (TOTP, RFC 6238, through pyotp): enrolment and checking a code.

The secret is sealed with AES-GCM under a key derived from ``SECRET_KEY``, bound to the
account, so a copy of the database alone cannot make codes. A code is accepted once: the
time step it belongs to is stored, and only later steps pass.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import UTC, datetime

import pyotp
import segno
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.accounts import audit
from portal.database import write
from portal.extensions import db
from portal.factors import recovery
from portal.factors.store import FactorError, derived_key, end_sessions
from portal.models import SecondFactor, utcnow

ISSUER = "Undersigned"
WINDOW = 1  # one step (30 s) either side, for clocks that drift


def new_secret() -> str:
    """A fresh random base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no script, no style attribute: CSP-safe)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


def _aad(coordinator_id: int) -> bytes:
    return f"totp:{coordinator_id}".encode()


def _aead():
    """AES-GCM under the key derived for TOTP secrets; ``cryptography`` (~8 MB) is imported
    when a second factor is used, not in every web worker."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(derived_key("totp secrets"))


def seal(secret: str, coordinator_id: int) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + _aead().encrypt(nonce, secret.encode(), _aad(coordinator_id))


def unseal(blob: bytes, coordinator_id: int) -> str | None:
    """The secret, or None if it was sealed under another ``SECRET_KEY`` or for another account."""
    from cryptography.exceptions import InvalidTag

    try:
        plain = _aead().decrypt(blob[:12], blob[12:], _aad(coordinator_id))
        return plain.decode()
    except (InvalidTag, ValueError):
        return None


def matching_step(secret: str, code: str, after: int = 0, now: float | None = None) -> int | None:
    """The time step whose code this is (within the window, later than ``after``), else None."""
    code = "".join((code or "")[:20].split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp, now = pyotp.TOTP(secret), time.time() if now is None else now
    for offset in range(-WINDOW, WINDOW + 1):
        moment = datetime.fromtimestamp(now + offset * totp.interval, UTC)
        step = totp.timecode(moment)
        if step > after and hmac.compare_digest(totp.at(moment), code):
            return step
    return None


def enrol(coordinator_id: int, secret: str, code: str, label: str, actor: audit.Actor) -> list[str]:
    """Add an authenticator app once the person has typed a code it shows.

    Every other session of the account ends. The first factor comes with recovery codes.

    :returns: new recovery codes (empty if the account already had a factor).
    :raises FactorError: the code does not match the secret.
    """
    step = matching_step(secret, code)
    if step is None:
        raise FactorError("code", _("This code is wrong or has expired. Type the code the app shows now."))
    with write() as session:
        first = session.scalar(select(SecondFactor.id).where(
            SecondFactor.coordinator_id == coordinator_id).limit(1)) is None
        session.add(SecondFactor(coordinator_id=coordinator_id, kind="totp", label=label[:60],
                                 secret=seal(secret, coordinator_id), last_step=step, last_used_at=utcnow()))
        end_sessions(session, coordinator_id)
        audit.record(session, actor, "second_factor_added", detail=f"totp {label[:60]}")
        return recovery.issue(session, coordinator_id) if first else []


def check(coordinator_id: int, code: str) -> bool:
    """True if the code is the current one of one of the account's apps, and not used before."""
    rows = db.session.execute(select(SecondFactor.id, SecondFactor.secret, SecondFactor.last_step).where(
        SecondFactor.coordinator_id == coordinator_id, SecondFactor.kind == "totp")).all()
    for ident, blob, last in rows:
        secret = unseal(blob, coordinator_id)
        step = matching_step(secret, code, after=last) if secret else None
        if step is None:
            continue
        with write() as session:  # conditional: the same code raced twice passes once
            won = session.execute(update(SecondFactor).where(
                SecondFactor.id == ident, SecondFactor.last_step < step).values(
                last_step=step, last_used_at=utcnow())).rowcount
        if won == 1:
            return True
    return False
