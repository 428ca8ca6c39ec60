"""Many entered signatures from one CSV file: a preview of every row (what will be created, and
each bad row's error with its line number), then the import of the good rows, all at once.

Columns (the first line names them, in any order; README.md documents them): ``name``,
``country`` (ISO code or English name), ``channel`` (email, signal, phone, paper, other),
``evidence``; optional ``email``, ``website``, ``signer_name``, ``role``, ``kind``
(organisation or individual), ``visibility`` (full, country, hidden) and ``lang``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pycountry
from flask_babel import gettext as _

from portal.accounts import audit
from portal.errors import DomainError
from portal.extensions import db
from portal.models import Kind, Statement, Visibility
from portal.signatures import entries
from portal.text import country_codes, name_key

REQUIRED = ("name", "country", "channel", "evidence")
OPTIONAL = ("email", "website", "signer_name", "role", "kind", "visibility", "lang")
COLUMNS = (*REQUIRED, *OPTIONAL)
MAX_ROWS = 1000


class FileError(DomainError):
    """The file as a whole cannot be read."""


@dataclass(frozen=True)
class Row:
    line: int  # in the file, the header being line 1
    entry: entries.Entry
    error: str = ""


def country_code(value: str) -> str:
    """An ISO 3166 alpha-2 code from a code or an English name; the value itself if neither."""
    value = value.strip()
    if value.upper() in country_codes():
        return value.upper()
    try:
        code = pycountry.countries.lookup(value).alpha_2
    except LookupError:
        return value
    return code if code in country_codes() else value


def _reader(text: str) -> csv.DictReader:
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    return csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)


def parse(statement: Statement, text: str) -> list[Row]:
    """Every row with its entry and, if it cannot be taken, why.

    :raises FileError: the header lacks a required column, or the file has too many rows.
    """
    reader = _reader(text)
    columns = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise FileError("csv", _("The first line must name the columns; missing: %(columns)s.",
                                    columns=", ".join(missing)))
    reader.fieldnames = columns
    rows: list[Row] = []
    seen: set[str] = set()
    for record in reader:
        if len(rows) >= MAX_ROWS:
            raise FileError("csv", _("Import at most %(n)s rows at a time.", n=MAX_ROWS))
        cell = {key: (record.get(key) or "").strip() for key in (*REQUIRED, *OPTIONAL)}
        if not any(cell.values()):
            continue
        entry = entries.Entry(
            name=cell["name"], country=country_code(cell["country"]), channel=cell["channel"].lower(),
            evidence=cell["evidence"], kind=cell["kind"].lower() or Kind.organisation, email=cell["email"],
            website=cell["website"], signer_name=cell["signer_name"], role=cell["role"],
            visibility=cell["visibility"].lower() or Visibility.full, lang=cell["lang"])
        rows.append(Row(reader.line_num, entry, _problem(statement, entry, seen)))
    return rows


def _problem(statement: Statement, entry: entries.Entry, seen: set[str]) -> str:
    try:
        entries.check(entry, statement)
    except entries.EntryError as error:
        return error.message
    key = name_key(entry.name)
    if key in seen or entries.signed_already(db.session, statement.id, key):
        return _("%(name)s has signed this statement already.", name=entry.name)
    seen.add(key)
    return ""


def run(statement_id: int, text: str, actor: audit.Actor) -> tuple[int, list[Row]]:
    """Import the rows without errors, in one transaction; the rest are reported.

    :returns: how many signatures were entered, and every row as the preview showed it.
    :raises FileError: the file cannot be read.
    :raises entries.EntryError: a row broke a rule between the preview and the import.
    """
    statement = db.session.get(Statement, statement_id)
    rows = parse(statement, text)
    good = [row.entry for row in rows if not row.error]
    db.session.rollback()  # the preview's reads end here; the write takes its own transaction
    if good:
        entries.enter_many(statement_id, good, actor)
    return len(good), rows
