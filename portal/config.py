"""Settings: defaults here, then ``instance/config.py``, then ``PORTAL_*`` variables."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from flask import Config

ROOT = Path(__file__).resolve().parent.parent

LANGUAGES = ["en", "fr", "es", "ar", "ru"]
RTL_LANGUAGES = {"ar", "fa", "he", "ur"}


class Defaults:
    """Values used when nothing else sets them."""

    WORKSPACE = True  # False: a public-only front (no /manage routes at all)
    DATABASE_URL = ""  # empty: a SQLite file in instance/
    SMTP_URL = ""  # empty: print emails to the console
    MAIL_FROM = "Undersigned <no-reply@undersigned.invalid>"
    RATELIMIT_STORAGE_URI = ""  # empty: a SQLite-backed store in instance/
    BASE_URL = "http://127.0.0.1:5000"
    SIGN_RATE_LIMIT = "10/minute;60/hour"
    API_RATE_LIMIT = "300/minute;5000/hour"
    MAX_CONTENT_LENGTH = 64 * 1024
    SIGNER_MAIL_LIMIT = "4/day"  # emails to one address about one statement
    UPDATE_MAILS_PER_DAY = 2  # updates about one statement emailed to its signatories per 24 hours
    SIGN_ORGANISATIONS_PER_ADDRESS = 5  # organisations one address may sign a statement for
    MAIL_SENDER_THREAD = True
    MAIL_POLL_SECONDS = 30
    # A sender holds an email this long while it delivers it; a sender that died holding it (a
    # killed worker or host) is replaced after it. Keep it well above the SMTP timeout (15 s):
    # a delivery still under way when its claim lapses may be sent again by another sender.
    MAIL_CLAIM_SECONDS = 120
    SIGNATORIES_PER_PAGE = 50
    PRINT_MAX_SIGNATORIES = 10000  # the printable letter lists this many names at most
    WTF_CSRF_TIME_LIMIT = 6 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    # Python serves .js as text/javascript; static files are streamed, so browsers get deflate (or br/zstd).
    COMPRESS_MIMETYPES = ["text/html", "text/css", "application/json", "application/javascript",
                          "text/javascript", "image/svg+xml"]
    COMPRESS_ALGORITHM = ["gzip"]
    COMPRESS_MIN_SIZE = 500
    SEND_FILE_MAX_AGE_DEFAULT = 3600
    # Abuse control and privacy (see SECURITY.md).
    SIGN_STATEMENT_RATE_LIMIT = "300/minute;5000/hour"  # per statement, screened only; over it: 429
    LINK_RATE_LIMIT = "30/minute;300/hour"  # confirm and withdraw links, per client: 429
    LINK_STATEMENT_RATE_LIMIT = "1200/minute;20000/hour"  # confirm and withdraw presses, per statement: 429
    API_STATEMENT_RATE_LIMIT = "3000/minute;60000/hour"  # API calls on one statement, all clients: 429
    MIN_FILL_SECONDS = 2  # a sign form sent sooner after it was rendered is shadow-rejected
    RETENTION_DAYS = 180  # after a statement closes: contact emails and IP hashes are purged
    SESSION_COOKIE_SECURE = None  # None: Secure exactly when BASE_URL is https
    # Hosts answered besides BASE_URL's (e.g. an onion address); any other Host header gets a 400.
    EXTRA_HOSTS: list[str] = []
    PROXY_HOPS = 0  # trusted reverse proxies in front (the client address comes through them)
    # An onion address (http://….onion) of this site: pages send Onion-Location, and links built for
    # a request that came through it stay on it. Its host is answered like EXTRA_HOSTS.
    ONION_URL = ""
    LOG_LEVEL = "WARNING"
    RATELIMIT_ENABLED = True  # false turns every limit off (the test suite does)
    SIGNING_PAUSED = False  # an operator's site-wide pause from the environment
    # The workspace: sessions, invitations, logins, password resets.
    MANAGE_IDLE_MINUTES = 60
    MANAGE_SESSION_HOURS = 12
    INVITATION_DAYS = 7
    LOGIN_RATE_LIMIT = "5/minute;50/hour"  # per (account, client)
    LOGIN_CLIENT_RATE_LIMIT = "20/minute;200/hour"  # per client, over every account
    LOGIN_ACCOUNT_RATE_LIMIT = "20/minute;100/hour"  # per account, failures only
    PASSWORD_RESET_HOURS = 24
    SECOND_FACTOR_RATE_LIMIT = "5/minute;30/hour"  # login's second step, per account
    SECOND_FACTOR_REQUIRED = False  # an operator's override: every coordinator needs a second factor
    # argon2id's cost for coordinators' passwords (the library's defaults).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4
    # Public pages: kept by browsers and shared caches this long, and by each worker's micro-cache
    # (None: 1 second, or off under TESTING so a test reads its own writes at once).
    PUBLIC_MAX_AGE = 5
    PUBLIC_STALE = 30
    MICROCACHE_SECONDS: float | None = None


def from_environment(prefix: str = "PORTAL_") -> dict:
    """Read ``PORTAL_*`` variables; JSON values (numbers, booleans) are decoded."""
    found = {}
    for key, raw in os.environ.items():
        if not key.startswith(prefix):
            continue
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if not isinstance(value, int | float | bool | list):
            value = raw
        found[key[len(prefix):]] = value
    return found


def proxy_hops(instance_path: str) -> int:
    """``PROXY_HOPS`` as the app will read it (instance/config.py, then ``PORTAL_PROXY_HOPS``),
    for gunicorn.conf.py, which must decide before any app exists."""
    settings = Config(instance_path)
    settings.from_pyfile("config.py", silent=True)
    settings.update(from_environment())
    return int(settings.get("PROXY_HOPS") or 0)


def secret_key(instance_path: str) -> str:
    """Return the secret in ``instance/secret_key``, creating it on first run."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def database_uri(config: dict, instance_path: str) -> str:
    """Turn ``DATABASE_URL`` into an SQLAlchemy URI, defaulting to a SQLite file."""
    url = config.get("DATABASE_URL") or ""
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "portal.sqlite3")
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
