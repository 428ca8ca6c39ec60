"""Words for people, in the interface language: stored codes (statement and signature states,
audit actions, visibilities, the reasons a submission was set aside), language names, and
user text isolated in plain text. Every page, email and export that shows one of these reads
it from here. Needs an application context for the catalogue, never a request."""

from __future__ import annotations

from unicodedata import bidirectional

from babel import Locale
from flask_babel import get_locale
from flask_babel import gettext as _

from portal.languages import direction


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
        "coordinator_removed": _("removed a coordinator from the statement"),
        "reopened": _("reopened signing"),
        "signature_entered": _("entered a signature by hand"),
        "digest_settings": _("changed their digest settings"),
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
        "organisation_created": _("added an organisation to the roster"),
        "organisation_edited": _("changed an organisation of the roster"),
        "organisation_deleted": _("removed an organisation from the roster"),
        "organisations_imported": _("imported organisations from CSV"),
        "organisations_merged": _("merged two organisations"),
        "roster_exported": _("exported the roster with contact addresses"),
        "invitations_sent": _("sent invitations"),
        "invitations_reminded": _("reminded invited organisations"),
        "invitation_signed": _("signed through an invitation"),
        "invitation_declined": _("declined an invitation"),
        "access_changed": _("changed who may sign"),
        "co_initiator_added": _("named a co-initiator"),
        "co_initiator_removed": _("removed a co-initiator"),
        "language_chosen": _("chose the workspace language"),
        "contact_key_set": _("registered the contact key"),
        "contacts_resealed": _("re-sealed contacts to a new key"),
        "crackdown": _("crackdown switch: a country's signatories no longer listed"),
        "crackdown_lowered": _("no longer listed, by the crackdown switch"),
        "crackdown_lifted": _("shown again, by the signer"),
        "second_factor_added": _("added a second factor"),
        "second_factor_removed": _("removed a second factor"),
        "second_factors_reset": _("reset someone's second factors"),
        "recovery_code_used": _("logged in with a recovery code"),
        "recovery_codes_issued": _("made new recovery codes"),
        "second_factor_required": _("required a second factor of everyone"),
        "second_factor_optional": _("made the second factor optional"),
    }.get(action) or record_action(action)


def record_action(action: str) -> str:
    """The record's audit actions (portal/record/) in words."""
    return {
        "reconsent_asked": _("asked to keep the signature after an amendment"),
        "reconsent_kept": _("kept the signature on the amended text"),
        "reconsent_lapsed": _("did not answer after an amendment"),
        "delivery_recorded": _("recorded a delivery"),
        "update_posted": _("posted an update"),
        "updates_stopped": _("stopped updates"),
        "record_settings": _("changed the trust and amendment settings"),
    }.get(action, action)


def channel_label(channel: str) -> str:
    """How an organisation agreed to a signature a coordinator entered, in words."""
    return {
        "email": _("by email"), "signal": _("by Signal"), "phone": _("by phone"), "paper": _("on paper"),
        "other": _("another way"),
    }.get(channel, channel)


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


def isolate(value: str, lang: str | None = None) -> str:
    """User text in plain text (an email), wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL
    ISOLATE, the plain-text <bdi>, where it needs it: when it holds a letter that runs against
    the sentence's direction (a Latin name in Arabic, an Arabic one in English), so it cannot
    reorder the words around it. A name in the sentence's own direction stays as typed: some
    mail clients show the marks as boxes."""
    rtl = direction(lang or str(get_locale())) == "rtl"
    kinds = {bidirectional(ch) for ch in value}
    if ("L" in kinds and rtl) or (kinds & {"R", "AL"} and not rtl):
        return f"\u2068{value}\u2069"
    return value
