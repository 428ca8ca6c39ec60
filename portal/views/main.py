"""Site-wide routes: the language redirect, the icon and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, send_from_directory, url_for
from sqlalchemy import text

from portal.extensions import db
from portal.web.locale import best_language

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    """Send the reader to the best language."""
    response = redirect(url_for("statements.index", lang=best_language()), code=302)
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return response


@bp.get("/favicon.ico")
def favicon():
    """The site's icon where a browser looks for it unasked (an embedding page, a feed reader)."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)


@bp.get("/healthz")
def healthz():
    """Liveness, including a round trip to the database."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # report, don't raise: this is what the probe is for
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
