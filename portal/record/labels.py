"""The record's stored codes in words, for pages and emails (needs an application context)."""

from __future__ import annotations

from flask_babel import gettext as _


def version_kind(kind: str) -> str:
    """What kind of version this is, in words."""
    return {"first": _("first version"), "editorial": _("correction"),
            "substantive": _("amendment")}.get(kind, kind)


def as_of() -> int | None:
    """``?version=N`` of a list request ("the list as of version N"), or None."""
    from flask import request

    raw = request.args.get("version", "")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 else None
