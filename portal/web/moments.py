"""Moments and time zones for people: a date and time in the interface language, isolated from
the text around it (so "UTC" or a Latin zone name cannot reorder an Arabic sentence), and the
time-zone choices: the common zones first, each in the interface language, no deprecated alias."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import dates
from babel.core import get_global
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from portal.models import as_utc

# Where most statements' deadlines fall: offered first in the picker.
COMMON_ZONES = (
    "UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Istanbul", "Europe/Moscow",
    "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi", "Africa/Johannesburg", "Asia/Beirut",
    "Asia/Riyadh", "Asia/Dubai", "Asia/Tehran", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka",
    "Asia/Bangkok", "Asia/Jakarta", "Asia/Hong_Kong", "Asia/Manila", "Asia/Tokyo", "Australia/Sydney",
    "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Bogota", "America/Mexico_City",
    "America/New_York", "America/Chicago", "America/Los_Angeles",
)


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_text(value: datetime, zone: str | None, width: str = "medium") -> tuple[datetime, str]:
    """``value`` in ``zone``, and its date and short time joined as the locale joins them."""
    local, locale = as_utc(value).astimezone(zone_of(zone)), get_locale()
    pattern = str(locale.datetime_formats[width]).replace("'", "")
    text = pattern.replace("{0}", dates.format_time(local, "short", locale=locale)).replace(
        "{1}", dates.format_date(local, width, locale=locale))
    return local, text


def when(value: datetime | None, zone: str | None = None) -> Markup:
    """A moment for the workspace: date, time and zone in the interface language, in a
    ``<time>`` isolated with ``<bdi>``; UTC unless ``zone`` is given."""
    if not value:
        return Markup("")
    local, text = local_text(value, zone)
    width = "short" if zone in (None, "UTC") else "long"
    name = dates.get_timezone_name(local, width=width, locale=get_locale())
    return Markup('<bdi><time datetime="{}">{} ({})</time></bdi>').format(
        as_utc(value).isoformat(timespec="minutes"), text, name)


@lru_cache(maxsize=1)
def canonical_zones() -> tuple[str, ...]:
    """The time zones Babel names canonically (no deprecated alias such as US/Eastern or
    Asia/Calcutta, no Etc/GMT+5), sorted."""
    aliases, named = set(get_global("zone_aliases")), get_global("zone_territories")
    return tuple(sorted(zone for zone in available_timezones() if zone in named and zone not in aliases
                        and not zone.startswith("Etc/")))


def zone_label(zone: str) -> str:
    """A zone as a person knows it: its city and its time's generic name, in the interface
    language ("Paris · Central European Time", "باريس · توقيت وسط أوروبا")."""
    locale = get_locale()
    if zone == "UTC":
        return dates.get_timezone_name(datetime.now(UTC), width="long", locale=locale)
    try:
        city = dates.get_timezone_location(zone, locale=locale, return_city=True)
        return f"{city} · {dates.get_timezone_name(zone, width='long', locale=locale)}"
    except (LookupError, ValueError):
        return zone


def zone_choices(current: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """The picker's options, as option groups of (zone, label): the common zones, then every
    other canonical zone by its label. A zone already stored stays offered."""
    common, others = _labelled(str(get_locale()))
    others = list(others)
    if current and current not in COMMON_ZONES and current not in canonical_zones():
        others.insert(0, (current, current))
    return {_("Common time zones"): list(common), _("Every time zone"): others}


@lru_cache(maxsize=16)
def _labelled(locale: str) -> tuple[tuple, tuple]:
    common = tuple((zone, zone_label(zone)) for zone in COMMON_ZONES)
    others = sorted(((zone, zone_label(zone)) for zone in canonical_zones() if zone not in COMMON_ZONES),
                    key=lambda pair: pair[1])
    return common, tuple(others)
