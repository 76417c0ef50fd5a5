"""`kpibot report`: a period's scores for payroll, and the 20% check per agency."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.resources import counted, database, fail, policy, progress, settings
from kpi.periods import Period
from kpi.report import AgencyCheck
from kpi.roster import count_employees


def report(
    period: Annotated[
        str | None,
        typer.Option("--period", help="A month 2026-11, a quarter 2026Q4 or a year 2026."),
    ] = None,
    quarter: Annotated[
        str | None, typer.Option("--quarter", help="The quarter, e.g. 2026Q4 (as --period).")
    ] = None,
    file_format: Annotated[
        str, typer.Option("--format", help="csv (UTF-8 with BOM, opens in Excel) or xlsx.")
    ] = "xlsx",
    output: Annotated[
        Path | None,
        typer.Option("--output", help="The file to write (default: kpi-PERIOD.FORMAT)."),
    ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Only this unit (its name).")] = None,
) -> None:
    """Export a period's scores for payroll: one row per employee.

    With assigned tasks, also count per agency whether Hoàn thành xuất sắc exceeds 20% of
    Hoàn thành tốt, and list the candidates; nobody's class is changed.
    """
    from kpi.policy import TaskScoring
    from kpi.report import ExcellenceCheck, write_report
    from kpi.scoring import score_table
    from kpi.tables import FORMATS, TableFileError

    if file_format not in FORMATS:
        fail(f"--format must be csv or xlsx, not {file_format!r}")
    if (period is None) == (quarter is None):
        fail("give the period: --period 2026-11, 2026Q4 or 2026 (or --quarter 2026Q4)")
    chosen = _parse(period) if period is not None else _quarter(quarter or "")
    path = output or Path(f"kpi-{chosen}.{file_format}")
    config = settings()
    active_policy = policy(config)
    check = ExcellenceCheck(active_policy)
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
                    check.watch(rows),
                    policy=active_policy,
                    path=path,
                    file_format=file_format,
                    locale=config.default_locale,
                    progress=advance,
                )
            except TableFileError as exc:
                fail(str(exc))
    typer.echo(f"{counted(count, 'employee')} written to {path}.")
    if active_policy.task_scoring is TaskScoring.ASSIGNED_TASKS:
        for agency in check.agencies():
            typer.echo(_checked(agency))


def _parse(text: str) -> Period:
    from kpi.periods import parse_period

    try:
        return parse_period(text)
    except ValueError:
        fail(f"{text!r} is not a period; write a month 2026-11, a quarter 2026Q4 or a year 2026")


def _quarter(text: str) -> Period:
    from kpi.periods import Quarter

    try:
        return Quarter.parse(text)
    except ValueError:
        fail(f"{text!r} is not a quarter; write it like 2026Q4")


def _checked(agency: AgencyCheck) -> str:
    """The 20% check of one agency, in a line, and its candidates when exceeded."""
    head = f"Agency of {agency.head_code} ({agency.head_name}): "
    counts = (
        f"{len(agency.excellent)} Hoàn thành xuất sắc, {agency.good} Hoàn thành tốt "
        f"(at most {agency.limit.normalize():f} allowed)"
    )
    if not agency.exceeded:
        return f"{head}{counts}: within the 20% rule."
    listed = "; ".join(f"{code} {name} {total}" for total, code, name in agency.candidates())
    return f"{head}{counts}: the 20% rule is exceeded; HR decides among: {listed}."
