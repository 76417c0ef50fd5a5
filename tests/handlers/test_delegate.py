"""Acting approvers end to end: /delegate by buttons, the codes handed over and back by the sweep,
the deputy's response and breach; HR's /delegate for a leader and /delegate off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select
from telegram.ext import Application

from models import Deduction, Delegation, WorkCode
from sandbox.botapi import FakeBotAPI, FakeUser
from scheduler.jobs import DELIVERER
from scheduler.sweep import run_sweep
from services.container import Services
from tests.conftest import Clock
from tests.factories import HANOI, ORG_CHATS, Org, local

LEADER, DEPUTY, STAFF, CLERK, ADMIN = (
    ORG_CHATS[name] for name in ("leader", "other_leader", "staff", "clerk", "admin")
)


async def say(fake: FakeBotAPI, user: FakeUser, text: str, count: int = 1) -> list[dict]:
    before = len(fake.messages(user.id))
    fake.send_text(user, text)
    return (await fake.wait_for_messages(user.id, before + count))[before:]


async def press(fake: FakeBotAPI, user: FakeUser, message: dict, data: str) -> dict:
    before = len(fake.messages(user.id))
    fake.press_button(user, message, data)
    return (await fake.wait_for_messages(user.id, before + 1))[-1]


async def sweep(application: Application, services: Services, clock: Clock, at: datetime) -> None:
    clock.now = at
    run_sweep(db=services.db, policy=services.policy, tz=HANOI, now=at, default_locale="vi")
    await application.bot_data[DELIVERER].deliver_due()


def buttons(message: dict) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


def texts(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [message["text"] for message in fake.messages(chat_id)]


def counts(fake: FakeBotAPI) -> list[int]:
    return [len(fake.messages(chat)) for chat in ORG_CHATS.values()]


def code(db: sessionmaker[Session], code_id: int) -> WorkCode:
    with db() as session:
        return session.get_one(WorkCode, code_id)


def card_of(fake: FakeBotAPI, chat_id: int, code_id: int) -> dict:
    """The latest message in the chat with the Approve button of the code ({} if none)."""
    cards = [m for m in fake.messages(chat_id) if f"wc:ap:{code_id}:1" in buttons(m)]
    return cards[-1] if cards else {}


async def test_a_leader_delegates_by_buttons_and_the_codes_go_to_the_deputy_and_back(
    bot: FakeBotAPI,
    application: Application,
    services: Services,
    clock: Clock,
    db: sessionmaker[Session],
    org: Org,
) -> None:
    leader, deputy = bot.user(LEADER, "Phương"), bot.user(DEPUTY, "Tâm")
    staff, clerk = bot.user(STAFF, "Hùng"), bot.user(CLERK, "Mai")
    await say(bot, staff, "/open Báo cáo quý IV")
    await say(bot, clerk, "/open Kế hoạch tháng 12")
    await bot.wait_for_messages(LEADER, 2)

    [question] = await say(bot, leader, "/delegate")
    assert question["text"] == (
        "Ai phê duyệt thay đồng chí Trần Thị Phương? Đồng chí bấm nút hoặc nhập mã cán bộ."
    )
    people = [org.other_leader, org.admin, org.staff, org.clerk]
    assert buttons(question) == [f"dg:p:{person.id}" for person in people]
    period = await press(bot, leader, question, f"dg:p:{org.other_leader.id}")
    assert buttons(period) == ["dg:e:20261102", "dg:e:20261104", "dg:e:20261109", "dg:e:20261116"]
    assert [b["text"] for row in period["reply_markup"]["inline_keyboard"] for b in row][2] == (
        "Từ hôm nay đến hết 09/11/2026"
    )
    done = await press(bot, leader, period, "dg:e:20261109")
    assert done["text"].splitlines()[0] == (
        "Đã ghi nhận. Đồng chí Vũ Minh Tâm phê duyệt thay đồng chí Trần Thị Phương "
        "từ ngày 02/11/2026 đến hết ngày 09/11/2026."
    )
    assert buttons(done) == ["dg:x:1"]
    [told] = await bot.wait_for_messages(DEPUTY, 1)
    assert told["text"].startswith("Ủy quyền phê duyệt\nĐồng chí Vũ Minh Tâm phê duyệt thay")

    # The sweep hands the open codes over: cards for the deputy, a word to each author.
    await sweep(application, services, clock, local("2026-11-02", 9, 1))
    for code_id in (1, 2):
        card = card_of(bot, DEPUTY, code_id)
        assert card["text"].splitlines()[-1] == "Đồng chí phê duyệt thay đồng chí Trần Thị Phương."
    assert texts(bot, STAFF)[-1] == (
        "Mã công việc #1 «Báo cáo quý IV»: đồng chí Vũ Minh Tâm phê duyệt thay đồng chí "
        "Trần Thị Phương đến hết ngày 09/11/2026."
    )
    assert texts(bot, LEADER)[-1] == (
        "2 mã công việc chờ đồng chí phê duyệt đã được chuyển đến đồng chí Vũ Minh Tâm "
        "phê duyệt thay đến hết ngày 09/11/2026."
    )
    before = counts(bot)
    await sweep(application, services, clock, local("2026-11-02", 9, 2))
    assert counts(bot) == before  # nothing moves twice, nobody is told twice
    pending = await say(bot, deputy, "/pending", count=3)
    assert pending[0]["text"] == "Có 2 mã công việc chờ phê duyệt."
    assert pending[1]["text"].splitlines()[-1] == (
        "Đồng chí phê duyệt thay đồng chí Trần Thị Phương."
    )

    # A code opened meanwhile goes straight to the deputy; the author sees who approves.
    opened = await say(bot, clerk, "/open Báo cáo tuần")
    assert opened[0]["text"].splitlines()[-1] == (
        "Đồng chí Vũ Minh Tâm phê duyệt thay đồng chí Trần Thị Phương (được ủy quyền)."
    )
    await bot.wait_for(lambda: card_of(bot, DEPUTY, 3), what="the deputy's card of #3")

    # The deputy's response counts; the leader's old card no longer acts.
    bot.press_button(deputy, card_of(bot, DEPUTY, 1), "wc:ap:1:1")
    news = await bot.wait_for_messages(STAFF, len(texts(bot, STAFF)) + 1)
    assert news[-1]["text"] == "Mã công việc #1 «Báo cáo quý IV» đã được Vũ Minh Tâm phê duyệt."
    assert code(db, 1).status == "approved"
    pressed = bot.press_button(leader, card_of(bot, LEADER, 2), "wc:ap:2:1")
    await bot.wait_for(lambda: bot.callback_answer(pressed), what="the refusal")
    assert code(db, 2).status == "open"

    # The deadline (end of 09/11) passes in the period: the deputy's breach. Then they return.
    await sweep(application, services, clock, local("2026-11-10", 0, 1))
    with db() as session:
        breached = session.exec(select(Deduction.employee_id, Deduction.work_code_id)).all()
        assert sorted(breached) == [(org.other_leader.id, 2), (org.other_leader.id, 3)]
        [delegation] = session.exec(select(Delegation)).all()
        assert delegation.returned_at is not None
        held = session.exec(
            select(WorkCode.id, WorkCode.approver_id, WorkCode.delegated_from).where(
                col(WorkCode.status) == "open"
            )
        ).all()
        assert sorted(held) == [(2, org.leader.id, None), (3, org.leader.id, None)]
    await sweep(application, services, clock, local("2026-11-10", 7))  # quiet hours end
    assert "Hết thời gian ủy quyền: 2 mã công việc" in texts(bot, DEPUTY)[-1]
    assert texts(bot, CLERK)[-1] == (
        "Mã công việc #3 «Báo cáo tuần» đã trở lại đồng chí Trần Thị Phương phê duyệt."
    )
    back = card_of(bot, LEADER, 3)
    assert "phê duyệt thay" not in back["text"]
    bot.press_button(leader, back, "wc:ap:3:1")
    await bot.wait_for(lambda: code(db, 3).status == "approved", what="the approval")


async def test_hr_delegates_for_a_leader_refusals_are_clear_and_off_cancels(
    bot: FakeBotAPI, org: Org, db: sessionmaker[Session]
) -> None:
    hr, leader = bot.user(ADMIN, "Nhân"), bot.user(LEADER, "Phương")
    staff = bot.user(STAFF, "Hùng")
    await say(bot, staff, "/open Báo cáo quý IV")
    await bot.wait_for_messages(LEADER, 1)
    refused = await say(bot, staff, "/delegate")
    assert refused[0]["text"] == (
        "Chức năng này dành cho lãnh đạo, hoặc bộ phận tổ chức cán bộ thay lãnh đạo."
    )
    [question] = await say(bot, hr, "/delegate TP")
    assert question["text"].startswith("Ai phê duyệt thay đồng chí Trần Thị Phương?")
    [period] = await say(bot, hr, "TP")
    assert period["text"].startswith("Ủy quyền trong thời gian nào?")
    [self_refused] = await say(bot, hr, "03/11/2026-06/11/2026")
    assert self_refused["text"] == "Lãnh đạo không thể ủy quyền phê duyệt cho chính mình."
    await say(bot, hr, "/cancel")
    [question] = await say(bot, hr, "/delegate TP")
    await say(bot, hr, "PP")
    [done] = await say(bot, hr, "03/11/2026-06/11/2026")
    assert done["text"].startswith(
        "Đã ghi nhận. Đồng chí Vũ Minh Tâm phê duyệt thay đồng chí Trần Thị Phương "
        "từ ngày 03/11/2026 đến hết ngày 06/11/2026."
    )
    # Both are told, since HR acted.
    await bot.wait_for_messages(LEADER, 2)
    assert texts(bot, LEADER)[-1].startswith("Ủy quyền phê duyệt\n")
    await bot.wait_for_messages(DEPUTY, 1)
    # An overlapping period is refused, naming the one in the way.
    await say(bot, leader, "/delegate", count=2)
    await say(bot, leader, "GD")
    [overlap] = await say(bot, leader, "05/11/2026-10/11/2026")
    assert overlap["text"] == (
        "Đồng chí Trần Thị Phương đã ủy quyền phê duyệt từ ngày 03/11/2026 đến hết ngày "
        "06/11/2026; đồng chí hủy ủy quyền đó trước hoặc chọn thời gian khác."
    )
    await say(bot, leader, "/cancel")
    [off] = await say(bot, leader, "/delegate off")
    assert off["text"] == "Đã hủy ủy quyền; các mã công việc đã trở lại lãnh đạo phê duyệt."
    await bot.wait_for_messages(DEPUTY, 2)
    assert texts(bot, DEPUTY)[-1] == (
        "Việc ủy quyền đã được hủy: đồng chí Trần Thị Phương trực tiếp phê duyệt mã công việc "
        "trở lại."
    )
    [none] = await say(bot, leader, "/delegate off")
    assert none["text"] == "Đồng chí không có ủy quyền phê duyệt nào để hủy."
    with db() as session:
        [delegation] = session.exec(select(Delegation)).all()
        assert delegation.cancelled_by == org.leader.id
        assert delegation.created_by == org.admin.id
