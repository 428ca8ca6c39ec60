"""Sealed contacts: the one way services store and compare a signer's contact email.

With no key registered, :func:`store` keeps the address as before (``email`` in plain text,
``email_canonical`` the canonical address). Once an administrator registers the network's
public key, :func:`store` returns the address sealed to it and a keyed hash of the canonical
address (HMAC-SHA-256 under a key derived from ``SECRET_KEY``), followed by the address's
domain, which impersonation signals, the trending view, domain block rules and bulk
invalidation need. Duplicates, withdrawal, the "signed again" note and the per-address mail
cap compare that keyed hash; the plain text lives only in the outbox row until it is sent.

Other areas (the roster, invitations) adopt the same two calls: :func:`store` to keep an
address and :func:`keyed` to look one up.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.models import ContactKey, Signature, as_utc, utcnow
from portal.safety import keys
from portal.text import canonical_email

KEYED_PREFIX = "h:"
BATCH = 500
NOTICE_DAYS = 30  # every coordinator sees a key change this long


@dataclass(frozen=True)
class Stored:
    """An address as a row keeps it: ``email`` (plain, only with no key), ``sealed`` and
    ``key`` (the key's fingerprint, only with one) and ``canonical`` (what rows compare)."""

    email: str | None
    sealed: str | None
    key: str
    canonical: str

    def columns(self) -> dict:
        return {"email": self.email, "email_sealed": self.sealed, "email_key": self.key,
                "email_canonical": self.canonical}


def _hash_key() -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"undersigned sealed contacts v1",
                    hashlib.sha256).digest()


def keyed_canonical(canonical: str) -> str:
    """The keyed hash rows compare for a canonical address, with its domain (readable)."""
    digest = hmac.new(_hash_key(), canonical.encode(), hashlib.sha256).hexdigest()[:40]
    return f"{KEYED_PREFIX}{digest}@{canonical.rpartition('@')[2]}"[:254]


def active_key(session=None) -> ContactKey | None:
    """The key new addresses are sealed to, or None (behaviour as without sealed contacts)."""
    session = session or db.session
    return session.scalars(select(ContactKey).where(ContactKey.retired_at.is_(None))
                           .order_by(ContactKey.id.desc()).limit(1)).one_or_none()


def sealing(session=None) -> bool:
    return active_key(session) is not None


def keyed(address: str, session=None) -> str:
    """What stored rows hold for ``address`` in ``email_canonical``: to look an address up."""
    canonical = canonical_email(address)
    return keyed_canonical(canonical) if sealing(session) else canonical


def store(address: str, session=None) -> Stored:
    """How a row keeps ``address``: sealed to the active key if there is one."""
    address = address.strip()
    canonical = canonical_email(address)
    key = active_key(session)
    if key is None:
        return Stored(address, None, "", canonical)
    return Stored(None, keys.seal(key.public_key, address), key.fingerprint, keyed_canonical(canonical))


class ContactKeyError(DomainError):
    """The text given is not a public contact key (a private key is refused by name)."""


def register_key(public_text: str, actor: audit.Actor) -> tuple[ContactKey, int]:
    """Register the network's public key (a new one retires the old); audited. Every address
    still in plain text is sealed to it at once; rows sealed to an older key keep that seal
    until ``flask contacts reseal``.

    :raises ContactKeyError: not a public key; nothing was stored.
    :returns: the key and how many rows were sealed now.
    """
    try:
        public = keys.normalised_public(public_text)
    except keys.KeyFormatError as error:
        raise ContactKeyError("public_key", _(
            "This is a private key: never give it to the server. Keep it offline and paste the "
            "public key (the .pub file).") if keys.is_private(public_text) else _(
            "This is not a public contact key. Paste the whole .pub file written by "
            "flask contacts keygen.")) from error
    fingerprint = keys.fingerprint(public)
    with write() as session:
        old = active_key(session)
        if old is not None and old.fingerprint == fingerprint:
            return old, 0
        existing = session.scalars(select(ContactKey).where(
            ContactKey.fingerprint == fingerprint)).one_or_none()
        now = utcnow()
        if old is not None:
            old.retired_at = now
        if existing is None:
            existing = ContactKey(public_key=public, fingerprint=fingerprint, created_at=now,
                                  created_by=actor.id, created_label=actor.label[:60])
            session.add(existing)
        else:  # an older key brought back: it becomes the newest
            existing.retired_at, existing.created_at = None, now
            existing.created_by, existing.created_label = actor.id, actor.label[:60]
        session.flush()
        sealed = _seal_plain_rows(session, public, fingerprint)
        audit.record(session, actor, "contact_key_set", before=old.fingerprint if old else "",
                     after=fingerprint, detail=f"{sealed} contacts sealed now")
    return existing, sealed


def _seal_plain_rows(session, public: str, fingerprint: str) -> int:
    rows = session.execute(select(Signature.id, Signature.email, Signature.email_canonical)
                           .where(Signature.email.is_not(None))).all()
    for ident, email, canonical in rows:
        values = {"email": None, "email_sealed": keys.seal(public, email), "email_key": fingerprint}
        if not canonical.startswith((KEYED_PREFIX, "purged:")):
            values["email_canonical"] = keyed_canonical(canonical)
        session.execute(update(Signature).where(Signature.id == ident).values(**values)
                        .execution_options(synchronize_session=False))
    return len(rows)


def recent_change(session=None) -> ContactKey | None:
    """The active key if it changed within ``NOTICE_DAYS`` (the workspace's banner)."""
    key = active_key(session)
    if key is None:
        return None
    return key if utcnow() - as_utc(key.created_at) < timedelta(days=NOTICE_DAYS) else None
