"""`kpibot calendar`: official decisions, days off and make-up working days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from bot.cli.resources import (
    counted,
    database,
    fail,
    policy,
    reading_calendar,
    settings,
    work_calendar,
)
from bot.config import Settings
from kpi.calendar import WorkCalendar
from kpi.days import DayInfo, Source
from kpi.decisions import DecisionError, read_decision
from kpi.outbox import Draft
from kpi.replanning import (
    CalendarChange,
    Notify,
    Planning,
    Replanned,
    declare_day,
    import_decision,
    remove_day,
)
from notices.occasion import Occasion
from notices.replanning import replan_notices
from services.container import system_clock

app = typer.Typer(
    help="Working calendar: official decisions, days off and make-up working days.",
    no_args_is_help=True,
)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31")


DayArg = Annotated[str, typer.Argument(metavar="DATE", help="The day, as YYYY-MM-DD.")]
ReasonArg = Annotated[str, typer.Argument(help="Why (shown when deadlines are explained).")]


@app.command("add-off")
def calendar_add_off(day: DayArg, reason: ReasonArg = "") -> None:
    """Declare a day off; open codes whose deadline it affects are re-planned, and people told."""
    _declare(_day(day), working=False, reason=reason)


@app.command("add-workday")
def calendar_add_workday(day: DayArg, reason: ReasonArg = "") -> None:
    """Declare a working day (ngày làm bù), e.g. a make-up Saturday (no deadline moves earlier)."""
    _declare(_day(day), working=True, reason=reason)


def _declare(day: date, *, working: bool, reason: str) -> None:
    config, now = settings(), system_clock()
    with database(config) as session:
        before = work_calendar(config, session).day_info(day)
        change = declare_day(
            session=session,
            planning=_planning(config),
            day=day,
            working=working,
            reason=reason,
            now=now,
            notify=notify_of_moves(config, now),
        )
    kind = "a working day" if working else "a day off"
    note = " (it already was)" if before.working == working else ""
    typer.echo(f"{day.isoformat()} ({day:%A}) is now {kind}{note}.")
    _echo_replanned(change)


@app.command("remove")
def calendar_remove(day: DayArg) -> None:
    """Remove the declaration for a day; the official and national calendar applies again."""
    config, now = settings(), system_clock()
    when = _day(day)
    with database(config) as session:
        change = remove_day(
            session=session,
            planning=_planning(config),
            day=when,
            now=now,
            notify=notify_of_moves(config, now),
        )
        if change is None:
            fail(f"nothing is declared for {when.isoformat()}")
        info = work_calendar(config, session).day_info(when)
    typer.echo(f"{when.isoformat()} follows the official calendar again: {info.kind.value}.")
    _echo_replanned(change)


@app.command("import")
def calendar_import(
    file: Annotated[
        Path, typer.Argument(help="A decision file (TOML), as kpi/calendar_data/2026.toml.")
    ],
) -> None:
    """Import a year's official decision (all or nothing; it wins over the shipped one); re-plan."""
    try:
        decision = read_decision(file)
    except DecisionError as exc:
        for problem in exc.problems:
            typer.echo(f"{file}: {problem}", err=True)
        fail(f"{len(exc.problems)} problem(s); nothing was imported")
    config, now = settings(), system_clock()
    with database(config) as session:
        change = import_decision(
            session=session,
            planning=_planning(config),
            decision=decision,
            now=now,
            notify=notify_of_moves(config, now),
        )
    typer.echo(
        f"{decision.year}: {len(decision.days)} official days imported; "
        f"{len(change.days)} days changed."
    )
    _echo_replanned(change)


def notify_of_moves(config: Settings, now: datetime) -> Notify:
    """Draft the messages about moved deadlines, under the calendar as the change leaves it."""

    def drafts(session: Session, replanned: Sequence[Replanned]) -> list[Draft]:
        calendar = work_calendar(config, session)
        occasion = Occasion(calendar, policy(config), now, config.default_locale)
        return replan_notices(session, occasion, replanned)

    return drafts


def _echo_replanned(change: CalendarChange) -> None:
    count = len(change.replanned)
    typer.echo(f"{counted(count, 'open work code')} re-planned to a later deadline.")
    if change.told:
        people = counted(change.told, "person", "people")
        typer.echo(f"{people} will be told: the running bot sends the messages.")


@app.command("show")
def calendar_show(
    year: Annotated[int, typer.Argument(min=1901, max=2100, help="The year, e.g. 2027.")],
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="Names in vi or en (default: KPIBOT_DEFAULT_LOCALE)."),
    ] = None,
) -> None:
    """List the year's holidays, days off and working weekend days, each with its source."""
    config = settings()
    locale = lang or config.default_locale
    if locale not in ("vi", "en"):
        fail(f"--lang must be vi or en, not {locale!r}")
    calendar = reading_calendar(config)
    typer.echo(_year_heading(calendar, year))
    for info in calendar.year(year):
        status = "working" if info.working else "off"
        name = info.names.get(locale) if info.names else ""
        typer.echo(f"{info.day.isoformat()}  {info.day:%a}  {status:<7}  {name}  [{_source(info)}]")
    first, last = date(year, 1, 1), date(year, 12, 31)
    count = calendar.working_days_between(first, last) + calendar.is_working_day(first)
    typer.echo(f"{year}: {count} working days.")


def _year_heading(calendar: WorkCalendar, year: int) -> str:
    decision = calendar.decisions.get(year)
    if decision is None:
        return (
            f"{year}: ESTIMATED: no official decision is shipped or imported; days follow "
            "the rules of the holidays package (import the decision: kpibot calendar import)."
        )
    origin = "imported by the agency" if decision.imported else "shipped with kpibot"
    return f"{year}: official decision, {origin}."


def _source(info: DayInfo) -> str:
    if info.source is Source.OFFICIAL and info.reference is not None:
        return f"official: {info.reference}"
    if info.source is Source.AGENCY:
        return "declared by the agency"
    return "estimated: holidays package" if info.estimated else "holidays package"


def _planning(config: Settings) -> Planning:
    active = policy(config)
    return Planning(tz=config.tz, days=active.deadline_days, calendar_days=active.calendar_days)
