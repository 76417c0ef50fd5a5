"""`kpibot db`: database maintenance."""

from __future__ import annotations

import typer

from bot.cli.resources import database, settings

app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (kpibot run does this too)."""
    config = settings()
    with database(config):
        typer.echo("Database is up to date.")
