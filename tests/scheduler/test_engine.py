"""Reminders, breaches and digests through a whole cycle, via the sweep and the fake Bot API."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import select
from telegram.ext import Application

from kpi.calendar import WorkCalendar
from kpi.workcodes import open_work_code
from models import Deduction, Employee, OutboxMessage, WorkCode
from sandbox.botapi import FakeBotAPI
from scheduler.jobs import DELIVERER
from scheduler.sweep import run_sweep
from services.container import Services
from tests.conftest import Clock
from tests.factories import HANOI, ORG_CHATS, local

LEADER, STAFF, DIRECTOR, ADMIN = (
    ORG_CHATS[name] for name in ("leader", "staff", "director", "admin")
)


def open_code(db, services: Services, author: Employee, at: datetime, title: str) -> WorkCode:
    with db() as session:
        result = open_work_code(
            session=session,
            author=author,
            title=title,
            now=at,
            calendar=WorkCalendar(tz=HANOI),
            days=services.policy.deadline_days,
        )
    assert result.code is not None
    return result.code


async def sweep_and_deliver(
    application: Application, services: Services, clock: Clock, at: datetime
):
    clock.now = at
    report = run_sweep(
        db=services.db, policy=services.policy, tz=HANOI, now=at, default_locale="vi"
    )
    await application.bot_data[DELIVERER].deliver_due()
    return report


def texts(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [m["text"] for m in fake.messages(chat_id)]


async def test_a_whole_cycle_across_a_weekend_and_holidays(
    application: Application, bot: FakeBotAPI, services: Services, clock: Clock, db, org
) -> None:
    # The service runs all along: the morning's sweep finds nothing pending.
    await sweep_and_deliver(application, services, clock, local("2026-08-27", 8))
    # Opened Thursday 27/8/2026: due end of Tuesday 8/9 (weekend, 31/8 and 1-2/9 skipped).
    code = open_code(db, services, org.staff, local("2026-08-27", 9), "Báo cáo sơ kết")
    assert code.due_day.isoformat() == "2026-09-08"
    instant = local("2026-08-27", 9, 30)
    while instant < local("2026-09-10", 12):
        await sweep_and_deliver(application, services, clock, instant)
        await sweep_and_deliver(application, services, clock, instant)  # twice: nothing new
        instant += timedelta(minutes=30)

    leader = texts(bot, LEADER)
    digests = [t for t in leader if t.startswith("Tổng hợp mã công việc chờ phê duyệt")]
    # Working days from 28/8 to 8/9, then 9/9 and 10/9 while the code stays open.
    assert [t.split("ngày ")[1][:10] for t in digests] == [
        "28/08/2026",
        "03/09/2026",
        "04/09/2026",
        "07/09/2026",
        "08/09/2026",
        "09/09/2026",
        "10/09/2026",
    ]
    flagged = [t.split("ngày ")[1][:10] for t in digests if "🔔 #1" in t]
    assert flagged == ["04/09/2026", "08/09/2026"]  # the 08:00 slots travel in the digest
    reminders = [t for t in leader if t.startswith("🔔 Nhắc việc")]
    assert len(reminders) == 1 and "đến hạn hôm nay" in reminders[0]  # 15:00 on 8/9
    breaches = [t for t in leader if t.startswith("⚠️ Quá hạn phê duyệt")]
    assert len(breaches) == 1 and "bị trừ 5 điểm" in breaches[0]
    assert "Quá hạn" in digests[-1]
    assert sum("không tính" in t for t in texts(bot, STAFF)) == 0
    assert (
        len([t for t in texts(bot, STAFF) if "chưa được xử lý khi hết ngày 08/09/2026" in t]) == 1
    )
    assert len([t for t in texts(bot, DIRECTOR) if "Trần Thị Phương bị trừ 5 điểm" in t]) == 1

    with db() as session:
        [deduction] = session.exec(select(Deduction)).all()
    assert deduction.employee_id == org.leader.id
    assert deduction.criterion == "approval_timeliness"
    assert deduction.points == Decimal("5.00")
    # Dated on the deadline day itself, at its last moment (not at 24:00, the next day).
    assert deduction.occurred_at == local("2026-09-09", 0) - timedelta(microseconds=1)
    sent = next(m for m in bot.calls_of("sendMessage") if "Quá hạn phê duyệt" in m.params["text"])
    assert sent.time is not None


async def test_several_codes_in_one_slot_make_one_reminder(
    application: Application, bot: FakeBotAPI, services: Services, clock: Clock, db, org
) -> None:
    for title in ("Tờ trình A", "Tờ trình B"):
        open_code(db, services, org.staff, local("2026-11-02", 9), title)
    report = await sweep_and_deliver(application, services, clock, local("2026-11-09", 15))
    assert report.reminders == 1
    [reminder] = [t for t in texts(bot, LEADER) if t.startswith("🔔")]
    assert "có 2 mã công việc" in reminder
    assert "#1 Tờ trình A" in reminder and "#2 Tờ trình B" in reminder
    rows = bot.messages(LEADER)[-1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in rows] == ["wl:ap:1:1", "wl:ap:2:1"]


async def test_after_downtime_only_the_latest_missed_slot_is_sent(
    application: Application, services: Services, clock: Clock, db, org
) -> None:
    open_code(db, services, org.staff, local("2026-11-02", 9), "Kế hoạch")
    # Down from Monday until Monday 9/11 at 16:00: the 15:00 slot is the latest missed one.
    report = await sweep_and_deliver(application, services, clock, local("2026-11-09", 16))
    assert report.reminders == 1 and report.breaches == 0
    # Down again until after the deadline: no reminder any more, the breach dated on the day.
    report = await sweep_and_deliver(application, services, clock, local("2026-11-12", 10))
    assert report.reminders == 0 and report.breaches == 1
    with db() as session:
        [deduction] = session.exec(select(Deduction)).all()
    assert deduction.occurred_at == local("2026-11-10", 0) - timedelta(microseconds=1)


async def test_quiet_hours_hold_the_breach_notice_until_seven(
    application: Application, bot: FakeBotAPI, services: Services, clock: Clock, db, org
) -> None:
    open_code(db, services, org.staff, local("2026-11-02", 9), "Kế hoạch")
    report = await sweep_and_deliver(application, services, clock, local("2026-11-10", 0, 1))
    assert report.breaches == 1
    assert not [t for t in texts(bot, LEADER) if "Quá hạn" in t]
    await sweep_and_deliver(application, services, clock, local("2026-11-10", 6, 59))
    assert not [t for t in texts(bot, LEADER) if "Quá hạn" in t]
    await sweep_and_deliver(application, services, clock, local("2026-11-10", 7))
    assert len([t for t in texts(bot, LEADER) if "Quá hạn phê duyệt" in t]) == 1


async def test_the_digest_groups_and_pages(
    application: Application, bot: FakeBotAPI, services: Services, clock: Clock, db, org
) -> None:
    opened = [local("2026-10-26", 9)] * 3 + [local("2026-11-02", 9)] * 4
    opened += [local("2026-11-04", 9)] * 2 + [local("2026-11-06", 9)] * 3
    for number, at in enumerate(opened, start=1):
        open_code(db, services, org.staff, at, f"Việc {number}")
    # Monday 9/11 at 08:00: 3 overdue (due 2/11), 4 due today, 2 due 11/11, 3 due 13/11.
    report = await sweep_and_deliver(application, services, clock, local("2026-11-09", 8))
    assert report.digests == 1
    first, second = [t for t in texts(bot, LEADER) if t.startswith("Tổng hợp")]
    assert "(trang 1/2)" in first and "(trang 2/2)" in second
    assert first.split("\n\n")[1].splitlines()[0] == "Quá hạn"
    assert [block.splitlines()[0] for block in first.split("\n\n")[1:]] == [
        "Quá hạn",
        "Đến hạn hôm nay",
        "Đến hạn trong 2 ngày làm việc",
        "Còn thời hạn",
    ]
    assert [block.splitlines()[0] for block in second.split("\n\n")[1:]] == ["Còn thời hạn"]
    # Due today (08:00 on the day) and due 11/11 (08:00 two working days before): flagged.
    assert first.count("🔔") == 6
    pages = [m for m in bot.messages(LEADER) if m["text"].startswith("Tổng hợp")]
    assert [len(m["reply_markup"]["inline_keyboard"]) for m in pages] == [10, 2]
    assert len([t for t in texts(bot, LEADER) if t.startswith("⚠️")]) == 3  # the overdue ones
    again = await sweep_and_deliver(application, services, clock, local("2026-11-09", 9))
    assert again.digests == 0
    assert not [t for t in texts(bot, DIRECTOR) if t.startswith("Tổng hợp")]  # nothing pending


async def test_a_leader_who_blocked_the_bot_is_reported_and_gets_the_messages_back(
    application: Application, bot: FakeBotAPI, services: Services, clock: Clock, db, org
) -> None:
    open_code(db, services, org.staff, local("2026-11-02", 9), "Kế hoạch")
    bot.block(LEADER)
    await sweep_and_deliver(application, services, clock, local("2026-11-09", 15))
    with db() as session:
        assert session.get_one(Employee, org.leader.id).unreachable_since is not None
        statuses = [m.status for m in session.exec(select(OutboxMessage))]
    assert "blocked" in statuses
    await sweep_and_deliver(application, services, clock, local("2026-11-10", 8))
    report = [t.splitlines()[-2:] for t in texts(bot, ADMIN) if "đã chặn bot" in t]
    assert report == [  # after the line on 2027, still estimated in November 2026
        ["1 cán bộ sau đã chặn bot nên không nhận được thông báo:", "• Trần Thị Phương (TP)"]
    ]

    bot.unblock(LEADER)
    bot.send_text(bot.user(LEADER, "Phương"), "/help")
    await bot.wait_for(lambda: any("Quá hạn phê duyệt" in t for t in texts(bot, LEADER)))
    with db() as session:
        assert session.get_one(Employee, org.leader.id).unreachable_since is None
