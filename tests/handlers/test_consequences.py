"""An action's messages to other people are queued with the action, whatever befalls the reply.

For each command that tells someone else, Telegram refuses the answer to whoever acted once
(a 502, or a 429 flood wait): the other person still gets their message, and the answer is sent
again rather than replaced by an apology.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from sandbox.botapi import FakeBotAPI
from tests.factories import ORG_CHATS

DIRECTOR, LEADER, STAFF, ADMIN = (
    ORG_CHATS[name] for name in ("director", "leader", "staff", "admin")
)


async def said(fake: FakeBotAPI, chat_id: int, text: str, count: int = 1) -> list[dict]:
    """Send `text` as `chat_id` and wait for the `count` answers to it."""
    before = len(fake.messages(chat_id))
    fake.send_text(fake.user(chat_id, "U"), text)
    return (await fake.wait_for_messages(chat_id, before + count))[before:]


async def returned_code(fake: FakeBotAPI) -> None:
    """Code #1, opened by the specialist and returned with an opinion by the leader."""
    await said(fake, STAFF, "/open Báo cáo quý IV")
    [card] = await fake.wait_for_messages(LEADER, 1)
    fake.press_button(fake.user(LEADER, "P"), card, "wc:op:1:1")
    await fake.wait_for_messages(LEADER, 2)
    await said(fake, LEADER, "Bổ sung số liệu")
    await fake.wait_for_messages(STAFF, 2)


async def deducted(fake: FakeBotAPI) -> None:
    """Deduction D1 of the specialist, logged by the leader."""
    await said(fake, LEADER, "/deduct NV1 training_attendance 2 Vắng tập huấn")
    await fake.wait_for_messages(STAFF, 1)


async def appealed(fake: FakeBotAPI) -> None:
    """Deduction D1, appealed to the director."""
    await deducted(fake)
    await said(fake, STAFF, "/appeal 1 Tôi đi công tác")
    await fake.wait_for_messages(DIRECTOR, 1)


async def nothing(fake: FakeBotAPI) -> None:
    """No history needed."""


@dataclass(frozen=True)
class Action:
    """A command whose answer fails once, and the message someone else must get."""

    before: Callable[[FakeBotAPI], Awaitable[None]]
    actor: int
    command: str
    told: int
    starts: str


ACTIONS = {
    "open": Action(nothing, STAFF, "/open Báo cáo quý IV", LEADER, "Mã công việc #1"),
    "resubmit": Action(returned_code, STAFF, "/resubmit 1", LEADER, "Mã công việc #1"),
    "deduct": Action(
        nothing, LEADER, "/deduct NV1 training_attendance 2 Vắng", STAFF, "Trần Thị Phương"
    ),
    "reverse": Action(deducted, ADMIN, "/reverse 1 Nhầm người", STAFF, "Bộ phận tổ chức"),
    "appeal": Action(deducted, STAFF, "/appeal 1 Tôi đi công tác", DIRECTOR, "Đề nghị xem xét"),
}


@pytest.mark.parametrize(("status", "retry_after"), [(502, 0), (429, 1)], ids=["502", "429"])
@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.usefixtures("org")
async def test_a_failed_answer_loses_no_notice(
    bot: FakeBotAPI, name: str, status: int, retry_after: int
) -> None:
    action = ACTIONS[name]
    await action.before(bot)
    told_before = len(bot.messages(action.told))
    bot.fail_next("sendMessage", status, retry_after=retry_after, chat_id=action.actor)
    [answer] = await said(bot, action.actor, action.command)
    news = await bot.wait_for_messages(action.told, told_before + 1)
    assert news[-1]["text"].startswith(action.starts)
    assert not answer["text"].startswith("Rất tiếc")  # the apology
    assert [call.status for call in bot.rejected_calls] == [status]


@pytest.mark.parametrize(("status", "retry_after"), [(502, 0), (429, 1)], ids=["502", "429"])
@pytest.mark.usefixtures("org")
async def test_a_failed_answer_to_a_decision_loses_no_notice(
    bot: FakeBotAPI, status: int, retry_after: int
) -> None:
    await appealed(bot)
    [request] = bot.messages(DIRECTOR)
    bot.fail_next("answerCallbackQuery", status, retry_after=retry_after)
    bot.press_button(bot.user(DIRECTOR, "G"), request, "ap:acc:1")
    news = await bot.wait_for_messages(STAFF, 3)
    assert news[-1]["text"].startswith("Đề nghị xem xét lại điểm trừ D1 đã có quyết định.")
