"""`kpibot roster`: import or export the roster of employees."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.resources import counted, database, fail, policy, progress, settings
from kpi.roster import export_roster
from kpi.roster_import import import_roster, read_roster
from kpi.tables import TableFileError
from services.container import system_clock

app = typer.Typer(help="Import or export the roster of employees.", no_args_is_help=True)


@app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or XLSX file with a header row.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; change nothing.")] = False,
) -> None:
    """Import employees: all or nothing; re-importing updates by code."""
    config = settings()
    active_policy = policy(config)
    try:
        rows = read_roster(file)
    except TableFileError as exc:
        fail(str(exc))
    with database(config) as session, _progress(len(rows), "Importing") as progress:
        report = import_roster(
            session=session,
            rows=rows,
            positions=set(active_policy.positions),
            now=system_clock(),
            dry_run=dry_run,
            progress=progress,
        )
    for error in report.errors:
        typer.echo(f"{file}: line {error.line}: {error.reason}", err=True)
    if report.errors:
        fail(f"{counted(len(report.errors), 'bad row')}; nothing was imported")
    verb = "would be " if dry_run else ""
    typer.echo(
        f"{counted(len(rows), 'row')}: {report.created} {verb}created, "
        f"{report.updated} {verb}updated, {report.unchanged} unchanged."
    )


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int, int], None]]:
    """The import's progress callback, told how many rows are done so far."""
    done = 0
    with progress(total, label) as advance:

        def told(count: int, _total: int) -> None:
            nonlocal done
            advance(count - done)
            done = count

        yield told


@app.command("export")
def roster_export(
    file: Annotated[Path, typer.Argument(help="Where to write: .csv or .xlsx.")],
) -> None:
    """Export the roster in the import format."""
    config = settings()
    with database(config) as session:
        try:
            count = export_roster(session=session, path=file)
        except TableFileError as exc:
            fail(str(exc))
    typer.echo(f"{counted(count, 'employee')} written to {file}.")
