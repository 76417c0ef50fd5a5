"""`kpibot report`: a period's scores for payroll, and the 20% check per agency."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.resources import counted, database, fail, policy, progress, settings
from kpi.periods import Period
from kpi.report import AgencyCheck
from kpi.roster import count_employees
from locales.i18n import LOCALES, N_, translations

# The report's column headings by key (kpi.report.COLUMNS); the criteria are named by the policy.
HEADINGS = {
    "code": N_("Code"),
    "full_name": N_("Full name"),
    "unit": N_("Unit"),
    "position": N_("Position"),
    "leader_code": N_("Leader's code"),
    "leader_name": N_("Leader"),
    "tasks_due": N_("Tasks due"),
    "tasks_done": N_("Tasks done"),
    "units_due": N_("Units due"),
    "units_done": N_("Units done"),
    "quality_errors": N_("Quality errors"),
    "delays": N_("Delays"),
    "excused": N_("Excused faults"),
    "forced_ground": N_("Forced rating: ground"),
    "forced_reference": N_("Forced rating: decision"),
    "total": N_("Total"),
    "classification": N_("Classification"),
    "bonus_coefficient": N_("Bonus coefficient"),
    "deductions": N_("Deductions"),
    "number": N_("Deduction no."),
    "criterion": N_("Criterion"),
    "points": N_("Points"),
    "date": N_("Date"),
    "reason": N_("Reason"),
    "work_code": N_("Work code"),
    "deduction_sheet": N_("Deductions of the period"),
}


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
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="Headings in vi or en (default: KPIBOT_DEFAULT_LOCALE)."),
    ] = None,
) -> None:
    """Export a period's scores for payroll: one row per employee, and each deduction counted.

    XLSX: the deductions on a second sheet. CSV: in NAME-deductions.csv next to the file.

    With assigned tasks, also count per agency whether Hoàn thành xuất sắc exceeds 20% of
    Hoàn thành tốt, and list the candidates; nobody's class is changed.
    """
    from kpi.bulk import mapped
    from kpi.policy import TaskScoring
    from kpi.report import DEDUCTIONS_SLUG, ExcellenceCheck, write_report
    from kpi.scoring import period_deductions, score_table
    from kpi.tables import FORMATS, TableFileError, csv_path

    if file_format not in FORMATS:
        fail(f"--format must be csv or xlsx, not {file_format!r}")
    if (period is None) == (quarter is None):
        fail("give the period: --period 2026-11, 2026Q4 or 2026 (or --quarter 2026Q4)")
    chosen = _parse(period) if period is not None else _quarter(quarter or "")
    path = output or Path(f"kpi-{chosen}.{file_format}")
    config = settings()
    locale = lang or config.default_locale
    if locale not in LOCALES:
        fail(f"--lang must be vi or en, not {locale!r}")
    active_policy = policy(config)
    check = ExcellenceCheck(active_policy)
    with database(config) as session:
        mapped(session)
        total = count_employees(session, unit)
        if unit and not total:
            fail(f"no employee in unit {unit!r}")
        # The task counts first: on PostgreSQL the server counts while the deductions are read.
        rows = score_table(
            session=session,
            quarter=chosen,
            policy=active_policy,
            tz=config.tz,
            unit=unit,
            ahead=True,
        )
        deductions = period_deductions(session=session, period=chosen, tz=config.tz, unit=unit)
        with progress(total, "Scoring") as advance:
            try:
                count = write_report(
                    check.watch(rows),
                    deductions,
                    policy=active_policy,
                    path=path,
                    file_format=file_format,
                    locale=locale,
                    tz=config.tz,
                    headings=headings(locale),
                    progress=advance,
                )
            except TableFileError as exc:
                fail(str(exc))
    listed = counted(len(deductions), "deduction")
    if file_format == "csv":
        where = f"{path}, {listed} to {csv_path(path, DEDUCTIONS_SLUG)}"
    else:
        where = f"{path}, {listed} on its second sheet"
    typer.echo(f"{counted(count, 'employee')} written to {where}.")
    if active_policy.task_scoring is TaskScoring.ASSIGNED_TASKS:
        for agency in check.agencies():
            typer.echo(_checked(agency))


def headings(locale: str) -> dict[str, str]:
    """The report's column headings by key, in `locale`."""
    catalog = translations(locale)
    return {key: catalog.gettext(text) for key, text in HEADINGS.items()}


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
