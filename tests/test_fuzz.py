"""Fuzzing the running bot: random and hostile texts, commands and button presses.

Each case is one update from one person of the shared organisation (or a stranger, or a group)
through the real bot and the Bot API emulator. What the bot must do with each:

- a button press is always answered (answerCallbackQuery), whatever its data, and one on a group
  message posts nothing there;
- a text in a private chat (a command or not) is answered with at least one message;
- a command in a group is answered there (write to me privately); other group texts are ignored
  (a text is a command when Telegram marks it so: `/name` or `/name@bot`, then a space or its end);
- nothing ever logs an error or a traceback, and every Bot API call is valid for the emulator.

500 cases by default (CI); `KPIBOT_FUZZ_CASES=5000` runs more and `KPIBOT_FUZZ_SEED=N` other
ones. A failure names the seed and the case, so it can be replayed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from kpi.scoring import Quarter
from models import WorkCodeAction
from notices.callbacks import (
    AppealButton,
    AttachmentsButton,
    CallbackData,
    ChartButton,
    TeamUnitButton,
    WorkCodeButton,
)
from sandbox.botapi import FakeBotAPI, FakeUser
from tests.factories import ORG_CHATS

# A text Telegram marks as a command (a bot_command entity at its start), as the emulator does.
BOT_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")
CASES = int(os.environ.get("KPIBOT_FUZZ_CASES", "500"))
SEED = int(os.environ.get("KPIBOT_FUZZ_SEED", "9"))
STRANGER = 990_001
GROUP = -100_777
COMMANDS = (
    "start help language open mycodes withdraw resubmit pending cancel myscore team deduct "
    "appeal appeals reverse nosuchcommand"
).split()
# Pieces of hostile text: other digits, direction and zero-width marks, HTML, look-alike ids.
PIECES = (
    "²",
    "①",
    "١٢",
    "１２",
    "\u202e",
    "\u200f",
    "\u200b",
    "\u200d",
    "\ufeff",
    "e\u0301",
    "👍🏽",
    "<b>",
    "</b>",
    "<a href='javascript:x'>",
    "&amp;",
    "&",
    "<",
    ">",
    '"',
    "'",
    "\n",
    "\t",
    " ",
    "#12",
    "D1",
    "1",
    "2",
    "999999999999",
    "-1",
    "2026Q4",
    "9999Q1",
    "Q4/2026",
    "NV1",
    "TP",
    "training_attendance",
    "discipline_ethics",
    "điểm của tôi?",
    "tại sao tôi bị trừ điểm",
    "why was I deducted",
    "my score",
    "Báo cáo quý IV",
    "vi",
    "en",
    "/cancel",
)


@dataclass(frozen=True)
class Case:
    """One update to inject: a text in a chat, or a press with `data` on a bot message."""

    user: FakeUser
    group: bool
    text: str | None = None
    data: str | None = None

    def __str__(self) -> str:
        where = "group" if self.group else "private"
        what = f"text {self.text!r:.300}" if self.text is not None else f"press {self.data!r}"
        return f"user {self.user.id} in {where}: {what}"


class Generator:
    """Seeded random cases: mostly private texts and commands, then presses, some in a group."""

    def __init__(self, fake: FakeBotAPI, seed: int) -> None:
        self.rng = random.Random(seed)
        self.users = [fake.user(chat, name) for name, chat in ORG_CHATS.items()]
        self.users.append(fake.user(STRANGER, "Stranger", language_code="en"))

    def text(self) -> str:
        rng = self.rng
        if rng.random() < 0.05:  # 5,000 characters of one piece, or of everything
            return (rng.choice(PIECES) * 5000)[:5000]
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8)))

    def command(self) -> str:
        name = self.rng.choice(COMMANDS)
        suffix = "@kpi_test_bot" if self.rng.random() < 0.1 else ""
        return f"/{name}{suffix} {self.text()}".rstrip()

    def data(self, real: list[str]) -> str:
        rng, roll = self.rng, self.rng.random()
        if real and roll < 0.3:
            return rng.choice([data for data in real if not data.startswith("sc:")] or real)
        forged: list[Callable[[], CallbackData]] = [
            lambda: WorkCodeButton(
                rng.choice([WorkCodeAction.APPROVE, WorkCodeAction.REJECT, WorkCodeAction.OPINION]),
                rng.choice([1, 2, 3, 50, 999_999_999_999]),
                rng.choice([1, 2, 999_999]),
                on_list=rng.random() < 0.5,
            ),
            lambda: AppealButton(rng.choice([1, 2, 77]), rng.random() < 0.5, rng.random() < 0.5),
            lambda: ChartButton(Quarter(rng.choice([2000, 2026, 2100]), rng.randint(1, 4))),
            lambda: TeamUnitButton(Quarter(2026, rng.randint(1, 4)), rng.choice([1, 2, 77])),
            lambda: AttachmentsButton(rng.choice([1, 2, 77])),
        ]
        if roll < 0.75:
            # Few valid chart presses: drawing a chart takes most of a second.
            packed = rng.choices(forged, weights=(9, 9, 1, 3, 3))[0]().pack()
            if rng.random() < 0.3:  # the same shape with hostile digits or extra text
                packed = packed[:-1] + rng.choice(["²", "١", "１", "x", ":1", "0" * 20])
            return packed.encode()[:64].decode(errors="ignore") or "x"
        return self.text().encode()[:64].decode(errors="ignore") or "x"

    def case(self, real: Callable[[int], list[str]]) -> Case:
        """The next case; `real` gives the data of the buttons the bot showed in a chat."""
        rng = self.rng
        user, group = rng.choice(self.users), rng.random() < 0.1
        roll = rng.random()
        if roll < 0.35:
            return Case(user, group, data=self.data(real(GROUP if group else user.id)))
        return Case(user, group, text=self.command() if roll < 0.75 else self.text())


def buttons(fake: FakeBotAPI, chat_id: int) -> tuple[dict | None, list[str]]:
    """The bot's latest message in a chat (to press on) and the data of its recent buttons."""
    messages = fake.messages(chat_id)
    real = [
        button["callback_data"]
        for message in messages[-5:]
        for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]
    return (messages[-1] if messages else None), real


async def settle(fake: FakeBotAPI) -> None:
    """Wait until the bot has sent nothing new for a moment (its answers to the last update)."""
    before = fake.last_message_ids()
    while True:
        await asyncio.sleep(0.02)
        now = fake.last_message_ids()
        if now == before:
            return
        before = now


async def run(fake: FakeBotAPI, case: Case) -> None:
    """Inject the case and check the bot answered it as the module says."""
    chat = GROUP if case.group else case.user.id
    chat_type = "group" if case.group else "private"
    count = len(fake.messages(chat))
    if case.data is not None:
        message, _real = buttons(fake, chat)
        if message is None:  # nothing to press on yet: have the bot say something first
            await run(fake, Case(case.user, case.group, text="/help"))
            message, count = fake.messages(chat)[-1], count + 1
        update = fake.press_button(case.user, message, case.data, check=False)
        await fake.wait_for(lambda: fake.callback_answer(update), what="the button's answer")
        if case.group:
            await settle(fake)
            assert len(fake.messages(chat)) == count, "a button in a group posts nothing there"
    else:
        assert case.text is not None
        fake.send_text(case.user, case.text, chat_type=chat_type, chat_id=chat)
        if case.group and not BOT_COMMAND.match(case.text):
            await settle(fake)
            assert len(fake.messages(chat)) == count, "a group text is ignored"
            return
        await fake.wait_for(lambda: len(fake.messages(chat)) > count, what="an answer")
    await settle(fake)


@pytest.mark.usefixtures("org")
async def test_hostile_updates_are_all_answered_without_errors(
    bot: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    generator = Generator(bot, SEED)
    for number in range(CASES):
        case = generator.case(lambda chat: buttons(bot, chat)[1])
        try:
            await run(bot, case)
        except AssertionError as failure:
            raise AssertionError(f"seed {SEED}, case {number}: {case}\n{failure}") from None
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
        assert not errors, f"seed {SEED}, case {number}: {case}\n{caplog.text[-3000:]}"
        assert not bot.invalid_calls, f"seed {SEED}, case {number}: {case}\n{bot.describe_calls()}"
