"""`kpibot sandbox`: the real bot, an emulated Telegram and a web page, on this machine only."""

from __future__ import annotations

import asyncio
import logging
import signal
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from bot.logs import configure_logging
from kpi.policy import load_policy
from kpi.roster_import import RosterRow, read_roster, validate_roster
from kpi.tables import TableFileError

if TYPE_CHECKING:
    from sandbox.server import Options, Sandbox


def _fail(message: str) -> NoReturn:
    """One clear line on stderr, exit status 2 (as every kpibot command)."""
    typer.echo(f"kpibot: {message}", err=True)
    raise typer.Exit(2)


def sandbox(
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Where the page listens on 127.0.0.1.")
    ] = 8080,
    empty: Annotated[
        bool, typer.Option("--empty", help="Start with nobody: no demo organisation.")
    ] = False,
    roster: Annotated[
        Path | None,
        typer.Option("--roster", help="Import this roster (CSV or XLSX) instead of the demo."),
    ] = None,
) -> None:
    """Try kpibot here: the real bot, an emulated Telegram and a web page; no token, no internet.

    Everything runs on 127.0.0.1 with a fresh SQLite file in a temporary folder, removed when the
    sandbox stops (Ctrl-C). Unless --empty or --roster, a demo organisation is seeded.
    """
    # The bot stack loads here, not when any other kpibot command starts.
    from sandbox.demo import RosterRejected
    from sandbox.server import TOKEN, Options, PortInUse

    if empty and roster is not None:
        _fail("give --empty or --roster, not both")
    rows = _checked_roster(roster) if roster is not None else None
    configure_logging(TOKEN, logging.WARNING)
    logging.getLogger("tornado.access").setLevel(logging.ERROR)  # refusals are the page's news
    with tempfile.TemporaryDirectory(prefix="kpibot-sandbox-") as folder:
        options = Options(folder=Path(folder), port=port, empty=empty, roster=rows)
        try:
            asyncio.run(_serve(options))
        except KeyboardInterrupt:
            pass
        except PortInUse as exc:
            _fail(f"{exc} (another program uses it; choose another with --port)")
        except RosterRejected as exc:
            _fail(f"the roster was refused: {exc}")
    typer.echo("Sandbox stopped.")


def _checked_roster(path: Path) -> list[RosterRow]:
    """The roster's rows, or every bad row with its line number and exit 2."""
    try:
        rows = read_roster(path)
    except TableFileError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    errors = validate_roster(rows, positions=set(load_policy().positions), known_leaders={})
    for error in errors:
        typer.echo(f"{path}: line {error.line}: {error.reason}", err=True)
    if errors:
        rows_text = "1 bad row" if len(errors) == 1 else f"{len(errors)} bad rows"
        _fail(f"{rows_text} in the roster; the sandbox did not start")
    if not rows:
        _fail(f"{path} has no employees")
    return rows


async def _serve(options: Options) -> None:
    """Run until Ctrl-C or SIGTERM."""
    from sandbox.server import running

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with running(options) as sandbox:
        _announce(sandbox, options)
        await stop.wait()


def _announce(sandbox: Sandbox, options: Options) -> None:
    from sandbox.botapi import resolve_spec_path
    from sandbox.demo import UNIT
    from sandbox.server import TIMEZONE

    seeded = sandbox.seeded
    now = sandbox.clock().astimezone(sandbox.svc.tz)
    if options.roster is not None:
        people = f"{seeded.employees} people from the roster"
    elif options.empty:
        people = "nobody (--empty); the guest account can still try /start and /help"
    else:
        people = (
            f"the demo organisation {UNIT}: {seeded.employees} people, "
            f"{seeded.codes} work codes, {seeded.tasks} tasks, {seeded.deductions} deductions"
        )
    spec_path = resolve_spec_path()
    spec = (
        f"checked against {spec_path}"
        if sandbox.fake.spec_source == "api.json"
        else f"given built-in checks ({spec_path} not found)"
    )
    typer.echo(f"kpibot sandbox: {sandbox.url}")
    typer.echo(f"  People: {people}.")
    typer.echo(f"  Simulated time: {now:%Y-%m-%d %H:%M} {TIMEZONE} (moved from the page).")
    typer.echo(f"  Database: {options.folder / 'sandbox.db'} (deleted when the sandbox stops).")
    typer.echo(f"  Bot API calls are {spec}.")
    typer.echo("Open the address in a browser; Ctrl-C stops the sandbox.")
