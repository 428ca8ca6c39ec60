"""Signatory exports: public fields, or everything with contact emails (audit logged).

CSV cells that a spreadsheet would read as a formula are neutralised with a leading
apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from . import audit
from .database import write
from .extensions import db
from .models import Signature, SignatureState, Statement, Visibility, as_utc

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PUBLIC_FIELDS = ["name", "kind", "country", "org_type", "launch", "signed_on"]
FULL_FIELDS = ["id", "uid", "state", "kind", "name", "signer_name", "role", "authorised", "website",
               "org_type", "country", "visibility", "email", "lang", "launch", "created_at",
               "confirmed_at", "moderated_at"]


def neutralise(value: object) -> object:
    """Make a cell inert in spreadsheets: a leading = + - @ (or tab/CR) gets an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _iso(moment) -> str:
    return as_utc(moment).isoformat() if moment else ""


def public_rows(statement: Statement) -> list[dict]:
    """What the public page shows: validated and listed; a country-only signatory has no name."""
    rows = db.session.scalars(select(Signature).where(
        Signature.statement_id == statement.id, Signature.state == SignatureState.validated,
        Signature.visibility != Visibility.hidden).order_by(Signature.sort_key, Signature.id))
    return [{"name": s.name if s.visibility == Visibility.full else "", "kind": s.kind,
             "country": s.country, "org_type": s.org_type if s.visibility == Visibility.full else "",
             "launch": s.launch, "signed_on": as_utc(s.created_at).date().isoformat()} for s in rows]


def full_rows(statement: Statement) -> list[dict]:
    """Every signature in every state, with contact details; for the statement's coordinators."""
    rows = db.session.scalars(select(Signature).where(Signature.statement_id == statement.id)
                              .order_by(Signature.id))
    out = []
    for s in rows:
        row = {name: getattr(s, name) for name in FULL_FIELDS}
        for stamp in ("created_at", "confirmed_at", "moderated_at"):
            row[stamp] = _iso(row[stamp])
        out.append(row)
    return out


def to_csv(rows: list[dict], fields: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: neutralise("" if value is None else value) for key, value in row.items()})
    return buffer.getvalue()


def to_json(statement: Statement, rows: list[dict]) -> str:
    return json.dumps({"statement": statement.slug, "count": len(rows), "signatories": rows},
                      ensure_ascii=False, indent=1)


def export(statement: Statement, scope: str, fmt: str, actor: audit.Actor) -> tuple[str, str]:
    """Build an export; a full one (with emails) is written to the audit log first.

    :returns: (body, media type)
    """
    full = scope == "full"
    rows = full_rows(statement) if full else public_rows(statement)
    if full:
        with write() as session:
            audit.record(session, actor, "exported_full", statement_id=statement.id,
                         detail=f"{fmt}, {len(rows)} rows")
    if fmt == "csv":
        return to_csv(rows, FULL_FIELDS if full else PUBLIC_FIELDS), "text/csv; charset=utf-8"
    return to_json(statement, rows), "application/json"
