"""The one language switcher: for every page, the languages that page exists in, each linking to
the same page in that language (the workspace's are buttons that store the choice, see
:mod:`portal.views.manage.language`)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request, url_for

from portal.models import Statement

# Pages about one statement: the same page in another language keeps its URL but the language.
STATEMENT_PAGES = {"statements.show", "statements.signatories", "statements.thanks", "outlets.embed",
                   "outlets.letter", "feeds.updates", "signatures.confirm", "signatures.withdraw",
                   "signatures.manage"}
# A page reached by a POST that failed (the sign form) switches to the page it came from.
SAME_AS = {"statements.sign": "statements.show"}
# What a statement page's address carries that the same page in another language keeps: the
# search, the country filter, the backward cursor, a private key, a co-initiator's code, a list
# version and the printed letter's layout. Others (tracking junk, an ``after`` cursor, which
# belongs to one language's list) are dropped, so a page is the same for every such address.
KEPT_ARGS = {"q", "country", "before", "key", "via", "version", "list"}


@dataclass(frozen=True)
class LanguageLink:
    code: str
    href: str
    current: bool


def statement_languages(statement: Statement) -> list[str]:
    """The languages ``statement`` is published in: the site's interface languages first, in
    their order, then the others alphabetically (one order on every page)."""
    have = {tr.lang for tr in statement.published_translations()}
    order = current_app.config["LANGUAGES"]
    return [code for code in order if code in have] + sorted(have.difference(order))


def chosen_language(statement: Statement) -> str | None:
    """``?lang=`` on a page without a language in its path, when the statement exists in it."""
    wanted = request.args.get("lang", "")
    return wanted if wanted in statement_languages(statement) else None


def language_links() -> list[LanguageLink]:
    """The switcher's links for this request's page."""
    endpoint = request.endpoint or ""
    endpoint = SAME_AS.get(endpoint, endpoint)
    statement: Statement | None = g.get("page_statement")
    current = g.get("lang")
    if statement is None or endpoint not in STATEMENT_PAGES:
        return [LanguageLink(code, url_for("statements.index", lang=code), code == current)
                for code in current_app.config["LANGUAGES"]]
    args = {key: value for key, value in request.args.items() if key in KEPT_ARGS}
    args.update(request.view_args or {})
    if statement.state == "collecting" and g.get("key"):
        args["key"] = g.key
    return [LanguageLink(code, url_for(endpoint, **(args | {"lang": code})), code == current)
            for code in statement_languages(statement)]
