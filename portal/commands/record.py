"""``flask versions lapse``: apply each statement's no-answer rule after an amendment."""

from __future__ import annotations

import click
from flask.cli import AppGroup

versions_cli = AppGroup("versions", help="Versions of statements' texts and re-consent.")


@versions_cli.command("lapse")
def versions_lapse() -> None:
    """Apply the no-answer rule to re-consent requests older than their statement's days."""
    from portal.record.amending import lapse

    stayed, removed = lapse()
    click.echo(f"{stayed} stayed, shown as signing an earlier version; {removed} left the list")


COMMANDS = (versions_cli,)
