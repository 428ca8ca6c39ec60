"""The emails a signer receives, composed in their language.

Every email goes to an address that nobody has verified yet, so of what the submitter typed
it quotes only the organisation's name, isolated, beside the statement's title and the fixed
choices (country, visibility, language). The signer's name, role and website appear only on
the pages behind the links.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from portal import tokens
from portal.languages import ui_language
from portal.models import Statement, as_utc
from portal.statements.public import text_for
from portal.text import country_name
from portal.words import isolate, language_name, visibility_label


def links(uid: str) -> dict[str, str]:
    """The signer's tokened links for the signature ``uid``, absolute, from ``BASE_URL``."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return {
        "confirm_url": f"{base}/confirm/{tokens.make('confirm', uid)}",
        "withdraw_url": f"{base}/withdraw/{tokens.make('withdraw', uid)}",
        "manage_url": f"{base}/signature/{tokens.make('manage', uid)}",
    }


def _title(statement: Statement, lang: str) -> str:
    return text_for(statement, lang)[0].title


def compose(kind: str, signature, statement: Statement, **extra) -> tuple[str, str]:
    """The subject and body of the email ``kind`` about ``signature`` (a stored row, or any
    object with its ``uid``, ``lang``, ``name``, ``country`` and ``visibility``).

    :param kind: ``confirm`` (check and confirm), ``recorded`` (taken without confirmation),
        ``already`` (this address has signed: here is your link) or ``too_many`` (this address
        has signed for as many organisations as one address may); ``entered`` (a coordinator
        entered it, as the organisation agreed elsewhere) and ``listed`` (a coordinator
        approved it: :mod:`portal.notifications`); ``crackdown`` (no longer listed, for the
        country's safety: only you can show it again; ``earlier`` the choice).
    """
    lang = signature.lang
    with force_locale(ui_language(lang)):  # fr-CA reads French, pt-BR English
        title = _title(statement, lang)
        context = {
            "signature": signature, "title": isolate(title), "name": isolate(signature.name),
            "country": country_name(signature.country, ui_language(lang)),
            "shown_as": visibility_label(signature.visibility), "language": language_name(lang),
            **links(signature.uid), **extra,
        }
        if "earlier" in extra:
            context["earlier_label"] = visibility_label(extra["earlier"])
        signed_at = extra.get("signed_at")
        if isinstance(signed_at, datetime):
            context["signed_on"] = format_date(as_utc(signed_at), format="long")
        subjects = {
            "confirm": _("Please confirm your signature: %(title)s", title=context["title"]),
            "recorded": _("Your signature: %(title)s", title=context["title"]),
            "already": _("Your signature: %(title)s", title=context["title"]),
            "too_many": _("Your signatures: %(title)s", title=context["title"]),
            "entered": _("Your organisation's signature was added: %(title)s", title=context["title"]),
            "listed": _("Your signature is approved: %(title)s", title=context["title"]),
            "crackdown": _("Your organisation is no longer listed: %(title)s", title=context["title"]),
        }
        body = render_template(f"mail/{kind}.txt", **context)
    return subjects[kind], body
