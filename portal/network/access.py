"""Invite-only statements: besides a personal invitation's link, only addresses at the
statement's allowed email domains (if any) may sign; everyone else reads the statement and its
list without the form."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.accounts import audit
from portal.database import write
from portal.models import Statement
from portal.network.roster import DOMAIN, split
from portal.signatures.details import SigningError


def allowed(statement: Statement) -> list[str]:
    return statement.allowed_domains.split()


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower().rstrip(".")


def check(statement: Statement, email: str) -> None:
    """Refuse a public submission to an invite-only statement unless its address is at one of
    the allowed domains (or their subdomains).

    :raises SigningError: on the email field, naming the domains that may sign.
    """
    domains = allowed(statement)
    host = domain_of(email)
    if not any(host == d or host.endswith("." + d) for d in domains):
        if not domains:
            raise SigningError(None, _("This statement is signed by personal invitation only."))
        raise SigningError("email", _("Only addresses at these domains may sign: %(domains)s.",
                                      domains=", ".join(domains)))


def set_access(statement_id: int, invite_only: bool, domains_text: str, actor: audit.Actor) -> None:
    """Make a statement invite-only (or open to all again), with its allowed domains; audited.

    :raises SigningError: a domain is not a domain.
    """
    domains = list(dict.fromkeys(d.lower().lstrip("@") for d in split(domains_text)))
    if bad := [d for d in domains if not DOMAIN.match(d)]:
        raise SigningError("domains", _("%(value)s is not an email domain.", value=bad[0][:80]))
    with write() as session:
        statement = session.get(Statement, statement_id)
        before = f"{statement.invite_only} {statement.allowed_domains}".strip()
        statement.invite_only, statement.allowed_domains = invite_only, " ".join(domains)
        statement.version += 1  # the public page changes: its form appears or goes
        audit.record(session, actor, "access_changed", statement_id=statement.id, before=before,
                     after=f"{invite_only} {statement.allowed_domains}".strip())
