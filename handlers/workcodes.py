"""Work codes by their author: /open, /mycodes, /withdraw and /resubmit."""

from __future__ import annotations

from html import escape
from typing import cast

from telegram import ForceReply

from handlers.approvals import recount_card, show_state
from handlers.arguments import number, rest
from handlers.attachment_replies import attached
from handlers.awaiting import Awaiting, expect
from handlers.caller import LinkedCaller, linked
from handlers.workcode_replies import done, prompt, refusal
from kpi import attachments, tasks, workcodes
from kpi.attachments import AttachOutcome, SentFile
from kpi.outbox import Tell
from kpi.workcodes import WorkCodeOutcome, WorkCodeResult
from locales.i18n import N_
from models import Employee, WorkCode, WorkCodeAction
from notices.approvals import new_code_notice
from notices.callbacks import OpenTaskButton
from notices.excuses import fault_notices
from notices.limits import paged_lines
from notices.tasks import open_choice
from notices.workcodes import code_line, deadline_lines


@linked
async def cmd_open(caller: LinkedCaller) -> None:
    """Open a work code with the title given, or ask for the title."""
    title = rest(caller.message)
    if title.strip():
        await open_code(caller, title)
        return
    open_tasks = tasks.open_tasks(session=caller.session, employee_id=cast(int, caller.employee.id))
    if open_tasks:
        text = caller.tr._("Which of your tasks is this work code for?")
        await caller.reply(text, reply_markup=open_choice(caller.tr, open_tasks))
        return
    await _ask_title(caller)


@linked
async def on_open_task(caller: LinkedCaller) -> None:
    """/open's choice: a code reporting the task chosen, or the title of a new code asked."""
    button = await caller.button(OpenTaskButton)
    if button is None:
        return
    if button.task_id is None:
        await caller.query.answer()
        await _ask_title(caller)
        return
    task = tasks.open_task(session=caller.session, task_id=button.task_id, employee=caller.employee)
    if task is None:
        await caller.refuse_button()
        return
    await caller.query.answer()
    await open_code(caller, task.title, task_id=button.task_id)


async def _ask_title(caller: LinkedCaller) -> None:
    expect(caller.context, Awaiting(WorkCodeAction.OPEN))
    await caller.reply(prompt(caller.tr, WorkCodeAction.OPEN), reply_markup=ForceReply())


async def open_code(
    caller: LinkedCaller, title: str, sent: SentFile | None = None, task_id: int | None = None
) -> None:
    """Open a code for the caller's leader, with the file sent if any; tell the caller its
    deadline, and the leader."""
    result = workcodes.open_work_code(
        session=caller.session,
        author=caller.employee,
        title=title,
        now=caller.now,
        calendar=caller.calendar,
        days=caller.svc.policy.deadline_days,
        tell=_to_approver(caller),
        task_id=task_id,
    )
    note = None
    if sent is not None and result.code is not None and result.outcome is WorkCodeOutcome.OK:
        code_id = cast(int, result.code.id)
        added = attachments.attach(
            session=caller.session,
            code_id=code_id,
            author=caller.employee,
            sent=sent,
            now=caller.now,
        )
        if added.outcome is AttachOutcome.OK and added.code is not None:
            await recount_card(caller, added.code)
        note = attached(caller.tr, added, code_id)
    await _submitted(caller, result, note=note)


@linked
async def cmd_mycodes(caller: LinkedCaller) -> None:
    """List the caller's latest work codes."""
    tr = caller.tr
    codes = workcodes.codes_of(session=caller.session, employee_id=cast(int, caller.employee.id))
    lines = [code_line(tr, code, caller.calendar, caller.today) for code in codes]
    title = tr._("<b>Your work codes</b>")
    empty = tr._("You have not opened any work code yet. Send /open TITLE to open one.")
    await caller.reply_pages(paged_lines(tr, title, lines) if lines else [empty])


@linked
async def cmd_withdraw(caller: LinkedCaller) -> None:
    """Withdraw one of the caller's open codes."""
    code_id = await _code_id(caller, WorkCodeAction.WITHDRAW)
    if code_id is None:
        return
    result = workcodes.withdraw(
        session=caller.session, code_id=code_id, actor=caller.employee, now=caller.now
    )
    if result.outcome is not WorkCodeOutcome.OK:
        await caller.reply(refusal(caller.tr, result.outcome, code_id))
        return
    await show_state(caller, cast(WorkCode, result.code), None)
    await caller.reply(done(caller.tr, WorkCodeAction.WITHDRAW, code_id))


@linked
async def cmd_resubmit(caller: LinkedCaller) -> None:
    """Submit a returned code again: a new cycle with a new deadline."""
    code_id = await _code_id(caller, WorkCodeAction.RESUBMIT)
    if code_id is None:
        return
    result = workcodes.resubmit(
        session=caller.session,
        code_id=code_id,
        actor=caller.employee,
        now=caller.now,
        calendar=caller.calendar,
        days=caller.svc.policy.deadline_days,
        tell=_to_approver(caller),
    )
    await _submitted(caller, result, code_id, resubmitted=True)


async def _code_id(caller: LinkedCaller, action: WorkCodeAction) -> int | None:
    """The code the command names; without one, the usage is the answer."""
    digits = number(rest(caller.message))
    if digits is None:
        usage = caller.tr._("Usage: /{command} ID, e.g. /{command} 12", command=action.value)
        await caller.reply(usage)
        return None
    return int(digits)


async def _submitted(
    caller: LinkedCaller,
    result: WorkCodeResult,
    code_id: int | None = None,
    *,
    resubmitted: bool = False,
    note: str | None = None,
) -> None:
    """After opening or resubmitting: the deadline for the author, the code for the approver."""
    if result.outcome is not WorkCodeOutcome.OK:
        await caller.reply(refusal(caller.tr, result.outcome, code_id))
        return
    code = cast(WorkCode, result.code)
    approver = caller.session.get_one(Employee, code.approver_id)
    sent = (
        N_("Work code #{id} is submitted again and waits for {leader}.")
        if resubmitted
        else N_("Work code #{id} is open and waits for {leader}.")
    )
    opened = caller.tr._(sent, id=code.id, leader=escape(approver.full_name))
    lines = [opened, *deadline_lines(caller.tr, code, caller.occasion)]
    if code.delegated_from is not None:
        leader = caller.session.get_one(Employee, code.delegated_from)
        acting = N_("{deputy} approves in place of {leader}, who delegated approval.")
        lines.append(
            caller.tr._(acting, deputy=escape(approver.full_name), leader=escape(leader.full_name))
        )
    await caller.reply("\n".join([*lines, note] if note else lines))


def _to_approver(caller: LinkedCaller) -> Tell[WorkCode]:
    """The approver's card of a code opened or resubmitted, queued with it; and, for a code
    reporting a task after its due date, the notice of the delay to whoever may excuse it."""
    return caller.tells(
        lambda code: [
            new_code_notice(caller.session, caller.occasion, code),
            *fault_notices(caller.session, caller.occasion, code),
        ]
    )
