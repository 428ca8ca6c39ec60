"""The moderation queue: filters, inline and bulk approve/reject, corrections, signals."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.fragments import render, wants_fragment
from portal.models import Kind, Signature, Statement
from portal.signatures import moderation, signals
from portal.signatures.details import SigningError
from portal.text import countries
from portal.views.manage import bp, form_status
from portal.views.manage.forms import EditSignatureForm, RejectForm
from portal.web import auth, guards
from portal.web.refusals import attach


def _filters(statement_id: int | None) -> moderation.QueueFilter:
    args = request.args
    state = args.get("state", "confirmed")
    kind = args.get("kind", "")
    return moderation.QueueFilter(
        statement_ids=auth.managed_ids(auth.current_coordinator()), statement_id=statement_id,
        state=state if state in moderation.STATES else "confirmed",
        kind=kind if kind in set(Kind) else "", country=args.get("country", "")[:2].upper(),
        q=args.get("q", "")[:100].strip(), order="newest" if args.get("order") == "newest" else "oldest",
        after_id=guards.bounded_id(args.get("after")))


def _queue(statement: Statement | None):
    f = _filters(statement.id if statement else None)
    rows, next_id = moderation.queue(f)
    me = auth.current_coordinator()
    visible = None if f.statement_ids is None else set(f.statement_ids)
    slugs = dict(db.session.execute(select(Statement.id, Statement.slug).where(
        Statement.id.in_(sorted({r.statement_id for r in rows}) or [-1]))).all())
    context = {
        "statement": statement, "rows": rows, "next_id": next_id, "f": f, "slugs": slugs,
        "signals": signals.signals_for([r for r in rows if r.state in ("pending", "confirmed")], visible),
        "issued": moderation.issue_ids([r.id for r in rows], me.id),
        "countries": countries(str(get_locale())),
        "next_url": url_for(request.endpoint, **(request.view_args or {}),
                            **(request.args.to_dict() | {"after": next_id})) if next_id else None,
        "states": moderation.STATES, "reject_form": RejectForm(), "back": request.full_path.rstrip("?"),
    }
    return render("manage/queue.html", "manage/_queue.html", **context)


@bp.get("/moderation")
@auth.login_required
def queue():
    """Signatures across every statement this coordinator manages."""
    return _queue(None)


@bp.get("/statements/<int:statement_id>/moderation")
@auth.login_required
def statement_queue(statement_id: int):
    """Signatures of one statement."""
    return _queue(auth.statement_for(statement_id))


def _back(default: str) -> str:
    return auth.safe_next(request.form.get("next") or request.args.get("next")) or default


def _decide(signature_id: int, approve: bool):
    signature = auth.signature_for(signature_id)
    reason = (request.form.get("reason") or "")[:500]
    changed = moderation.decide(signature.id, approve, auth.actor(), reason)
    if changed:
        message = _("Approved.") if approve else _("Rejected.")
    else:
        message = _("Nothing to do: this signature was already moderated or is not confirmed yet.")
    return _row_answer(signature.id, message, failed=not changed)


@bp.post("/signatures/<int:signature_id>/approve")
@auth.login_required
def approve(signature_id: int):
    """Approve one signature: it counts (and shows, by its visibility)."""
    return _decide(signature_id, True)


@bp.post("/signatures/<int:signature_id>/reject")
@auth.login_required
def reject(signature_id: int):
    """Reject one signature, with an optional reason."""
    return _decide(signature_id, False)


def _row_answer(signature_id: int, message: str, failed: bool = False):
    """After a one-row action: the refreshed row for htmx, a 303 back for a plain browser."""
    if wants_fragment():
        db.session.expire_all()
        signature = db.session.get(Signature, signature_id)
        return render_template("manage/_signature.html", row=signature, message=message, decided=True,
                               slugs={signature.statement_id: signature.statement.slug}, signals={},
                               reject_form=RejectForm(), back=_back(""), f=None)
    flash(message, "error" if failed else "info")
    signature = db.session.get(Signature, signature_id)
    return redirect(_back(url_for(".statement_queue", statement_id=signature.statement_id)), code=303)


@bp.post("/signatures/<int:signature_id>/restore")
@auth.login_required
def restore(signature_id: int):
    """Undo a shadow rejection: the owner gets the confirmation email and still has to confirm."""
    signature = auth.signature_for(signature_id)
    try:
        restored = moderation.restore(signature.id, auth.actor())
    except moderation.ModerationError as error:
        return _row_answer(signature.id, error.message, failed=True)
    return _row_answer(signature.id, _("Restored: the confirmation email is on its way.") if restored
                       else _("Nothing to do: this signature is not set aside."))


@bp.post("/signatures/<int:signature_id>/correction")
@auth.login_required
def correction(signature_id: int):
    """Apply or decline the corrections a signer asked for after approval."""
    signature = auth.signature_for(signature_id)
    accept = request.form.get("action") == "apply"
    try:
        changed = moderation.decide_correction(signature.id, accept, auth.actor())
    except SigningError as error:
        return _row_answer(signature.id, error.message, failed=True)
    if not changed:
        return _row_answer(signature.id, _("Nothing to do: no correction is waiting."))
    return _row_answer(signature.id, _("Correction applied.") if accept else _("Correction declined."))


@bp.post("/moderation/bulk")
@auth.login_required
def bulk():
    """Approve or reject up to 50 selected signatures that this page issued."""
    me = auth.current_coordinator()
    back = _back(url_for(".queue"))
    approve = request.form.get("action") == "approve"
    if request.form.get("action") not in ("approve", "reject"):
        abort(400)
    try:
        ids = moderation.accept_ids(request.form.get("issued", ""), request.form.getlist("ids"), me.id)
        for ident in ids:
            auth.signature_for(ident)  # 404 unless every one is still this coordinator's to manage
        changed = moderation.bulk(ids, approve, auth.actor(), request.form.get("reason", "")[:500])
    except moderation.ModerationError as error:
        flash(error.message, "error")
        return redirect(back, code=303) if not wants_fragment() else (
            render_template("manage/_bulk_result.html", message=error.message, failed=True), 422)
    message = (_("%(n)d approved.", n=changed) if approve else _("%(n)d rejected.", n=changed))
    if wants_fragment():
        return render_template("manage/_bulk_result.html", message=message, failed=False)
    flash(message, "info")
    return redirect(back, code=303)


@bp.route("/signatures/<int:signature_id>/edit", methods=["GET", "POST"])
@auth.login_required
def edit_signature(signature_id: int):
    """Correct the public display name; the original stays in the audit log."""
    signature = auth.signature_for(signature_id)
    form = EditSignatureForm(obj=signature if request.method == "GET" else None)
    back = _back(url_for(".statement_queue", statement_id=signature.statement_id))
    if form.validate_on_submit():
        try:
            changed = moderation.correct(moderation.Correction(
                signature.id, form.name.data, form.signer_name.data or "", form.role.data or "",
                form.note.data or ""), auth.actor())
        except moderation.ModerationError as error:
            attach(form, error, fallback="name")
        else:
            flash(_("Corrected.") if changed else _("Nothing changed."), "info")
            return redirect(back, code=303)
    return render("manage/edit_signature.html", "manage/_edit_signature.html",
                  status=form_status(), form=form, signature=signature, back=back)


