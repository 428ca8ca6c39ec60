"""Coordinator accounts: argon2id hashes, rehashing, invitations, password changes and resets."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, render_template
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts import audit
from portal.accounts.audit import Actor
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.mail.outbox import queue, worker
from portal.models import Coordinator, new_uid, utcnow
from portal.models.accounts import PasswordReset

MIN_PASSWORD = 12
_dummies: dict[tuple[int, int, int], str] = {}


class AccountError(DomainError):
    """An account change that cannot be made."""


def hasher() -> PasswordHasher:
    """The hasher with the configured ``ARGON2_*`` parameters."""
    config = current_app.config
    return PasswordHasher(
        time_cost=int(config["ARGON2_TIME_COST"]),
        memory_cost=int(config["ARGON2_MEMORY_COST"]),
        parallelism=int(config["ARGON2_PARALLELISM"]),
    )


def _dummy(ph: PasswordHasher) -> str:
    """A hash to verify against when the email is unknown, so both paths cost the same."""
    key = (ph.time_cost, ph.memory_cost, ph.parallelism)
    if key not in _dummies:
        _dummies[key] = ph.hash("not a real password, only for timing")
    return _dummies[key]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", _("Use at least %(n)d characters.", n=MIN_PASSWORD))
    if len(password) > 1024:
        raise AccountError("password", _("Use at most 1024 characters."))


def _unusable() -> str:
    # Not an argon2 hash: nothing verifies against it until the invitation is taken up.
    return "!invited:" + new_uid()


def create_coordinator(email: str, name: str, password: str, admin: bool = False) -> Coordinator:
    """Create an account.

    :raises AccountError: the email is taken or the password is too short.
    """
    email = email.strip().lower()
    _check_password(password)
    with write() as session:
        if session.scalar(select(Coordinator.id).where(func.lower(Coordinator.email) == email)):
            raise AccountError("email", _("An account with this email exists."))
        coordinator = Coordinator(email=email, name=name.strip() or email, is_admin=admin,
                                  password_hash=hasher().hash(password))
        session.add(coordinator)
    return coordinator


def authenticate(email: str, password: str) -> Coordinator | None:
    """The active account with this email and password, else None.

    A hash made with older parameters is replaced on success (``check_needs_rehash``).
    """
    ph = hasher()
    email = (email or "").strip().lower()[:254]
    password = (password or "")[:1024]
    coordinator = db.session.scalars(
        select(Coordinator).where(func.lower(Coordinator.email) == email)).one_or_none()
    stored = coordinator.password_hash if coordinator is not None else _dummy(ph)
    if not stored.startswith("$argon2"):  # an invitation not yet taken up
        coordinator, stored = None, _dummy(ph)
    try:
        ph.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if coordinator is None or not coordinator.active:
        return None
    if ph.check_needs_rehash(stored):
        with write() as session:
            fresh = session.get(Coordinator, coordinator.id)
            fresh.password_hash = ph.hash(password)
        db.session.refresh(coordinator)
    return coordinator


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invitation")


def invitation_token(coordinator: Coordinator) -> str:
    # Bound to the current hash: once a password is set, the link stops working.
    return _serializer().dumps([coordinator.id, coordinator.password_hash[-12:]])


@dataclass(frozen=True)
class Invitation:
    email: str
    name: str
    admin: bool = False


def invite(inv: Invitation, inviter_name: str) -> Coordinator:
    """Create an account without a password and email a link to set one.

    :raises AccountError: the email is taken or looks wrong.
    """
    email = inv.email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError("email", _("Enter an email address such as name@example.org."))
    try:
        coordinator = _invite(inv, email, inviter_name)
    except IntegrityError as error:  # the same email invited by a concurrent request
        raise AccountError("email", _("An account with this email exists.")) from error
    worker.notify()
    return coordinator


def _invite(inv: Invitation, email: str, inviter_name: str) -> Coordinator:
    base = current_app.config["BASE_URL"].rstrip("/")
    with write() as session:
        if session.scalar(select(Coordinator.id).where(func.lower(Coordinator.email) == email)):
            raise AccountError("email", _("An account with this email exists."))
        coordinator = Coordinator(email=email, name=inv.name.strip() or email, is_admin=inv.admin,
                                  password_hash=_unusable())
        session.add(coordinator)
        session.flush()
        link = f"{base}/manage/invitation/{invitation_token(coordinator)}"
        body = render_template("mail/invitation.txt", link=link, inviter=inviter_name,
                               days=current_app.config["INVITATION_DAYS"])
        queue(session, email, _("You are invited to coordinate statements on Undersigned"), body)
    return coordinator


def read_invitation(token: str) -> Coordinator | None:
    """The invited account a valid, unused, unexpired token names, else None."""
    max_age = int(current_app.config["INVITATION_DAYS"]) * 86400
    try:
        ident, fingerprint = _serializer().loads(token[:500], max_age=max_age)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    coordinator = db.session.get(Coordinator, ident) if isinstance(ident, int) else None
    if coordinator is None or coordinator.password_hash[-12:] != fingerprint or not coordinator.active:
        return None
    return coordinator


def set_password(coordinator_id: int, password: str) -> Coordinator:
    """Set a new password (this ends the account's other sessions).

    :raises AccountError: the password is too short.
    """
    _check_password(password)
    hashed = hasher().hash(password)  # before the lock: argon2 takes a while
    with write() as session:
        coordinator = session.get(Coordinator, coordinator_id)
        coordinator.password_hash = hashed
        coordinator.session_epoch = Coordinator.session_epoch + 1
    db.session.refresh(coordinator)
    return coordinator


def change_password(coordinator_id: int, current: str, password: str) -> Coordinator:
    """Change one's own password; the current one is required. Every other session ends.

    :raises AccountError: the current password is wrong, or the new one is too short or the same.
    """
    coordinator = db.session.get(Coordinator, coordinator_id)
    try:
        hasher().verify(coordinator.password_hash, (current or "")[:1024])
    except (VerificationError, InvalidHashError):
        raise AccountError("current", _("The current password is wrong.")) from None
    if password == current:
        raise AccountError("password", _("Choose a password different from the current one."))
    coordinator = set_password(coordinator_id, password)
    with write() as session:
        audit.record(session, Actor(coordinator.id, coordinator.name or coordinator.email),
                     "password_changed", detail=f"{coordinator.name} (#{coordinator.id})")
    return coordinator


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_link(token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/manage/reset/{token}"


def issue_reset(coordinator_id: int, actor: Actor, send: bool = False) -> str:
    """Issue a single-use link to choose a new password; earlier unused links of the account end.

    Only the SHA-256 of the link's random token is stored. The link works once, for
    ``PASSWORD_RESET_HOURS`` (24) hours.

    :param send: also email the link to the account's address (through the outbox).
    :returns: the link.
    :raises AccountError: there is no such active account.
    """
    token = secrets.token_urlsafe(32)
    hours = int(current_app.config["PASSWORD_RESET_HOURS"])
    with write() as session:
        coordinator = session.get(Coordinator, coordinator_id)
        if coordinator is None or not coordinator.active:
            raise AccountError(None, _("You cannot change this account."))
        session.execute(delete(PasswordReset).where(PasswordReset.coordinator_id == coordinator_id,
                                                    PasswordReset.used_at.is_(None)))
        now = utcnow()
        session.add(PasswordReset(coordinator_id=coordinator_id, token_hash=_token_hash(token),
                                  issued_by=actor.id, created_at=now,
                                  expires_at=now + timedelta(hours=hours)))
        audit.record(session, actor, "password_reset_issued",
                     detail=f"{coordinator.name} (#{coordinator.id})" + (", emailed" if send else ""))
        if send:
            body = render_template("mail/password_reset.txt", link=reset_link(token), hours=hours)
            queue(session, coordinator.email, _("Choose a new password for Undersigned"), body)
    if send:
        worker.notify()
    return reset_link(token)


def _live_reset(token: str):
    return (PasswordReset.token_hash == _token_hash(token[:200]), PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > utcnow())


def read_reset(token: str) -> Coordinator | None:
    """The active account a live (unused, unexpired) reset token names, else None."""
    ident = db.session.scalar(select(PasswordReset.coordinator_id).where(*_live_reset(token)))
    coordinator = db.session.get(Coordinator, ident) if ident is not None else None
    return coordinator if coordinator is not None and coordinator.active else None


def reset_password(token: str, password: str) -> Coordinator:
    """Use a reset link: set the password and spend the link, in one transaction.

    :raises AccountError: the password is too short, or the link is used, expired or unknown.
    """
    _check_password(password)
    hashed = hasher().hash(password)
    with write() as session:
        # Spent by a conditional update: two presses at once cannot both use the link.
        ident = session.execute(update(PasswordReset).where(*_live_reset(token))
                                .values(used_at=utcnow()).returning(PasswordReset.coordinator_id)
                                ).scalar_one_or_none()
        coordinator = session.get(Coordinator, ident) if ident is not None else None
        if coordinator is None or not coordinator.active:
            raise AccountError(None, _("This link has expired or was already used."))
        coordinator.password_hash = hashed
        coordinator.session_epoch = Coordinator.session_epoch + 1
        audit.record(session, Actor(coordinator.id, coordinator.name or coordinator.email),
                     "password_reset_used", detail=f"{coordinator.name} (#{coordinator.id})")
    db.session.refresh(coordinator)
    return coordinator


def purge_resets() -> int:
    """Delete reset links that expired (the audit log keeps their record). :returns: how many."""
    with write() as session:
        return session.execute(delete(PasswordReset).where(PasswordReset.expires_at <= utcnow())
                               ).rowcount or 0


def set_active(coordinator_id: int, active: bool) -> None:
    """Suspend or restore an account."""
    with write() as session:
        session.get(Coordinator, coordinator_id).active = active
