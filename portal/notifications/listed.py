"""The signer's email when a coordinator approves their signature: it counts now, and where it
is listed (the public link), with the links to manage or withdraw it."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from portal.mail import outbox as mail
from portal.models import Signature, Statement, Visibility
from portal.signatures.notices import compose


def public_url(statement: Statement, lang: str) -> str:
    """The statement's public page in ``lang`` (its original if ``lang`` is not published), or
    "" while it is not public."""
    if not statement.is_public:
        return ""
    shown = lang if statement.translation(lang) is not None else statement.original_lang
    return f"{current_app.config['BASE_URL'].rstrip('/')}/{shown}/s/{statement.slug}"


def queue_approved(session: Session, signature: Signature) -> bool:
    """Inside the approving transaction: tell the signer, if an address is still kept.

    :returns: True if an email was queued (the caller wakes the sender after its commit).
    """
    if not signature.email:
        return False
    statement = session.get(Statement, signature.statement_id)
    mail.queue(session, signature.email, *compose(
        "listed", signature, statement, hidden=signature.visibility == Visibility.hidden,
        public_url=public_url(statement, signature.lang)))
    return True
