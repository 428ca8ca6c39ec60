"""Signatory exports: public fields, or everything with contact emails (audit logged). With
sealed contacts the full export carries each address sealed (``email_sealed``, ``email_key``)
and says so; ``flask contacts unseal`` opens it on the coordinator's machine.

CSV cells that a spreadsheet would read as a formula are neutralised with a leading
apostrophe (OWASP "CSV injection"). CSV and XLSX are for people: the CSV starts with a UTF-8
byte order mark (without it, Excel reads Arabic and Cyrillic as another encoding), each
country code has its name in the export's language beside it, and yes/no stand for
true/false. JSON keeps its types.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from portal.accounts import audit
from portal.database import write
from portal.extensions import db
from portal.models import Signature, SignatureState, Statement, Visibility, as_utc
from portal.statements import sheets
from portal.statements.public import shown
from portal.statements.reading import listed_total
from portal.text import country_name
from portal.words import signature_state_label

STREAM_BATCH = 2000  # rows per database fetch and per chunk sent
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PUBLIC_FIELDS = ["name", "kind", "country", "org_type", "launch", "signed_on"]
FULL_FIELDS = ["id", "uid", "state", "kind", "name", "signer_name", "role", "authorised", "website",
               "org_type", "country", "visibility", "email", "lang", "launch", "created_at",
               "confirmed_at", "moderated_at", "channel", "evidence", "checked_by", "checked_at",
               "email_sealed", "email_key"]


_FORMULA_FIRST = frozenset(FORMULA_START)
BOM = "\ufeff"
YES_NO_FIELDS = ("launch", "authorised")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class Labels:
    """How a spreadsheet export writes for people: in ``lang``, with its words for yes and no."""

    lang: str
    yes: str
    no: str


def for_people(rows: Iterable[dict], fields: list[str], labels: Labels) -> tuple[Iterator[dict], list[str]]:
    """The rows with ``country_name`` beside ``country`` and yes/no for true/false (None stays
    empty: a country-only signatory's launch flag is not shown)."""
    at = fields.index("country") + 1
    columns = [*fields[:at], "country_name", *fields[at:]]

    def rewritten() -> Iterator[dict]:
        names: dict[str, str] = {}
        for row in rows:
            row = dict(row)
            code = row["country"] or ""
            if code and code not in names:
                names[code] = country_name(code, labels.lang)
            row["country_name"] = names.get(code, "")
            for key in YES_NO_FIELDS:
                if isinstance(row.get(key), bool):
                    row[key] = labels.yes if row[key] else labels.no
            yield row

    return rewritten(), columns


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
        for stamp in ("created_at", "confirmed_at", "moderated_at", "checked_at"):
            row[stamp] = _iso(row[stamp])
        row["state"] = signature_state_label(row["state"])  # the interface's words: "approved"
        yield row


def to_csv(rows: Iterable[dict], fields: list[str]) -> Iterator[str]:
    """The CSV in chunks of STREAM_BATCH rows, byte order mark and header first."""
    buffer = io.StringIO(BOM)
    buffer.seek(0, io.SEEK_END)
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


def export(statement: Statement, scope: str, fmt: str, actor: audit.Actor,
           labels: Labels | None = None) -> tuple[Iterable, str]:
    """An export, produced while it is sent; a full one (with emails) is written to the audit
    log first.

    :param fmt: ``csv``, ``xlsx`` (both written for people by ``labels``) or ``json``.
    :returns: (the body in chunks, media type)
    """
    full = scope == "full"
    total = db.session.scalar(select(func.count()).select_from(Signature)
                              .where(Signature.statement_id == statement.id)) if full else None
    if fmt == "xlsx":
        sheets.check_size(total if full else listed_total(statement))
    if full:
        with write() as session:
            audit.record(session, actor, "exported_full", statement_id=statement.id,
                         detail=f"{fmt}, {total} rows")
    rows = full_rows(statement) if full else public_rows(statement)
    if fmt == "json":
        return to_json(statement, rows, sealed_note(statement) if full else None), MEDIA_TYPES[fmt]
    labels = labels or Labels("en", "yes", "no")
    rows, fields = for_people(rows, FULL_FIELDS if full else PUBLIC_FIELDS, labels)
    if fmt == "xlsx":
        return sheets.to_xlsx(rows, fields, labels.lang), MEDIA_TYPES[fmt]
    return to_csv(rows, fields), MEDIA_TYPES[fmt]


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
