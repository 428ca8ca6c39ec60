"""Who a client is, without keeping who they are: the client key and its keyed hashes.

A client is its IPv4 address, or its IPv6 /64 network: one subscriber, household or server
usually holds a whole /64, so a per-address limit would give it unlimited addresses. An
IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) is its IPv4 address.

Nothing stores a client key or a login email. Rate-limit counters, signatures and the
trending view see only :func:`ip_hash` and :func:`account_hash`: HMACs under a key derived
from ``SECRET_KEY`` *and* a random secret of the current period (a calendar month, UTC)
that lives in the database (table ``ip_hash_keys``). The period's secret is created on
first use by whichever worker comes first (the others read the same row), and deleted when
its period has ended. So:

- a copy of the database without ``SECRET_KEY`` cannot test guessed addresses at all;
- once a period has ended, its hashes cannot be recomputed, even with ``SECRET_KEY`` and
  the database;
- hashes of different periods cannot be joined, and a block rule of kind ``ip_hash`` holds
  only within its period.

Pure rules: nothing here reads the request.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from portal import models
from portal.database import insert_for, side_connection
from portal.models.accounts import IPHashKey

PERIOD_FORMAT = "%Y-%m"
_CACHE = "portal.ip_hash_keys"


def client_key(address: str | None) -> str | None:
    """The client an address belongs to: the IPv4 address itself, or the IPv6 /64 network.

    >>> client_key("2001:db8:1:2:aaaa::1"), client_key("::ffff:192.0.2.1")
    ('2001:db8:1:2::/64', '192.0.2.1')

    Anything that is not an IP address (a Unix socket's peer, a test client) is its own key.
    """
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])  # without an IPv6 zone id
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


def period(now: datetime | None = None) -> str:
    """The hashing period of ``now`` (default: the current time), e.g. ``2026-12``."""
    return (now or models.utcnow()).strftime(PERIOD_FORMAT)


def _stored(conn: Connection, current: str) -> str | None:
    # A host whose clock is behind uses the newest period's secret, never resurrects an old one.
    return conn.execute(select(IPHashKey.secret).where(IPHashKey.period >= current)
                        .order_by(IPHashKey.period.desc()).limit(1)).scalar_one_or_none()


def _create(conn: Connection, current: str) -> str:
    # Two workers may get here at once: ON CONFLICT keeps the first row, and both read it back.
    conn.execute(insert_for(conn)(IPHashKey).values(
        period=current, secret=secrets.token_hex(32), created_at=models.utcnow())
        .on_conflict_do_nothing(index_elements=["period"]))
    conn.execute(delete(IPHashKey).where(IPHashKey.period < current))
    return _stored(conn, current)


def period_secret(current: str | None = None) -> str:
    """The random secret of the current period, created on first use (see the module docstring).

    Cached per app and period, so a hash costs no query once a worker has read it.
    """
    current = current or period()
    cache: dict[str, str] = current_app.extensions.setdefault(_CACHE, {})
    found = cache.get(current)
    if found is not None:
        return found
    with side_connection(write=False) as conn:
        found = _stored(conn, current)
    if found is None:
        with side_connection() as conn:  # BEGIN IMMEDIATE on SQLite: concurrent creators queue
            found = _create(conn, current)
    cache.clear()
    cache[current] = found
    return found


def _key() -> bytes:
    secret = period_secret()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"ip-hash:" + secret.encode(),
                    hashlib.sha256).digest()


def ip_hash(address: str | None) -> str | None:
    """A keyed hash of the client an address belongs to (:func:`client_key`), 32 hex digits.

    Every address of one IPv6 /64 gets the same hash.
    """
    key = client_key(address)
    if key is None:
        return None
    return hmac.new(_key(), b"client:" + key.encode(), hashlib.sha256).hexdigest()[:32]


def account_hash(email: str | None) -> str:
    """A keyed hash of a login email (trimmed, lower-cased), for the login rate limits."""
    normal = (email or "").strip().lower()[:254]
    return hmac.new(_key(), b"login:" + normal.encode(), hashlib.sha256).hexdigest()[:32]


def purge_keys(now: datetime | None = None) -> int:
    """Delete the secrets of periods that have ended. :returns: how many were deleted."""
    with side_connection() as conn:
        return conn.execute(delete(IPHashKey).where(IPHashKey.period < period(now))).rowcount or 0
