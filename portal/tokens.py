"""Confirmation and withdrawal tokens: a signature's public id plus a keyed MAC.

Nothing secret is stored, so a database leak alone confirms nothing, and a resent
email carries the same link as the first one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

PURPOSES = ("confirm", "withdraw")


def _mac(purpose: str, uid: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{purpose}:{uid}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def make(purpose: str, uid: str) -> str:
    return f"{uid}.{_mac(purpose, uid)}"


def read(purpose: str, token: str) -> str | None:
    """Return the signature uid a valid token names, else None."""
    uid, _, mac = token.rpartition(".")
    if not uid or len(token) > 100 or not hmac.compare_digest(mac, _mac(purpose, uid)):
        return None
    return uid


def ip_hash(address: str | None) -> str | None:
    """A keyed hash of a client IP; the key changes each month so hashes cannot be joined."""
    if not address:
        return None
    from .models import utcnow

    period = utcnow().strftime("%Y-%m")
    key = current_app.config["SECRET_KEY"].encode() + period.encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]
