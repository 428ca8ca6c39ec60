"""The signer's tokens (confirm, withdraw, manage: a signature's public id plus a keyed MAC)
and the public sign form's stateless token.

Nothing secret is stored, so a database leak alone confirms nothing, and a resent
email carries the same link as the first one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

PURPOSES = ("confirm", "withdraw", "manage")


def _mac(purpose: str, uid: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{purpose}:{uid}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def make(purpose: str, uid: str) -> str:
    return f"{uid}.{_mac(purpose, uid)}"


def read(purpose: str, token: str) -> str | None:
    """Return the signature uid a valid token names, else None."""
    uid, _, mac = token.rpartition(".")
    if not uid or len(token) > 100:
        return None
    if not hmac.compare_digest(mac.encode(), _mac(purpose, uid).encode()):
        return None
    return uid


# The public sign form carries a stateless token instead of a session one, so that the
# statement page sets no cookie and can be cached and shared by every reader.
FORM_TOKEN_BUCKET = 3 * 3600  # a token is accepted for 3 to 6 hours


def form_bucket(now: float | None = None) -> int:
    import time

    return int((time.time() if now is None else now) // FORM_TOKEN_BUCKET)


def _form_mac(slug: str, bucket: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"sign:{slug}:{bucket}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def form_token(slug: str, now: float | None = None) -> str:
    """The public form token for signing ``slug``: the same for every reader in a time bucket."""
    bucket = form_bucket(now)
    return f"{bucket}.{_form_mac(slug, bucket)}"


def check_form_token(slug: str, token: str | None, now: float | None = None) -> bool:
    """True if ``token`` was issued for ``slug`` in the current or the previous bucket."""
    raw_bucket, _, mac = (token or "").partition(".")
    if not raw_bucket.isdigit() or len(token) > 100:
        return False
    bucket = int(raw_bucket)
    current = form_bucket(now)
    return bucket in (current, current - 1) and hmac.compare_digest(
        mac.encode(), _form_mac(slug, bucket).encode())
