"""Pure key handling for sealed contacts: X25519 key pairs and libsodium sealed boxes (PyNaCl).

A sealed box can be opened only with the private key, which stays on the coordinator's own
machine; the server holds the public half alone and can seal but never open. Nothing here
touches the app or the database, so ``flask contacts unseal`` and ``reseal`` run offline.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

PUBLIC_PREFIX = "undersigned-contacts-public-v1:"
PRIVATE_PREFIX = "undersigned-contacts-PRIVATE-v1:"
SEALED_PREFIX = "sealed1:"


class KeyFormatError(ValueError):
    """The text is not a key of the kind expected (the message says why, for the user)."""


def generate() -> tuple[str, str]:
    """A new key pair as text: (private, public)."""
    private = PrivateKey.generate()
    return (PRIVATE_PREFIX + base64.b64encode(bytes(private)).decode(),
            PUBLIC_PREFIX + base64.b64encode(bytes(private.public_key)).decode())


def _decode(text: str, prefix: str, other: str, what: str) -> bytes:
    text = "".join(text.split())
    if text.startswith(other):
        raise KeyFormatError(f"this is not a {what} key")
    if not text.startswith(prefix):
        raise KeyFormatError(f"a {what} key starts with {prefix}")
    try:
        raw = base64.b64decode(text[len(prefix):], validate=True)
    except (binascii.Error, ValueError) as error:
        raise KeyFormatError(f"the {what} key is not valid base64") from error
    if len(raw) != 32:
        raise KeyFormatError(f"a {what} key holds 32 bytes")
    return raw


def is_private(text: str) -> bool:
    """True if ``text`` looks like a private key (to refuse it by name, never to store it)."""
    return "".join(text.split()).startswith(PRIVATE_PREFIX)


def public_key(text: str) -> PublicKey:
    """:raises KeyFormatError: not a public key (a private key is refused by name)."""
    return PublicKey(_decode(text, PUBLIC_PREFIX, PRIVATE_PREFIX, "public"))


def private_key(text: str) -> PrivateKey:
    """:raises KeyFormatError: not a private key."""
    return PrivateKey(_decode(text, PRIVATE_PREFIX, PUBLIC_PREFIX, "private"))


def normalised_public(text: str) -> str:
    """The public key's canonical text. :raises KeyFormatError:"""
    return PUBLIC_PREFIX + base64.b64encode(bytes(public_key(text))).decode()


def fingerprint(public_text: str) -> str:
    """A short, readable name for a public key: 16 hex digits in groups of four."""
    digest = hashlib.sha256(bytes(public_key(public_text))).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


def seal(public_text: str, plaintext: str) -> str:
    """``plaintext`` sealed to the public key: only the private key opens it."""
    sealed = SealedBox(public_key(public_text)).encrypt(plaintext.encode())
    return SEALED_PREFIX + base64.b64encode(sealed).decode()


def unseal(private: PrivateKey, sealed: str) -> str | None:
    """The plaintext of a sealed value, or None if this key cannot open it."""
    if not sealed.startswith(SEALED_PREFIX):
        return None
    try:
        return SealedBox(private).decrypt(base64.b64decode(sealed[len(SEALED_PREFIX):])).decode()
    except (CryptoError, binascii.Error, ValueError):
        return None
