"""Server-side sessions: the cookie carries only a random id, the data stays in the database.

Flask's default session is a signed but readable cookie (base64 JSON): whoever sees it
learns the coordinator's id and the CSRF secret. Here the cookie holds 256 random bits and
nothing else; the row (table ``web_sessions``) is found by the SHA-256 of that id, so a
copy of the table does not hold a usable cookie either. The rules of :mod:`portal.web.auth`
(idle and absolute timeouts, the account's session epoch, the password fingerprint) work
on the session's data exactly as before.

A session gets a row and a cookie only once something is stored in it (the workspace's
CSRF token, a login, a flash message): the public pages, which store nothing, set no
cookie. A login issues a new id (:meth:`ServerSession.rotate`); an emptied session
(logout) deletes its row and its cookie. Rows expire after the longest a session or a
form token may live (an anonymous one after an hour); :func:`purge` deletes them,
opportunistically and from ``flask statements tick``.
"""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
from datetime import timedelta

from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SessionInterface
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from portal.database import insert_for, side_connection
from portal.models import utcnow
from portal.models.accounts import WebSession

ID_BYTES = 32
log = logging.getLogger(__name__)


def _hashed(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


class ServerSession(SecureCookieSession):
    """The session's data, with the id it is stored under (None until first stored)."""

    def __init__(self, initial=None, sid: str | None = None, stale: bool = False) -> None:
        super().__init__(initial)
        self.sid = sid
        self.stale = stale  # the request carried a cookie whose row is gone
        self.rotated = False

    def rotate(self) -> None:
        """Store this session under a new id at the end of the request, and drop the old row."""
        self.rotated = True
        self.modified = True


ANONYMOUS = timedelta(hours=1)


def lifetime(app: Flask, session: ServerSession) -> timedelta:
    """How long a row lives from its last write: a logged-in session, the absolute session
    limit or the form token's, the longer; an anonymous one (the login page's CSRF secret),
    an hour, so a flood of login pages cannot fill the table for long."""
    if "coordinator_id" not in session:
        return ANONYMOUS
    hours = int(app.config["MANAGE_SESSION_HOURS"])
    return timedelta(seconds=max(hours * 3600, int(app.config.get("WTF_CSRF_TIME_LIMIT") or 0)))


class DatabaseSessionInterface(SessionInterface):
    serializer = TaggedJSONSerializer()  # keeps flash messages' tuples and Markup as they were

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app)) or ""
        if not 20 <= len(sid) <= 100:
            return ServerSession(stale=bool(sid))
        try:
            with side_connection(write=False) as conn:
                data = conn.execute(select(WebSession.data).where(
                    WebSession.id_hash == _hashed(sid), WebSession.expires_at > utcnow())
                ).scalar_one_or_none()
        except SQLAlchemyError as error:  # the database is unreachable: anonymous for this request
            log.warning("session not read: %s", type(error).__name__)
            return ServerSession()
        if data is None:
            return ServerSession(stale=True)
        try:
            return ServerSession(self.serializer.loads(data), sid=sid)
        except ValueError:  # unreadable data: start afresh rather than fail the request
            return ServerSession(stale=True)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:
        try:
            self._save(app, session, response)
        except SQLAlchemyError as error:
            # Not stored: the next form from this page answers "expired, send it again", which
            # beats turning this response (perhaps an error page already) into a bare 500.
            log.warning("session not stored: %s", type(error).__name__)

    def _save(self, app: Flask, session: ServerSession, response: Response) -> None:
        name = self.get_cookie_name(app)
        domain, path = self.get_cookie_domain(app), self.get_cookie_path(app)
        if session.accessed:
            response.vary.add("Cookie")
        if not session:
            if session.sid is not None:
                with side_connection() as conn:
                    conn.execute(delete(WebSession).where(WebSession.id_hash == _hashed(session.sid)))
            if session.sid is not None or session.stale:
                response.delete_cookie(name, domain=domain, path=path,
                                       secure=self.get_cookie_secure(app),
                                       httponly=self.get_cookie_httponly(app),
                                       samesite=self.get_cookie_samesite(app))
                response.vary.add("Cookie")
            return
        if not session.modified:
            return
        old, fresh = session.sid, session.sid is None or session.rotated
        if fresh:
            session.sid = secrets.token_urlsafe(ID_BYTES)
        now = utcnow()
        values = {"id_hash": _hashed(session.sid), "data": self.serializer.dumps(dict(session)),
                  "expires_at": now + lifetime(app, session)}
        with side_connection() as conn:
            if fresh and old is not None:
                conn.execute(delete(WebSession).where(WebSession.id_hash == _hashed(old)))
            insert = insert_for(conn)(WebSession).values(**values)
            conn.execute(insert.on_conflict_do_update(index_elements=["id_hash"], set_={
                "data": insert.excluded.data, "expires_at": insert.excluded.expires_at}))
            if random.random() < 0.01:
                conn.execute(delete(WebSession).where(WebSession.expires_at <= now))
        session.rotated = False
        if fresh:
            response.set_cookie(name, session.sid, expires=self.get_expiration_time(app, session),
                                httponly=self.get_cookie_httponly(app), domain=domain, path=path,
                                secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app))
            response.vary.add("Cookie")


def purge() -> int:
    """Delete expired session rows. :returns: how many."""
    with side_connection() as conn:
        return conn.execute(delete(WebSession).where(WebSession.expires_at <= utcnow())).rowcount or 0


def init_app(app: Flask) -> None:
    app.session_interface = DatabaseSessionInterface()
