"""Work codes in Telegram: /open, /mycodes, /withdraw, /resubmit, /pending, buttons and replies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from sqlmodel import Session
from telegram import CallbackQuery, ForceReply, Message, Update
from telegram.ext import ContextTypes

from handlers import delivery
from handlers.caller import Caller, identify, linked, services, translator_for
from handlers.score import answer_question
from handlers.workcode_views import (
    RESPONSE_NOTES,
    approver_keyboard,
    author_news,
    code_line,
    deadline,
    done,
    notice,
    prompt,
    refusal,
    response_note,
    skipped,
)
from kpi import workcodes
from kpi.calendar import WorkCalendar
from kpi.outbox import Draft
from kpi.workcodes import WorkCodeOutcome, WorkCodeResult
from models import Employee, OutboxKind, WorkCode, WorkCodeAction, WorkCodeStatus
from services.container import Services

AWAITING = "awaiting"
PENDING_SHOWN = 10
_BUTTON = re.compile(r"w([cl]):(ap|rj|op):(\d{1,12}):(\d{1,6})")
_ACTIONS = {"ap": WorkCodeAction.APPROVE, "rj": WorkCodeAction.REJECT, "op": WorkCodeAction.OPINION}


@dataclass(frozen=True)
class Awaiting:
    """The text the bot asked this user for: a title, or a reason or opinion on a code."""

    action: WorkCodeAction
    code_id: int | None = None
    cycle: int | None = None
    pressed: tuple[int, int] | None = None  # (chat id, message id) of the pressed button


def _argument(message: Message) -> str:
    """The text after the command, as typed."""
    parts = (message.text or "").split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def _code_id(message: Message) -> int | None:
    digits = _argument(message).strip().removeprefix("#")
    return int(digits) if digits.isdigit() and len(digits) <= 12 else None


async def cmd_open(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Open a work code with the title given, or ask for the title."""
    message, svc = cast(Message, update.effective_message), services(context)
    with svc.db() as session:
        caller = await linked(session, update, svc)
        if caller is None:
            return
        title = _argument(message)
        if not title.strip():
            cast(dict[str, object], context.user_data)[AWAITING] = Awaiting(WorkCodeAction.OPEN)
            await message.reply_text(
                prompt(caller.tr, WorkCodeAction.OPEN), reply_markup=ForceReply()
            )
            return
        await _open(context, session, caller, message, title)


async def _open(
    context: ContextTypes.DEFAULT_TYPE,
    session: Session,
    caller: Caller,
    message: Message,
    title: str,
) -> None:
    svc, tr = services(context), caller.tr
    calendar = svc.calendar(session)
    result = workcodes.open_work_code(
        session=session,
        author=cast(Employee, caller.employee),
        title=title,
        now=svc.clock(),
        calendar=calendar,
        days=svc.policy.deadline_days,
    )
    if result.outcome is not WorkCodeOutcome.OK:
        await message.reply_text(refusal(tr, result.outcome))
        return
    code = cast(WorkCode, result.code)
    await message.reply_text(_opened_text(context, session, caller, code, calendar))
    await _notify_approver(context, session, code, calendar)


def _opened_text(
    context: ContextTypes.DEFAULT_TYPE,
    session: Session,
    caller: Caller,
    code: WorkCode,
    calendar: WorkCalendar,
) -> str:
    svc, tr = services(context), caller.tr
    approver = session.get_one(Employee, code.approver_id)
    today = calendar.local_day(svc.clock())
    lines = [
        tr._(
            "Work code #{id} is open and waits for {leader}.", id=code.id, leader=approver.full_name
        ),
        tr._("Deadline: {deadline}", deadline=deadline(tr, code, calendar, today)),
    ]
    explanation = skipped(tr, code, calendar, svc.policy.deadline_days)
    return "\n".join(lines + ([f"<i>{explanation}</i>"] if explanation else []))


async def _notify_approver(
    context: ContextTypes.DEFAULT_TYPE, session: Session, code: WorkCode, calendar: WorkCalendar
) -> None:
    """Queue the approver's message about the code, with its buttons."""
    svc = services(context)
    approver = session.get_one(Employee, code.approver_id)
    if approver.telegram_id is None:
        return  # not linked yet: /pending shows the code once they are
    tr = translator_for(approver, svc)
    author = session.get_one(Employee, code.employee_id)
    today = calendar.local_day(svc.clock())
    draft = Draft(
        key=f"notice:{code.id}:{code.cycle}",
        kind=OutboxKind.NOTICE,
        chat_id=approver.telegram_id,
        employee_id=approver.id,
        work_code_id=code.id,
        text=notice(tr, code, author, calendar, today=today, days=svc.policy.deadline_days),
        reply_markup=approver_keyboard(tr, code).to_json(),
        not_before=svc.clock(),
    )
    delivery.queue(context, session, [draft])


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Approve at once; for Reject and Opinion, check the code, then ask for the text."""
    query, svc = cast(CallbackQuery, update.callback_query), services(context)
    match = _BUTTON.fullmatch(query.data or "")
    message = cast(Message, query.message)
    with svc.db() as session:
        caller = identify(session, update, svc)
        if caller.employee is None or match is None:
            await query.answer(caller.tr._("This button is no longer valid."), show_alert=True)
            return
        action, code_id, cycle = _ACTIONS[match[2]], int(match[3]), int(match[4])
        # A list (digest, reminder) keeps its text; a message about one code shows its state.
        pressed = (message.chat.id, message.message_id) if match[1] == "c" else None
        if action is WorkCodeAction.APPROVE:
            result = workcodes.approve(
                session=session,
                code_id=code_id,
                actor=caller.employee,
                now=svc.clock(),
                cycle=cycle,
            )
        else:
            result = workcodes.check_response(
                session=session, code_id=code_id, actor=caller.employee, action=action, cycle=cycle
            )
        if action is WorkCodeAction.APPROVE or result.outcome is not WorkCodeOutcome.OK:
            answer = await _conclude(context, session, caller, result, action, "", pressed)
            await query.answer(answer, show_alert=result.outcome is not WorkCodeOutcome.OK)
            return
    cast(dict[str, object], context.user_data)[AWAITING] = Awaiting(action, code_id, cycle, pressed)
    await query.answer()
    await message.reply_text(prompt(caller.tr, action, code_id), reply_markup=ForceReply())


async def _conclude(
    context: ContextTypes.DEFAULT_TYPE,
    session: Session,
    caller: Caller,
    result: WorkCodeResult,
    action: WorkCodeAction,
    text: str,
    pressed: tuple[int, int] | None,
) -> str:
    """Bring the messages up to date and tell the employee; the answer for the approver."""
    code = result.code
    if code is not None and (result.outcome is WorkCodeOutcome.OK or _settled(code, pressed)):
        await _show_state(context, session, code, pressed)
    if result.outcome is not WorkCodeOutcome.OK:
        return refusal(caller.tr, result.outcome, code.id if code else None)
    code = cast(WorkCode, code)
    await _tell_author(context, session, code, action, cast(Employee, caller.employee), text)
    return done(caller.tr, action, cast(int, code.id))


def _settled(code: WorkCode, pressed: tuple[int, int] | None) -> bool:
    """Whether a message showing this code should lose its buttons."""
    current = (code.leader_chat_id, code.leader_message_id)
    return code.status != WorkCodeStatus.OPEN or (pressed is not None and pressed != current)


async def _show_state(
    context: ContextTypes.DEFAULT_TYPE,
    session: Session,
    code: WorkCode,
    pressed: tuple[int, int] | None,
) -> None:
    """Edit the approver's messages about a handled code: its state, no buttons."""
    svc = services(context)
    approver = session.get_one(Employee, code.approver_id)
    author = session.get_one(Employee, code.employee_id)
    tr, calendar = translator_for(approver, svc), svc.calendar(session)
    today = calendar.local_day(svc.clock())
    text = notice(tr, code, author, calendar, today=today, days=svc.policy.deadline_days)
    last = workcodes.events_of(session=session, code_id=cast(int, code.id))[-1]
    if last.action in RESPONSE_NOTES:
        actor = session.get_one(Employee, last.actor_id)
        text += "\n" + response_note(tr, WorkCodeAction(last.action), actor, last.at, last.text)
    targets = {pressed} if pressed else set()
    if code.leader_chat_id and code.leader_message_id and code.status != WorkCodeStatus.OPEN:
        targets.add((code.leader_chat_id, code.leader_message_id))
    for chat_id, message_id in targets:
        await delivery.edit(context.bot, chat_id, message_id, text)


async def _tell_author(
    context: ContextTypes.DEFAULT_TYPE,
    session: Session,
    code: WorkCode,
    action: WorkCodeAction,
    leader: Employee,
    text: str,
) -> None:
    svc = services(context)
    author = session.get_one(Employee, code.employee_id)
    if author.telegram_id is None:
        return
    tr = translator_for(author, svc)
    draft = Draft(
        key=f"outcome:{code.id}:{code.cycle}:{action.value}",
        kind=OutboxKind.OUTCOME,
        chat_id=author.telegram_id,
        employee_id=author.id,
        work_code_id=code.id,
        text=author_news(tr, action, code, leader, text),
        not_before=svc.clock(),
    )
    delivery.queue(context, session, [draft])


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take the title, reason or opinion the bot asked for."""
    message, svc = cast(Message, update.effective_message), services(context)
    user_data = cast(dict[str, object], context.user_data)
    awaiting = user_data.pop(AWAITING, None)
    with svc.db() as session:
        caller = identify(session, update, svc)
        if not isinstance(awaiting, Awaiting) or caller.employee is None:
            await answer_question(update, context)  # plain words: "điểm của tôi?"
            return
        if awaiting.action is WorkCodeAction.OPEN:
            await _open(context, session, caller, message, message.text or "")
            return
        result = _respond(session, svc, caller.employee, awaiting, message.text or "")
        if result.outcome in (WorkCodeOutcome.TEXT_REQUIRED, WorkCodeOutcome.TEXT_TOO_LONG):
            user_data[AWAITING] = awaiting  # ask again
        answer = await _conclude(
            context, session, caller, result, awaiting.action, message.text or "", awaiting.pressed
        )
    await message.reply_text(answer)


def _respond(
    session: Session, svc: Services, leader: Employee, awaiting: Awaiting, text: str
) -> WorkCodeResult:
    code_id, now, cycle = cast(int, awaiting.code_id), svc.clock(), awaiting.cycle
    if awaiting.action is WorkCodeAction.REJECT:
        return workcodes.reject(
            session=session, code_id=code_id, actor=leader, reason=text, now=now, cycle=cycle
        )
    return workcodes.give_opinion(
        session=session, code_id=code_id, actor=leader, text=text, now=now, cycle=cycle
    )


async def cmd_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Drop the question the bot is waiting on."""
    svc = services(context)
    with svc.db() as session:
        tr = identify(session, update, svc).tr
    waiting = cast(dict[str, object], context.user_data).pop(AWAITING, None)
    text = tr._("Cancelled.") if waiting else tr._("There is nothing to cancel.")
    await cast(Message, update.effective_message).reply_text(text)


async def cmd_mycodes(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List the caller's latest work codes."""
    message, svc = cast(Message, update.effective_message), services(context)
    with svc.db() as session:
        caller = await linked(session, update, svc)
        if caller is None:
            return
        author_id = cast(int, cast(Employee, caller.employee).id)
        codes = workcodes.codes_of(session=session, employee_id=author_id)
        calendar = svc.calendar(session)
        today = calendar.local_day(svc.clock())
        lines = [code_line(caller.tr, code, calendar, today) for code in codes]
    title = caller.tr._("<b>Your work codes</b>")
    empty = caller.tr._("You have not opened any work code yet. Send /open TITLE to open one.")
    await message.reply_text("\n".join([title, *lines]) if lines else empty)


async def cmd_withdraw(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Withdraw one of the caller's open codes."""
    await _author_action(update, context, WorkCodeAction.WITHDRAW)


async def cmd_resubmit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Submit a returned code again: a new cycle with a new deadline."""
    await _author_action(update, context, WorkCodeAction.RESUBMIT)


async def _author_action(
    update: Update, context: ContextTypes.DEFAULT_TYPE, action: WorkCodeAction
) -> None:
    message, svc = cast(Message, update.effective_message), services(context)
    with svc.db() as session:
        caller = await linked(session, update, svc)
        if caller is None:
            return
        code_id = _code_id(message)
        if code_id is None:
            await message.reply_text(
                caller.tr._("Usage: /{command} ID, e.g. /{command} 12", command=action.value)
            )
            return
        author, now, calendar = (
            cast(Employee, caller.employee),
            svc.clock(),
            svc.calendar(session),
        )
        if action is WorkCodeAction.WITHDRAW:
            result = workcodes.withdraw(session=session, code_id=code_id, actor=author, now=now)
        else:
            result = workcodes.resubmit(
                session=session,
                code_id=code_id,
                actor=author,
                now=now,
                calendar=calendar,
                days=svc.policy.deadline_days,
            )
        if result.outcome is not WorkCodeOutcome.OK:
            await message.reply_text(refusal(caller.tr, result.outcome, code_id))
            return
        code = cast(WorkCode, result.code)
        if action is WorkCodeAction.WITHDRAW:
            await _show_state(context, session, code, None)
            await message.reply_text(done(caller.tr, action, code_id))
        else:
            await message.reply_text(_opened_text(context, session, caller, code, calendar))
            await _notify_approver(context, session, code, calendar)


async def cmd_pending(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the codes waiting for the caller's approval, each with its buttons."""
    message, svc = cast(Message, update.effective_message), services(context)
    with svc.db() as session:
        caller = await linked(session, update, svc)
        if caller is None:
            return
        tr, calendar = caller.tr, svc.calendar(session)
        approver_id = cast(int, cast(Employee, caller.employee).id)
        codes = workcodes.pending_for(session=session, approver_id=approver_id)
        today = calendar.local_day(svc.clock())
        if not codes:
            await message.reply_text(tr._("No work code is waiting for your approval."))
            return
        await message.reply_text(
            tr.ngettext(
                "{n} work code waits for your approval.",
                "{n} work codes wait for your approval.",
                len(codes),
            )
        )
        for code in codes[:PENDING_SHOWN]:
            author = session.get_one(Employee, code.employee_id)
            text = notice(tr, code, author, calendar, today=today, days=svc.policy.deadline_days)
            await message.reply_text(text, reply_markup=approver_keyboard(tr, code))
        if len(codes) > PENDING_SHOWN:
            await message.reply_text(tr._("Handle these first; send /pending again for the rest."))
