"""``flask mirror verify`` (a saved copy, offline) and ``flask transparency verify`` (a chain)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.extensions import db
from portal.mirrors import keys, mirror, transparency
from portal.models import Statement, TransparencyEntry

mirror_cli = AppGroup("mirror", help="Signed copies of statements.")
transparency_cli = AppGroup("transparency", help="The transparency log of statements' public lists.")


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read the {what} {path}: {error.strerror}") from error


@mirror_cli.command("verify")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--sig", "sig_path", type=click.Path(dir_okay=False), help="The signature (default: FILE.sig).")
@click.option("--key", "key_path", type=click.Path(dir_okay=False),
              help="The network's public key (PEM, base64 or hex); default: this instance's own.")
def mirror_verify(file: str, sig_path: str | None, key_path: str | None) -> None:
    """Check a saved mirror against its signature, offline. Exit 1 if it does not verify."""
    body = _read(file, "copy")
    signature = _read(sig_path or f"{file}.sig", "signature")
    try:
        if key_path:
            key = keys.load_public(_read(key_path, "key"))
        elif (Path(current_app.instance_path) / keys.KEY_FILE).exists():
            key = keys.signing_key(current_app.instance_path).verify_key
        else:
            raise click.ClickException("this instance has no signing key: pass --key")
        valid = mirror.check(body, signature, key)
    except keys.BadKeyFile as error:
        raise click.ClickException(error.message) from error
    fingerprint = hashlib.sha256(bytes(key)).hexdigest()[:16]
    if not valid:
        click.echo(f"NOT VALID: {file} was not signed by key {fingerprint}, or was changed since")
        raise SystemExit(1)
    click.echo(f"valid: {file} is signed by key {fingerprint}")


@transparency_cli.command("verify")
@click.argument("slug")
@click.option("--head", "heads", multiple=True, metavar="SEQ:HASH",
              help="A published head to find in the chain (repeatable).")
def transparency_verify(slug: str, heads: tuple[str, ...]) -> None:
    """Recompute SLUG's chain from its first entry. Exit 1 if it does not verify."""
    statement_id = db.session.scalar(select(Statement.id).where(Statement.slug == slug))
    if statement_id is None:
        raise click.ClickException(f"no statement with slug {slug!r}")
    verdict = transparency.verify(statement_id)
    if not verdict.ok:
        click.echo(f"BROKEN: {slug}: entry {verdict.broken_at}: {verdict.reason} "
                   f"({verdict.entries} entries verify before it)")
        raise SystemExit(1)
    for published in heads:
        seq, _colon, wanted = published.partition(":")
        found = db.session.scalar(select(TransparencyEntry.hash).where(
            TransparencyEntry.statement_id == statement_id,
            TransparencyEntry.seq == (int(seq) if seq.isdigit() else -1)))
        if found != wanted.strip().lower():
            click.echo(f"BROKEN: {slug}: the published head {published} is not in the chain")
            raise SystemExit(1)
    head = verdict.head
    click.echo(f"verified: {slug}: {verdict.entries} entries"
               + (f", head {head.seq} {head.hash}" if head else ""))


COMMANDS = (mirror_cli, transparency_cli)
