"""The audit log, filtered by statement, action, actor and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import request

from portal.accounts import audit as service
from portal.fragments import render
from portal.views.manage import bp
from portal.web import auth, guards


def _day(value: str) -> datetime | None:
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


@bp.get("/audit")
@auth.login_required
def audit():
    """Who did what, when (UTC), before and after; newest first."""
    args = request.args
    ids = auth.managed_ids(auth.current_coordinator())
    statement = args.get("statement", "")
    statement_id = auth.statement_for(guards.id_or_slug(statement)).id if statement else None
    until = _day(args.get("until", ""))
    f = service.AuditFilter(
        statement_ids=ids, statement_id=statement_id, action=args.get("action", "")[:40],
        actor=args.get("actor", "")[:60], since=_day(args.get("since", "")),
        until=until + timedelta(days=1) if until else None,
        before_id=guards.bounded_id(args.get("before")))
    events = service.events(f)
    more = args.to_dict() | {"before": events[-1].id} if len(events) == f.limit else None
    return render("manage/audit.html", "manage/_audit.html", events=events, f=f, args=args, more=more,
                  actions=service.actions(ids), slugs=service.slugs({e.statement_id for e in events
                                                                  if e.statement_id}))
