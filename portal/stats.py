"""Statistics of one statement, and a small server-rendered SVG bar chart (no JavaScript)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from markupsafe import Markup, escape
from sqlalchemy import func, select

from .extensions import db
from .models import Signature, SignatureState, Statement, as_utc


@dataclass
class Stats:
    per_day: list[tuple[str, int]] = field(default_factory=list)
    per_hour: list[tuple[str, int]] = field(default_factory=list)  # the first 48 hours
    by_country: list[tuple[str, int]] = field(default_factory=list)
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    by_state: list[tuple[str, int]] = field(default_factory=list)
    to_confirm: dict[str, float] = field(default_factory=dict)  # seconds: median, p90, n
    to_moderate: dict[str, float] = field(default_factory=dict)


def _durations(pairs: list[tuple[datetime, datetime]]) -> dict[str, float]:
    values = sorted((as_utc(b) - as_utc(a)).total_seconds() for a, b in pairs if a and b)
    if not values:
        return {}
    p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
    return {"median": statistics.median(values), "p90": p90, "n": len(values)}


def compute(statement: Statement) -> Stats:
    """Signatures per day and per hour (first 48 h), breakdowns, and waiting times.

    Shadow-rejected (``fraudulent``) rows are left out of the timeline, as they are of the count.
    """
    base = select(Signature).where(Signature.statement_id == statement.id)
    stamps = db.session.execute(
        select(Signature.created_at, Signature.confirmed_at, Signature.moderated_at)
        .where(Signature.statement_id == statement.id, Signature.state != SignatureState.fraudulent)
        .order_by(Signature.created_at)).all()
    result = Stats()
    if stamps:
        created = [as_utc(row.created_at) for row in stamps]
        days = Counter(moment.date() for moment in created)
        first, last = min(days), max(days)
        result.per_day = [((first + timedelta(days=i)).isoformat(), days.get(first + timedelta(days=i), 0))
                          for i in range((last - first).days + 1)][-366:]
        start = created[0].replace(minute=0, second=0, microsecond=0)
        hours = Counter(int((m - start).total_seconds() // 3600) for m in created
                        if m < start + timedelta(hours=48))
        span = max(hours) + 1 if hours else 0
        result.per_hour = [((start + timedelta(hours=h)).strftime("%m-%d %H:00"), hours.get(h, 0))
                           for h in range(span)]
        result.to_confirm = _durations([(r.created_at, r.confirmed_at) for r in stamps])
        result.to_moderate = _durations([(r.confirmed_at, r.moderated_at) for r in stamps])

    def grouped(column) -> list[tuple[str, int]]:
        sub = base.subquery()
        rows = db.session.execute(select(getattr(sub.c, column), func.count())
                                  .group_by(getattr(sub.c, column))).all()
        return sorted(((str(key), n) for key, n in rows), key=lambda kv: (-kv[1], kv[0]))

    result.by_country, result.by_kind, result.by_state = grouped("country"), grouped("kind"), grouped("state")
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
