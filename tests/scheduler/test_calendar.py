"""The calendar in the sweep's messages: a breach told on its deadline day."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from telegram.ext import Application

from models import Deduction
from sandbox.botapi import FakeBotAPI
from services.container import Services
from tests.conftest import Clock
from tests.factories import ORG_CHATS, Org, local
from tests.scheduler.test_engine import open_code, sweep_and_deliver, texts

LEADER, STAFF, DIRECTOR = (ORG_CHATS[name] for name in ("leader", "staff", "director"))
TITLE = "Báo cáo tổng kết công tác năm 2026 và phương hướng nhiệm vụ năm 2027 của Sở Nội vụ"
SHORT = "Báo cáo tổng kết công tác năm 2026 và phương hướng nhiệm vụ…"


async def test_a_breach_on_31_december_is_told_with_that_day_and_counts_in_the_fourth_quarter(
    application: Application, bot: FakeBotAPI, services: Services, clock: Clock, db, org: Org
) -> None:
    code = open_code(db, services, org.staff, local("2026-12-24", 9), TITLE)
    assert code.due_day.isoformat() == "2026-12-31"
    report = await sweep_and_deliver(application, services, clock, local("2027-01-01", 0, 1))
    assert report.breaches == 1
    # Held through New Year's Day and the weekend, then told on Monday morning.
    await sweep_and_deliver(application, services, clock, local("2027-01-04", 7))
    [leader] = [t for t in texts(bot, LEADER) if t.startswith("⚠️")]
    assert f"mã công việc #1 «{SHORT}» của Lê Văn Hùng" in leader
    assert "(hết ngày 31/12/2026)" in leader
    [staff] = [t for t in texts(bot, STAFF) if "chưa được xử lý" in t]
    assert staff.startswith(f"Mã công việc #1 «{SHORT}» chưa được xử lý khi hết ngày 31/12/2026")
    [director] = [t for t in texts(bot, DIRECTOR) if t.startswith("⚠️")]
    assert f"#1 «{SHORT}»" in director and "khi hết ngày 31/12/2026" in director
    with db() as session:
        [deduction] = session.exec(select(Deduction)).all()
    assert deduction.occurred_at == local("2027-01-01", 0) - timedelta(microseconds=1)
    assert deduction.work_code_id == code.id

    phuong = bot.user(LEADER, "Phương")
    bot.send_text(phuong, "/myscore 2026Q4")
    [fourth] = (await bot.wait_for_messages(LEADER, len(bot.messages(LEADER)) + 1))[-1:]
    assert fourth["text"].startswith("Điểm KPI Quý IV/2026 — Trần Thị Phương")
    assert (
        "• #1 ngày 31/12/2026: trừ 5 điểm, Phê duyệt, cho ý kiến mã công việc của cấp dưới đúng "
        f"thời hạn — chậm phê duyệt mã công việc #1 «{SHORT}» quá thời hạn"
    ) in fourth["text"].splitlines()
    bot.send_text(phuong, "/myscore")  # now Quý I/2027: the breach is not in it
    [first] = (await bot.wait_for_messages(LEADER, len(bot.messages(LEADER)) + 1))[-1:]
    assert first["text"].startswith("Điểm KPI Quý I/2027")
    assert "Không có điểm trừ trong quý." in first["text"]
