"""Excusing a task's fault as an objective cause: typed (/excuse) or by the button on the notice
the leader's superior (or else each linked admin) gets, which asks for the reason."""

from __future__ import annotations

from telegram import ForceReply

from handlers.arguments import number, words
from handlers.awaiting import AwaitingExcuse, expect
from handlers.caller import LinkedCaller, linked
from handlers.edits import edit
from kpi import tasks
from kpi.outbox import Tell
from kpi.tasks import Fault, TaskOutcome
from locales.i18n import N_
from models import FaultKind
from notices.callbacks import ExcuseButton
from notices.excuses import excused_notices, reason_prompt

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
_ASKED = (TaskOutcome.TEXT_REQUIRED, TaskOutcome.TEXT_TOO_LONG)


@linked
async def cmd_excuse(caller: LinkedCaller) -> None:
    """Excuse the oldest fault of the kind named (error or delay) of a task, with a reason."""
    args = words(caller.message, 3)
    digits = number(args[0].upper().removeprefix("T")) if args else None
    kinds = {"error": FaultKind.ERROR, "delay": FaultKind.DELAY}
    if len(args) < 3 or digits is None or args[1].lower() not in kinds:
        await caller.reply(caller.tr._(USAGE))
        return
    task_id = int(digits)
    key = tasks.unexcused_fault(caller.session, task_id, kinds[args[1].lower()], caller.svc.tz)
    _done, reply = _excuse(caller, task_id, key or "", args[2])
    await caller.reply(reply)


@linked
async def on_button(caller: LinkedCaller) -> None:
    """Excuse (objective cause) on a fault's notice: check it may be excused, ask the reason."""
    button = await caller.button(ExcuseButton)
    if button is None:
        return
    checked = tasks.check_excuse(
        session=caller.session,
        task_id=button.task_id,
        key=button.key,
        actor=caller.employee,
        tz=caller.svc.tz,
    )
    if checked.outcome is not TaskOutcome.OK:
        refusal = _refusal(caller, checked.outcome, button.task_id)
        await caller.query.answer(refusal, show_alert=True)
        return
    notice = caller.message
    pressed = (notice.chat.id, notice.message_id, notice.text_html)
    expect(caller.context, AwaitingExcuse(button.task_id, button.key, pressed))
    await caller.query.answer()
    prompt = reason_prompt(caller.tr, button.task_id, button.kind)
    await caller.reply(prompt, reply_markup=ForceReply())


async def answer(caller: LinkedCaller, awaiting: AwaitingExcuse, text: str) -> None:
    """Take the objective cause asked for; the notice pressed loses its button once excused."""
    done, reply = _excuse(caller, awaiting.task_id, awaiting.key, text, awaiting)
    if done and awaiting.pressed is not None:
        await edit(caller.context.bot, *awaiting.pressed)  # the notice without its button
    await caller.reply(reply)


def _excuse(
    caller: LinkedCaller,
    task_id: int,
    key: str,
    reason: str,
    awaiting: AwaitingExcuse | None = None,
) -> tuple[bool, str]:
    """Record the excuse (the employee and the leader told with it): whether it was recorded,
    and the answer for the caller."""
    result = tasks.excuse(
        session=caller.session,
        task_id=task_id,
        key=key,
        actor=caller.employee,
        reason=reason,
        now=caller.now,
        tz=caller.svc.tz,
        tell=_to_employee_and_leader(caller, reason),
    )
    if result.outcome is TaskOutcome.OK:
        text = caller.tr._("The fault of task T{id} is excused: it costs no points.", id=task_id)
        return True, text
    if awaiting is not None and result.outcome in _ASKED:
        expect(caller.context, awaiting)  # ask again
    return False, _refusal(caller, result.outcome, task_id)


def _refusal(caller: LinkedCaller, outcome: TaskOutcome, task_id: int) -> str:
    return caller.tr._(REFUSALS.get(outcome, USAGE), id=task_id)


def _to_employee_and_leader(caller: LinkedCaller, reason: str) -> Tell[Fault]:
    """The employee's and the leader's notices of the excuse, queued with it."""
    return caller.tells(
        lambda fault: excused_notices(
            caller.session, caller.occasion, fault, caller.employee, reason
        )
    )
