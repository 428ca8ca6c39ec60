"""The roster as CSV: a preview of an import (what will be created or updated, and each bad
row with its line number), the import itself, and the export. The workspace and
``flask organisations import`` call the same functions.

Columns: ``name``, ``country`` (ISO code or English name), ``website``, ``emails`` and
``tags`` (separated by spaces or semicolons), ``language``; optional ``other_names``
(separated by semicolons) and ``domains``. Other columns are ignored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts import audit
from portal.database import write
from portal.extensions import db
from portal.models import Organisation
from portal.network import contacts, roster
from portal.statements.exports import FORMULA_START, neutralise
from portal.text import name_key

COLUMNS = ("name", "country", "website", "emails", "language", "tags", "other_names", "domains")
REQUIRED = ("name", "country")


@dataclass(frozen=True)
class RowError:
    line: int
    field: str | None
    message: str


@dataclass
class Plan:
    """What an import does: names to create and to update, and the rows refused."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: list[tuple[int, roster.Cleaned]] = field(default_factory=list)


def _reader(text: str) -> csv.DictReader:
    # The csv module stops at a NUL; no cell of ours may hold one anyway.
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff").replace("\x00", ""), newline=""))
    headers = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if any(column not in headers for column in REQUIRED):
        raise roster.RosterError("file", _("The first line must name the columns, at least: %(columns)s.",
                                           columns=", ".join(COLUMNS[:6])))
    reader.fieldnames = headers
    return reader


def _unneutralised(value: str) -> str:
    """A cell as it was before the export made it inert (so an export imports back as it was)."""
    return value[1:] if value[:1] == "'" and value[1:2] in FORMULA_START else value


def read(text: str) -> Plan:
    """Check every row of ``text`` and say what importing it would do; nothing is written.

    :raises RosterError: the file has no header line with the required columns.
    """
    plan = Plan()
    reader = _reader(text)
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {column: _unneutralised((row.get(column) or "").strip()) for column in COLUMNS}
        if not any(values.values()):
            continue
        try:
            cleaned = roster.clean(roster.OrgInput(**values))
        except roster.RosterError as error:
            plan.errors.append(RowError(line, error.field, error.message))
            continue
        key = name_key(cleaned.name)
        if key in seen:
            plan.errors.append(RowError(line, "name", _("The same organisation as on line %(line)s.",
                                                        line=seen[key])))
            continue
        seen[key] = line
        plan.rows.append((line, cleaned))
    existing = set(db.session.scalars(select(Organisation.name_key))) if plan.rows else set()
    for _line, cleaned in plan.rows:
        (plan.updated if name_key(cleaned.name) in existing else plan.created).append(cleaned.name)
    return plan


def load(text: str, actor: audit.Actor) -> Plan:
    """Import ``text``: create or update every good row, in one transaction, each audited;
    bad rows are left out and reported.

    :returns: what was done (created and updated as they turned out).
    """
    plan = read(text)
    done = Plan(errors=plan.errors, rows=plan.rows)
    with write() as session:
        for line, cleaned in plan.rows:
            org, created = roster.apply(session, roster.find(session, cleaned.name), cleaned)
            (done.created if created else done.updated).append(org.name)
            audit.record(session, actor, "organisation_created" if created else "organisation_edited",
                         detail=_detail(org, line))
        audit.record(session, actor, "organisations_imported",
                     detail=f"{len(done.created)} created, {len(done.updated)} updated, "
                            f"{len(done.errors)} rows refused")
    return done


def _detail(org: Organisation, line: int) -> str:
    return f"#{org.id} {org.name} (CSV line {line})"


def export(actor: audit.Actor) -> Iterator[str]:
    """The whole roster as CSV, in the import's columns (so it can be imported back).

    The export holds contact addresses, so it is written to the audit log.
    """
    with write() as session:
        audit.record(session, actor, "roster_exported")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    emails = contacts.all_addresses()
    for org in roster.organisations():
        writer.writerow([neutralise(value) for value in (
            org.name, org.country, org.website, " ".join(emails.get(org.id, [])), org.language,
            " ".join(org.tag_list), "; ".join(org.other_name_list), " ".join(org.domain_list))])
    yield buffer.getvalue()
