"""Bare extension objects, bound to the app in :func:`portal.create_app`."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints so that Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))


class LazyMigrate:
    """Flask-Migrate, imported only when bound: Alembic and Mako cost ~20 MB per web worker."""

    def init_app(self, app, db, **options) -> None:
        from flask_migrate import Migrate

        Migrate(app, db, **options)


migrate = LazyMigrate()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()


def client_hash() -> str:
    """The limiter's key for a client: the keyed hash of its IPv4 address or IPv6 /64
    (:func:`portal.abuse.clients.ip_hash`), so no rate-limit store ever holds an address."""
    from portal.abuse.clients import ip_hash

    return ip_hash(request.remote_addr) or "unknown"


limiter = Limiter(key_func=client_hash)
