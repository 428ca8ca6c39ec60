"""The audit log for people: who (the signer, the system), the states before and after, and
the stored ``key: value`` lines of a change, each as a label and a formatted value in the
interface language. What is stored stays as it was written; only its display is translated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from portal import words
from portal.models import ModerationEvent
from portal.text import country_name
from portal.web.moments import when, zone_label

# Actions whose detail is a language code.
LANGUAGE_DETAILS = {"translation_saved", "translation_published", "translation_unpublished",
                    "translation_marked_current", "language_chosen"}


@dataclass(frozen=True)
class Change:
    label: str
    value: str | Markup


def actor_name(label: str) -> str:
    """The audit entry's author: a coordinator's name as stored, or who else acted, in words."""
    return {"signer": _("the signer"), "system": _("the system"),
            "cli": _("the command line")}.get(label, label)


def state_words(event: ModerationEvent, state: str | None) -> str:
    """A state the entry moved from or to, in words (a visibility, for a lowered visibility)."""
    if not state:
        return ""
    if event.action == "visibility_lowered":
        return words.visibility_label(state)
    if event.signature_id:
        return words.signature_state_label(state)
    return words.state_label(state)


def language(code: str) -> Markup:
    """A language's own name and its code, each isolated: "English (en)" inside Arabic text."""
    return Markup('<bdi lang="{0}">{1}</bdi> <bdi dir="ltr">({0})</bdi>').format(
        code, words.language_name(code))


def detail_words(event: ModerationEvent) -> str | Markup:
    if event.action in LANGUAGE_DETAILS and event.detail:
        return language(event.detail)
    return event.detail


def _labels() -> dict[str, str]:
    return {
        "slug": _("Address"), "original_lang": _("Original language"), "moderation": _("Moderation"),
        "allow_organisations": _("Organisations may sign"), "allow_individuals": _("Individuals may sign"),
        "require_confirmation": _("Email confirmation"), "deadline_at": _("Deadline"),
        "publish_at": _("Scheduled publication"), "deadline_tz": _("Time zone"),
        "target_count": _("Target"), "name": _("Name"), "signer_name": _("Signer's name"),
        "role": _("Role"), "website": _("Website"), "country": _("Country"),
        "visibility": _("Visibility"),
    }


def _value(key: str, value: str) -> str | Markup:
    if value in ("", "None"):
        return "—"
    if key in ("deadline_at", "publish_at"):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return value
    formats = {
        "original_lang": language, "deadline_tz": zone_label, "visibility": words.visibility_label,
        "country": lambda code: Markup('{} <bdi dir="ltr">({})</bdi>').format(
            country_name(code, g.get("lang") or str(get_locale())), code),
        "moderation": lambda mode: {"pre": _("before publication"), "post": _("after publication")}.get(
            mode, mode),
    }
    if key in formats:
        return formats[key](value)
    if value in ("True", "False"):
        return _("yes") if value == "True" else _("no")
    return Markup("<bdi>{}</bdi>").format(value)


def changes(text: str) -> list[Change] | str:
    """The stored ``key: value`` lines as labelled, formatted values; a signing pause's
    "open"/"paused" in words; any other text as it was stored."""
    if text in ("open", "paused"):
        return _("open") if text == "open" else _("paused")
    labels = _labels()
    lines = [line.partition(": ") for line in text.splitlines()]
    if not lines or any(not sep or key not in labels for key, sep, _value_ in lines):
        return text
    return [Change(labels[key], _value(key, value)) for key, _sep, value in lines]
