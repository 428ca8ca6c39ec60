"""``flask contacts``: sealed contacts. ``keygen``, ``unseal`` and ``reseal offline`` run on the
coordinator's own machine with the private key and touch no database; ``key set``,
``reseal export`` and ``reseal import`` run on the server, which only ever sees public keys."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.accounts import audit
from portal.safety import contacts, keys, offline, reseal

contacts_cli = AppGroup("contacts", help="Sealed contacts: keys, unsealing an export, re-sealing.")
key_cli = AppGroup("key", help="The network's public key on this server.")
reseal_cli = AppGroup("reseal", help="Move sealed contacts to a new key, the private keys staying offline.")
contacts_cli.add_command(key_cli)
contacts_cli.add_command(reseal_cli)
CLI = audit.Actor(None, "cli")


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text + "\n")


def _private(path: str):
    try:
        return keys.private_key(Path(path).read_text())
    except keys.KeyFormatError as error:
        raise click.ClickException(f"{path}: {error}") from error


@contacts_cli.command("keygen")
@click.argument("out", type=click.Path(dir_okay=False))
def keygen(out: str) -> None:
    """Write a key pair: OUT (private: keep it offline) and OUT.pub (for `flask contacts key set`)."""
    private, public = keys.generate()
    target = Path(out)
    try:
        _write_private(target, private)
    except FileExistsError as error:
        raise click.ClickException(f"{out} exists; choose another name") from error
    Path(f"{out}.pub").write_text(public + "\n")
    click.echo(f"private key: {out} (only you can open sealed contacts with it: keep copies offline)")
    click.echo(f"public key:  {out}.pub, fingerprint {keys.fingerprint(public)}")


@key_cli.command("set")
@click.argument("public_key_file", type=click.Path(exists=True, dir_okay=False))
def key_set(public_key_file: str) -> None:
    """Register the network's public key: every contact is sealed to it from now on."""
    try:
        key, sealed = contacts.register_key(Path(public_key_file).read_text(), CLI)
    except contacts.ContactKeyError as error:
        raise click.ClickException(f"{public_key_file}: {error.message}") from error
    click.echo(f"contact key {key.fingerprint} registered; {sealed} contacts sealed now")


@key_cli.command("show")
def key_show() -> None:
    """The key contacts are sealed to now."""
    key = contacts.active_key()
    click.echo(f"{key.fingerprint} since {key.created_at:%Y-%m-%d %H:%M} UTC" if key else
               "no key: contact emails are stored in plain text")


@contacts_cli.command("unseal")
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The private key file written by keygen.")
@click.argument("export", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "-o", type=click.Path(dir_okay=False), help="Write here (default: print).")
def unseal(key_file: str, export: str, out: str | None) -> None:
    """Open the sealed emails of a full export (CSV or JSON), offline."""
    try:
        opened = offline.unseal_export(_private(key_file), Path(export).read_text(encoding="utf-8"))
    except ValueError as error:
        raise click.ClickException(f"{export}: {error}") from error
    if out:
        _write_private(Path(out), opened.text.rstrip("\n"))
    else:
        click.echo(opened.text, nl=False)
    click.echo(f"unsealed {opened.unsealed}, sealed to another key {opened.unopened}", err=True)


@reseal_cli.command("export")
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--all", "everything", is_flag=True, help="Also those already sealed to the active key.")
def reseal_export(out: str, everything: bool) -> None:
    """On the server: write the sealed values for re-sealing offline."""
    data = reseal.export(older_than_active=not everything)
    Path(out).write_text(json.dumps(data) + "\n")
    click.echo(f"{len(data['rows'])} sealed contacts written to {out}")


@reseal_cli.command("offline")
@click.option("--key", "key_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The OLD private key.")
@click.option("--to", "public_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The NEW public key.")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
def reseal_offline(key_file: str, public_file: str, source: str, out: str) -> None:
    """On your own machine: open SOURCE with the old key and seal each value to the new one."""
    try:
        data, done, unopened = offline.reseal(_private(key_file), keys.normalised_public(
            Path(public_file).read_text()), json.loads(Path(source).read_text()))
    except (ValueError, keys.KeyFormatError) as error:
        raise click.ClickException(str(error)) from error
    Path(out).write_text(json.dumps(data) + "\n")
    click.echo(f"resealed {done}; not opened by this key {unopened}")


@reseal_cli.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
def reseal_import(source: str) -> None:
    """On the server: store the values re-sealed offline."""
    try:
        done = reseal.apply(json.loads(Path(source).read_text()), CLI)
    except (ValueError, reseal.ResealError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{done} contacts now sealed to the new key")


COMMANDS = (contacts_cli,)
