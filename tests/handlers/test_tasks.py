"""Assigned tasks end to end: /mytasks and a leader's /tasks."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, select

from kpi import tasks
from kpi.policy import Policy
from models import WorkCode
from sandbox.botapi import FakeBotAPI, FakeUser
from tests.factories import ORG_CHATS, Org

LEADER, STAFF, CLERK = ORG_CHATS["leader"], ORG_CHATS["staff"], ORG_CHATS["clerk"]
ASSIGNED_AT = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


async def ask(fake: FakeBotAPI, user: FakeUser, text: str) -> dict:
    before = len(fake.messages(user.id))
    fake.send_text(user, text)
    return (await fake.wait_for_messages(user.id, before + 1))[-1]


def _assign(session: Session, org: Org, policy: Policy, title: str, due_on: date) -> int:
    result = tasks.assign(
        session=session,
        assigner=org.leader,
        employee_id=org.staff.id,
        title=title,
        due_on=due_on,
        type_code="bao_cao",
        policy=policy,
        now=ASSIGNED_AT,
    )
    assert result.task is not None and result.task.id is not None
    return result.task.id


async def test_mytasks_and_tasks_list_open_tasks_with_state(
    bot: FakeBotAPI, session: Session, org: Org, policy: Policy
) -> None:
    late = _assign(session, org, policy, "Báo cáo quý III", date(2026, 10, 30))
    soon = _assign(session, org, policy, "Báo cáo tổng kết năm", date(2026, 12, 15))
    mine = await ask(bot, bot.user(STAFF, "Hùng"), "/mytasks")
    assert mine["text"].splitlines() == [
        "Nhiệm vụ được giao của đồng chí",
        f"• T{late} «Báo cáo quý III» — hạn hoàn thành 30/10/2026, Báo cáo định kỳ, đột xuất"
        " (2 sản phẩm quy đổi): quá hạn",
        f"• T{soon} «Báo cáo tổng kết năm» — hạn hoàn thành 15/12/2026, Báo cáo định kỳ, đột xuất"
        " (2 sản phẩm quy đổi): chưa thực hiện",
    ]
    none = await ask(bot, bot.user(CLERK, "Lan"), "/mytasks")
    assert none["text"] == "Đồng chí không có nhiệm vụ được giao nào chưa hoàn thành."
    team = await ask(bot, bot.user(LEADER, "Phương"), "/tasks")
    assert team["text"].splitlines()[:2] == [
        "Nhiệm vụ được giao của công chức thuộc quyền",
        "Lê Văn Hùng",
    ]
    assert len(team["text"].splitlines()) == 4
    refused = await ask(bot, bot.user(STAFF, "Hùng"), "/tasks")
    assert refused["text"].startswith("Chức năng này dành cho lãnh đạo")


def buttons(message: dict) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


async def test_open_offers_the_open_tasks_and_the_card_shows_the_task(
    bot: FakeBotAPI, session: Session, org: Org, policy: Policy, db
) -> None:
    task_id = _assign(session, org, policy, "Báo cáo quý IV", date(2026, 11, 20))
    staff = bot.user(STAFF, "Hùng")
    offer = await ask(bot, staff, "/open")
    assert offer["text"] == "Mã công việc này báo cáo nhiệm vụ được giao nào?"
    assert buttons(offer) == [f"ot:{task_id}", "ot:0"]
    before = len(bot.messages(LEADER))
    bot.press_button(staff, offer, f"ot:{task_id}")
    card = (await bot.wait_for_messages(LEADER, before + 1))[-1]
    assert card["text"].splitlines()[1] == "Báo cáo quý IV"
    assert card["text"].splitlines()[-1] == (
        f"Báo cáo kết quả nhiệm vụ T{task_id} «Báo cáo quý IV», hạn hoàn thành 20/11/2026"
        " (Báo cáo định kỳ, đột xuất, 2 sản phẩm quy đổi)."
    )
    with db() as fresh:
        [code] = fresh.exec(select(WorkCode)).all()
        assert code.task_id == task_id
    mine = await ask(bot, staff, "/mytasks")
    assert mine["text"].endswith("đã báo cáo, chờ phê duyệt")
    # The task's code awaits approval: /open no longer offers it, and asks for a new code's title.
    question = await ask(bot, staff, "/open")
    assert buttons(question) == []
    assert question["text"] == "Nhập tiêu đề mã công việc mới (hoặc gửi /cancel để hủy)."
    assert bot.asked_for_reply(STAFF, question["message_id"])
    # The first offer's buttons: the task's is stale now, "a new code" still asks for a title.
    stale = bot.press_button(staff, offer, f"ot:{task_id}")
    refused = await bot.wait_for(lambda: bot.callback_answer(stale), what="an answer")
    assert refused is not None and refused["text"] == "Nút này không còn hiệu lực."
    before = len(bot.messages(STAFF))
    bot.press_button(staff, offer, "ot:0")
    [again] = (await bot.wait_for_messages(STAFF, before + 1))[before:]
    assert again["text"] == question["text"]
