"""`kpibot delegate`: HR names a leader's acting approver for some days, lists or cancels them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from sqlmodel import Session

from bot.cli.resources import database, fail, policy, settings, work_calendar
from bot.config import Settings
from kpi.delegation import DelegationOutcome, DelegationResult
from kpi.org import employee_by_code
from models import Delegation, Employee
from services.container import system_clock

if TYPE_CHECKING:
    from notices.occasion import Occasion

_REFUSALS = {
    DelegationOutcome.NOT_A_LEADER: "{leader} is nobody's direct leader: nothing to delegate",
    DelegationOutcome.SELF: "a leader cannot be their own acting approver",
    DelegationOutcome.DEPUTY_NOT_LINKED: "{deputy} has not linked a Telegram account yet",
    DelegationOutcome.BAD_PERIOD: "the period must end on or after --from and last at most a year",
    DelegationOutcome.IN_THE_PAST: "the period cannot start before today",
    DelegationOutcome.OVERLAP: "{leader} already has an acting approver from {start} to {end} "
    "(delegation {id}); cancel it first or choose other days",
    DelegationOutcome.LEADER_IS_DEPUTY: "{leader} acts for another leader from {start} to {end} "
    "(delegation {id})",
    DelegationOutcome.DEPUTY_DELEGATES: "{deputy} has an acting approver of their own from "
    "{start} to {end} (delegation {id})",
    DelegationOutcome.NOT_FOUND: "no delegation {id}",
    DelegationOutcome.ALREADY_HANDLED: "delegation {id} is already over or cancelled",
}


def delegate(
    leader: Annotated[
        str | None, typer.Argument(metavar="LEADER", help="The leader's employee code.")
    ] = None,
    deputy: Annotated[
        str | None, typer.Argument(metavar="DEPUTY", help="The acting approver's employee code.")
    ] = None,
    starts: Annotated[
        datetime | None,
        typer.Option(
            "--from",
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="The first day (default today).",
        ),
    ] = None,
    ends: Annotated[
        datetime | None,
        typer.Option(
            "--to", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help="The last day (inclusive)."
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the delegations not yet over, and stop.")
    ] = False,
    cancel: Annotated[
        int | None, typer.Option("--cancel", metavar="ID", help="Cancel delegation ID, and stop.")
    ] = None,
) -> None:
    """Name LEADER's acting approver DEPUTY for some days: the leader's open work codes go to the
    deputy meanwhile and come back after. Both are told."""
    config = settings()
    now = system_clock()
    with database(config) as session:
        today = work_calendar(config, session).local_day(now)
        if list_:
            _list(session, today)
        elif cancel is not None:
            _cancel(session, config, cancel, today, now)
        elif leader is None or deputy is None or ends is None:
            fail("name the LEADER, the DEPUTY and the last day (--to YYYY-MM-DD), or use --list")
        else:
            first = starts.date() if starts else today
            _create(session, config, (leader, deputy), (first, ends.date()), today, now)


def _create(
    session: Session,
    config: Settings,
    codes: tuple[str, str],
    days: tuple[date, date],
    today: date,
    now: datetime,
) -> None:
    from kpi.delegation import create
    from notices.delegation import created_notices

    leader, deputy = (_employee(session, code) for code in codes)
    result = create(
        session=session,
        actor=None,
        leader_id=_id(leader),
        deputy_id=_id(deputy),
        starts_on=days[0],
        ends_on=days[1],
        today=today,
        now=now,
        tell=lambda made: created_notices(session, _occasion(session, config, now), made, None),
    )
    made = _done(result, leader, deputy)
    typer.echo(
        f"Delegation {made.id}: {deputy.code} approves for {leader.code} "
        f"from {made.starts_on} to {made.ends_on}; both are told."
    )


def _cancel(
    session: Session, config: Settings, delegation_id: int, today: date, now: datetime
) -> None:
    from kpi.delegation import cancel
    from notices.delegation import cancelled_notices

    result = cancel(
        session=session,
        delegation_id=delegation_id,
        actor=None,
        today=today,
        now=now,
        tell=lambda done: cancelled_notices(
            session, _occasion(session, config, now), done[0], done[1], None
        ),
    )
    if result.outcome is not DelegationOutcome.OK:
        fail(_REFUSALS[result.outcome].format(id=delegation_id))
    typer.echo(f"Delegation {delegation_id} is cancelled; the work codes are back with the leader.")


def _list(session: Session, today: date) -> None:
    from kpi.delegation import listing

    rows = listing(session, today)
    if not rows:
        typer.echo("No delegation in force or to come.")
    for row in rows:
        leader = session.get_one(Employee, row.leader_id)
        deputy = session.get_one(Employee, row.deputy_id)
        typer.echo(f"{row.id}\t{leader.code}\t{deputy.code}\t{row.starts_on}\t{row.ends_on}")


def _occasion(session: Session, config: Settings, now: datetime) -> Occasion:
    from notices.occasion import Occasion

    return Occasion(work_calendar(config, session), policy(config), now, config.default_locale)


def _employee(session: Session, code: str) -> Employee:
    found = employee_by_code(session, code)
    if found is None:
        fail(f"no employee with code {code!r}")
    return found


def _id(employee: Employee) -> int:
    return employee.id or 0


def _done(result: DelegationResult, leader: Employee, deputy: Employee) -> Delegation:
    made = result.delegation
    if result.outcome is DelegationOutcome.OK and made is not None:
        return made
    values: dict[str, object] = {"leader": leader.code, "deputy": deputy.code}
    values |= {"id": "", "start": "", "end": ""}
    if made is not None:
        values |= {"id": made.id, "start": made.starts_on, "end": made.ends_on}
    fail(_REFUSALS[result.outcome].format(**values))
