"""Plain text: the answer to the question the bot asked (a title, a reason, an opinion), or a
question in plain words ("điểm của tôi?"); and /cancel, which drops the question asked."""

from __future__ import annotations

from handlers import appeals, approvals, assign, deduct, delegate, excuses, score
from handlers.awaiting import Awaiting, AwaitingExcuse, RejectionReason, drop, take
from handlers.caller import Caller, LinkedCaller, link_first, with_caller
from handlers.workcodes import open_code
from kpi.scoring import Quarter
from kpi.words import fold
from models import WorkCodeAction

_WHY = ("tai sao", "vi sao", "sao toi", "bi tru", "tru diem", "diem tru", "why", "deduct")
_SCORE = ("diem", "score", "xep loai", "ket qua", "kpi", "points")


@with_caller
async def on_text(caller: Caller) -> None:
    """Take the title, reason, opinion or dialog step the bot asked for; else answer a question."""
    context, text = caller.context, caller.message.text or ""
    if not isinstance(caller, LinkedCaller):
        await _answer_question(caller, fold(text))
    elif (asked := take(context, Awaiting)) is not None:
        if asked.action is WorkCodeAction.OPEN:
            await open_code(caller, text)
        else:
            await approvals.answer(caller, asked, text)
    elif (reason := take(context, RejectionReason)) is not None:
        await appeals.answer(caller, reason, text)
    elif (excuse := take(context, AwaitingExcuse)) is not None:
        await excuses.answer(caller, excuse, text)
    elif assign.waiting(context):
        await assign.answer(caller, text)
    elif deduct.waiting(context):
        await deduct.answer(caller, text)
    elif delegate.waiting(context):
        await delegate.answer(caller, text)
    else:
        await _answer_question(caller, fold(text))


@with_caller
async def cmd_cancel(caller: Caller) -> None:
    """Drop the question the bot is waiting on."""
    waiting = drop(caller.context)
    await caller.reply(
        caller.tr._("Cancelled.") if waiting else caller.tr._("There is nothing to cancel.")
    )


async def _answer_question(caller: Caller, question: str) -> None:
    """Answer "what is my score?" or "why was I deducted?" in plain words; else show a menu."""
    quarter = Quarter.of(caller.now, caller.svc.tz)
    if not isinstance(caller, LinkedCaller):
        await caller.reply(link_first(caller.tr))
    elif any(word in question for word in _WHY):
        await score.reply_deductions(caller, quarter)
    elif any(word in question for word in _SCORE):
        await score.reply_score(caller, quarter)
    else:
        await caller.reply(
            caller.tr._(
                "I can answer questions like «what is my score?» or «why was I deducted?». "
                "You can also send /myscore, /mycodes or /help."
            )
        )
