"""``flask digest send``: the coordinators' digests that are due (run it from cron every few
minutes: daily digests go once a day, threshold alerts as soon as a queue passes one)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

digest_cli = AppGroup("digest", help="The coordinators' email digest.")


@digest_cli.command("send")
@click.option("--threshold-only", is_flag=True, help="Only the alerts of queues past a threshold.")
def digest_send(threshold_only: bool) -> None:
    """Queue the digests that are due, in each coordinator's language."""
    from portal.notifications import digest

    click.echo(f"queued {digest.send(daily=not threshold_only)} digest(s)")


COMMANDS = (digest_cli,)
