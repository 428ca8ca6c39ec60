"""Statistics of one statement, and a small server-rendered SVG bar chart (no JavaScript)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from markupsafe import Markup, escape
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Signature, SignatureState, Statement, as_utc


@dataclass
class Stats:
    per_day: list[tuple[str, int]] = field(default_factory=list)
    per_hour: list[tuple[str, int]] = field(default_factory=list)  # the first 48 hours
    by_country: list[tuple[str, int]] = field(default_factory=list)
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    by_state: list[tuple[str, int]] = field(default_factory=list)
    to_confirm: dict[str, float] = field(default_factory=dict)  # seconds: median, p90, n
    to_moderate: dict[str, float] = field(default_factory=dict)


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _utc_wall(column):
    """A timestamp as UTC wall-clock time: PostgreSQL keeps timestamptz, SQLite UTC text."""
    return func.timezone("UTC", column) if _postgres() else column


def _durations(begin, end, counted: tuple) -> dict[str, float]:
    """Median and 90th percentile of ``end - begin`` in seconds, over rows that have both."""
    gap = (func.extract("epoch", end - begin) if _postgres()
           else (func.julianday(end) - func.julianday(begin)) * 86400.0)
    values = sorted(map(float, db.session.scalars(
        select(gap).where(*counted, begin.is_not(None), end.is_not(None)))))
    if not values:
        return {}
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    # julianday() differences carry float noise of microseconds: rounded to the millisecond
    return {"median": round(statistics.median(values), 3), "p90": round(p90, 3), "n": len(values)}


def compute(statement: Statement) -> Stats:
    """Signatures per day and per hour (first 48 h), breakdowns, and waiting times.

    Counted by the database (GROUP BY on UTC days and hours), so the page stays quick at a
    million signatures. Shadow-rejected (``fraudulent``) rows are left out of the timeline, as
    they are of the count.
    """
    counted = (Signature.statement_id == statement.id, Signature.state != SignatureState.fraudulent)
    day = func.date(_utc_wall(Signature.created_at))
    days = {date.fromisoformat(str(key)[:10]): n for key, n in db.session.execute(
        select(day, func.count()).where(*counted).group_by(day))}
    result = Stats()
    if days:
        first, last = min(days), max(days)
        result.per_day = [((first + timedelta(days=i)).isoformat(), days.get(first + timedelta(days=i), 0))
                          for i in range((last - first).days + 1)][-366:]
        earliest = as_utc(db.session.scalar(select(func.min(Signature.created_at)).where(*counted)))
        start = earliest.replace(minute=0, second=0, microsecond=0)
        hour = (func.date_trunc("hour", _utc_wall(Signature.created_at)) if _postgres()
                else func.strftime("%Y-%m-%d %H:00:00", Signature.created_at))
        hours = Counter()
        for key, n in db.session.execute(
                select(hour, func.count()).where(*counted, Signature.created_at < start + timedelta(hours=48))
                .group_by(hour)):
            moment = key if isinstance(key, datetime) else datetime.fromisoformat(key)
            hours[int((moment.replace(tzinfo=UTC) - start).total_seconds() // 3600)] += n
        span = max(hours) + 1 if hours else 0
        result.per_hour = [((start + timedelta(hours=h)).strftime("%m-%d %H:00"), hours.get(h, 0))
                           for h in range(span)]
        result.to_confirm = _durations(Signature.created_at, Signature.confirmed_at, counted)
        result.to_moderate = _durations(Signature.confirmed_at, Signature.moderated_at, counted)

    def grouped(column) -> list[tuple[str, int]]:
        rows = db.session.execute(select(column, func.count())
                                  .where(Signature.statement_id == statement.id).group_by(column)).all()
        return sorted(((str(key), n) for key, n in rows), key=lambda kv: (-kv[1], kv[0]))

    result.by_country = grouped(Signature.country)
    result.by_kind, result.by_state = grouped(Signature.kind), grouped(Signature.state)
    return result


def bar_chart(points: list[tuple[str, int]], title: str, ident: str) -> Markup:
    """An accessible SVG bar chart: a <title>, one labelled bar per point, no script, no style."""
    width, height, pad = 720, 220, 28
    n = max(len(points), 1)
    top = max((v for _, v in points), default=0) or 1
    step = (width - 2 * pad) / n
    bar = max(step * 0.8, 1)
    parts = [f'<svg class="chart" id="{escape(ident)}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{escape(ident)}-title" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{escape(ident)}-title">{escape(title)}</title>',
             f'<line class="axis" x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}"/>',
             f'<text class="label" x="{pad}" y="{pad - 10}">{top}</text>']
    for i, (label, value) in enumerate(points):
        h = (height - 2 * pad) * value / top
        x = pad + i * step + (step - bar) / 2
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{height - pad - h:.1f}" width="{bar:.1f}" '
                     f'height="{h:.1f}"><title>{escape(label)}: {value}</title></rect>')
    if points:
        parts.append(f'<text class="label" x="{pad}" y="{height - 8}">{escape(points[0][0])}</text>')
        parts.append(f'<text class="label" x="{width - pad}" y="{height - 8}" text-anchor="end">'
                     f'{escape(points[-1][0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
