"""``flask coordinators reset-second-factors EMAIL``: for an administrator who lost every
second factor and has no other administrator to reset them in the workspace. Audited."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from portal.commands.jobs import coordinators_cli
from portal.extensions import db
from portal.models import Coordinator


@coordinators_cli.command("reset-second-factors")
@click.argument("email")
def coordinators_reset_second_factors(email: str) -> None:
    """Remove every second factor and recovery code of EMAIL's account and end its sessions."""
    from portal.accounts.audit import Actor
    from portal.factors import store as factors

    ident = db.session.scalar(select(Coordinator.id).where(
        func.lower(Coordinator.email) == email.strip().lower()))
    if ident is None:
        raise click.ClickException(f"no account with the email {email!r}")
    removed = factors.reset(ident, Actor(None, "cli"))
    click.echo(f"removed {removed} second factor(s) of {email}; its sessions have ended")


COMMANDS = ()  # the command joins the ``coordinators`` group above
