"""Signatory lists to paste and to print: one flat list in the collation order of the names.

The press-release list is plain text in one language: the title, the count, then one line
per listed signatory ("Name (Country)"; "An organisation in Kenya" for one who shows only
the country), and how many asked to be counted only. It follows the public read model, so it
holds exactly what the public page shows.
"""

from __future__ import annotations

from babel import Locale
from flask_babel import force_locale, format_number, get_translations
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.languages import ui_language
from portal.models import Signature, SignatureState, Visibility
from portal.statements.outputs import CountryGroup, Letter
from portal.statements.public import PublicView, Shown
from portal.text import collator, country_name


def flat(view: PublicView, limit: int) -> Letter:
    """Up to ``limit`` listed signatories as one group: names in collation order (the stored
    Unicode Collation Algorithm key), then those who show only their country, by the
    country's name in the view's language.

    One indexed query (``ix_signatures_listing``), for ``limit + 1`` rows at most.
    """
    statement = view.statement
    rows = db.session.execute(
        select(Signature.name, Signature.kind, Signature.role, Signature.visibility, Signature.country,
               Signature.launch, Signature.created_at)
        .where(Signature.statement_id == statement.id, Signature.state == SignatureState.validated,
               Signature.visibility != Visibility.hidden)
        .order_by(Signature.sort_key, Signature.id).limit(limit + 1)).all()
    shown = [view.shown(row) for row in rows[:limit]]
    uca = collator()
    named = [seen for seen in shown if seen.visibility == Visibility.full]
    others = sorted((seen for seen in shown if seen.visibility != Visibility.full),
                    key=lambda seen: uca.sort_key(country_name(seen.country, view.lang)))
    unlisted = max(view.counts.total - len(shown), 0) if len(rows) <= limit else None
    return Letter([CountryGroup("", named + others)], limit, unlisted)


def line(seen: Shown, lang: str) -> str:
    """One signatory as a line of plain text, in the current interface language."""
    country = country_name(seen.country, lang)
    if seen.visibility != Visibility.full:
        if seen.kind == "organisation":
            return _("An organisation in %(country)s", country=country)
        return _("A person in %(country)s", country=country)
    name = f"{seen.name}, {seen.role}" if seen.role else seen.name
    return f"{name} ({country})"


def _plural(singular: str, plural: str, n: int) -> str:
    """The plural form for ``n``, with ``n`` written the locale's way (flask-babel's ngettext
    writes it bare)."""
    return get_translations().ungettext(singular, plural, n) % {"num": format_number(n)}


def press_list(view: PublicView, limit: int, url: str) -> str:
    """The list to paste into a press release, in ``view.lang`` (its interface catalogue).

    :param url: the public list, named when more than ``limit`` signatories are listed.
    """
    lang = view.lang
    with force_locale(ui_language(lang)):
        letter = flat(view, limit)
        middle = Locale.parse(ui_language(lang)).list_patterns["standard"]["middle"]
        counts = view.counts
        summary = middle.format(
            _plural("%(num)s signatory", "%(num)s signatories", counts.total),
            _plural("from %(num)s country", "from %(num)s countries", counts.countries))
        lines = [view.text.title, "", summary + ".", ""]
        lines += [line(seen, lang) for seen in letter.groups[0].signatories]
        if letter.unlisted:
            lines += ["", _plural("%(num)s of them is counted but not listed, by their own choice.",
                                  "%(num)s of them are counted but not listed, by their own choice.",
                                  letter.unlisted)]
        elif not letter.complete:
            lines += ["", _plural("Only the first %(num)s signatory is listed here. The full list:",
                                  "Only the first %(num)s signatories are listed here. The full list:",
                                  limit) + " " + url]
    return "\n".join(lines) + "\n"
