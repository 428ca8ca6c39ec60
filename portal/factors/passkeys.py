"""Passkeys (WebAuthn, through the ``webauthn`` library) as a second factor.

A ceremony has two halves: the options (with a random challenge the caller keeps, in the
server-side session) and the browser's answer, verified against that challenge, the relying
party's id (the host name) and the origin. Only the credential's public key is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portal.accounts import audit
from portal.database import write
from portal.extensions import db
from portal.factors import recovery
from portal.factors.store import FactorError, end_sessions
from portal.models import Coordinator, SecondFactor, utcnow

MAX_ANSWER = 64 * 1024  # a browser's answer is a few kilobytes


@dataclass(frozen=True)
class RelyingParty:
    """Whom a passkey belongs to: the site's host name and the exact origin pages come from."""

    id: str
    origin: str
    name: str = "Undersigned"


def _descriptors(coordinator_id: int) -> list[PublicKeyCredentialDescriptor]:
    ids = db.session.scalars(select(SecondFactor.credential_id).where(
        SecondFactor.coordinator_id == coordinator_id, SecondFactor.kind == "passkey"))
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(ident)) for ident in ids if ident]


def registration_options(rp: RelyingParty, coordinator: Coordinator) -> tuple[str, bytes]:
    """The options for ``navigator.credentials.create``, as JSON, and their challenge."""
    options = generate_registration_options(
        rp_id=rp.id, rp_name=rp.name, user_name=coordinator.email, user_display_name=coordinator.name,
        user_id=f"coordinator:{coordinator.id}".encode(), exclude_credentials=_descriptors(coordinator.id),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED))
    return options_to_json(options), options.challenge


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
    try:
        verified = verify_registration_response(credential=_parsed(answer), expected_challenge=challenge,
                                                 expected_rp_id=rp.id, expected_origin=rp.origin)
    except (WebAuthnException, KeyError, TypeError, ValueError) as error:
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
    options = generate_authentication_options(rp_id=rp.id, allow_credentials=_descriptors(coordinator_id),
                                              user_verification=UserVerificationRequirement.PREFERRED)
    return options_to_json(options), options.challenge


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
    try:
        verified = verify_authentication_response(
            credential=value, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=rp.origin,
            credential_public_key=factor.secret, credential_current_sign_count=factor.sign_count)
    except (WebAuthnException, KeyError, TypeError, ValueError):
        return False
    with write() as session:
        session.execute(update(SecondFactor).where(SecondFactor.id == factor.id).values(
            sign_count=verified.new_sign_count, last_used_at=utcnow()))
    return True
