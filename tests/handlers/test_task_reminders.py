"""Tasks in the working morning's digest, through the sweep and the fake Bot API: due soon to
the assignee, overdue to the assigner, each once; and on the due day, at the ladder's last slot,
a reminder to the assignee of the task still to report."""

from __future__ import annotations

from sandbox.botapi import FakeBotAPI
from tests.factories import ORG_CHATS, Org, local
from tests.handlers.test_task_flow import assign
from tests.scheduler.test_engine import sweep_and_deliver, texts

LEADER, STAFF = ORG_CHATS["leader"], ORG_CHATS["staff"]
LINE = (
    "• T1 «Báo cáo tổng kết năm» — hạn hoàn thành 09/11/2026, Báo cáo định kỳ, đột xuất"
    " (2 sản phẩm quy đổi)"
)


async def test_a_task_due_soon_reaches_its_assignee_and_overdue_its_assigner_once(
    application, bot: FakeBotAPI, services, clock, org: Org
) -> None:
    leader = bot.user(LEADER, "Phương")
    await assign(bot, leader, org, "Báo cáo tổng kết năm")  # Monday 2/11, due Monday 9/11
    # Wednesday 4/11: 9/11 is 3 working days away, not yet due soon.
    await sweep_and_deliver(application, services, clock, local("2026-11-04", 8))
    staff_seen, leader_seen = len(bot.messages(STAFF)), len(bot.messages(LEADER))
    assert not any("cần lưu ý" in text for text in texts(bot, STAFF))

    # Thursday 5/11: due within 2 working days (Friday 6/11, Monday 9/11).
    for hour in (8, 8, 11):  # sweeps again, the same morning, add nothing
        await sweep_and_deliver(application, services, clock, local("2026-11-05", hour))
    [soon] = texts(bot, STAFF)[staff_seen:]
    assert soon.splitlines() == [
        "Nhiệm vụ đồng chí cần lưu ý ngày 05/11/2026",
        "",
        "Nhiệm vụ của đồng chí đến hạn trong 2 ngày làm việc hoặc đã quá hạn",
        f"{LINE}: chưa thực hiện",
        "Khi hoàn thành nhiệm vụ, đồng chí báo cáo bằng cách mở mã công việc cho nhiệm vụ đó"
        " (/open).",
    ]
    assert len(bot.messages(LEADER)) == leader_seen  # nothing overdue yet

    # Tuesday 10/11: overdue, for the assignee and for the leader who assigned it.
    for _ in range(2):
        await sweep_and_deliver(application, services, clock, local("2026-11-10", 8))
    [late] = texts(bot, STAFF)[staff_seen + 1 :]
    assert late.splitlines()[3] == f"{LINE}: quá hạn"
    [overdue] = texts(bot, LEADER)[leader_seen:]
    assert overdue.splitlines()[1:] == [
        "",
        "Nhiệm vụ đồng chí đã giao bị quá hạn",
        f"{LINE}: quá hạn — Lê Văn Hùng",
    ]


async def test_on_the_due_day_at_15_the_assignee_is_reminded_once(
    application, bot: FakeBotAPI, services, clock, org: Org
) -> None:
    leader = bot.user(LEADER, "Phương")
    await assign(bot, leader, org, "Báo cáo tổng kết năm")  # Monday 2/11, due Monday 9/11
    await sweep_and_deliver(application, services, clock, local("2026-11-09", 8))  # the digest
    staff_seen, leader_seen = len(bot.messages(STAFF)), len(bot.messages(LEADER))
    await sweep_and_deliver(application, services, clock, local("2026-11-09", 14, 59))
    assert len(bot.messages(STAFF)) == staff_seen  # not yet
    for hour in (15, 15, 18):  # sweeps again, the same afternoon, add nothing
        await sweep_and_deliver(application, services, clock, local("2026-11-09", hour))
    [reminder] = texts(bot, STAFF)[staff_seen:]
    assert reminder.splitlines() == [
        "🔔 Nhắc việc: đồng chí có 1 nhiệm vụ đến hạn hoàn thành nhưng chưa báo cáo.",
        f"{LINE}: chưa thực hiện",
        "Khi hoàn thành nhiệm vụ, đồng chí báo cáo bằng cách mở mã công việc cho nhiệm vụ đó"
        " (/open).",
    ]
    assert len(bot.messages(LEADER)) == leader_seen  # the leader is not reminded of it
    # The next day it is overdue: the digest's, no more reminder.
    await sweep_and_deliver(application, services, clock, local("2026-11-10", 15))
    assert not any("Nhắc việc" in text for text in texts(bot, STAFF)[staff_seen + 1 :])
