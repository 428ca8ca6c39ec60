"""Site-wide switches kept in the database, so every worker sees the same value at once."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select, update

from portal.accounts import audit
from portal.database import write
from portal.extensions import db
from portal.models import SiteSetting, Statement, utcnow

PAUSED = "signing_paused"


def get(key: str, session=None) -> str:
    session = session or db.session
    return session.scalar(select(SiteSetting.value).where(SiteSetting.key == key)) or ""


def signing_paused(session=None) -> bool:
    """True while an administrator has paused signing on the whole site.

    The ``SIGNING_PAUSED`` setting stays as an operator's override from the environment.
    """
    return bool(current_app.config.get("SIGNING_PAUSED")) or get(PAUSED, session) == "1"


def set_signing_paused(paused: bool, actor: audit.Actor) -> bool:
    """Pause or resume signing everywhere; written to the audit log.

    :returns: True when the value changed.
    """
    value = "1" if paused else ""
    with write() as session:
        row = session.get(SiteSetting, PAUSED)
        before = row.value if row else ""
        if before == value:
            return False
        if row is None:
            session.add(SiteSetting(key=PAUSED, value=value))
        else:
            row.value, row.updated_at = value, utcnow()
        # Bump every open statement so cached counters and pages revalidate.
        session.execute(update(Statement).where(Statement.state.in_(("collecting", "published")))
                        .values(version=Statement.version + 1))
        audit.record(session, actor, "site_paused" if paused else "site_resumed",
                     before="paused" if before else "open", after="paused" if paused else "open")
    return True
