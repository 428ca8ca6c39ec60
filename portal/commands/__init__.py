"""The ``flask`` command line: demo data (demo), the outbox, moderation, counts, coordinators,
ticks and rate-limit purges (jobs), abuse control (abuse), the roster and invitations
(network), the coordinators' digest (notify) and the record: versions, deliveries and updates
(record). Each command is a thin shell around a service."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add every command group to ``flask``."""
    from portal.commands import abuse, contacts, factors, jobs, mirrors, network, notify, record

    for command in (*jobs.COMMANDS, *abuse.COMMANDS, *network.COMMANDS, *notify.COMMANDS, *record.COMMANDS,
                    *contacts.COMMANDS, *factors.COMMANDS, *mirrors.COMMANDS):
        app.cli.add_command(command)
