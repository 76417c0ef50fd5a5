"""/excuse: the leader's superior or an admin confirms an objective cause for a task's fault."""

from __future__ import annotations

from handlers.arguments import number, words
from handlers.caller import LinkedCaller, linked
from kpi import tasks
from kpi.tasks import TaskOutcome
from locales.i18n import N_
from models import FaultKind

USAGE = N_("Usage: /excuse T12 error|delay REASON, e.g. /excuse T12 delay The data came late")
REFUSALS = {
    TaskOutcome.NOT_FOUND: N_("Task T{id} has no such fault left to excuse."),
    TaskOutcome.NOT_ALLOWED: N_(
        "Only the superior of the employee's leader, or HR, may excuse a fault of task T{id}."
    ),
    TaskOutcome.ALREADY_HANDLED: N_("That fault of task T{id} was excused already."),
    TaskOutcome.TEXT_REQUIRED: N_("Please write the reason."),
    TaskOutcome.TEXT_TOO_LONG: N_("The reason is longer than 2,000 characters."),
}


@linked
async def cmd_excuse(caller: LinkedCaller) -> None:
    """Excuse the oldest fault of the kind named (error or delay) of a task, with a reason."""
    args = words(caller.message, 3)
    digits = number(args[0].upper().removeprefix("T")) if args else None
    kinds = {"error": FaultKind.ERROR, "delay": FaultKind.DELAY}
    if len(args) < 3 or digits is None or args[1].lower() not in kinds:
        await caller.reply(caller.tr._(USAGE))
        return
    task_id, svc = int(digits), caller.svc
    key = tasks.unexcused_fault(caller.session, task_id, kinds[args[1].lower()], svc.tz)
    result = tasks.excuse(
        session=caller.session,
        task_id=task_id,
        key=key or "",
        actor=caller.employee,
        reason=args[2],
        now=caller.now,
        tz=svc.tz,
    )
    if result.outcome is TaskOutcome.OK:
        text = caller.tr._("The fault of task T{id} is excused: it costs no points.", id=task_id)
    else:
        text = caller.tr._(REFUSALS.get(result.outcome, USAGE), id=task_id)
    await caller.reply(text)
