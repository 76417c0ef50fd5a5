"""`kpibot rating`: forced ratings (Không hoàn thành nhiệm vụ whatever the score) and reversals."""

from __future__ import annotations

from typing import Annotated, cast

import typer
from sqlmodel import Session

from bot.cli.resources import database, fail, settings
from kpi.org import employee_by_code
from kpi.periods import Period, parse_period
from kpi.ratings import RatingOutcome, RatingResult
from services.container import system_clock

app = typer.Typer(help="Forced ratings for a period, and their reversal.", no_args_is_help=True)

_REFUSALS = {
    RatingOutcome.NOT_FOUND: "no active forced rating of {code} for {period}",
    RatingOutcome.ALREADY_HANDLED: "{code} already has a forced rating for {period}",
    RatingOutcome.TEXT_REQUIRED: "the ground or reason is empty",
    RatingOutcome.TEXT_TOO_LONG: "the text is too long (2000 characters, 200 for --ref)",
}


@app.command("force")
def rating_force(
    code: Annotated[str, typer.Argument(help="The employee's code.")],
    period: Annotated[str, typer.Argument(help="2026-11, 2026Q4 or 2026.")],
    ground: Annotated[str, typer.Argument(help="The ground, e.g. 'Kỷ luật khiển trách'.")],
    ref: Annotated[str, typer.Option("--ref", help="The decision's number, e.g. 12/QĐ-SNV.")],
) -> None:
    """Rate an employee Không hoàn thành nhiệm vụ for a period, whatever the score."""
    from kpi.ratings import force

    chosen = _period(period)
    with database(settings()) as session:
        employee_id = _employee(session, code)
        result = force(
            session=session,
            employee_id=employee_id,
            period=chosen,
            ground=ground,
            reference=ref,
            actor_id=None,
            now=system_clock(),
        )
    _done(result, code, chosen, f"{code} is rated Không hoàn thành nhiệm vụ for {chosen}.")


@app.command("reverse")
def rating_reverse(
    code: Annotated[str, typer.Argument(help="The employee's code.")],
    period: Annotated[str, typer.Argument(help="The period of the forced rating.")],
    reason: Annotated[str, typer.Argument(help="Why it is withdrawn.")],
) -> None:
    """Withdraw an employee's forced rating for a period; the score decides again."""
    from kpi.ratings import reverse

    chosen = _period(period)
    with database(settings()) as session:
        employee_id = _employee(session, code)
        result = reverse(
            session=session,
            employee_id=employee_id,
            period=chosen,
            reason=reason,
            actor_id=None,
            now=system_clock(),
        )
    _done(result, code, chosen, f"The forced rating of {code} for {chosen} is withdrawn.")


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError:
        fail(f"{text!r} is not a period; write a month 2026-11, a quarter 2026Q4 or a year 2026")


def _employee(session: Session, code: str) -> int:
    found = employee_by_code(session, code)
    if found is None:
        fail(f"no employee with code {code!r}")
    return int(cast(int, found.id))


def _done(result: RatingResult, code: str, period: Period, message: str) -> None:
    if result.outcome is not RatingOutcome.OK:
        fail(_REFUSALS[result.outcome].format(code=code, period=period))
    typer.echo(message)
