"""Hostile input is answered: ids in ASCII digits only, every button press answered (unknown,
forged or stale data too), and buttons act only in private chats."""

from __future__ import annotations

import pytest

from sandbox.botapi import FakeBotAPI, FakeUser
from tests.factories import ORG_CHATS

STAFF, ADMIN = ORG_CHATS["staff"], ORG_CHATS["admin"]
STALE = "Nút này không còn hiệu lực."


async def ask(fake: FakeBotAPI, user: FakeUser, text: str) -> str:
    before = len(fake.messages(user.id))
    fake.send_text(user, text)
    return str((await fake.wait_for_messages(user.id, before + 1))[before]["text"])


async def press(fake: FakeBotAPI, user: FakeUser, message: dict, data: str) -> str:
    update = fake.press_button(user, message, data, check=False)
    answer = await fake.wait_for(lambda: fake.callback_answer(update), what="the answer")
    return str(answer.get("text", ""))


@pytest.mark.parametrize(
    ("user", "text", "usage"),
    [
        (STAFF, "/withdraw ²", "Cú pháp: /withdraw SỐ_MÃ"),
        (STAFF, "/resubmit ①", "Cú pháp: /resubmit SỐ_MÃ"),
        (STAFF, "/appeal ① x", "Cú pháp: /appeal SỐ_ĐIỂM_TRỪ"),
        (STAFF, "/appeal ١٢ x", "Cú pháp: /appeal SỐ_ĐIỂM_TRỪ"),
        (STAFF, "/withdraw 99999999999", "Cú pháp: /withdraw SỐ_MÃ"),  # past the largest id
        (ADMIN, "/reverse ² nhầm", "Cú pháp: /reverse SỐ_ĐIỂM_TRỪ"),
    ],
)
@pytest.mark.usefixtures("org")
async def test_ids_in_other_digits_get_the_usage(
    bot: FakeBotAPI, user: int, text: str, usage: str
) -> None:
    assert (await ask(bot, bot.user(user, "U"), text)).startswith(usage)


@pytest.mark.parametrize(
    "data",
    ["zz:1", "", "wc:ap:１２:1", "ap:acc:①", "sc:chart:9999Q1", "wc:ap:999999999999:1", "<b>"],
)
@pytest.mark.usefixtures("org")
async def test_a_button_no_handler_can_act_on_is_answered(bot: FakeBotAPI, data: str) -> None:
    staff = bot.user(STAFF, "H")
    await ask(bot, staff, "/myscore")
    message = bot.messages(STAFF)[-1]
    answer = await press(bot, staff, message, data)
    assert answer == STALE
    assert bot.messages(STAFF)[-1] == message  # nothing sent, nothing changed


@pytest.mark.usefixtures("org")
async def test_a_button_on_a_group_message_acts_on_nothing_personal(bot: FakeBotAPI) -> None:
    staff = bot.user(STAFF, "H")
    bot.send_text(staff, "/myscore", chat_type="group", chat_id=-100701)
    [refusal] = await bot.wait_for_messages(-100701, 1)
    answer = await press(bot, staff, refusal, "sc:chart:2026Q4")
    assert answer.startswith("Vui lòng nhắn tin riêng với bot")
    assert bot.messages(-100701) == [refusal]  # no score chart in the group
    assert bot.photos(STAFF) == []
