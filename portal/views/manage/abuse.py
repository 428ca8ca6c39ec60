"""Abuse control in the workspace: block list, trending sources, bulk invalidation.

Administrators see and act on everything; a coordinator only on their own statements
(site-wide rules are for administrators).
"""

from __future__ import annotations

from datetime import UTC

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from portal.abuse import blocklist
from portal.extensions import db
from portal.fragments import render
from portal.models import BlockKind, BlockRule, Statement
from portal.signatures import invalidation
from portal.views.manage import bp
from portal.views.manage.forms import CriteriaForm, RuleForm
from portal.web import auth, guards
from portal.web.refusals import attach


def _scope() -> list[int] | None:
    return auth.managed_ids(auth.current_coordinator())


def _statement_choices(site_wide: bool) -> list[SelectChoice]:
    ids = _scope()
    query = select(Statement.id, Statement.slug).order_by(Statement.slug)
    if ids is not None:
        query = query.where(Statement.id.in_(ids or [-1]))
    first = [SelectChoice("", _("Every statement"))] if site_wide else []
    return first + [SelectChoice(str(ident), slug) for ident, slug in db.session.execute(query)]


def _chosen_statement(raw: str | None) -> int | None:
    """The statement picked in a form: None for every statement (administrators only)."""
    if not raw:
        if _scope() is not None:
            abort(404)
        return None
    return auth.statement_for(guards.id_or_slug(raw)).id


def _rules() -> list[BlockRule]:
    ids = _scope()
    query = select(BlockRule).order_by(BlockRule.id.desc())
    if ids is not None:
        query = query.where(BlockRule.statement_id.in_(ids or [-1]))
    return list(db.session.scalars(query))


def _index_page(form: RuleForm, status: int = 200):
    by_ip, by_domain = invalidation.trending(_scope())
    return render("manage/abuse.html", "manage/_rule_form.html", status=status, form=form,
                  rules=_rules(), by_ip=by_ip, by_domain=by_domain)


def _rule_form() -> RuleForm:
    form = RuleForm()
    form.statement.choices = _statement_choices(site_wide=auth.current_coordinator().is_admin)
    return form


@bp.get("/abuse/")
@auth.login_required
def abuse():
    """Trending sources and the block list."""
    form = _rule_form()
    if request.args.get("kind") in set(BlockKind):
        form.kind.data = request.args["kind"]
        form.value.data = request.args.get("value", "")[:254]
    return _index_page(form)


@bp.post("/abuse/rules")
@auth.login_required
def add_rule():
    """Add a block rule."""
    form = _rule_form()
    if form.validate_on_submit():
        statement_id = _chosen_statement(form.statement.data)
        try:
            blocklist.add_rule(form.kind.data, form.value.data, statement_id, form.note.data or "",
                               auth.actor())
        except blocklist.BlockError as error:
            attach(form, error)
        else:
            flash(_("Blocked. Matching submissions are now quietly set aside."), "info")
            return redirect(url_for(".abuse"), code=303)
    return _index_page(form, status=422)


@bp.post("/abuse/rules/<int:rule_id>/delete")
@auth.login_required
def delete_rule(rule_id: int):
    """Remove a block rule."""
    rule = db.session.get(BlockRule, rule_id) if rule_id < 2**31 else None
    scope = _scope()
    if rule is None or (scope is not None and rule.statement_id not in scope):
        abort(404)
    blocklist.remove_rule(rule.id, auth.actor())
    flash(_("The rule is removed."), "info")
    return redirect(url_for(".abuse"), code=303)


def _criteria(form: CriteriaForm) -> invalidation.Criteria:
    def utc(moment):
        return moment.replace(tzinfo=UTC) if moment else None

    return invalidation.Criteria(
        statement_ids=_scope(), statement_id=_chosen_statement(form.statement.data),
        domain=form.domain.data or "", ip_hash=form.ip_hash.data or "", name=form.name.data or "",
        since=utc(form.since.data), until=utc(form.until.data))


@bp.route("/abuse/invalidate", methods=["GET", "POST"])
@auth.login_required
def invalidate():
    """Bulk invalidation: criteria, a preview count, then the act itself."""
    form = CriteriaForm(request.form if request.method == "POST" else request.args)
    form.statement.choices = _statement_choices(site_wide=auth.current_coordinator().is_admin)
    matched, status = None, 200
    asked = request.method == "POST" or any(request.args.get(k) for k in (
        "domain", "ip_hash", "name", "since", "until"))
    if asked and form.validate():
        criteria = _criteria(form)
        try:
            if request.method == "POST":
                done = invalidation.invalidate(criteria, auth.actor(), form.reason.data or "")
                flash(_("%(n)s signature(s) invalidated; the counts are updated.", n=done), "info")
                return redirect(url_for(".invalidate"), code=303)
            matched = invalidation.preview(criteria)
        except invalidation.CriteriaError as error:
            attach(form, error)
            status = 422
    elif asked:
        status = 422
    return render("manage/invalidate.html", "manage/_criteria.html", status=status, form=form,
                  matched=matched)

