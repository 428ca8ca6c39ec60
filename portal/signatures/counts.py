"""The stored tallies: kept exact in the same transaction as each state change.

``count_total`` (and its split by kind) counts every validated signature. The per-country
figures count only *listed* ones, shown in full or as "an organisation in <country>": a
signatory who chose "count it, but do not list it" is in the total and nowhere else, so a
country whose only signers are hidden is never published (``CountryTally.n`` and
``Statement.count_countries`` are public figures).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from portal.database import insert_for
from portal.mirrors import transparency
from portal.models import CountryTally, Kind, Signature, SignatureState, Statement, Visibility


def is_listed(visibility: str) -> bool:
    """Shown on the list (in full or by country), so counted in its country's public figure."""
    return visibility != Visibility.hidden


def tally(session: Session, statement_id: int, kind: str, country: str, delta: int, visibility: str) -> None:
    """Add ``delta`` (+1 or -1) validated signatures of ``kind`` from ``country``.

    :param session: the session inside the caller's write transaction.
    :param visibility: the signature's: a hidden one changes the totals only.
    """
    # The statement row first, then its tally row: the same lock order as reconcile(), so
    # the two never deadlock on PostgreSQL.
    is_org = kind == Kind.organisation
    session.execute(
        update(Statement)
        .where(Statement.id == statement_id)
        .values(
            count_total=Statement.count_total + delta,
            count_organisations=Statement.count_organisations + (delta if is_org else 0),
            count_individuals=Statement.count_individuals + (0 if is_org else delta),
            version=Statement.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if is_listed(visibility):
        _list(session, statement_id, country, delta)


def listing_changed(session: Session, signature: Signature, country: str, visibility: str) -> None:
    """Keep the public figures right when a signature's country or visibility changed from
    ``country`` and ``visibility`` to its own (call it in the same transaction).

    Only a validated signature counts; it leaves its old country's listed figure (if it was
    listed) and joins its new one (if it is). The totals do not change, but readers' ETags do.
    """
    if signature.state != SignatureState.validated:
        return
    session.execute(update(Statement).where(Statement.id == signature.statement_id)
                    .values(version=Statement.version + 1).execution_options(synchronize_session=False))
    transparency.listing_changed(session, signature, country, visibility)
    if (country, is_listed(visibility)) == (signature.country, is_listed(signature.visibility)):
        return
    if is_listed(visibility):
        _list(session, signature.statement_id, country, -1)
    if is_listed(signature.visibility):
        _list(session, signature.statement_id, signature.country, +1)


def _list(session: Session, statement_id: int, country: str, delta: int) -> None:
    """Add ``delta`` listed signatures to a country; a country appears or goes at 0."""
    insert = insert_for(session.get_bind())
    stmt = insert(CountryTally).values(statement_id=statement_id, country=country, n=delta)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CountryTally.statement_id, CountryTally.country],
        set_={"n": CountryTally.n + delta},
    ).returning(CountryTally.n)
    n_after = session.execute(stmt).scalar_one()
    new_country = 1 if (delta > 0 and n_after == delta) else -1 if (delta < 0 and n_after == 0) else 0
    _add_countries(session, statement_id, new_country)


def _add_countries(session: Session, statement_id: int, change: int) -> None:
    if change:
        session.execute(
            update(Statement).where(Statement.id == statement_id)
            .values(count_countries=Statement.count_countries + change)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class Drift:
    """A statement whose stored tallies differed from its rows."""

    slug: str
    stored: tuple[int, int, int, int]
    actual: tuple[int, int, int, int]


def reconcile(session: Session, repair: bool = True) -> list[Drift]:
    """Recount every statement from its rows and report (and by default repair) drift.

    Totals count every validated signature; per-country tallies and the number of countries
    count listed ones only (module docstring).

    :param session: a session; repairs are committed by the caller's transaction.
    :returns: one :class:`Drift` per statement whose stored counts were wrong.
    """
    # Lock the statements before counting (a no-op on SQLite, whose write transaction
    # already excludes writers): a state change that is mid-flight commits first and is
    # counted, or waits and lands after the repair, so a repair never undoes an increment.
    statements = session.scalars(
        select(Statement).order_by(Statement.id).with_for_update().execution_options(populate_existing=True)
    ).all()
    validated = Signature.state == SignatureState.validated
    listed = Signature.visibility != Visibility.hidden
    rows = session.execute(
        select(
            Signature.statement_id,
            func.count(),
            func.sum(case((Signature.kind == Kind.organisation, 1), else_=0)),
            func.count(func.distinct(case((listed, Signature.country), else_=None))),
        )
        .where(validated)
        .group_by(Signature.statement_id)
    ).all()
    actual = {sid: (total, int(orgs or 0), total - int(orgs or 0), countries)
              for sid, total, orgs, countries in rows}
    per_country = session.execute(
        select(Signature.statement_id, Signature.country, func.count())
        .where(validated, listed)
        .group_by(Signature.statement_id, Signature.country)
    ).all()
    tallies = {(t.statement_id, t.country): t.n for t in session.scalars(select(CountryTally))}
    expected_tallies = {(sid, c): n for sid, c, n in per_country}
    drifts = []
    for st in statements:
        stored = (st.count_total, st.count_organisations, st.count_individuals, st.count_countries)
        real = actual.get(st.id, (0, 0, 0, 0))
        own_keys = {k for k in tallies.keys() | expected_tallies.keys() if k[0] == st.id}
        tally_drift = any(tallies.get(k, 0) != expected_tallies.get(k, 0) for k in own_keys)
        if stored == real and not tally_drift:
            continue
        drifts.append(Drift(st.slug, stored, real))
        if repair:
            (st.count_total, st.count_organisations, st.count_individuals,
             st.count_countries) = real
            st.version += 1
            for key in own_keys:
                want = expected_tallies.get(key, 0)
                tally_row = session.get(CountryTally, key)
                if tally_row is None:
                    session.add(CountryTally(statement_id=key[0], country=key[1], n=want))
                else:
                    tally_row.n = want
    return drifts
