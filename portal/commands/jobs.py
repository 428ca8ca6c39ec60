"""Command-line stand-ins and jobs: ``flask demo``, ``mail``, ``signatures``, ``counts``..."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from portal.database import write
from portal.extensions import db
from portal.models import Coordinator, Signature, SignatureState, Statement
from portal.signatures import signing

mail_cli = AppGroup("mail", help="The outbox.")
signatures_cli = AppGroup("signatures", help="Moderate signatures.")
counts_cli = AppGroup("counts", help="The stored counts.")
coordinators_cli = AppGroup("coordinators", help="Coordinator accounts.")
statements_cli = AppGroup("statements", help="Statements.")
ratelimits_cli = AppGroup("ratelimits", help="Rate-limit counters.")


@mail_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending every few seconds.")
@click.option("--interval", default=5.0, show_default=True)
def mail_send(loop: bool, interval: float) -> None:
    """Deliver due emails from the outbox."""
    from portal.mail.outbox import send_due

    while True:
        sent, failed = send_due()
        click.echo(f"sent {sent}, failed {failed}")
        if not loop:
            break
        time.sleep(interval)


# A uid may begin with "-" (URL-safe base64), which must not be read as an option.
@signatures_cli.command("approve", context_settings={"ignore_unknown_options": True})
@click.argument("slug")
@click.option("--all", "everything", is_flag=True, help="Approve every confirmed signature.")
@click.argument("uids", nargs=-1)
def signatures_approve(slug: str, everything: bool, uids: tuple[str, ...]) -> None:
    """Approve confirmed signatures of SLUG (by uid, or --all)."""
    statement = db.session.scalars(select(Statement).where(Statement.slug == slug)).one_or_none()
    if statement is None:
        raise click.ClickException(f"no statement with slug {slug!r}")
    query = select(Signature.id, Signature.uid).where(
        Signature.statement_id == statement.id, Signature.state == SignatureState.confirmed)
    if not everything:
        if not uids:
            raise click.UsageError("name signature uids, or pass --all")
        query = query.where(Signature.uid.in_(uids))
    rows = db.session.execute(query).all()
    approved = sum(signing.moderate(ident, approve=True, actor="cli") for ident, _uid in rows)
    click.echo(f"approved {approved} signature(s)")


@signatures_cli.command("list")
@click.argument("slug")
@click.option("--state", default="confirmed", show_default=True)
def signatures_list(slug: str, state: str) -> None:
    """List signatures of SLUG in a state (uids to approve)."""
    rows = db.session.execute(
        select(Signature.uid, Signature.name, Signature.country, Signature.created_at)
        .join(Statement).where(Statement.slug == slug, Signature.state == state)
        .order_by(Signature.id)).all()
    for uid, name, country, created in rows:
        click.echo(f"{uid}  {country}  {created:%Y-%m-%d %H:%M}  {name}")
    click.echo(f"{len(rows)} signature(s) {state}")


@counts_cli.command("reconcile")
@click.option("--check", is_flag=True, help="Report drift without repairing it (exit 1 if any).")
def counts_reconcile(check: bool) -> None:
    """Recount every statement from its rows; repair drift."""
    from portal.signatures.counts import reconcile

    with write() as session:
        drifts = reconcile(session, repair=not check)
    for drift in drifts:
        click.echo(f"{drift.slug}: stored {drift.stored}, rows {drift.actual}")
    click.echo(f"{len(drifts)} statement(s) drifted" + ("" if check else ", repaired"))
    if check and drifts:
        raise SystemExit(1)


@coordinators_cli.command("create")
@click.argument("email")
@click.option("--name", default="Coordinator")
@click.option("--admin", is_flag=True)
@click.password_option()
def coordinators_create(email: str, name: str, admin: bool, password: str) -> None:
    """Create a coordinator account."""
    from portal.accounts.coordinators import AccountError, create_coordinator

    try:
        create_coordinator(email, name, password, admin=admin)
    except AccountError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"created {'administrator' if admin else 'coordinator'} {email}")


@coordinators_cli.command("reset")
@click.argument("email")
def coordinators_reset(email: str) -> None:
    """Print a single-use link for EMAIL's account to choose a new password."""
    from portal.accounts.audit import Actor
    from portal.accounts.coordinators import AccountError, issue_reset

    ident = db.session.scalar(select(Coordinator.id).where(
        func.lower(Coordinator.email) == email.strip().lower()))
    try:
        if ident is None:
            raise AccountError("email", f"no account with the email {email!r}")
        link = issue_reset(ident, Actor(None, "cli"))
    except AccountError as error:
        raise click.ClickException(error.message) from error
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    click.echo(f"Reset link for {email} (works once, for {hours} hours):\n{link}")


def housekeeping() -> dict[str, int]:
    """Delete what has expired: rate-limit counters, sessions, reset links, past IP-hash keys."""
    from portal.abuse import clients, ratelimits
    from portal.accounts import sessions as session_store
    from portal.accounts.coordinators import purge_resets

    return {"rate-limit counters": ratelimits.purge(), "sessions": session_store.purge(),
            "reset links": purge_resets(), "IP-hash keys": clients.purge_keys()}


@ratelimits_cli.command("purge")
def ratelimits_purge() -> None:
    """Delete expired rate-limit counters (Redis expires its own)."""
    from portal.abuse import ratelimits

    click.echo(f"deleted {ratelimits.purge()} expired counter(s)")


@statements_cli.command("tick")
def statements_tick() -> None:
    """Apply due scheduled publications and deadlines; delete what has expired."""
    from portal.statements.reading import apply_due

    apply_due()
    purged = housekeeping()
    click.echo("ok; deleted " + ", ".join(f"{n} {what}" for what, n in purged.items()))


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if a statement exists.")
@with_appcontext
def demo(if_empty: bool) -> None:
    """Load demo statements, signatures and a coordinator; print the login."""
    from portal.commands.demo import load

    if db.session.scalar(select(Statement.id).limit(1)) is not None:
        if not if_empty:
            raise click.ClickException("the database already has statements; demo data goes into an "
                                       "empty one (pass --if-empty to skip quietly)")
        admin = db.session.scalar(select(Coordinator.email).where(Coordinator.is_admin))
        click.echo(f"Demo data already loaded. Coordinator login: {admin} (password as printed before,"
                   " or see instance/demo-login.txt)")
        return
    email, password = load()
    click.echo(f"Demo data loaded.\nCoordinator login: {email}\nPassword: {password}")


COMMANDS = (mail_cli, signatures_cli, counts_cli, coordinators_cli, statements_cli, ratelimits_cli, demo)
