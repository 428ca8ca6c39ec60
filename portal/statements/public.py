"""What the public may see of a statement, as plain data.

The API, the feeds, the embed, the badge and the printable letter all read through here,
so the privacy rule lives in one place: a signatory is shown by their chosen visibility,
and an email, an IP hash, a uid or a token never leaves this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    CountryTally,
    Kind,
    Signature,
    SignatureState,
    Statement,
    StatementState,
    StatementTranslation,
    Visibility,
    as_utc,
)
from portal.statements import reading as service
from portal.text import countries

SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
PUBLIC_STATES = (StatementState.published, StatementState.closed, StatementState.archived)


def find(slug: str) -> Statement | None:
    """A published, closed or archived statement; never a draft or one still collecting.

    :param slug: as it came in the URL; anything that is not slug-shaped is simply absent.
    """
    if not SLUG.fullmatch(slug):
        return None
    statement = service.find_public(slug)
    return statement if statement is not None and statement.published_translations() else None


def find_or_404(slug: str) -> Statement:
    """:func:`find`, or a 404 for the reader (the API turns it into its JSON error)."""
    statement = find(slug)
    if statement is None:
        abort(404)
    return statement


def listed(state: str = StatementState.published) -> list[Statement]:
    """Public statements in ``state`` (published, closed or archived), newest first.

    Here and below, a statement without any published translation has nothing to show.
    """
    return [statement for statement in service.listed((state,)) if statement.published_translations()]


def everything_public() -> list[Statement]:
    """Every public statement, newest first (for feeds and the sitemap)."""
    return [statement for statement in service.listed(PUBLIC_STATES) if statement.published_translations()]


def text_for(statement: Statement, lang: str) -> tuple[StatementTranslation, bool]:
    """The published translation in ``lang``, else the original; True when it fell back."""
    tr = statement.translation(lang)
    if tr is not None:
        return tr, False
    return statement.translation(statement.original_lang) or statement.published_translations()[0], True


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC, as feeds and JSON want it."""
    if moment is None:
        return None
    return as_utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def by_country(statement: Statement) -> dict[str, int]:
    """Listed signatures per country, from the stored tallies.

    Those counted but not listed are in the total only: a country whose only signers chose
    not to be listed appears nowhere, neither here nor in the number of countries.
    """
    rows = db.session.execute(
        select(CountryTally.country, CountryTally.n)
        .where(CountryTally.statement_id == statement.id, CountryTally.n > 0)
        .order_by(CountryTally.country)
    )
    return {country: n for country, n in rows}


def counts(statement: Statement, with_countries: bool = False) -> dict:
    """The stored counts: total, by kind, number of countries and, if asked, per country."""
    result = {"total": statement.count_total, "organisations": statement.count_organisations,
              "individuals": statement.count_individuals, "countries": statement.count_countries}
    if with_countries:
        result["by_country"] = by_country(statement)
    return result


def summary(statement: Statement) -> dict:
    """A statement as the list shows it."""
    original, _fallback = text_for(statement, statement.original_lang)
    return {
        "slug": statement.slug, "state": statement.state, "original_lang": statement.original_lang,
        "title": original.title, "summary": original.summary,
        "languages": [tr.lang for tr in statement.published_translations()],
        "published_at": iso(statement.published_at), "closed_at": iso(statement.closed_at),
        "deadline_at": iso(statement.deadline_at), "signing_open": statement.signing_open,
        "counts": counts(statement),
    }


def detail(statement: Statement) -> dict:
    """A statement with its published translations and every count."""
    return summary(statement) | {
        "target_count": statement.target_count,
        "counts": counts(statement, with_countries=True),
        "translations": [
            {"lang": tr.lang, "title": tr.title, "summary": tr.summary, "body_markdown": tr.body_md,
             "original": tr.lang == statement.original_lang, "updated_at": iso(tr.updated_at)}
            for tr in statement.published_translations()
        ],
    }


def signatory(signature: Signature) -> dict:
    """The public fields of a listed signatory, by the visibility they chose.

    ``country`` shows only the kind and the country; ``hidden`` is never listed at all.
    """
    if signature.visibility != Visibility.full:
        return {"visibility": Visibility.country.value, "kind": signature.kind,
                "country": signature.country}
    shown = {"visibility": Visibility.full.value, "kind": signature.kind, "name": signature.name,
             "country": signature.country, "launch": signature.launch}
    if signature.kind == Kind.individual and signature.role:
        shown["role"] = signature.role
    return shown


@dataclass(frozen=True)
class CountryGroup:
    code: str
    signatures: list  # rows with name, kind, role and visibility


@dataclass(frozen=True)
class Letter:
    groups: list[CountryGroup]
    limit: int
    unlisted: int | None  # counted but not listed by their own choice; None when not all fit

    @property
    def complete(self) -> bool:
        """False when the list stopped at ``limit``."""
        return self.unlisted is not None


def letter(statement: Statement, lang: str, limit: int) -> Letter:
    """The listed signatories, grouped by country in the collation of ``lang``'s country names,
    each group in the list's own order (names by their sort key, those who show only their
    country last), up to ``limit`` names: the page stays printable, and cheap to build, at a
    million signatures.

    One indexed query per country (``ix_signatures_country``), in that order, each asking only
    for as many rows as are still allowed; the countries come from the stored tallies.
    """
    order = {code: i for i, (code, _name) in enumerate(countries(lang))}
    groups, left = [], limit
    for code in sorted(by_country(statement), key=lambda code: (order.get(code, len(order)), code)):
        rows = db.session.execute(
            select(Signature.name, Signature.kind, Signature.role, Signature.visibility)
            .where(Signature.statement_id == statement.id, Signature.country == code,
                   Signature.state == SignatureState.validated, Signature.visibility != Visibility.hidden)
            .order_by(Signature.sort_key, Signature.id)
            .limit(left + 1)  # one more than allowed tells whether the list goes on
        ).all()
        if len(rows) > left:
            if left:
                groups.append(CountryGroup(code, rows[:left]))
            return Letter(groups, limit, None)
        if rows:
            groups.append(CountryGroup(code, rows))
            left -= len(rows)
    return Letter(groups, limit, max(statement.count_total - (limit - left), 0))


@dataclass(frozen=True)
class Update:
    """One entry of a statement's own feed."""

    key: str
    kind: str  # published, translated, closed
    at: datetime
    lang: str


def updates(statement: Statement) -> list[Update]:
    """What happened to a public statement, newest first: publication, translations, closing."""
    found = []
    if statement.published_at:
        found.append(Update("published", "published", as_utc(statement.published_at),
                            statement.original_lang))
        for tr in statement.published_translations():
            if tr.lang != statement.original_lang:
                moment = max(as_utc(tr.updated_at), as_utc(statement.published_at))
                found.append(Update(f"translation-{tr.lang}", "translated", moment, tr.lang))
    if statement.closed_at and statement.state != StatementState.published:
        found.append(Update("closed", "closed", as_utc(statement.closed_at), statement.original_lang))
    return sorted(found, key=lambda update: update.at, reverse=True)
