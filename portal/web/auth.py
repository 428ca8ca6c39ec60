"""Who is logged in to the workspace, and what they may touch.

Views use :func:`current_coordinator`, the :func:`login_required` and
:func:`admin_required` decorators, and :func:`statement_for`, the one shared
"get or 404, check permission" helper.

Permission policy (kept the same everywhere):

- anonymous: a 302 to ``/manage/login?next=...``;
- a statement (or anything under it) the coordinator may not manage: **404**, exactly as if
  it did not exist, so that ids and slugs of other people's statements leak nothing;
- an administrator-only page for a logged-in coordinator: **403** (the page's existence is
  no secret, and the coordinator needs to know why).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from urllib.parse import urlsplit

from flask import Response, abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import exists, select, update

from portal.accounts.audit import Actor
from portal.database import write
from portal.extensions import db
from portal.models import Coordinator, Signature, Statement, statement_coordinators, utcnow

SESSION_KEYS = ("coordinator_id", "sid", "login_at", "seen_at", "pw", "epoch")


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def _fingerprint(coordinator: Coordinator) -> str:
    # A password change (or a reset by invitation) ends every session made with the old one.
    return coordinator.password_hash[-12:]


def log_in(coordinator: Coordinator) -> None:
    """Rotate the session: drop everything it held, then issue a fresh one for this account.

    With server-side sessions the session's id changes too, so an id planted before login
    (fixation) or copied from before it is worth nothing afterwards."""
    chosen = session.get("ui_lang")  # a workspace language picked on the login page stays
    session.clear()
    rotate = getattr(session, "rotate", None)
    if rotate is not None:
        rotate()
    now = _stamp(utcnow())
    if chosen:
        session["ui_lang"] = chosen
    session.update(coordinator_id=coordinator.id, sid=secrets.token_urlsafe(16), login_at=now,
                   seen_at=now, pw=_fingerprint(coordinator), epoch=coordinator.session_epoch)
    session.permanent = False
    g.coordinator = coordinator


def log_out() -> None:
    """End the session on the server too: the cookie is cleared here, and raising the
    account's session epoch makes any copy of it (and the account's other sessions) invalid,
    before their idle timeout."""
    coordinator = current_coordinator()
    if coordinator is not None:
        with write() as transaction:
            transaction.execute(update(Coordinator).where(Coordinator.id == coordinator.id)
                                .values(session_epoch=Coordinator.session_epoch + 1))
    session.clear()
    rotate = getattr(session, "rotate", None)
    if rotate is not None:  # whatever the session still holds (a flash message) moves to a new id
        rotate()
    g.coordinator = None


PENDING_SECONDS = 300  # from the password to the second factor
RECENT_SECONDS = 600  # a login or a password typed again this recently allows changing factors


def hold(coordinator: Coordinator, next_url: str | None) -> None:
    """The password is right and a second factor must follow: the session (under a new id)
    names the account only as *pending*, which opens no workspace page, for five minutes."""
    session.clear()
    rotate = getattr(session, "rotate", None)
    if rotate is not None:
        rotate()
    session["pending"] = {"id": coordinator.id, "at": _stamp(utcnow()), "pw": _fingerprint(coordinator),
                          "epoch": coordinator.session_epoch, "next": next_url or ""}


def pending_coordinator() -> Coordinator | None:
    """The account whose password this session proved, while its second step is due, else None."""
    held = session.get("pending")
    if not isinstance(held, dict) or not all(isinstance(held.get(key), int) for key in ("id", "at")):
        return None
    if _stamp(utcnow()) - held["at"] > PENDING_SECONDS:
        session.pop("pending", None)
        return None
    coordinator = db.session.get(Coordinator, held["id"])
    if (coordinator is None or not coordinator.active or held.get("pw") != _fingerprint(coordinator)
            or held.get("epoch") != coordinator.session_epoch):
        session.pop("pending", None)
        return None
    return coordinator


def pending_next() -> str | None:
    """Where the pending login was going."""
    held = session.get("pending")
    return safe_next(held.get("next")) if isinstance(held, dict) else None


def recently_authenticated() -> bool:
    """True if this session logged in, or typed its password again, in the last ten minutes."""
    latest = max(session.get("login_at", 0), session.get("reauth_at", 0))
    return _stamp(utcnow()) - latest <= RECENT_SECONDS


def mark_reauthenticated() -> None:
    session["reauth_at"] = _stamp(utcnow())


def _expired(now: int) -> bool:
    idle = int(current_app.config["MANAGE_IDLE_MINUTES"]) * 60
    absolute = int(current_app.config["MANAGE_SESSION_HOURS"]) * 3600
    login_at, seen_at = session.get("login_at", 0), session.get("seen_at", 0)
    return now - seen_at > idle or now - login_at > absolute


def current_coordinator() -> Coordinator | None:
    """The logged-in, active coordinator of this request, or None (expired sessions are cleared)."""
    if "coordinator" in g:
        return g.coordinator
    g.coordinator = None
    ident = session.get("coordinator_id")
    if not isinstance(ident, int):
        return None
    now = _stamp(utcnow())
    if _expired(now):
        session.clear()
        return None
    coordinator = db.session.get(Coordinator, ident)
    if (coordinator is None or not coordinator.active or session.get("pw") != _fingerprint(coordinator)
            or session.get("epoch") != coordinator.session_epoch):
        session.clear()
        return None
    if now - session.get("seen_at", 0) >= 30:  # spare a Set-Cookie on every request
        session["seen_at"] = now
    g.coordinator = coordinator
    return coordinator


def safe_next(target: str | None) -> str | None:
    """A local path to return to after login; anything pointing elsewhere is dropped.

    So is a path holding a control or format character, a surrogate or a line separator: CR
    or LF would split the ``Location`` header (a 500 at best), and the others have no place
    in a path of ours.
    """
    from unicodedata import category

    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if len(target) > 2000 or any(category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _to_login():
    path = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("manage.login", next=path), code=302)


def login_required(view: Callable) -> Callable:
    """Send anonymous visitors to the login page, then back here."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_coordinator() is None:
            return _to_login()
        return view(*args, **kwargs)

    return wrapped


def admin_required(view: Callable) -> Callable:
    """Administrators only: anonymous → login, a coordinator → 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        coordinator = current_coordinator()
        if coordinator is None:
            return _to_login()
        if not coordinator.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def actor() -> Actor:
    """The current coordinator as the audit log names them."""
    coordinator = current_coordinator()
    if coordinator is None:
        return Actor.system()
    return Actor(coordinator.id, coordinator.name or coordinator.email)


def may_manage(coordinator: Coordinator, statement_id: int) -> bool:
    """True if the coordinator is an administrator or one of the statement's coordinators."""
    if coordinator.is_admin:
        return True
    return bool(db.session.scalar(select(exists().where(
        statement_coordinators.c.statement_id == statement_id,
        statement_coordinators.c.coordinator_id == coordinator.id))))


def managed_ids(coordinator: Coordinator) -> list[int] | None:
    """Ids of the statements this coordinator manages; None means every one (administrator)."""
    if coordinator.is_admin:
        return None
    return list(db.session.scalars(select(statement_coordinators.c.statement_id).where(
        statement_coordinators.c.coordinator_id == coordinator.id)))


def statement_for(id_or_slug: int | str) -> Statement:
    """The statement named by id or slug if the current coordinator may manage it, else 404."""
    coordinator = current_coordinator()
    if coordinator is None:
        abort(404)
    if isinstance(id_or_slug, int) or (id_or_slug.isascii() and id_or_slug.isdigit()):
        statement = db.session.get(Statement, int(id_or_slug)) if 0 < int(id_or_slug) < 2**31 else None
    else:
        statement = db.session.scalars(select(Statement).where(Statement.slug == id_or_slug)).one_or_none()
    if statement is None or not may_manage(coordinator, statement.id):
        abort(404)
    return statement


def signature_for(signature_id: int) -> Signature:
    """A signature on a statement the current coordinator manages, else 404."""
    signature = db.session.get(Signature, signature_id) if signature_id < 2**31 else None
    coordinator = current_coordinator()
    if signature is None or coordinator is None or not may_manage(coordinator, signature.statement_id):
        abort(404)
    return signature


DEVICE_COOKIE = "device"


def _device_mac(email: str, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"device:{email.strip().lower()[:254]}:{nonce}".encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()[:18]).decode()


def remember_device(response: Response, email: str) -> Response:
    """Mark this browser as one that has logged in to ``email``'s account: it is exempt from
    the account-wide login ceiling, so failures from elsewhere never lock its owner out.

    The cookie holds a random nonce and a MAC; it names neither the account nor the email."""
    nonce = secrets.token_urlsafe(12)
    response.set_cookie(DEVICE_COOKIE, f"{nonce}.{_device_mac(email, nonce)}", max_age=365 * 86400,
                        path="/manage/", httponly=True, samesite="Strict",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def known_device(email: str) -> bool:
    """True if this browser holds a device cookie issued at a login to ``email``'s account."""
    nonce, _sep, mac = (request.cookies.get(DEVICE_COOKIE) or "").partition(".")
    if not nonce or len(nonce) > 40 or not mac:
        return False
    return hmac.compare_digest(mac.encode(), _device_mac(email, nonce).encode())
