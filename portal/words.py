"""Words for people, in the interface language: stored codes (statement and signature states,
audit actions, visibilities, the reasons a submission was set aside), language names, and
user text isolated in plain text. Every page, email and export that shows one of these reads
it from here. Needs an application context for the catalogue, never a request."""

from __future__ import annotations

from babel import Locale
from flask_babel import gettext as _


def state_label(state: str) -> str:
    """A statement state in words."""
    return {
        "draft": _("draft"), "collecting": _("collecting (private link)"), "published": _("published"),
        "closed": _("closed"), "archived": _("archived"),
    }.get(state, state)


def signature_state_label(state: str) -> str:
    """A signature state in words."""
    return {
        "pending": _("email not confirmed yet"), "confirmed": _("confirmed, awaiting approval"),
        "validated": _("approved"), "rejected": _("rejected"), "withdrawn": _("withdrawn"),
        "fraudulent": _("set aside as fraudulent"), "invalidated": _("invalidated"),
        "corrections": _("corrections asked for by signers"), "all": _("all"),
    }.get(state, state)


def action_label(action: str) -> str:
    """An audit action in words; an action unknown to this version shows as written."""
    return {
        "signed": _("signed the statement"),
        "confirmed": _("confirmed the email"),
        "withdrawn": _("withdrew a signature"),
        "approved": _("approved a signature"),
        "rejected": _("rejected a signature"),
        "edited": _("edited a signature"),
        "invalidated": _("invalidated a signature"),
        "bulk_invalidated": _("bulk invalidation"),
        "opened": _("opened signing"),
        "published": _("published the statement"),
        "closed": _("closed signing"),
        "archived": _("archived the statement"),
        "paused": _("paused signing"),
        "resumed": _("resumed signing"),
        "site_paused": _("paused signing site-wide"),
        "site_resumed": _("resumed signing site-wide"),
        "statement_created": _("created the statement"),
        "statement_edited": _("edited the settings"),
        "coordinator_added": _("added a coordinator"),
        "translation_saved": _("saved a translation"),
        "translation_published": _("published a translation"),
        "translation_unpublished": _("withdrew a translation"),
        "translation_marked_current": _("marked a translation current"),
        "exported_full": _("exported with contact emails"),
        "blocked": _("added a block rule"),
        "unblocked": _("removed a block rule"),
        "resubmitted": _("submitted again before confirming"),
        "restored": _("restored"),
        "details_corrected": _("corrected by the signer"),
        "visibility_lowered": _("shown less, by the signer"),
        "correction_requested": _("correction asked for by the signer"),
        "correction_applied": _("applied the signer's correction"),
        "correction_declined": _("declined the signer's correction"),
        "statement_limit_reached": _("signing reached the statement's limit"),
        "allowance_opened": _("opened a launch-event allowance"),
        "allowance_ended": _("ended a launch-event allowance"),
        "password_changed": _("changed their password"),
        "password_reset_issued": _("issued a password reset link"),
        "password_reset_used": _("set a password through a reset link"),
        "second_factor_added": _("added a second factor"),
        "second_factor_removed": _("removed a second factor"),
        "second_factors_reset": _("reset someone's second factors"),
        "recovery_code_used": _("logged in with a recovery code"),
        "recovery_codes_issued": _("made new recovery codes"),
        "second_factor_required": _("required a second factor of everyone"),
        "second_factor_optional": _("made the second factor optional"),
    }.get(action, action)


def visibility_label(visibility: str) -> str:
    """How a signature is shown, in words (the choices on the sign form)."""
    return {"full": _("Show the name in full"), "country": _("Show only the country"),
            "hidden": _("Count it, but do not list it")}.get(visibility, visibility)


def reason_labels(reasons: str) -> list[str]:
    """Why a submission was set aside, in words, for the moderation queue."""
    words = {
        "client_rate": _("too many submissions from one network (per-client limit)"),
        "honeypot": _("the hidden field that people never see was filled"),
        "too_fast": _("the form was sent back within seconds of opening it"),
        "no_stamp": _("the form came back without its time stamp"),
    }
    labels = []
    for code in filter(None, (reasons or "").split(";")):
        if code.startswith("rule:"):
            _rule, kind, ident = (code.split(":") + ["", ""])[:3]
            labels.append(_("a block rule (%(kind)s, rule %(id)s)", kind=kind, id=ident))
        else:
            labels.append(words.get(code, code))
    return labels


def language_name(code: str) -> str:
    """A language's name in that language ("français", "العربية")."""
    try:
        locale = Locale.parse(code.replace("-", "_"))
    except ValueError:
        return code
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def isolate(value: str) -> str:
    """User text in plain text (an email): wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL
    ISOLATE, the plain-text <bdi>, so a Latin name in an Arabic sentence (or the reverse)
    cannot reorder the words around it."""
    return f"\u2068{value}\u2069"
