"""`kpibot deductions`: deductions logged outside the bot, from a file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from bot.cli.resources import database, echo_import, fail, policy, settings, work_calendar
from bot.config import Settings
from kpi.policy import Policy
from kpi.tables import TableFileError
from services.container import system_clock

app = typer.Typer(help="Deductions logged outside the bot.", no_args_is_help=True)


@app.command("import")
def deductions_import(
    file: Annotated[
        Path, typer.Argument(help="CSV or XLSX: code, criterion, occurred_on, reason[, points].")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; change nothing.")] = False,
) -> None:
    """Import deductions: all or nothing; rows imported before are skipped."""
    from kpi.deductions_import import import_deductions, read_deductions

    config = settings()
    active_policy = policy(config)
    try:
        rows = read_deductions(file)
    except TableFileError as exc:
        fail(str(exc))
    now = system_clock()
    with database(config) as session:
        report = import_deductions(
            session=session, rows=rows, policy=active_policy, tz=config.tz, now=now, dry_run=dry_run
        )
        told = _tell_imported(session, config, active_policy, now) if report.created else 0
    echo_import(file, len(rows), report, dry_run=dry_run, told=told, whom="employee")


def _tell_imported(session: Session, config: Settings, active_policy: Policy, now: datetime) -> int:
    """Queue a notice to each employee of a deduction this import added (the bot sends them)."""
    from kpi.outbox import post
    from notices.deductions import import_notices
    from notices.occasion import Occasion

    calendar = work_calendar(config, session)
    drafts = import_notices(session, Occasion(calendar, active_policy, now, config.default_locale))
    return post(session, drafts, now=now)
