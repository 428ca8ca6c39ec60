"""Single-use recovery codes: ten at a time, 80 random bits each, kept only as a keyed hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from portal.database import write
from portal.extensions import db
from portal.factors.store import derived_key
from portal.models import RecoveryCode, utcnow

HOW_MANY = 10


def normalise(code: str) -> str:
    """What a person typed, without spaces, dashes and case: ``abcd-efgh`` is ``ABCDEFGH``."""
    return "".join(ch for ch in (code or "")[:80].upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hmac.new(derived_key("recovery codes"), normalise(code).encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 16 characters, 80 bits
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def issue(session: Session, coordinator_id: int) -> list[str]:
    """Replace the account's recovery codes by ten new ones, inside the caller's transaction.

    :returns: the codes, the only time they exist in clear.
    """
    session.execute(delete(RecoveryCode).where(RecoveryCode.coordinator_id == coordinator_id))
    codes = [_new_code() for _ in range(HOW_MANY)]
    session.add_all(RecoveryCode(coordinator_id=coordinator_id, code_hash=_hash(code)) for code in codes)
    return codes


def regenerate(coordinator_id: int, actor) -> list[str]:
    """New codes for the account; the old ones stop working. Audited."""
    from portal.accounts import audit

    with write() as session:
        codes = issue(session, coordinator_id)
        audit.record(session, actor, "recovery_codes_issued")
    return codes


def use(coordinator_id: int, code: str) -> bool:
    """Spend one unused code of the account: True once, then never again.

    Spent by a conditional update, so two presses at once cannot both use it."""
    if len(normalise(code)) != 16:
        return False
    with write() as session:
        spent = session.execute(update(RecoveryCode).where(
            RecoveryCode.coordinator_id == coordinator_id, RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None)).values(used_at=utcnow())).rowcount
    return spent == 1


def remaining(coordinator_id: int) -> int:
    """How many unused codes the account holds."""
    return db.session.scalar(select(func.count()).where(
        RecoveryCode.coordinator_id == coordinator_id, RecoveryCode.used_at.is_(None))) or 0
