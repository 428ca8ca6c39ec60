"""The workspace's front page: the statements this coordinator manages."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from portal.extensions import db
from portal.models import Statement
from portal.views.manage import bp
from portal.web import auth


@bp.get("/")
@auth.login_required
def home():
    """The statements this coordinator manages, newest first."""
    query = select(Statement).order_by(Statement.created_at.desc(), Statement.id.desc())
    ids = auth.managed_ids(auth.current_coordinator())
    if ids is not None:
        query = query.where(Statement.id.in_(ids))
    return render_template("manage/home.html", statements=list(db.session.scalars(query)))
