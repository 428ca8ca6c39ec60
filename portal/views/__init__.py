"""Blueprints, one per area. Each area adds its line to :func:`register`."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from portal.views import errors, main, signatures, statements

    app.register_blueprint(main.bp)
    app.register_blueprint(signatures.bp)
    app.register_blueprint(statements.bp)
    from portal.views.manage import bp as manage_bp

    app.register_blueprint(manage_bp)
    from portal.views import api, feeds, outlets

    app.register_blueprint(api.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(outlets.bp)
    from portal.views.manage import abuse

    app.register_blueprint(abuse.bp)
    errors.init_app(app)
