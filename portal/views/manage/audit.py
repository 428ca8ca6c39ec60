"""The audit log, filtered by statement, action, actor and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import request
from flask_babel import gettext as _

from portal.accounts import audit as service
from portal.fragments import render
from portal.views.manage import bp
from portal.web import auth, guards


def _day(value: str) -> datetime | None:
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


def action_label(action: str) -> str:
    """An audit action in words; an action unknown to this version shows as written."""
    return {
        "signed": _("signed the statement"),
        "confirmed": _("confirmed the email"),
        "withdrawn": _("withdrew a signature"),
        "approved": _("approved a signature"),
        "rejected": _("rejected a signature"),
        "edited": _("edited a signature"),
        "invalidated": _("invalidated a signature"),
        "bulk_invalidated": _("bulk invalidation"),
        "opened": _("opened signing"),
        "published": _("published the statement"),
        "closed": _("closed signing"),
        "archived": _("archived the statement"),
        "paused": _("paused signing"),
        "resumed": _("resumed signing"),
        "site_paused": _("paused signing site-wide"),
        "site_resumed": _("resumed signing site-wide"),
        "statement_created": _("created the statement"),
        "statement_edited": _("edited the settings"),
        "coordinator_added": _("added a coordinator"),
        "translation_saved": _("saved a translation"),
        "translation_published": _("published a translation"),
        "translation_unpublished": _("withdrew a translation"),
        "translation_marked_current": _("marked a translation current"),
        "exported_full": _("exported with contact emails"),
        "blocked": _("added a block rule"),
        "unblocked": _("removed a block rule"),
        "resubmitted": _("submitted again before confirming"),
        "restored": _("restored"),
        "details_corrected": _("corrected by the signer"),
        "visibility_lowered": _("shown less, by the signer"),
        "correction_requested": _("correction asked for by the signer"),
        "correction_applied": _("applied the signer's correction"),
        "correction_declined": _("declined the signer's correction"),
        "statement_limit_reached": _("signing reached the statement's limit"),
        "allowance_opened": _("opened a launch-event allowance"),
        "allowance_ended": _("ended a launch-event allowance"),
        "password_changed": _("changed their password"),
        "password_reset_issued": _("issued a password reset link"),
        "password_reset_used": _("set a password through a reset link"),
    }.get(action, action)


@bp.app_template_global("action_label")
def _action_label(action: str) -> str:
    return action_label(action)


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
