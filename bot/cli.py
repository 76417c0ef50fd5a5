"""The `kpibot` command line."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from bot.config import Settings, SettingsError, load_settings
from bot.logs import configure_logging
from bot.services import Services, system_clock
from kpi.calendar import WorkCalendar, load_calendar
from kpi.days import DayInfo, Source
from kpi.decisions import DecisionError, read_decision
from kpi.linking import UnknownEmployees, create_invites
from kpi.policy import Policy, PolicyError, load_policy
from kpi.replanning import CalendarChange, Planning, declare_day, import_decision, remove_day
from kpi.roster import count_employees, export_roster
from kpi.roster_import import import_roster, read_roster
from kpi.tables import TableFileError
from models.db import make_engine, make_session_factory, upgrade
from sandbox.cli import sandbox

if TYPE_CHECKING:
    from scheduler.delivery import DeliveryReport

app = typer.Typer(
    help="kpibot: the KPI bot for public administration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
roster_app = typer.Typer(help="Import or export the roster of employees.", no_args_is_help=True)
calendar_app = typer.Typer(
    help="Working calendar: official decisions, days off and make-up working days.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(roster_app, name="roster")
app.add_typer(calendar_app, name="calendar")
deductions_app = typer.Typer(help="Deductions logged outside the bot.", no_args_is_help=True)
app.add_typer(deductions_app, name="deductions")


def fail(message: str) -> NoReturn:
    """Print one clear line on stderr and exit with status 2."""
    typer.echo(f"kpibot: {message}", err=True)
    raise typer.Exit(2)


def settings() -> Settings:
    """The settings, or one line naming the bad one."""
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))


def policy(config: Settings) -> Policy:
    """The active policy (KPIBOT_POLICY or the shipped default), or its problems."""
    try:
        return load_policy(config.policy)
    except PolicyError as exc:
        fail(str(exc))


def open_engine(config: Settings) -> Engine:
    """An engine on the upgraded database, or one line saying why it cannot be opened."""
    engine = make_engine(config.database_url)
    try:
        upgrade(engine)
    except Exception as exc:  # noqa: BLE001  (one line for the operator, not a traceback)
        engine.dispose()
        fail(f"cannot open the database (KPIBOT_DATABASE_URL): {exc.__class__.__name__}: {exc}")
    return engine


@contextmanager
def database(config: Settings) -> Iterator[Session]:
    """An upgraded database and one session on it."""
    engine = open_engine(config)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@app.command()
def run() -> None:
    """Upgrade the database, then serve (by webhook when KPIBOT_WEBHOOK_URL is set)."""
    from bot.serve import serve  # the bot stack loads only for the commands that need it

    config = settings()
    try:
        token = config.require_token()
        if config.webhook_url:
            config.require_webhook_secret()
    except SettingsError as exc:
        fail(str(exc))
    configure_logging(token)
    active_policy = policy(config)
    engine = open_engine(config)
    serve(Services(config, make_session_factory(engine), active_policy, system_clock))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (kpibot run does this too)."""
    config = settings()
    with database(config):
        typer.echo("Database is up to date.")


@roster_app.command("import")
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
        fail(f"{len(report.errors)} bad row(s); nothing was imported")
    verb = "would be" if dry_run else "were"
    typer.echo(
        f"{len(rows)} rows: {report.created} {verb} created, {report.updated} {verb} updated, "
        f"{report.unchanged} unchanged."
    )


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int, int], None]]:
    bar = typer.progressbar(length=total, label=label, file=sys.stderr)
    done = 0

    def advance(count: int, _total: int) -> None:
        nonlocal done
        bar.update(count - done)
        done = count

    with bar:
        yield advance


@roster_app.command("export")
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
    typer.echo(f"{count} employees written to {file}.")


@app.command()
def invite(
    codes: Annotated[list[str] | None, typer.Argument(help="Employee codes.")] = None,
    all_unlinked: Annotated[
        bool, typer.Option("--all-unlinked", help="Invite every employee not yet linked.")
    ] = False,
    expires_days: Annotated[
        int, typer.Option("--expires-days", min=1, max=365, help="Days the invites stay valid.")
    ] = 14,
) -> None:
    """Print one invite link per employee: `<code> <link>`."""
    if bool(codes) == all_unlinked:
        fail("name employee codes, or give --all-unlinked (not both)")
    config = settings()
    username = asyncio.run(_bot_username(config))
    with database(config) as session:
        try:
            pairs = create_invites(
                session=session,
                codes=codes or [],
                all_unlinked=all_unlinked,
                now=system_clock(),
                expires_days=expires_days,
            )
        except UnknownEmployees as exc:
            fail(f"unknown employee code(s): {exc}")
    for code, token in pairs:
        typer.echo(f"{code} https://t.me/{username}?start={token}")


async def _bot_username(config: Settings) -> str:
    """Ask Telegram for the bot's username, which invite links name."""
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        token = config.require_token()
        async with Bot(token, base_url=config.telegram_base_url.rstrip("/")) as bot:
            return bot.username
    except SettingsError as exc:
        fail(str(exc))
    except TelegramError as exc:
        fail(f"cannot reach Telegram to learn the bot's name: {exc}")


@app.command()
def sweep(
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="The instant, ISO-8601 (e.g. 2026-11-09T15:00+07:00; without a zone, "
            "KPIBOT_TIMEZONE). Default: now.",
        ),
    ] = None,
    no_send: Annotated[
        bool, typer.Option("--no-send", help="Queue messages; send nothing.")
    ] = False,
) -> None:
    """Do once all time-driven work due at an instant: reminders, breaches, digests; then send."""
    from scheduler.sweep import run_sweep

    config = settings()
    now = _instant(at, config) if at else system_clock()
    active_policy = policy(config)
    engine = open_engine(config)
    db = make_session_factory(engine)
    report = run_sweep(
        db=db, policy=active_policy, tz=config.tz, now=now, default_locale=config.default_locale
    )
    typer.echo(
        f"{now.astimezone(config.tz).isoformat()}: {report.reminders} reminders, "
        f"{report.breaches} breaches, {report.digests} digests; {report.queued} messages queued."
    )
    if not no_send:
        delivered = asyncio.run(_deliver(config, db, now))
        typer.echo(
            f"Delivered {delivered.sent}; {delivered.later} wait for a retry, "
            f"{delivered.blocked} blocked, {delivered.failed} refused."
        )
    engine.dispose()


@deductions_app.command("import")
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
    for error in report.errors:
        typer.echo(f"{file}: line {error.line}: {error.reason}", err=True)
    if report.errors:
        fail(f"{len(report.errors)} bad row(s); nothing was imported")
    verb = "would be" if dry_run else "were"
    typer.echo(f"{len(rows)} rows: {report.created} {verb} added, {report.skipped} already there.")
    if told:
        typer.echo(f"{told} messages queued: the running bot tells each employee.")


def _tell_imported(session: Session, config: Settings, active_policy: Policy, now: datetime) -> int:
    """Queue a notice to each employee of a deduction this import added (the bot sends them)."""
    from kpi.outbox import post
    from models import Deduction, DeductionSource, Employee
    from scheduler.messages import Context, deduction_notice

    added = session.exec(
        select(Deduction).where(
            col(Deduction.source) == DeductionSource.IMPORT, col(Deduction.created_at) == now
        )
    ).all()
    people = {
        e.id: e
        for e in session.exec(
            select(Employee).where(col(Employee.id).in_({d.employee_id for d in added}))
        )
    }
    ctx = Context(_calendar(config, session), active_policy, now, config.default_locale)
    drafts = [deduction_notice(ctx, people[d.employee_id], d, None) for d in added]
    return post(session, [draft for draft in drafts if draft is not None], now=now)


@app.command()
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
    from kpi.tables import FORMATS

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
        with typer.progressbar(length=total, label="Scoring", file=sys.stderr) as bar:
            try:
                count = write_report(
                    rows,
                    policy=active_policy,
                    path=path,
                    file_format=file_format,
                    locale=config.default_locale,
                    progress=bar.update,
                )
            except TableFileError as exc:
                fail(str(exc))
    typer.echo(f"{count} employees written to {path}.")


def _instant(text: str, config: Settings) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not an ISO-8601 date and time, e.g. 2026-11-09T15:00+07:00")
    return instant if instant.tzinfo else instant.replace(tzinfo=config.tz)


async def _deliver(config: Settings, db: sessionmaker[Session], now: datetime) -> DeliveryReport:
    """Send what is due at `now` with a bot of our own, as the running service would."""
    from telegram import Bot
    from telegram.error import TelegramError

    from scheduler.delivery import Deliverer

    try:
        token = config.require_token()
    except SettingsError as exc:
        fail(f"{exc} (or use --no-send)")
    configure_logging(token, logging.WARNING)
    try:
        async with Bot(token, base_url=config.telegram_base_url.rstrip("/")) as bot:
            return await Deliverer(db=db, bot=bot, clock=lambda: now).deliver_due()
    except TelegramError as exc:
        fail(f"cannot reach Telegram: {exc}")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31")


DayArg = Annotated[str, typer.Argument(metavar="DATE", help="The day, as YYYY-MM-DD.")]
ReasonArg = Annotated[str, typer.Argument(help="Why (shown when deadlines are explained).")]


@calendar_app.command("add-off")
def calendar_add_off(day: DayArg, reason: ReasonArg = "") -> None:
    """Declare a day off; open codes whose deadline it affects are re-planned."""
    _declare(_day(day), working=False, reason=reason)


@calendar_app.command("add-workday")
def calendar_add_workday(day: DayArg, reason: ReasonArg = "") -> None:
    """Declare a working day (ngày làm bù), e.g. a make-up Saturday (no deadline moves earlier)."""
    _declare(_day(day), working=True, reason=reason)


def _declare(day: date, *, working: bool, reason: str) -> None:
    config = settings()
    with database(config) as session:
        before = _calendar(config, session).day_info(day)
        change = declare_day(
            session=session,
            planning=_planning(config),
            day=day,
            working=working,
            reason=reason,
            now=system_clock(),
        )
    kind = "a working day" if working else "a day off"
    note = " (it already was)" if before.working == working else ""
    typer.echo(f"{day.isoformat()} ({day:%A}) is now {kind}{note}.")
    _echo_replanned(change)


@calendar_app.command("remove")
def calendar_remove(day: DayArg) -> None:
    """Remove the declaration for a day; the official and national calendar applies again."""
    config = settings()
    when = _day(day)
    with database(config) as session:
        change = remove_day(
            session=session, planning=_planning(config), day=when, now=system_clock()
        )
        if change is None:
            fail(f"nothing is declared for {when.isoformat()}")
        info = _calendar(config, session).day_info(when)
    typer.echo(f"{when.isoformat()} follows the official calendar again: {info.kind.value}.")
    _echo_replanned(change)


@calendar_app.command("import")
def calendar_import(
    file: Annotated[
        Path, typer.Argument(help="A decision file (TOML), as kpi/calendar_data/2026.toml.")
    ],
) -> None:
    """Import a year's official decision: all or nothing; it wins over the shipped one."""
    try:
        decision = read_decision(file)
    except DecisionError as exc:
        for problem in exc.problems:
            typer.echo(f"{file}: {problem}", err=True)
        fail(f"{len(exc.problems)} problem(s); nothing was imported")
    config = settings()
    with database(config) as session:
        change = import_decision(
            session=session, planning=_planning(config), decision=decision, now=system_clock()
        )
    typer.echo(
        f"{decision.year}: {len(decision.days)} official days imported; "
        f"{len(change.days)} days changed."
    )
    _echo_replanned(change)


def _echo_replanned(change: CalendarChange) -> None:
    count = len(change.replanned)
    typer.echo(f"{count} open work code(s) re-planned to a later deadline.")


@calendar_app.command("show")
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
    with database(config) as session:
        calendar = _calendar(config, session)
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


def _calendar(config: Settings, session: Session) -> WorkCalendar:
    calendar_days = policy(config).calendar_days
    return load_calendar(session=session, tz=config.tz, calendar_days=calendar_days)


app.command()(sandbox)


def main() -> None:
    """Entry point of the `kpibot` console script."""
    logging.captureWarnings(True)
    app()
