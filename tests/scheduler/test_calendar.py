"""The calendar in the sweep's messages: a breach told on its deadline day, an estimated year."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from telegram.ext import Application

from kpi.calendar import WorkCalendar
from kpi.decisions import parse_decision
from kpi.policy import Policy
from kpi.replanning import Planning, import_decision
from models import Deduction
from notices.digests import admins_report
from notices.occasion import Occasion
from sandbox.botapi import FakeBotAPI
from services.container import Services
from tests.conftest import Clock
from tests.factories import HANOI, ORG_CHATS, Org, local
from tests.kpi.test_decisions import GOOD
from tests.scheduler.test_engine import open_code, sweep_and_deliver, texts

LEADER, STAFF, DIRECTOR, ADMIN = (
    ORG_CHATS[name] for name in ("leader", "staff", "director", "admin")
)
TITLE = "Báo cáo tổng kết công tác năm 2026 và phương hướng nhiệm vụ năm 2027 của Sở Nội vụ"
SHORT = "Báo cáo tổng kết công tác năm 2026 và phương hướng nhiệm vụ…"
# A decision for 2029: the Tết break of the test decision for 2027, moved two years on.
DECISION_2029 = GOOD.split("[[days]]\nday = 2027-02-20")[0].replace("2027", "2029")


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
        "• D1 ngày 31/12/2026: trừ 5 điểm, Phê duyệt, cho ý kiến mã công việc của cấp dưới đúng "
        f"thời hạn — không phê duyệt, cho ý kiến mã công việc #1 «{SHORT}» trong thời hạn"
    ) in fourth["text"].splitlines()
    bot.send_text(phuong, "/myscore")  # now Quý I/2027: the breach is not in it
    [first] = (await bot.wait_for_messages(LEADER, len(bot.messages(LEADER)) + 1))[-1:]
    assert first["text"].startswith("Điểm KPI Quý I/2027")
    assert "Không có điểm trừ trong quý." in first["text"]


@pytest.mark.usefixtures("org")
async def test_admins_are_warned_from_1_november_while_next_year_is_estimated(
    application: Application, bot: FakeBotAPI, services: Services, clock: Clock, db
) -> None:
    def warnings() -> list[str]:
        return [t for t in texts(bot, ADMIN) if t.startswith("📅 Năm 2029")]

    await sweep_and_deliver(application, services, clock, local("2028-10-31", 8))
    assert warnings() == []
    await sweep_and_deliver(application, services, clock, local("2028-11-01", 8))
    assert warnings() == [
        "📅 Năm 2029 chưa có văn bản chính thức về lịch nghỉ lễ, Tết, nên thời hạn trong năm "
        "2029 đang được tính theo lịch dự kiến. Đề nghị đồng chí nhập văn bản khi được ban hành "
        "(kpibot calendar import FILE) hoặc nâng cấp kpibot lên phiên bản đã có lịch năm 2029."
    ]
    assert not [t for t in texts(bot, LEADER) if "2029" in t]  # admins only
    with db() as session:
        import_decision(
            session=session,
            planning=Planning(tz=HANOI, days=5, calendar_days=False),
            decision=parse_decision(DECISION_2029, imported=True),
            now=local("2028-11-01", 10),
        )
    await sweep_and_deliver(application, services, clock, local("2028-11-02", 8))
    assert len(warnings()) == 1


@pytest.mark.parametrize("blocked", [False, True])
def test_the_admins_report_in_english(org: Org, policy: Policy, blocked: bool) -> None:
    org.admin.chosen_locale = "en"
    occasion = Occasion(WorkCalendar(tz=HANOI), policy, local("2026-11-02", 8), "vi")
    unreachable = [org.leader] if blocked else []
    (draft,) = admins_report(occasion, org.admin, unreachable, 2027, local("2026-11-02", 21))
    lines = draft.text.splitlines()
    assert lines[0] == (
        "📅 2027 has no official decision on holidays and days off yet, so its deadlines are "
        "counted on an estimated calendar. Import the decision once it is published "
        "(<code>kpibot calendar import FILE</code>) or upgrade kpibot to a release that ships it."
    )
    assert lines[1:] == (
        ["This employee blocked the bot and receives no messages:", "• Trần Thị Phương (TP)"]
        if blocked
        else []
    )
