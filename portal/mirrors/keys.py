"""The network's Ed25519 signing key (PyNaCl), which signs every mirror.

The private half lives in the instance folder, in ``mirror-signing-key`` (mode 0600), created
on first use. The public half is published at ``/.well-known/undersigned-signing-key`` as a
PEM ``PUBLIC KEY``, which ``openssl`` reads as well as ``flask mirror verify`` does.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from pathlib import Path

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey
from nacl.utils import random

from portal import instance
from portal.errors import DomainError

KEY_FILE = "mirror-signing-key"
# DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow it.
SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
_lock = threading.Lock()
_keys: dict[str, SigningKey] = {}


class BadKeyFile(DomainError):
    """A key or signature file that cannot be read."""

    def __init__(self, message: str) -> None:
        super().__init__("key", message)


def signing_key(instance_path: str | os.PathLike) -> SigningKey:
    """The instance's signing key, created 0600 on first use (several workers may race: one wins).

    :param instance_path: the app's instance folder.
    """
    path = Path(instance_path) / KEY_FILE
    with _lock:
        if str(path) in _keys:
            return _keys[str(path)]
        if not path.exists():
            # Written whole under another name, then linked: a racing worker sees all or nothing.
            spare = path.with_name(f".{KEY_FILE}.{os.getpid()}.{threading.get_ident()}")
            instance.write_private(spare, random(32).hex() + "\n")
            try:
                os.link(spare, path)
            except FileExistsError:
                pass
            finally:
                spare.unlink()
        key = SigningKey(bytes.fromhex(path.read_text().strip()))
        _keys[str(path)] = key
        return key


def public_pem(key: VerifyKey) -> str:
    """The public key as a PEM ``PUBLIC KEY`` block."""
    body = base64.b64encode(SPKI_PREFIX + bytes(key)).decode()
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


def load_public(data: bytes) -> VerifyKey:
    """A public key from PEM, base64 or hex text, or 32 raw bytes.

    :raises BadKeyFile: it is none of these.
    """
    text = data.decode("ascii", "replace").strip()
    if "-----BEGIN PUBLIC KEY-----" in text:
        inner = "".join(line for line in text.splitlines() if not line.startswith("-----"))
        raw = _b64(inner)
        if not raw.startswith(SPKI_PREFIX):
            raise BadKeyFile("not an Ed25519 public key")
        raw = raw[len(SPKI_PREFIX):]
    elif len(data) == 32:
        raw = data
    elif len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        raw = bytes.fromhex(text)
    else:
        raw = _b64(text)
    if len(raw) != 32:
        raise BadKeyFile("an Ed25519 public key has 32 bytes")
    return VerifyKey(raw)


def load_signature(data: bytes) -> bytes:
    """A detached signature from base64 text (as served) or 64 raw bytes."""
    if len(data) == 64:
        return data
    raw = _b64(data.decode("ascii", "replace").strip())
    if len(raw) != 64:
        raise BadKeyFile("an Ed25519 signature has 64 bytes")
    return raw


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise BadKeyFile("not base64") from error


def sign(key: SigningKey, data: bytes) -> str:
    """The detached signature of ``data``, in base64 (one line)."""
    return base64.b64encode(key.sign(data).signature).decode()


def verify(key: VerifyKey, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` is ``key``'s over exactly ``data``."""
    try:
        key.verify(data, signature)
    except BadSignatureError:
        return False
    return True
