"""Coordinator accounts: argon2id hashes."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select

from .database import write
from .models import Coordinator

hasher = PasswordHasher()


class AccountError(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def create_coordinator(email: str, name: str, password: str, admin: bool = False) -> Coordinator:
    """Create an account.

    :raises AccountError: the email is taken or the password is too short.
    """
    email = email.strip().lower()
    if len(password) < 12:
        raise AccountError("password", "Use at least 12 characters.")
    with write() as session:
        if session.scalar(select(Coordinator.id).where(Coordinator.email == email)):
            raise AccountError("email", "An account with this email exists.")
        coordinator = Coordinator(email=email, name=name, password_hash=hasher.hash(password),
                                  is_admin=admin)
        session.add(coordinator)
    return coordinator
