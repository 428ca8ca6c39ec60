"""Template filters and globals: localised names, dates, numbers and Markdown."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, dates, numbers
from flask import Flask, g
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from portal.models import Statement, as_utc
from portal.statements import markdown
from portal.text import country_name


def _lang() -> str:
    return getattr(g, "lang", None) or str(get_locale())


def language_name(code: str) -> str:
    """A language's name in that language ("français", "العربية")."""
    try:
        locale = Locale.parse(code.replace("-", "_"))
    except ValueError:
        return code
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def visibility_label(visibility: str) -> str:
    """How a signature is shown, in words (the choices on the sign form)."""
    return {"full": _("Show the name in full"), "country": _("Show only the country"),
            "hidden": _("Count it, but do not list it")}.get(visibility, visibility)


def number(value: int) -> str:
    """A number in the interface locale, with the digits Babel gives that locale by default."""
    return numbers.format_decimal(value, locale=get_locale(), numbering_system="default")


def moment(value, zone: str | None = None) -> str:
    """Long date and short time in ``zone`` (UTC by default), then the zone's name, for the locale."""
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local, locale = as_utc(value).astimezone(tz), get_locale()
    pattern = str(locale.datetime_formats["long"]).replace("'", "")
    text = pattern.replace("{0}", dates.format_time(local, "short", locale=locale)).replace(
        "{1}", dates.format_date(local, "long", locale=locale))
    return f"{text} ({dates.get_timezone_name(local, width='long', locale=locale)})"


def list_separator() -> str:
    """The locale's comma between list items (", " in English, "، " in Arabic)."""
    middle = Locale.parse(str(get_locale())).list_patterns["standard"]["middle"]
    return middle.replace("{0}", "").replace("{1}", "")


def bdi(value: str) -> Markup:
    """User text (a name) isolated from the surrounding direction; escaped like any text."""
    return Markup("<bdi>{}</bdi>").format(value)


def isolate(value: str) -> str:
    """User text in plain text (an email): wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL
    ISOLATE, the plain-text <bdi>, so a Latin name in an Arabic sentence (or the reverse)
    cannot reorder the words around it."""
    return f"\u2068{value}\u2069"


def name_hint(statement: Statement) -> str:
    if statement.allow_organisations and statement.allow_individuals:
        return _("The organisation's name, or your own name if you sign as an individual.")
    if statement.allow_organisations:
        return _("The organisation's name, as it should appear in the list.")
    return _("Your name, as it should appear in the list.")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        language_name=language_name,
        country=lambda code: country_name(code, _lang()),
        markdown=markdown.render,
        number=number,
        bdi=bdi,
        isolate=isolate,
        date=lambda moment: format_date(as_utc(moment), format="long"),
        datetime=moment,
    )
    app.jinja_env.globals.update(name_hint=name_hint, list_separator=list_separator,
                                  visibility_label=visibility_label)
