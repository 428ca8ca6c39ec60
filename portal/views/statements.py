"""Public statement pages: the list, the statement, its count, signatories and signing."""

from __future__ import annotations

from functools import partial

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup

from portal import tokens
from portal.extensions import csrf, db
from portal.fragments import render, wants_fragment
from portal.models import Kind, Statement, StatementState
from portal.network import initiators
from portal.record import trust
from portal.record.labels import as_of
from portal.signatures import signing
from portal.signatures.signing import closed_message
from portal.statements import public
from portal.statements import reading as service
from portal.text import countries
from portal.views.forms import SignForm
from portal.web import caching, pagecache
from portal.web.locale import pull_lang
from portal.web.reading import public_statement, public_view
from portal.web.refusals import attach
from portal.web.widgets import CountrySelect

bp = Blueprint("statements", __name__, url_prefix="/<lang>")


@bp.url_value_preprocessor
def _pull_lang(endpoint, values):
    pull_lang(endpoint, values)
    g.public = True  # no session, so no cookie: these pages are cached and shared


@bp.url_defaults
def _add_lang(endpoint, values):
    if "lang" not in values and getattr(g, "lang", None):
        values["lang"] = g.lang


def _cached(statement: Statement, response=None, *, part: str = ""):
    """Without a response: a 304 if the reader's copy is current, else None.
    With one: its caching headers (public, or private for a statement still collecting)."""
    tag = caching.etag([statement], part, by_fragment=not part)
    mark = caching.private if statement.state == "collecting" else caching.public
    if response is None:
        return mark(make_response("", 304), tag) if caching.not_modified(tag) else None
    return mark(response, tag)


def _sign_form(statement: Statement, form: SignForm | None = None) -> SignForm:
    form = form or SignForm(meta={"csrf": False})
    # The options come from a per-language cache; the field does not validate against choices.
    form.country.widget = CountrySelect(g.lang, _("Choose a country"))
    if not statement.allow_individuals:
        form.kind.data = Kind.organisation.value
    elif not statement.allow_organisations:
        form.kind.data = Kind.individual.value
        form.name.label.text = _("Your full name")
    else:
        form.name.label.text = _("Organisation name, or your own name if you sign as an individual")
        form.signer_name.label.text = _("Your name, if you sign for an organisation")
    return form


def _filters() -> dict:
    return {"q": request.args.get("q", "")[:100].strip(),
            "country": request.args.get("country", "")[:2].upper(),
            "cursor": request.args.get("after", "")[:1000], "before": request.args.get("before", "")[:1000],
            "version": as_of()}


def _listed_countries(statement: Statement) -> list[tuple[str, str, int]]:
    """The filter's choices: countries with listed signatories, by name, with their counts."""
    counts = service.listed_countries(statement)
    return [(code, name, counts[code]) for code, name in countries(g.lang) if code in counts]


def _page_context(statement: Statement, form: SignForm | None = None) -> dict:
    view = public_view(statement)
    filters = _filters()
    try:
        page = service.signatories(statement, limit=current_app.config["SIGNATORIES_PER_PAGE"], **filters)
    except service.BadCursor:
        abort(400)  # a link this list did not hand out (or another statement's)
    return {"view": view, "statement": statement, "tr": view.text, "page": page, "filters": filters,
            "form": _sign_form(statement, form) if view.can_sign else None,
            "countries": _listed_countries(statement), "key": g.get("key"),
            "initiators": initiators.listed(statement.id), "via": initiators.code(request.values.get("via")),
            "record": trust.of(statement, view.text.lang, g.lang)}


@bp.get("/")
def index():
    """Published statements, newest first, with their counts; then those whose signing has
    closed (closed or archived), whose pages stay."""
    statements = public.listed()
    tag = caching.etag(statements)
    personal = request.cookies.get("lang") not in (None, g.lang)
    if not personal and caching.not_modified(tag):
        return caching.public(make_response("", 304), tag)
    views = public.views_of(statements, g.lang)
    current = [view for view in views if view.statement.state == StatementState.published]
    past = [view for view in views if view.statement.state != StatementState.published]
    response = make_response(render_template("statements/index.html", items=current, past=past))
    if personal:
        # Remember a change of language for "/"; only such a response is personal.
        response.set_cookie("lang", g.lang, max_age=365 * 86400, samesite="Lax", httponly=True)
        response.headers["Cache-Control"] = "private, no-cache"
        return response
    return caching.public(response, tag)


@bp.get("/s/<slug>")
def show(slug: str):
    """The statement page."""
    statement = public_statement(slug)
    if unchanged := _cached(statement):
        return unchanged
    via = initiators.code(request.values.get("via"))
    key = pagecache.page_key(statement, public_view(statement), _filters(), via)
    html = pagecache.rendered(pagecache.PAGES, key, partial(_show, statement))
    return _cached(statement, make_response(html))


def _show(statement: Statement) -> str:
    """The statement page as rendered (a kept copy stands in for it while nothing changed)."""
    context = _page_context(statement)
    if context["form"] is not None:
        context["sign_form_html"] = Markup(pagecache.blank_sign_form(statement, context))
    return render_template("statements/show.html", **context)


@bp.get("/s/<slug>/signatories")
def signatories(slug: str):
    """A page of the list, with search and the country filter."""
    statement = public_statement(slug)
    if unchanged := _cached(statement):
        return unchanged
    context = _page_context(statement)
    response = render("statements/signatories.html", "statements/_signatories.html", **context)
    if wants_fragment():
        # The address bar gets the statement page at this position, which reloads whole.
        filters = context["filters"]
        response.headers["HX-Push-Url"] = url_for(
            ".show", slug=slug, key=g.get("key"), q=filters["q"] or None, country=filters["country"] or None,
            after=filters["cursor"] or None, before=filters["before"] or None)
    return _cached(statement, response)


@bp.get("/s/<slug>/count")
def count(slug: str):
    """The counter fragment that the page polls; 304 while unchanged, 286 once signing has
    closed (a pause keeps it polling)."""
    statement = public_statement(slug)
    if unchanged := _cached(statement, part="count"):
        return unchanged
    view = public_view(statement)
    html = render_template("statements/_count.html", view=view, statement=statement, key=g.get("key"))
    return _cached(statement, make_response(html, 200 if view.signing.live else 286), part="count")


@bp.post("/s/<slug>/sign")
@csrf.exempt  # the session-free form token below stands in for the session's
def sign(slug: str):
    """Take a signature: 303 to the thank-you page, or the thank-you fragment for htmx."""
    statement = public_statement(slug)
    if caching.cross_site():
        abort(403)
    if not tokens.check_form_token(statement.slug, request.form.get("csrf_token")
                                   or request.headers.get("X-CSRFToken")):
        return resubmit_after_csrf()
    form = _sign_form(statement, SignForm(meta={"csrf": False}))
    view = public_view(statement)
    if view.can_sign and form.validate_on_submit():
        try:
            signing.sign(signing.SignRequest(
                statement_id=statement.id, kind=form.kind.data, name=form.name.data,
                country=form.country.data, email=form.email.data, lang=g.lang,
                visibility=form.visibility.data, signer_name=form.signer_name.data or "",
                role=form.role.data or "", website=form.website.data or "",
                org_type=form.org_type.data or "", authorised=form.authorised.data,
                keep_informed=form.keep_informed.data,
                ip=request.remote_addr,
                honeypot=request.form.get("comment", ""), started=request.form.get("started", ""),
            ))
        except signing.SigningError as error:
            attach(form, error)
            if isinstance(error, signing.SigningBusy):
                # Honest, and nothing lost: the form comes back filled in, to be sent again.
                response = render("statements/sign.html", "statements/_sign_form.html", status=429,
                                  **(_page_context(statement, form) | {"form": form}))
                response.headers["Retry-After"] = "60"
                return response
        else:
            initiators.record_source(statement.id, form.email.data, form.name.data,
                                     request.form.get("via", ""))
            if wants_fragment():
                db.session.refresh(statement)
                return render_template("statements/_thanks.html", view=public.view_of(statement, g.lang),
                                       statement=statement, key=g.get("key"), oob=True)
            return redirect(url_for(".thanks", slug=slug, key=g.get("key")), code=303)
    elif not view.can_sign:
        form.form_errors.append(closed_message(view.signing))
    return render("statements/sign.html", "statements/_sign_form.html", status=422,
                  **(_page_context(statement, form) | {"form": form}))


@bp.get("/s/<slug>/thanks")
def thanks(slug: str):
    """What a signer sees after submitting, whether or not they had signed before."""
    statement = public_statement(slug)
    if unchanged := _cached(statement, part="thanks"):
        return unchanged
    view = public_view(statement)
    html = render_template("statements/thanks.html", view=view, statement=statement, tr=view.text,
                           key=g.get("key"))
    return _cached(statement, make_response(html), part="thanks")  # the same page for every signer


def resubmit_after_csrf():
    """An expired form: say so and give it back filled in, so nothing typed is lost."""
    statement = public_statement(request.view_args["slug"])
    form = _sign_form(statement, SignForm(meta={"csrf": False}))
    form.form_errors.append(_("This form had expired, so it was not sent. "
                              "Check your details and send it again."))
    return render("statements/sign.html", "statements/_sign_form.html", status=400,
                  **(_page_context(statement, form) | {"form": form}))
