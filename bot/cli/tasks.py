"""`kpibot tasks`: tasks assigned outside the bot, from the agency's task-assignment system."""

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

app = typer.Typer(help="Tasks assigned outside the bot.", no_args_is_help=True)


@app.command("import")
def tasks_import(
    file: Annotated[
        Path,
        typer.Argument(help="CSV or XLSX: code, title, due_on, type[, assigned_by, external_id]."),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; change nothing.")] = False,
) -> None:
    """Import tasks: all or nothing; rows whose external_id is there already are skipped."""
    from kpi.tasks_import import import_tasks, read_tasks

    config = settings()
    active_policy = policy(config)
    try:
        rows = read_tasks(file)
    except TableFileError as exc:
        fail(str(exc))
    now = system_clock()
    with database(config) as session:
        report = import_tasks(
            session=session, rows=rows, policy=active_policy, now=now, dry_run=dry_run
        )
        told = _tell_assigned(session, config, active_policy, now) if report.created else 0
    echo_import(file, len(rows), report, dry_run=dry_run, told=told, whom="assignee")


def _tell_assigned(session: Session, config: Settings, active_policy: Policy, now: datetime) -> int:
    """Queue a notice to the assignee of each task this import added (the bot sends them)."""
    from kpi.outbox import post
    from notices.occasion import Occasion
    from notices.tasks import import_notices

    calendar = work_calendar(config, session)
    occasion = Occasion(calendar, active_policy, now, config.default_locale)
    return post(session, import_notices(session, occasion, now), now=now)
