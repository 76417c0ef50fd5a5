"""`kpibot calendar`: days off and make-up working days."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from bot.cli.resources import database, fail, settings, work_calendar
from kpi.calendar import declare_day, remove_day
from services.container import system_clock

app = typer.Typer(help="Working calendar: days off and make-up working days.", no_args_is_help=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31")


DayArg = Annotated[str, typer.Argument(metavar="DATE", help="The day, as YYYY-MM-DD.")]
ReasonArg = Annotated[str, typer.Argument(help="Why (shown when deadlines are explained).")]


@app.command("add-off")
def calendar_add_off(day: DayArg, reason: ReasonArg = "") -> None:
    """Declare a day off: it no longer counts as a working day."""
    _declare(_day(day), working=False, reason=reason)


@app.command("add-workday")
def calendar_add_workday(day: DayArg, reason: ReasonArg = "") -> None:
    """Declare a working day (ngày làm bù), e.g. a make-up Saturday."""
    _declare(_day(day), working=True, reason=reason)


def _declare(day: date, *, working: bool, reason: str) -> None:
    config = settings()
    with database(config) as session:
        before = work_calendar(config, session).day_info(day)
        declare_day(session=session, day=day, working=working, reason=reason, now=system_clock())
    kind = "a working day" if working else "a day off"
    note = " (it already was)" if before.working == working else ""
    typer.echo(f"{day.isoformat()} ({day:%A}) is now {kind}{note}.")


@app.command("remove")
def calendar_remove(day: DayArg) -> None:
    """Remove the declaration for a day; the national calendar applies again."""
    config = settings()
    when = _day(day)
    with database(config) as session:
        if not remove_day(session=session, day=when, now=system_clock()):
            fail(f"nothing is declared for {when.isoformat()}")
        info = work_calendar(config, session).day_info(when)
    typer.echo(f"{when.isoformat()} follows the national calendar again: {info.kind.value}.")


@app.command("show")
def calendar_show(
    year: Annotated[int, typer.Argument(min=1901, max=2100, help="The year, e.g. 2027.")],
) -> None:
    """List the year's holidays, days off and working weekend days."""
    config = settings()
    with database(config) as session:
        calendar = work_calendar(config, session)
    for info in calendar.year(year):
        status = "working" if info.working else "off"
        typer.echo(f"{info.day.isoformat()}  {info.day:%a}  {status:<7}  {info.reason}")
    first, last = date(year, 1, 1), date(year, 12, 31)
    count = calendar.working_days_between(first, last) + calendar.is_working_day(first)
    typer.echo(f"{year}: {count} working days.")
