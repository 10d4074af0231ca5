"""`somnia keys`: create, list and revoke API keys in the hashed key file the servers read.

A running server picks up a change at its next call (it watches the file), so rotating a key is:
create the new one, move callers to it, revoke the old one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from somnia_auth import SCOPES, InvalidGrant, add_key, read_key_file, revoke_key

from somnia_cli.settings import CliSettings

keys_app = typer.Typer(help="API keys: create, list, revoke (the file holds only their hashes).", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

FileOption = Annotated[
    Path | None, typer.Option("--file", help="key file (default: $SOMNIA_AUTH_API_KEYS_FILE, else <home>/auth)")
]


def key_file(given: Path | None) -> Path:
    return given if given is not None else CliSettings().keys_file


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="who the key is for, e.g. support-bot")],
    namespace: Annotated[
        list[str], typer.Option("--namespace", "-n", help="a pattern it may use: acme/* or acme/bot/* (repeat)")
    ],
    scope: Annotated[list[str], typer.Option("--scope", "-s", help=f"one of {', '.join(SCOPES)} (repeat)")],
    file: FileOption = None,
) -> None:
    """Make a key; it is printed once and only its hash is stored."""
    path = key_file(file)
    try:
        key, record = add_key(path, name, namespace, scope)
    except InvalidGrant as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    err.print(f"created key {record.name!r} ({record.id}) in {path}; it is shown once, store it now:")
    console.print(key)


@keys_app.command("list")
def list_keys(file: FileOption = None) -> None:
    """The keys in the file: name, id, grant, when made (never the key)."""
    path = key_file(file)
    table = Table(title=str(path))
    for column in ("name", "id", "namespaces", "scopes", "created"):
        table.add_column(column)
    for record in read_key_file(path).keys:
        table.add_row(
            record.name,
            record.id,
            " ".join(record.namespaces),
            " ".join(record.scopes),
            record.created_at.isoformat(timespec="seconds"),
        )
    console.print(table)


@keys_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="the key's name")], file: FileOption = None) -> None:
    """Remove a key; servers refuse it from their next call on."""
    path = key_file(file)
    if not revoke_key(path, name):
        err.print(f"[bold red]error:[/] no key named {name!r} in {path}")
        raise typer.Exit(1)
    err.print(f"revoked {name!r}")
