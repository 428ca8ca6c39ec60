"""The ``flask`` command line: demo data (demo), the outbox, moderation, counts, coordinators,
ticks and rate-limit purges (jobs), and abuse control (abuse). Each command is a thin shell
around a service."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add every command group to ``flask``."""
    from portal.commands import abuse, jobs, mirrors

    for command in (*jobs.COMMANDS, *abuse.COMMANDS, *mirrors.COMMANDS):
        app.cli.add_command(command)
