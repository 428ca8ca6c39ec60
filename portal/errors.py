"""The one base of every service error: why a service refused, and which field it concerns."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal a person can act on: ``field`` names the form field (None: the whole form),
    ``message`` says why, in the interface language."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
