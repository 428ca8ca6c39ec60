"""Passkeys (WebAuthn, through the ``webauthn`` library) as a second factor.

A ceremony has two halves: the options (with a random challenge the caller keeps, in the
server-side session) and the browser's answer, verified against that challenge, the relying
party's id (the host name) and the origin. Only the credential's public key is stored.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.accounts import audit
from portal.database import write
from portal.extensions import db
from portal.factors import recovery
from portal.factors.store import FactorError, end_sessions
from portal.models import Coordinator, SecondFactor, utcnow

if TYPE_CHECKING:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

MAX_ANSWER = 64 * 1024  # a browser's answer is a few kilobytes


def _webauthn():
    """The ``webauthn`` library, imported at the first ceremony rather than in every web worker
    (with cryptography's and CBOR's modules it weighs ~25 MB a process)."""
    import webauthn
    import webauthn.helpers.exceptions
    import webauthn.helpers.structs

    return webauthn


def bytes_to_base64url(data: bytes) -> str:
    """Unpadded base64url, as WebAuthn writes credential ids."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base64url_to_bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class RelyingParty:
    """Whom a passkey belongs to: the site's host name and the exact origin pages come from."""

    id: str
    origin: str
    name: str = "Undersigned"


def _descriptors(coordinator_id: int) -> list[PublicKeyCredentialDescriptor]:
    ids = db.session.scalars(select(SecondFactor.credential_id).where(
        SecondFactor.coordinator_id == coordinator_id, SecondFactor.kind == "passkey"))
    structs = _webauthn().helpers.structs
    return [structs.PublicKeyCredentialDescriptor(id=base64url_to_bytes(ident)) for ident in ids if ident]


def registration_options(rp: RelyingParty, coordinator: Coordinator) -> tuple[str, bytes]:
    """The options for ``navigator.credentials.create``, as JSON, and their challenge."""
    webauthn = _webauthn()
    structs = webauthn.helpers.structs
    options = webauthn.generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_name=coordinator.email, user_display_name=coordinator.name,
        user_id=f"coordinator:{coordinator.id}".encode(), exclude_credentials=_descriptors(coordinator.id),
        authenticator_selection=structs.AuthenticatorSelectionCriteria(
            resident_key=structs.ResidentKeyRequirement.DISCOURAGED,
            user_verification=structs.UserVerificationRequirement.PREFERRED))
    return webauthn.options_to_json(options), options.challenge


def _parsed(answer: str) -> dict:
    if not answer or len(answer) > MAX_ANSWER:
        raise FactorError(None, _("The passkey did not answer. Try again."))
    try:
        value = json.loads(answer)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise FactorError(None, _("The passkey did not answer. Try again."))
    return value


def register(rp: RelyingParty, coordinator_id: int, challenge: bytes, answer: str, label: str,
             actor: audit.Actor) -> list[str]:
    """Store a new passkey from the browser's answer to :func:`registration_options`.

    Every other session of the account ends. The first factor comes with recovery codes.

    :returns: new recovery codes (empty if the account already had a factor).
    :raises FactorError: the answer does not verify (another challenge, origin or host).
    """
    webauthn = _webauthn()
    try:
        verified = webauthn.verify_registration_response(
            credential=_parsed(answer), expected_challenge=challenge, expected_rp_id=rp.id,
            expected_origin=rp.origin)
    except (webauthn.helpers.exceptions.WebAuthnException, KeyError, TypeError, ValueError) as error:
        raise FactorError(None, _("The passkey could not be checked. Try again.")) from error
    credential_id = bytes_to_base64url(verified.credential_id)
    with write() as session:
        if session.scalar(select(SecondFactor.id).where(SecondFactor.credential_id == credential_id)):
            raise FactorError(None, _("This passkey is already registered."))
        first = session.scalar(select(SecondFactor.id).where(
            SecondFactor.coordinator_id == coordinator_id).limit(1)) is None
        session.add(SecondFactor(coordinator_id=coordinator_id, kind="passkey", label=label[:60],
                                 secret=verified.credential_public_key, credential_id=credential_id,
                                 sign_count=verified.sign_count, last_used_at=utcnow()))
        end_sessions(session, coordinator_id)
        audit.record(session, actor, "second_factor_added", detail=f"passkey {label[:60]}")
        return recovery.issue(session, coordinator_id) if first else []


def authentication_options(rp: RelyingParty, coordinator_id: int) -> tuple[str, bytes]:
    """The options for ``navigator.credentials.get``, limited to the account's passkeys."""
    webauthn = _webauthn()
    options = webauthn.generate_authentication_options(
        rp_id=rp.id, allow_credentials=_descriptors(coordinator_id),
        user_verification=webauthn.helpers.structs.UserVerificationRequirement.PREFERRED)
    return webauthn.options_to_json(options), options.challenge


def authenticate(rp: RelyingParty, coordinator_id: int, challenge: bytes, answer: str) -> bool:
    """True if the browser's answer is a valid assertion by one of the account's passkeys."""
    try:
        value = _parsed(answer)
        credential_id = str(value.get("id") or "")[:1400]
    except FactorError:
        return False
    factor = db.session.scalars(select(SecondFactor).where(
        SecondFactor.coordinator_id == coordinator_id, SecondFactor.kind == "passkey",
        SecondFactor.credential_id == credential_id)).one_or_none()
    if factor is None:
        return False
    webauthn = _webauthn()
    try:
        verified = webauthn.verify_authentication_response(
            credential=value, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=rp.origin,
            credential_public_key=factor.secret, credential_current_sign_count=factor.sign_count)
    except (webauthn.helpers.exceptions.WebAuthnException, KeyError, TypeError, ValueError):
        return False
    with write() as session:
        session.execute(update(SecondFactor).where(SecondFactor.id == factor.id).values(
            sign_count=verified.new_sign_count, last_used_at=utcnow()))
    return True
