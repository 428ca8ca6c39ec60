"""Signatory exports: public fields, or everything with contact emails (audit logged). With
sealed contacts the full export carries each address sealed (``email_sealed``, ``email_key``)
and says so; ``flask contacts unseal`` opens it on the coordinator's machine.

CSV cells that a spreadsheet would read as a formula are neutralised with a leading
apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from sqlalchemy import func, select

from portal.accounts import audit
from portal.database import write
from portal.extensions import db
from portal.models import Signature, SignatureState, Statement, Visibility, as_utc
from portal.statements.public import shown

STREAM_BATCH = 2000  # rows per database fetch and per chunk sent
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PUBLIC_FIELDS = ["name", "kind", "country", "org_type", "launch", "signed_on"]
FULL_FIELDS = ["id", "uid", "state", "kind", "name", "signer_name", "role", "authorised", "website",
               "org_type", "country", "visibility", "email", "lang", "launch", "created_at",
               "confirmed_at", "moderated_at", "email_sealed", "email_key"]


_FORMULA_FIRST = frozenset(FORMULA_START)


def neutralise(value: object) -> object:
    """Make a cell inert in spreadsheets: a leading = + - @ (or tab/CR) gets an apostrophe."""
    if isinstance(value, str) and value and value[0] in _FORMULA_FIRST:
        return "'" + value
    return value


def _iso(moment) -> str:
    return as_utc(moment).isoformat() if moment else ""


def _streamed(query):
    """Rows fetched a batch at a time: memory stays flat at a million signatures."""
    return db.session.execute(query.execution_options(yield_per=STREAM_BATCH))


def public_rows(statement: Statement) -> Iterator[dict]:
    """What the public page shows, by the read model's projection: validated and listed; a
    country-only signatory has only its kind and country (no name, type, launch flag or date:
    None, an empty CSV cell)."""
    rows = _streamed(select(Signature.name, Signature.kind, Signature.country, Signature.org_type,
                            Signature.launch, Signature.created_at, Signature.visibility, Signature.role)
                     .where(Signature.statement_id == statement.id,
                            Signature.state == SignatureState.validated,
                            Signature.visibility != Visibility.hidden)
                     .order_by(Signature.sort_key, Signature.id))
    for row in rows:
        seen = shown(row)
        full = seen.visibility == Visibility.full
        yield {"name": seen.name or "", "kind": seen.kind, "country": seen.country, "org_type": seen.org_type,
               "launch": seen.launch if full else None,
               "signed_on": as_utc(seen.signed_at).date().isoformat() if full else None}


def full_rows(statement: Statement) -> Iterator[dict]:
    """Every signature in every state, with contact details; for the statement's coordinators."""
    rows = _streamed(select(*(Signature.__table__.c[name] for name in FULL_FIELDS))
                     .where(Signature.statement_id == statement.id).order_by(Signature.id))
    for s in rows:
        row = dict(s._mapping)
        for stamp in ("created_at", "confirmed_at", "moderated_at"):
            row[stamp] = _iso(row[stamp])
        yield row


def to_csv(rows: Iterable[dict], fields: list[str]) -> Iterator[str]:
    """The CSV in chunks of STREAM_BATCH rows, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(fields)
    for number, row in enumerate(rows, 1):
        writer.writerow([neutralise(row[key]) for key in fields])  # None is written as ""
        if number % STREAM_BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_json(statement: Statement, rows: Iterable[dict], head: dict | None = None) -> Iterator[str]:
    """One JSON object, written as the rows come: the count, known at the end, comes last."""
    extra = "".join(f"{json.dumps(key)}: {json.dumps(value)}, " for key, value in (head or {}).items())
    yield '{"statement": ' + json.dumps(statement.slug) + ", " + extra + '"signatories": ['
    count = 0
    for count, row in enumerate(rows, 1):
        yield ("," if count > 1 else "") + "\n " + json.dumps(row, ensure_ascii=False)
    yield '\n], "count": ' + str(count) + "}\n"


def export(statement: Statement, scope: str, fmt: str, actor: audit.Actor) -> tuple[Iterator[str], str]:
    """An export, produced while it is sent; a full one (with emails) is written to the audit
    log first.

    :returns: (the body in chunks, media type)
    """
    full = scope == "full"
    if full:
        total = db.session.scalar(select(func.count()).select_from(Signature)
                                  .where(Signature.statement_id == statement.id))
        with write() as session:
            audit.record(session, actor, "exported_full", statement_id=statement.id,
                         detail=f"{fmt}, {total} rows")
    rows = full_rows(statement) if full else public_rows(statement)
    if fmt == "csv":
        return to_csv(rows, FULL_FIELDS if full else PUBLIC_FIELDS), "text/csv; charset=utf-8"
    return to_json(statement, rows, sealed_note(statement) if full else None), "application/json"


def sealed_note(statement: Statement) -> dict:
    """What a full export says of its sealed contacts: how many, to which keys, how to open them."""
    keys = dict(db.session.execute(
        select(Signature.email_key, func.count()).where(Signature.statement_id == statement.id,
                                                        Signature.email_sealed.is_not(None))
        .group_by(Signature.email_key)).all())
    if not keys:
        return {"contacts": {"sealed": 0}}
    return {"contacts": {"sealed": sum(keys.values()), "keys": keys,
                         "open_with": "flask contacts unseal --key PRIVATE_KEY_FILE THIS_FILE"}}
