"""`kpibot api-key`: the keys the agency's systems use for the HTTP API (/api/v1)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.resources import database, fail, settings
from kpi import apikeys
from services.container import system_clock

app = typer.Typer(help="Keys for the HTTP API (/api/v1).", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name for the key, e.g. the system using it.")],
    scope: Annotated[
        str,
        typer.Option(
            "--scope",
            help=f"What the key may do, comma-separated: {','.join(apikeys.SCOPES)}.",
        ),
    ],
) -> None:
    """Create a key and print it: it is shown this once and stored only hashed."""
    config = settings()
    try:
        scopes = apikeys.parse_scopes(scope)
        with database(config) as session:
            key = apikeys.create(session, name=name, scopes=scopes, now=system_clock())
    except apikeys.ApiKeyError as exc:
        fail(str(exc))
    typer.echo(key)
    typer.echo(
        f"The key {name!r} ({','.join(scopes)}) is shown only now: give it to its system, "
        "which sends it as `Authorization: Bearer <key>`.",
        err=True,
    )


@app.command("list")
def list_keys() -> None:
    """List the keys: name, scopes, created, and revoked or active (never the keys)."""
    config = settings()
    with database(config) as session:
        rows = apikeys.keys(session)
    for row in rows:
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}Z" if row.revoked_at else "active"
        typer.echo(
            f"{row.name}\t{','.join(row.scopes)}\tcreated {row.created_at:%Y-%m-%d %H:%M}Z\t{state}"
        )


@app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key: requests with it are refused from now on."""
    config = settings()
    try:
        with database(config) as session:
            apikeys.revoke(session, name=name, now=system_clock())
    except apikeys.ApiKeyError as exc:
        fail(str(exc))
    typer.echo(f"Revoked {name!r}.")
