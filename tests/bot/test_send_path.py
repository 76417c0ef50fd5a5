"""Every answer arrives (§5): one budget for answers and the outbox, retries, unchanged edits.

The fake enforces Telegram's flood control here, and the bot runs with its real budget.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from kpi.outbox import Draft, post
from models import OutboxKind
from sandbox.botapi import FakeBotAPI
from scheduler.budget import Budget
from services.container import Services
from tests.conftest import Clock
from tests.factories import ORG_CHATS, Org, make_employee

LEADER, STAFF = ORG_CHATS["leader"], ORG_CHATS["staff"]
APOLOGY = "Rất tiếc, hệ thống gặp sự cố"
CROWD = 120


@pytest.fixture
def fake(limited: FakeBotAPI) -> FakeBotAPI:
    """The fake Bot API answering 429 past Telegram's limits, as Telegram does."""
    return limited


@pytest.fixture
def budget() -> Budget:
    """The budget `kpibot run` uses."""
    return Budget()


def texts(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [str(message.get("text", "")) for message in fake.messages(chat_id)]


async def test_a_crowd_asking_at_once_all_get_their_score(
    bot: FakeBotAPI, session: Session, org: Org
) -> None:
    chats = [10_000 + n for n in range(CROWD)]
    for n, chat in enumerate(chats):
        make_employee(session, f"CB{n:03}", leader=org.leader, telegram_id=chat)
    for chat in chats:
        bot.send_text(bot.user(chat, "U"), "/myscore")
    await bot.wait_for(
        lambda: all(bot.messages(chat) for chat in chats), timeout=60, what="every answer"
    )
    answers = [texts(bot, chat) for chat in chats]
    assert all(len(sent) == 1 and "Tổng điểm: 100/100" in sent[0] for sent in answers)
    assert bot.rate_limited == []


@pytest.mark.usefixtures("org")
async def test_a_flood_wait_on_an_answer_delays_it_and_no_apology_comes(bot: FakeBotAPI) -> None:
    bot.fail_next("sendMessage", 429, retry_after=2, chat_id=STAFF)
    bot.send_text(bot.user(STAFF, "H"), "/myscore")
    [answer] = await bot.wait_for_messages(STAFF, 1, timeout=15)
    assert "Tổng điểm" in answer["text"]
    assert [call.status for call in bot.rejected_calls] == [429]
    assert not any(APOLOGY in text for text in texts(bot, STAFF))


async def test_the_outbox_and_answers_in_one_chat_share_its_budget(
    bot: FakeBotAPI, db: sessionmaker[Session], services: Services, clock: Clock, org: Org
) -> None:
    drafts = [
        Draft(
            f"card:{n}", OutboxKind.NOTICE, LEADER, f"Thẻ {n}", clock.now, employee_id=org.leader.id
        )
        for n in range(3)
    ]
    with db() as session:
        post(session, drafts, now=clock.now)
    services.doorbell.ring()
    for _ in range(3):
        bot.send_text(bot.user(LEADER, "P"), "/help")
    await bot.wait_for_messages(LEADER, 6, timeout=30)
    assert {f"Thẻ {n}" for n in range(3)} <= set(texts(bot, LEADER))
    assert bot.rate_limited == []


@pytest.mark.usefixtures("org")
async def test_a_replayed_press_on_a_handled_code_edits_nothing(bot: FakeBotAPI) -> None:
    bot.send_text(bot.user(STAFF, "H"), "/open Báo cáo quý IV")
    [card] = await bot.wait_for_messages(LEADER, 1, timeout=15)
    for answered in (1, 2):
        bot.press_button(bot.user(LEADER, "P"), card, "wc:ap:1:1", check=False)
        await bot.wait_for(lambda: len(bot.callback_answers) >= answered, timeout=15)  # noqa: B023
    assert bot.callback_answers[-1]["text"] == "Mã công việc #1 đã được xử lý trước đó."
    assert len(bot.calls_of("editMessageText")) == 1
    assert bot.rejected_calls == []


@pytest.mark.parametrize("budget", [Budget(patience=1.2)])  # overrides the fixture
@pytest.mark.usefixtures("org")
async def test_an_answer_refused_past_patience_is_dropped_without_an_apology(
    bot: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    bot.fail_next("sendMessage", 502, count=2, chat_id=STAFF)
    bot.send_text(bot.user(STAFF, "H"), "/myscore")
    bot.send_text(bot.user(STAFF, "H"), "/help")  # handled once the first update is done with
    [answer] = await bot.wait_for_messages(STAFF, 1, timeout=15)
    assert "/myscore" in answer["text"] and "Tổng điểm" not in answer["text"]
    assert [call.status for call in bot.rejected_calls] == [502, 502]
    assert "sendMessage to chat 701 dropped after 2 tries" in caplog.text
