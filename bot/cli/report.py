"""`kpibot report`: the quarter's scores for payroll."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.resources import counted, database, fail, policy, progress, settings
from kpi.roster import count_employees


def report(
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter, e.g. 2026Q4.")],
    file_format: Annotated[
        str, typer.Option("--format", help="csv (UTF-8 with BOM, opens in Excel) or xlsx.")
    ] = "xlsx",
    output: Annotated[
        Path | None,
        typer.Option("--output", help="The file to write (default: kpi-QUARTER.FORMAT)."),
    ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Only this unit (its name).")] = None,
) -> None:
    """Export the quarter's scores for payroll: one row per employee."""
    from kpi.report import write_report
    from kpi.scoring import Quarter, score_table
    from kpi.tables import FORMATS, TableFileError

    if file_format not in FORMATS:
        fail(f"--format must be csv or xlsx, not {file_format!r}")
    try:
        chosen = Quarter.parse(quarter)
    except ValueError:
        fail(f"{quarter!r} is not a quarter; write it like 2026Q4")
    path = output or Path(f"kpi-{chosen}.{file_format}")
    config = settings()
    active_policy = policy(config)
    with database(config) as session:
        total = count_employees(session, unit)
        if unit and not total:
            fail(f"no employee in unit {unit!r}")
        rows = score_table(
            session=session, quarter=chosen, policy=active_policy, tz=config.tz, unit=unit
        )
        with progress(total, "Scoring") as advance:
            try:
                count = write_report(
                    rows,
                    policy=active_policy,
                    path=path,
                    file_format=file_format,
                    locale=config.default_locale,
                    progress=advance,
                )
            except TableFileError as exc:
                fail(str(exc))
    typer.echo(f"{counted(count, 'employee')} written to {path}.")
