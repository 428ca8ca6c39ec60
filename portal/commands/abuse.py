"""``flask abuse ...`` (block list, trending, bulk invalidation) and ``flask privacy purge``."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.abuse import blocklist
from portal.accounts.audit import Actor
from portal.extensions import db
from portal.models import BlockKind, BlockRule, Statement
from portal.signatures import invalidation
from portal.signatures import retention as privacy

abuse_cli = AppGroup("abuse", help="Block lists, trending sources and bulk invalidation.")
privacy_cli = AppGroup("privacy", help="Retention of personal data.")
CLI = Actor(None, "cli")


def _statement_id(slug: str | None) -> int | None:
    if not slug:
        return None
    ident = db.session.scalar(select(Statement.id).where(Statement.slug == slug))
    if ident is None:
        raise click.ClickException(f"no statement with slug {slug!r}")
    return ident


def _moment(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@abuse_cli.command("block")
@click.argument("kind", type=click.Choice([k.value for k in BlockKind]))
@click.argument("value")
@click.option("--statement", "slug", help="Only for this statement (default: every statement).")
@click.option("--note", default="")
def block(kind: str, value: str, slug: str | None, note: str) -> None:
    """Shadow-reject submissions matching KIND VALUE (e.g. domain '*.example.org')."""
    try:
        rule = blocklist.add_rule(kind, value, _statement_id(slug), note, CLI)
    except blocklist.BlockError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"rule {rule.id}: {rule.kind} {rule.value}")


@abuse_cli.command("unblock")
@click.argument("rule_id", type=int)
def unblock(rule_id: int) -> None:
    """Remove block rule RULE_ID."""
    if not blocklist.remove_rule(rule_id, CLI):
        raise click.ClickException(f"no rule {rule_id}")
    click.echo(f"removed rule {rule_id}")


@abuse_cli.command("rules")
def rules() -> None:
    """List the block rules."""
    for rule in db.session.scalars(select(BlockRule).order_by(BlockRule.id)):
        scope = rule.statement.slug if rule.statement else "*"
        click.echo(f"{rule.id}\t{rule.kind}\t{rule.value}\t{scope}\t{rule.note}")


@abuse_cli.command("trending")
@click.option("--hours", default=1.0, show_default=True)
def trending(hours: float) -> None:
    """The IP hashes and email domains with the most signatures lately."""
    by_ip, by_domain = invalidation.trending(None, hours=hours)
    for title, rows in (("IP hash", by_ip), ("domain", by_domain)):
        click.echo(f"# {title}\tsignatures\tfraudulent")
        for row in rows:
            click.echo(f"{row.key}\t{row.signatures}\t{row.fraudulent}")


@abuse_cli.command("invalidate")
@click.option("--statement", "slug")
@click.option("--domain", default="")
@click.option("--ip-hash", default="")
@click.option("--name", default="", help="A part of the name; * matches anything.")
@click.option("--since", help="ISO time, UTC unless it says otherwise.")
@click.option("--until")
@click.option("--reason", default="")
@click.option("--apply", "apply_", is_flag=True, help="Do it; without this, only count.")
def invalidate(slug, domain, ip_hash, name, since, until, reason, apply_) -> None:
    """Count (or with --apply, invalidate) live signatures matching the criteria."""
    criteria = invalidation.Criteria(statement_id=_statement_id(slug), domain=domain, ip_hash=ip_hash,
                                     name=name, since=_moment(since), until=_moment(until))
    try:
        if not apply_:
            click.echo(f"{invalidation.preview(criteria)} signature(s) match; add --apply to invalidate")
            return
        click.echo(f"invalidated {invalidation.invalidate(criteria, CLI, reason)} signature(s)")
    except invalidation.CriteriaError as error:
        raise click.ClickException(error.message) from None


@privacy_cli.command("purge")
@click.option("--days", type=int, help="Override RETENTION_DAYS.")
def purge(days: int | None) -> None:
    """Remove contact emails and IP hashes of statements that closed long enough ago."""
    done = privacy.purge(days)
    click.echo(f"purged {done.signatures} signature(s) on {done.statements} statement(s), "
               f"{done.mails} sent email(s)")


COMMANDS = (abuse_cli, privacy_cli)
