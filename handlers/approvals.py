"""Work codes by their approver: /pending, the Approve / Reject / Opinion buttons, the answers."""

from __future__ import annotations

from typing import cast

from telegram import ForceReply

from handlers.awaiting import Awaiting, expect
from handlers.caller import LinkedCaller, linked
from handlers.edits import edit
from handlers.workcode_replies import done, prompt, refusal
from kpi import outbox, workcodes
from kpi.outbox import Tell
from kpi.workcodes import WorkCodeOutcome, WorkCodeResult
from models import Employee, WorkCode, WorkCodeAction, WorkCodeStatus
from notices.approvals import acting_line, card_key, handled_card, open_card, response_notice
from notices.callbacks import WorkCodeButton
from notices.excuses import fault_notices
from notices.workcodes import approver_keyboard, card

PENDING_SHOWN = 10
_ASKED = (WorkCodeOutcome.TEXT_REQUIRED, WorkCodeOutcome.TEXT_TOO_LONG)


@linked
async def cmd_pending(caller: LinkedCaller) -> None:
    """Show the codes waiting for the caller's approval, each with its buttons."""
    tr, approver_id = caller.tr, cast(int, caller.employee.id)
    codes = workcodes.pending_for(session=caller.session, approver_id=approver_id)
    if not codes:
        await caller.reply(tr._("No work code is waiting for your approval."))
        return
    await caller.reply(
        tr.ngettext(
            "{n} work code waits for your approval.",
            "{n} work codes wait for your approval.",
            len(codes),
        )
    )
    for code in codes[:PENDING_SHOWN]:
        author = caller.session.get_one(Employee, code.employee_id)
        text = card(tr, code, author, caller.occasion)
        acting = acting_line(caller.session, tr, code)
        text += f"\n{acting}" if acting else ""
        await caller.reply(text, reply_markup=approver_keyboard(tr, code))
    if len(codes) > PENDING_SHOWN:
        await caller.reply(tr._("Handle these first; send /pending again for the rest."))


@linked
async def on_button(caller: LinkedCaller) -> None:
    """Approve at once; for Reject and Opinion, check the code, then ask for the text."""
    button = await caller.button(WorkCodeButton)
    if button is None:
        return
    # A list (digest, reminder) keeps its text; a message about one code shows its state.
    pressed = None if button.on_list else (caller.message.chat.id, caller.message.message_id)
    result = _press(caller, button)
    if button.action is WorkCodeAction.APPROVE or result.outcome is not WorkCodeOutcome.OK:
        answer = await _conclude(caller, result, button.action, button.code_id, pressed)
        await caller.query.answer(answer, show_alert=result.outcome is not WorkCodeOutcome.OK)
        return
    expect(caller.context, Awaiting(button.action, button.code_id, button.cycle, pressed))
    await caller.query.answer()
    await caller.reply(prompt(caller.tr, button.action, button.code_id), reply_markup=ForceReply())


def _press(caller: LinkedCaller, button: WorkCodeButton) -> WorkCodeResult:
    """Approve now; for the others, only check that a text is worth asking for."""
    if button.action is WorkCodeAction.APPROVE:
        return workcodes.approve(
            session=caller.session,
            code_id=button.code_id,
            actor=caller.employee,
            now=caller.now,
            cycle=button.cycle,
            tell=_to_author(caller, WorkCodeAction.APPROVE, ""),
        )
    return workcodes.check_response(
        session=caller.session,
        code_id=button.code_id,
        actor=caller.employee,
        action=button.action,
        cycle=button.cycle,
    )


async def answer(caller: LinkedCaller, awaiting: Awaiting, text: str) -> None:
    """Take the reason or opinion the approver was asked for."""
    result = _respond(caller, awaiting, text)
    if result.outcome in _ASKED:
        expect(caller.context, awaiting)  # ask again
    code_id = cast(int, awaiting.code_id)
    await caller.reply(await _conclude(caller, result, awaiting.action, code_id, awaiting.pressed))


def _respond(caller: LinkedCaller, awaiting: Awaiting, text: str) -> WorkCodeResult:
    code_id, cycle = cast(int, awaiting.code_id), awaiting.cycle
    session, leader, now = caller.session, caller.employee, caller.now
    tell = _to_author(caller, awaiting.action, text)
    if awaiting.action is WorkCodeAction.REJECT:
        return workcodes.reject(
            session=session,
            code_id=code_id,
            actor=leader,
            reason=text,
            now=now,
            cycle=cycle,
            tell=tell,
        )
    return workcodes.give_opinion(
        session=session, code_id=code_id, actor=leader, text=text, now=now, cycle=cycle, tell=tell
    )


def _to_author(caller: LinkedCaller, action: WorkCodeAction, text: str) -> Tell[WorkCode]:
    """The author's notice of the approver's response, queued with it; and, when a return or a
    rejection is a quality error of a task, its notice to whoever may excuse it."""
    return caller.tells(
        lambda code: [
            response_notice(caller.session, caller.occasion, code, action, caller.employee, text),
            *fault_notices(caller.session, caller.occasion, code),
        ]
    )


async def _conclude(
    caller: LinkedCaller,
    result: WorkCodeResult,
    action: WorkCodeAction,
    code_id: int,
    pressed: tuple[int, int] | None,
) -> str:
    """Bring the approver's messages up to date; the answer for the approver."""
    code = result.code
    if code is not None and (result.outcome is WorkCodeOutcome.OK or _settled(code, pressed)):
        await show_state(caller, code, pressed)
    if result.outcome is not WorkCodeOutcome.OK:
        return refusal(caller.tr, result.outcome, code_id)
    return done(caller.tr, action, cast(int, cast(WorkCode, code).id))


def _settled(code: WorkCode, pressed: tuple[int, int] | None) -> bool:
    """Whether a message showing this code should lose its buttons."""
    current = (code.leader_chat_id, code.leader_message_id)
    return code.status != WorkCodeStatus.OPEN or (pressed is not None and pressed != current)


async def show_state(caller: LinkedCaller, code: WorkCode, pressed: tuple[int, int] | None) -> None:
    """Edit the approver's messages about a handled code: its state, and only its files' button."""
    text, files = handled_card(caller.session, caller.occasion, code)
    targets = {pressed} if pressed else set()
    if code.leader_chat_id and code.leader_message_id and code.status != WorkCodeStatus.OPEN:
        targets.add((code.leader_chat_id, code.leader_message_id))
    for chat_id, message_id in targets:
        await edit(caller.context.bot, chat_id, message_id, text, files)


async def recount_card(caller: LinkedCaller, code: WorkCode) -> None:
    """The approver's card of an open code, edited (or, while it waits to go, restyled)."""
    if code.status != WorkCodeStatus.OPEN:
        return  # a returned code's card has no buttons; its next cycle's card counts the files
    text, markup = open_card(caller.session, caller.occasion, code)
    if code.leader_chat_id and code.leader_message_id:
        await edit(caller.context.bot, code.leader_chat_id, code.leader_message_id, text, markup)
    else:  # the card still waits in the outbox (quiet hours): it will go with the new count
        outbox.restyle(caller.session, card_key(code), markup.to_json())
