"""Re-sealing on the server's side, without the private key ever reaching it: the sealed
values go out (:func:`export`), are re-sealed offline (:func:`portal.safety.offline.reseal`),
and come back (:func:`apply`), each only where the row still holds what went out.
"""

from __future__ import annotations

from sqlalchemy import select, update

from portal.accounts import audit
from portal.database import write
from portal.errors import DomainError
from portal.extensions import db
from portal.models import ContactKey, Signature
from portal.safety.contacts import active_key
from portal.safety.offline import RESEAL_FORMAT


class ResealError(DomainError):
    pass


def export(older_than_active: bool = True) -> dict:
    """Every sealed value (by default only those not sealed to the active key)."""
    query = select(Signature.id, Signature.email_key, Signature.email_sealed).where(
        Signature.email_sealed.is_not(None)).order_by(Signature.id)
    key = active_key()
    if older_than_active and key is not None:
        query = query.where(Signature.email_key != key.fingerprint)
    rows = [{"id": ident, "key": fingerprint, "sealed": sealed}
            for ident, fingerprint, sealed in db.session.execute(query)]
    return {"format": RESEAL_FORMAT, "rows": rows}


def apply(data: dict, actor: audit.Actor) -> int:
    """Store re-sealed values; audited.

    :returns: how many rows took their new seal (a row changed since the export keeps its own).
    :raises ResealError: not a re-sealed file, or sealed to a key that is not registered.
    """
    if data.get("format") != RESEAL_FORMAT or "key" not in data:
        raise ResealError(None, "not a file written by flask contacts reseal offline")
    with write() as session:
        known = session.scalar(select(ContactKey.id).where(ContactKey.fingerprint == data["key"]))
        if known is None:
            raise ResealError(None, f"key {data['key']} is not registered here")
        done = 0
        for row in data.get("rows", []):
            done += session.execute(
                update(Signature).where(Signature.id == int(row["id"]),
                                        Signature.email_sealed == row["was"])
                .values(email_sealed=row["sealed"], email_key=data["key"])
                .execution_options(synchronize_session=False)).rowcount or 0
        audit.record(session, actor, "contacts_resealed", after=data["key"], detail=f"{done} contacts")
    return done
