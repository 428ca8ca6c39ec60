"""The read model as documents: the API's JSON, the printable letter, the feed's entries.

Each takes a :class:`portal.statements.public.PublicView` (or the projection it gives) and
adds no rule of its own about what a reader may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import CountryTally, Signature, SignatureState, Statement
from portal.models.common import StatementState, Visibility, as_utc
from portal.statements.public import PublicView, Shown, iso
from portal.text import countries


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


def counts(view: PublicView, with_countries: bool = False) -> dict:
    """The stored counts: total, by kind, number of countries and, if asked, per country."""
    c = view.counts
    result = {"total": c.total, "organisations": c.organisations, "individuals": c.individuals,
              "countries": c.countries}
    if with_countries:
        result["by_country"] = by_country(view.statement)
    return result


def summary(view: PublicView) -> dict:
    """A statement as the list shows it (titles in the original language)."""
    statement = view.statement
    return {
        "slug": statement.slug, "state": statement.state, "original_lang": statement.original_lang,
        "title": view.text.title, "summary": view.text.summary,
        "languages": [tr.lang for tr in statement.published_translations()],
        "published_at": iso(statement.published_at), "closed_at": iso(statement.closed_at),
        "deadline_at": iso(statement.deadline_at), "signing_open": view.signing.open,
        "counts": counts(view),
    }


def detail(view: PublicView) -> dict:
    """A statement with its published translations and every count."""
    statement = view.statement
    return summary(view) | {
        "target_count": statement.target_count,
        "counts": counts(view, with_countries=True),
        "translations": [
            {"lang": tr.lang, "title": tr.title, "summary": tr.summary, "body_markdown": tr.body_md,
             "original": tr.lang == statement.original_lang, "updated_at": iso(tr.updated_at)}
            for tr in statement.published_translations()
        ],
    }


def signatory(seen: Shown) -> dict:
    """One listed signatory as JSON: only what its projection shows."""
    if seen.visibility != Visibility.full:
        return {"visibility": seen.visibility, "kind": seen.kind, "country": seen.country}
    shown = {"visibility": seen.visibility, "kind": seen.kind, "name": seen.name,
             "country": seen.country, "launch": seen.launch}
    if seen.role:
        shown["role"] = seen.role
    return shown


@dataclass(frozen=True)
class CountryGroup:
    code: str
    signatories: list[Shown]


@dataclass(frozen=True)
class Letter:
    groups: list[CountryGroup]
    limit: int
    unlisted: int | None  # counted but not listed by their own choice; None when not all fit

    @property
    def complete(self) -> bool:
        """False when the list stopped at ``limit``."""
        return self.unlisted is not None


def letter(view: PublicView, limit: int) -> Letter:
    """The listed signatories, grouped by country in the collation of the reader's country
    names, each group in the list's own order (names by their sort key, those who show only
    their country last), up to ``limit`` names: the page stays printable, and cheap to build,
    at a million signatures.

    One indexed query per country (``ix_signatures_country``), in that order, each asking only
    for as many rows as are still allowed; the countries come from the stored tallies.
    """
    statement = view.statement
    order = {code: i for i, (code, _name) in enumerate(countries(view.lang))}
    groups, left = [], limit
    for code in sorted(by_country(statement), key=lambda code: (order.get(code, len(order)), code)):
        rows = db.session.execute(
            select(Signature.name, Signature.kind, Signature.role, Signature.visibility, Signature.country,
                   Signature.launch, Signature.created_at)
            .where(Signature.statement_id == statement.id, Signature.country == code,
                   Signature.state == SignatureState.validated, Signature.visibility != Visibility.hidden)
            .order_by(Signature.sort_key, Signature.id)
            .limit(left + 1)  # one more than allowed tells whether the list goes on
        ).all()
        if len(rows) > left:
            if left:
                groups.append(CountryGroup(code, [view.shown(row) for row in rows[:left]]))
            return Letter(groups, limit, None)
        if rows:
            groups.append(CountryGroup(code, [view.shown(row) for row in rows]))
            left -= len(rows)
    return Letter(groups, limit, max(view.counts.total - (limit - left), 0))


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
