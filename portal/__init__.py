"""Undersigned: joint statements and their signatories.

The factory builds the app: settings (``config.Defaults`` < ``instance/config.py`` <
``PORTAL_*`` < a test config), extensions, the templating module, blueprints, error handlers
and commands. The areas live in packages: ``signatures``, ``statements``, ``abuse``,
``accounts``, ``mail``, ``models``; request-bound helpers in ``web``; blueprints in ``views``;
the ``flask`` commands in ``commands``. README.md ("How it is built") maps them.
"""

from __future__ import annotations

import logging
import os

import click
from flask import Flask

from portal import config, instance
from portal.web import hosts


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults < instance/config.py < PORTAL_* environment < test_config."""
    app = hosts.Portal(__name__, instance_relative_config=True,
                       instance_path=os.environ.get("PORTAL_INSTANCE_PATH") or None)
    instance.make_folder(app.instance_path)
    app.config.from_object(config.Defaults)
    app.config["LANGUAGES"] = config.LANGUAGES
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config.from_environment())
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.secret_key(app.instance_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.database_uri(app.config, app.instance_path)
    # Absolute URLs come from BASE_URL (hosts.Portal); any other Host header gets a 400.
    app.config["TRUSTED_HOSTS"] = hosts.trusted_hosts(app.config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    from portal.abuse import ratelimits

    ratelimits.configure(app)  # counters shared by all workers: Redis, else SQL
    instance.private_databases([app.config["SQLALCHEMY_DATABASE_URI"],
                                app.config.get("RATELIMIT_STORAGE_OPTIONS", {}).get("url", "")])
    logging.basicConfig(level=app.config["LOG_LEVEL"])

    from portal import database, fragments
    from portal.accounts import sessions
    from portal.extensions import babel, compress, csrf, db, limiter, migrate
    from portal.mail.outbox import worker
    from portal.web import caching, guards, headers, locale, templating

    db.init_app(app)
    sessions.init_app(app)  # the session cookie holds only a random id
    if app.testing or click.get_current_context(silent=True) is not None:
        # Only the `flask db` commands need Alembic; gunicorn workers serve without it.
        migrate.init_app(app, db, directory=str(config.ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=locale.select_locale)
    compress.init_app(app)
    limiter.init_app(app)
    fragments.init_app(app)
    caching.init_app(app)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        # Client address and scheme come only from this many trusted proxies (see deploy/).
        # Outside the micro-cache, so that it keys on the scheme the app will see.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    worker.init_app(app)
    with app.app_context():
        database.tune_sqlite(db.engine)

    guards.init_app(app)  # before the blueprints: it bounds the <int:...> converter they compile
    from portal.views import register

    register(app)
    locale.init_app(app)
    templating.init_app(app)
    headers.init_app(app)

    from portal import commands

    commands.init_app(app)
    return app
