"""Assigned tasks end to end: /mytasks and a leader's /tasks."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from kpi import tasks
from kpi.policy import Policy
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
