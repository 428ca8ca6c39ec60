"""What the owner of an address does through the links in their emails: confirm (after checking
and correcting every field that will be published), withdraw, lower the visibility at once,
and ask for corrections, which wait for a coordinator once the signature is approved.

The tokens prove control of the address; nothing here trusts anything else.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

from flask_babel import gettext as _
from sqlalchemy import select

from portal import tokens
from portal.database import write
from portal.models import LIVE_STATES, Signature, SignatureState, Visibility
from portal.signatures.counts import listing_changed
from portal.signatures.details import SigningError, check_details
from portal.signatures.signing import Outcome, confirm_now
from portal.signatures.transitions import event, move
from portal.text import fold, listing_key, name_key, normalise_website

# From most to least shown: lowering is the signer's right at any moment, raising is a change
# of what the public sees that a coordinator approves once the signature is listed.
RANK = {Visibility.full: 2, Visibility.country: 1, Visibility.hidden: 0}
EDITABLE = ("name", "signer_name", "role", "website", "country")


@dataclass(frozen=True)
class Details:
    """The published fields as the owner sets them on the confirm or "your signature" page."""

    name: str
    signer_name: str
    role: str
    website: str
    country: str
    visibility: str

    def cleaned(self, kind: str) -> Details:
        """Stripped and normalised, and checked like a new signature's.

        :raises SigningError: naming the first field that breaks a rule.
        """
        details = Details(self.name.strip(), self.signer_name.strip(), self.role.strip(),
                          normalise_website(self.website), self.country, self.visibility)
        check_details(kind, details.country, details.visibility,
                      {"name": details.name, "signer_name": details.signer_name, "role": details.role},
                      details.website)
        return details


def by_token(session, purpose: str, token: str) -> Signature | None:
    """The signature a valid ``purpose`` token names, or None."""
    uid = tokens.read(purpose, token)
    if uid is None:
        return None
    return session.scalars(select(Signature).where(Signature.uid == uid)).one_or_none()


def name_taken(session, signature: Signature, key: str) -> bool:
    """True if another live signature of this address on this statement has the name ``key``."""
    return key != signature.name_key and session.scalar(select(Signature.id).where(
        Signature.statement_id == signature.statement_id, Signature.id != signature.id,
        Signature.email_canonical == signature.email_canonical, Signature.name_key == key,
        Signature.state.in_(LIVE_STATES))) is not None


def apply_details(session, signature: Signature, details: Details) -> None:
    """Write ``details`` onto a row; another live row of this address with the new name is refused."""
    key = name_key(details.name)
    if name_taken(session, signature, key):
        raise SigningError("name", _("This address has already signed for an organisation of this name."))
    country, visibility = signature.country, signature.visibility
    for field, value in asdict(details).items():
        setattr(signature, field, value)
    signature.name_key = key
    signature.sort_key = listing_key(details.name, details.visibility, details.country)
    signature.search_text = fold(details.name)
    session.flush()
    listing_changed(session, signature, country, visibility)


def _note(session, signature: Signature, action: str, detail: str = "") -> None:
    event(session, signature, action, signature.state, signature.state, actor="signer", detail=detail)


def confirm(token: str, details: Details | None = None) -> Outcome:
    """Confirm a signature, with the fields its owner saw (and may have corrected) on the page.

    Any number of repeats count once. A shadow-rejected signature is told the same as a real
    one and stays uncounted.

    :raises SigningError: a corrected field breaks a rule (nothing was changed).
    """
    with write() as session:
        signature = by_token(session, "confirm", token)
        if signature is None or signature.state in (
                SignatureState.withdrawn, SignatureState.rejected, SignatureState.invalidated):
            return Outcome.invalid
        if signature.state == SignatureState.fraudulent:
            return Outcome.awaiting_moderation
        if details is not None and signature.state == SignatureState.pending:
            before = {field: getattr(signature, field) for field in (*EDITABLE, "visibility")}
            apply_details(session, signature, details.cleaned(signature.kind))
            if before != {field: getattr(signature, field) for field in before}:
                _note(session, signature, "details_corrected")
            session.flush()
        return confirm_now(session, signature)


def withdraw(token: str) -> Outcome:
    """Withdraw a signature; it stops counting and showing at once."""
    with write() as session:
        signature = by_token(session, "withdraw", token) or by_token(session, "manage", token)
        if signature is None:
            return Outcome.invalid
        if signature.state == SignatureState.withdrawn:
            return Outcome.already_withdrawn
        live = (SignatureState.validated, SignatureState.confirmed, SignatureState.pending)
        before = move(session, signature, live, SignatureState.withdrawn)
        if before:
            event(session, signature, "withdrawn", before, SignatureState.withdrawn, actor="signer")
            return Outcome.withdrawn
        return Outcome.invalid


def _lift_crackdown(session, signature: Signature, current: Details, visibility: str) -> bool:
    """Showing again what a crackdown hid is the owner's decision alone, and applies at once, up
    to the visibility they had chosen before (more than that waits for a coordinator as usual)."""
    earlier = signature.crackdown_from
    if not earlier or visibility == current.visibility or visibility not in RANK or (
            RANK[Visibility(visibility)] > RANK[Visibility(earlier)]):
        return False
    apply_details(session, signature, replace(current, visibility=visibility))
    signature.crackdown_from = ""
    event(session, signature, "crackdown_lifted", current.visibility, visibility, actor="signer")
    return True


def proposal(signature: Signature) -> dict[str, str]:
    """The corrections the owner asked for and a coordinator has not decided yet."""
    try:
        found = json.loads(signature.proposed or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def update(token: str, details: Details) -> str:
    """Apply the owner's changes from "your signature".

    Lowering the visibility applies at once. Until the signature is approved every change
    applies at once (a coordinator has yet to look at it); once it is approved, corrections
    and a higher visibility wait in the moderation queue.

    :returns: ``applied``, ``proposed``, ``partly`` (lowered now, the rest waits) or ``unchanged``.
    :raises SigningError: a field breaks a rule, or the signature can no longer change.
    """
    with write() as session:
        signature = by_token(session, "manage", token)
        if signature is None or signature.state not in LIVE_STATES:
            raise SigningError(None, _("This signature can no longer be changed."))
        wanted = details.cleaned(signature.kind)
        current = Details(*(getattr(signature, field) for field in (*EDITABLE, "visibility")))
        if wanted == current:
            return "unchanged"
        if _lift_crackdown(session, signature, current, wanted.visibility):
            current = replace(current, visibility=wanted.visibility)
            if wanted == current:
                return "applied"
        if signature.state != SignatureState.validated:
            apply_details(session, signature, wanted)
            _note(session, signature, "details_corrected")
            return "applied"
        lowered = RANK[Visibility(wanted.visibility)] < RANK[Visibility(current.visibility)]
        if lowered:
            apply_details(session, signature, replace(current, visibility=wanted.visibility))
            event(session, signature, "visibility_lowered", current.visibility, wanted.visibility,
                  actor="signer")
        waiting = {field: getattr(wanted, field) for field in EDITABLE if getattr(wanted, field) != getattr(
            current, field)}
        if not lowered and wanted.visibility != current.visibility:
            waiting["visibility"] = wanted.visibility
        signature.proposed = json.dumps(waiting, ensure_ascii=False) if waiting else ""
        if waiting:
            _note(session, signature, "correction_requested", ", ".join(sorted(waiting)))
        return "partly" if lowered and waiting else "applied" if lowered else "proposed"
