"""The translation editor: text per language, live preview, publishing, the stale flag."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.fragments import render, wants_fragment
from portal.languages import direction, known
from portal.models import Statement
from portal.record import amending
from portal.statements import markdown, translating
from portal.statements.authoring import AuthoringError
from portal.views.manage import bp, form_status
from portal.views.manage.forms import TranslationForm
from portal.web import auth
from portal.web.refusals import attach


def _lang(lang: str) -> str:
    if not known(lang):
        abort(404)
    return lang


def _context(item: Statement, lang: str, form: TranslationForm, **extra) -> dict:
    tr = next((t for t in item.translations if t.lang == lang), None)
    source = translating.original(item)
    return {"statement": item, "lang": lang, "tr": tr, "form": form, "dir": direction(lang),
            "tr_status": translating.status(item, tr), "source": source if source is not tr else None,
            "preview": markdown.render(form.body_md.data or ""),
            "ask_kind": tr is not None and amending.needs_kind(db.session, item, tr), **extra}


@bp.get("/statements/<int:statement_id>/translations")
@auth.login_required
def translation_redirect(statement_id: int):
    """The "another language" form: go to that language's editor."""
    item = auth.statement_for(statement_id)
    lang = (request.args.get("lang") or "").strip()[:16]
    if not known(lang):
        flash(_("Unknown language code."), "error")
        return redirect(url_for(".statement", statement_id=item.id), code=303)
    return redirect(url_for(".translation", statement_id=item.id, lang=lang), code=303)


@bp.route("/statements/<int:statement_id>/translations/<lang>", methods=["GET", "POST"])
@auth.login_required
def translation(statement_id: int, lang: str):
    """Edit the title, summary and Markdown body in one language; "Preview" works without JS."""
    item = auth.statement_for(statement_id)
    lang = _lang(lang)
    tr = next((t for t in item.translations if t.lang == lang), None)
    form = TranslationForm(obj=tr if request.method == "GET" else None)
    if request.method == "POST" and request.form.get("action") == "preview":
        return render_template("manage/translation.html", **_context(item, lang, form, previewing=True))
    # "Publish this language" submits this form: what is published is what is on screen, saved first.
    publishing = request.form.get("action") == "publish"
    if form.validate_on_submit():
        try:
            translating.save(item.id, translating.TranslationInput(
                lang=lang, title=form.title.data, summary=form.summary.data or "",
                body_md=(form.body_md.data or "").replace("\r\n", "\n"), change=form.change.data or ""),
                auth.actor())
            if publishing:
                translating.set_published(item.id, lang, True, auth.actor())
        except AuthoringError as error:
            attach(form, error, fallback="title")
        else:
            flash(_("Saved and published.") if publishing else _("Saved."), "info")
            return redirect(url_for(".translation", statement_id=item.id, lang=lang), code=303)
    return render("manage/translation.html", "manage/_translation_form.html",
                  status=form_status(), **_context(item, lang, form))


@bp.post("/statements/<int:statement_id>/translations/<lang>/preview")
@auth.login_required
def preview(statement_id: int, lang: str):
    """The live preview, through the same sanitising pipeline as the public page."""
    auth.statement_for(statement_id)
    lang = _lang(lang)
    body = (request.form.get("body_md") or "")[:60000]
    return render_template("manage/_preview.html", preview=markdown.render(body), lang=lang,
                           dir=direction(lang), title=(request.form.get("title") or "")[:300],
                           summary=(request.form.get("summary") or "")[:2000])


@bp.post("/statements/<int:statement_id>/translations/<lang>/publish")
@auth.login_required
def publish_translation(statement_id: int, lang: str):
    """Publish this language (readers get it) or take it back to draft."""
    item = auth.statement_for(statement_id)
    lang = _lang(lang)
    published = request.form.get("published") == "1"
    try:
        translating.set_published(item.id, lang, published, auth.actor())
        message, failed = (_("Published.") if published else _("Back to draft.")), False
    except AuthoringError as error:
        message, failed = error.message, True
    return _status_after(item.id, lang, message, failed)


@bp.post("/statements/<int:statement_id>/translations/<lang>/current")
@auth.login_required
def mark_current(statement_id: int, lang: str):
    """Declare a stale translation up to date with the original."""
    item = auth.statement_for(statement_id)
    lang = _lang(lang)
    translating.mark_current(item.id, lang, auth.actor())
    return _status_after(item.id, lang, _("Marked as up to date."), False)


def _status_after(statement_id: int, lang: str, message: str, failed: bool):
    db.session.expire_all()
    item = auth.statement_for(statement_id)
    if wants_fragment():
        return render_template("manage/_translation_status.html", **_context(
            item, lang, TranslationForm(obj=None), message=message, failed=failed)), 409 if failed else 200
    flash(message, "error" if failed else "info")
    return redirect(url_for(".translation", statement_id=statement_id, lang=lang), code=303)
