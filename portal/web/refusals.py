"""A service's refusal (:class:`portal.errors.DomainError`) shown where the person can act on it."""

from __future__ import annotations

from flask_wtf import FlaskForm

from portal.errors import DomainError


def attach(form: FlaskForm, error: DomainError, fallback: str | None = None) -> None:
    """Put ``error`` on its field of ``form``, else on the ``fallback`` field, else on the whole
    form (its summary); the view then answers 422 with the form, or 409 for a state conflict."""
    target = getattr(form, error.field or "", None) or (getattr(form, fallback) if fallback else None)
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)
