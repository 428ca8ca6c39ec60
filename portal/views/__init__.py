"""Blueprints, one per area, thin: a form becomes a dataclass, a service acts, a template shows.

The public site (``main``, ``statements``, ``signatures``, ``invitations``, ``outlets``,
``feeds``, ``api``) stands on its own; the coordinator workspace (``manage``, at ``/manage``,
abuse control included) is registered beside it unless ``WORKSPACE`` is off (a public-only
front).
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from portal.views import (  # noqa: F401
        api,
        errors,
        feeds,
        invitations,
        main,
        mirrors,
        outlets,
        record,
        signatures,
        statements,
        versions,
    )

    for blueprint in (main.bp, signatures.bp, statements.bp, invitations.bp, api.bp, feeds.bp, outlets.bp,
                      record.bp, mirrors.bp):
        app.register_blueprint(blueprint)
    if app.config["WORKSPACE"]:
        from portal.views.manage import bp as manage_bp

        app.register_blueprint(manage_bp)
    errors.init_app(app)
