"""The `kpibot` command line: one module per command or group of commands."""

from __future__ import annotations

import logging
import sys
from importlib.metadata import entry_points

# httpx has a command line of its own (with rich, pygments and click: about 4 MB) that no kpibot
# command uses; httpx goes without it when it cannot be imported.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import typer  # noqa: E402

from bot.cli import (  # noqa: E402
    apikeys,
    backup,
    calendar,
    db,
    deductions,
    delegations,
    doctor,
    invites,
    ratings,
    report,
    roster,
    service,
    tasks,
)

app = typer.Typer(
    help="kpibot: the KPI bot for public administration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, as in every terminal: flags show no value placeholder
)
app.command()(service.run)
app.command()(invites.invite)
app.command()(service.sweep)
app.command()(report.report)
app.command()(doctor.doctor)
app.command()(backup.backup)
app.command()(backup.restore)
app.command()(delegations.delegate)
# Commands of other packages, such as `kpibot sandbox` (declared in pyproject.toml).
for command in entry_points(group="kpibot.commands"):
    app.command(name=command.name)(command.load())
app.add_typer(db.app, name="db")
app.add_typer(roster.app, name="roster")
app.add_typer(calendar.app, name="calendar")
app.add_typer(deductions.app, name="deductions")
app.add_typer(apikeys.app, name="api-key")
app.add_typer(tasks.app, name="tasks")
app.add_typer(ratings.app, name="rating")


def main() -> None:
    """Entry point of the `kpibot` console script."""
    logging.captureWarnings(True)
    app()
