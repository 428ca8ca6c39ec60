"""``flask organisations import|export`` (the roster as CSV) and ``flask invitations
send|remind|board`` (personal invitations to sign a statement)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import Statement
from portal.network import csvfile, invitations, roster

organisations_cli = AppGroup("organisations", help="The network's roster of organisations.")
invitations_cli = AppGroup("invitations", help="Personal invitations to sign a statement.")
CLI = Actor(None, "cli")


@organisations_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Only show what the import would do.")
def organisations_import(path: str, dry_run: bool) -> None:
    """Create or update organisations from the CSV file PATH (columns: see the README)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        text = handle.read()
    try:
        plan = csvfile.read(text) if dry_run else csvfile.load(text, CLI)
    except roster.RosterError as error:
        raise click.ClickException(error.message) from None
    verb = ("would be created", "would be updated") if dry_run else ("created", "updated")
    click.echo(f"{len(plan.created)} {verb[0]}, {len(plan.updated)} {verb[1]}, "
               f"{len(plan.errors)} rows refused")
    for error in plan.errors:
        click.echo(f"line {error.line}: {error.field or ''}: {error.message}", err=True)


@organisations_cli.command("export")
def organisations_export() -> None:
    """Write the roster as CSV to standard output (with contact addresses: audited)."""
    for chunk in csvfile.export(CLI):
        click.echo(chunk, nl=False)


def _statement_id(slug: str) -> int:
    ident = db.session.scalar(select(Statement.id).where(Statement.slug == slug))
    if ident is None:
        raise click.ClickException(f"no statement with slug {slug!r}")
    return ident


def _run(call):
    """A service call whose refusal is the command's error message."""
    try:
        return call()
    except invitations.InvitationError as error:
        raise click.ClickException(error.message) from None


@invitations_cli.command("send")
@click.argument("slug")
@click.option("--tag", default="", help="Every organisation with this tag.")
@click.option("--country", default="", help="Every organisation in this country (ISO code).")
def invitations_send(slug: str, tag: str, country: str) -> None:
    """Invite organisations of the roster to sign SLUG, each with its own link."""
    chosen = roster.Selection(tag=tag, country=country)
    done = _run(lambda: invitations.send(_statement_id(slug), chosen, CLI))
    click.echo(f"{done.sent} invited, {done.already} invited before, {done.no_address} without an address")


@invitations_cli.command("remind")
@click.argument("slug")
def invitations_remind(slug: str) -> None:
    """Remind the invited organisations of SLUG that have not replied (at most twice each)."""
    click.echo(f"{_run(lambda: invitations.remind(_statement_id(slug), CLI))} reminded")


@invitations_cli.command("board")
@click.argument("slug")
def invitations_board(slug: str) -> None:
    """Show how the invited organisations of SLUG replied."""
    b = invitations.board(_statement_id(slug))
    click.echo(f"invited {b.invited}, signed {b.signed}, declined {b.declined}, "
               f"no reply {b.no_reply}, bounced {b.bounced}")


COMMANDS = (organisations_cli, invitations_cli)
