"""The one place that gives templates their filters and globals: localised names, dates,
numbers, Markdown, stored codes in words, and the page's tokens."""

from __future__ import annotations

from datetime import timedelta

from babel import Locale, dates, numbers
from flask import Flask, g
from flask_babel import format_date, format_timedelta, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from portal.models import Statement, as_utc
from portal.statements import markdown
from portal.text import country_name
from portal.web.moments import local_text, when, zone_label


def _lang() -> str:
    return getattr(g, "lang", None) or str(get_locale())


def number(value: int) -> str:
    """A number in the interface locale, with the digits Babel gives that locale by default."""
    return numbers.format_decimal(value, locale=get_locale(), numbering_system="default")


def moment(value, zone: str | None = None) -> str:
    """Long date and short time in ``zone`` (UTC by default), then the zone's name, for the locale."""
    local, text = local_text(value, zone, "long")
    return f"{text} ({dates.get_timezone_name(local, width='long', locale=get_locale())})"


def list_separator() -> str:
    """The locale's comma between list items (", " in English, "، " in Arabic)."""
    middle = Locale.parse(str(get_locale())).list_patterns["standard"]["middle"]
    return middle.replace("{0}", "").replace("{1}", "")


def bdi(value: str) -> Markup:
    """User text (a name) isolated from the surrounding direction; escaped like any text."""
    return Markup("<bdi>{}</bdi>").format(value)


def isoutc(moment) -> str:
    """A moment as an unambiguous UTC string for the workspace, e.g. 2026-11-24 07:50 UTC."""
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def seconds(value: float) -> str:
    """A duration in the largest sensible unit, localised."""
    return format_timedelta(timedelta(seconds=value), threshold=1.5)


def name_hint(statement: Statement) -> str:
    if statement.allow_organisations and statement.allow_individuals:
        return _("The organisation's name, or your own name if you sign as an individual.")
    if statement.allow_organisations:
        return _("The organisation's name, as it should appear in the list.")
    return _("Your name, as it should appear in the list.")


def init_app(app: Flask) -> None:
    """Every template filter, global and context value the app's templates use, in one place."""
    from portal import words
    from portal.abuse.screening import fill_stamp
    from portal.record import labels
    from portal.signatures.signer import proposal
    from portal.web import changes
    from portal.web.caching import page_csrf_token
    from portal.web.switcher import language_links
    from portal.web.widgets import country_options

    app.jinja_env.filters.update(
        language_name=words.language_name,
        country=lambda code: country_name(code, _lang()),
        markdown=markdown.render,
        number=number,
        bdi=bdi,
        isolate=words.isolate,
        date=lambda moment: format_date(as_utc(moment), format="long"),
        datetime=moment,
        isoutc=isoutc,
        when=when,
        zone=zone_label,
        seconds=seconds,
        day=lambda value: format_date(value, format="long"),  # a calendar date (no time zone)
    )
    app.jinja_env.globals.update(
        name_hint=name_hint, list_separator=list_separator, visibility_label=words.visibility_label,
        state_label=words.state_label, signature_state_label=words.signature_state_label,
        action_label=words.action_label, reason_labels=words.reason_labels, proposal=proposal,
        fill_stamp=fill_stamp, page_csrf_token=page_csrf_token,
        country_options=country_options, channel_label=words.channel_label,
        version_kind=labels.version_kind, language_links=language_links, actor_name=changes.actor_name,
        state_words=changes.state_words, detail_words=changes.detail_words, changes=changes.changes,
        language_with_code=changes.language,
    )
