"""`kpibot db`: database maintenance."""

from __future__ import annotations

import logging

import typer

from bot.cli.resources import database, settings
from bot.logs import configure_logging

app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (kpibot run does this too)."""
    config = settings()
    # Each migration applied is logged ("Running upgrade ..."), as `kpibot run` logs.
    token = config.token.get_secret_value() if config.token else ""
    configure_logging(token, log_format=config.log_format)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # its set-up chatter
    with database(config):
        typer.echo("Database is up to date.")
