"""Scores end to end: /myscore, the chart, plain questions and /team."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from kpi.calendar import WorkCalendar
from kpi.workcodes import open_work_code
from sandbox.botapi import FakeBotAPI, FakeUser
from tests.factories import ORG_CHATS, Org, make_deduction

LEADER, STAFF, ADMIN = ORG_CHATS["leader"], ORG_CHATS["staff"], ORG_CHATS["admin"]
NOV_5 = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)


@pytest.fixture
def scored(session: Session, org: Org) -> Org:
    """The organisation, with three deductions for NV1 and one for NV2 (the clerk)."""
    for _ in range(3):
        make_deduction(
            session,
            org.staff,
            "training_attendance",
            occurred_at=NOV_5,
            reason="Vắng tập huấn không phép",
            author=org.leader,
        )
    make_deduction(session, org.clerk, "task_quality", "10", occurred_at=NOV_5, author=org.leader)
    return org


async def ask(fake: FakeBotAPI, user: FakeUser, text: str) -> dict:
    before = len(fake.messages(user.id))
    fake.send_text(user, text)
    return (await fake.wait_for_messages(user.id, before + 1))[-1]


@pytest.mark.usefixtures("scored")
async def test_myscore_explains_the_quarter(bot: FakeBotAPI) -> None:
    reply = await ask(bot, bot.user(STAFF, "Hùng"), "/myscore")
    lines = reply["text"].splitlines()
    assert lines[:3] == [
        "Điểm KPI Quý IV/2026 — Lê Văn Hùng",
        "Tổng điểm: 94/100",
        "Xếp loại chất lượng: Hoàn thành xuất sắc nhiệm vụ (hệ số thưởng 1,5)",
    ]
    assert (
        "• Tham gia bồi dưỡng, tập huấn nâng cao trình độ chuyên môn, nghiệp vụ (KPI mềm): 9/15"
        in lines
    )
    assert sum("ngày 05/11/2026: trừ 2 điểm" in line for line in lines) == 3
    assert "Vắng tập huấn không phép" in reply["text"]
    assert reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "sc:chart:2026Q4"


@pytest.mark.usefixtures("scored")
async def test_an_earlier_quarter_and_a_bad_one(bot: FakeBotAPI) -> None:
    user = bot.user(STAFF, "Hùng")
    earlier = await ask(bot, user, "/myscore 2026Q3")
    assert "Quý III/2026" in earlier["text"] and "Tổng điểm: 100/100" in earlier["text"]
    assert "Không có điểm trừ trong quý." in earlier["text"]
    bad = await ask(bot, user, "/myscore 2026Q5")
    assert bad["text"].startswith("Vui lòng ghi quý theo dạng 2026Q4")


@pytest.mark.parametrize(
    ("question", "part"),
    [
        ("điểm của tôi?", "Tổng điểm: 94/100"),
        ("diem cua toi", "Tổng điểm: 94/100"),
        ("my score", "Tổng điểm: 94/100"),
        ("Tại sao tôi bị trừ điểm?", "Điểm trừ gần đây"),
        ("why was I deducted", "Điểm trừ gần đây"),
        ("xin chào", "Bot có thể trả lời các câu hỏi"),
    ],
)
@pytest.mark.usefixtures("scored")
async def test_plain_questions_get_the_matching_part(
    bot: FakeBotAPI, question: str, part: str
) -> None:
    reply = await ask(bot, bot.user(STAFF, "Hùng"), question)
    assert part in reply["text"]
    if "trừ" in question or "why" in question:
        assert "Tổng điểm" not in reply["text"]


@pytest.mark.usefixtures("scored")
async def test_the_chart_is_a_png(bot: FakeBotAPI) -> None:
    user = bot.user(STAFF, "Hùng")
    reply = await ask(bot, user, "/myscore")
    bot.press_button(user, reply, "sc:chart:2026Q4")
    await bot.wait_for(lambda: bot.calls_of("sendPhoto"))
    [photo] = bot.photos(STAFF)
    assert photo.content.startswith(b"\x89PNG")
    assert bot.calls_of("sendPhoto")[0].params["caption"] == "Điểm KPI Quý IV/2026"


async def test_a_leader_sees_codes_at_risk(bot: FakeBotAPI, db, scored: Org, clock) -> None:
    with db() as session:
        open_work_code(
            session=session,
            author=scored.staff,
            title="Tờ trình gấp",
            now=datetime(2026, 10, 28, 2, 0, tzinfo=UTC),
            calendar=WorkCalendar(),
            days=5,
        )
    clock.now = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # due 4/11: one working day left
    reply = await ask(bot, bot.user(LEADER, "Phương"), "/myscore")
    lines = reply["text"].splitlines()
    at_risk = lines.index("Mã công việc sắp đến hạn chờ đồng chí phê duyệt (trong 2 ngày làm việc)")
    assert lines[at_risk + 1] == "• #1 Tờ trình gấp — hết ngày 04/11/2026 (còn 1 ngày làm việc)"


@pytest.mark.usefixtures("scored")
async def test_team_lists_direct_reports_best_first(bot: FakeBotAPI) -> None:
    reply = await ask(bot, bot.user(LEADER, "Phương"), "/team")
    assert reply["text"].splitlines() == [
        "Cán bộ thuộc quyền của đồng chí, Quý IV/2026",
        "1. Lê Văn Hùng (NV1): 94/100 — Hoàn thành xuất sắc nhiệm vụ; 3 lần trừ điểm",
        "2. Phạm Thị Mai (NV2): 90/100 — Hoàn thành xuất sắc nhiệm vụ; 1 lần trừ điểm",
    ]
    refused = await ask(bot, bot.user(STAFF, "Hùng"), "/team")
    assert refused["text"] == "Chức năng này dành cho lãnh đạo và bộ phận tổ chức cán bộ."
    unit = await ask(bot, bot.user(LEADER, "Phương"), "/team 2026Q4 Sở Nội vụ")
    assert unit["text"] == "Chỉ bộ phận tổ chức cán bộ được xem điểm của cả đơn vị."
    admin = await ask(bot, bot.user(ADMIN, "Nhân"), "/team 2026Q4 Sở Nội vụ")
    assert admin["text"].splitlines()[0] == "Sở Nội vụ, Quý IV/2026"
    # Everyone in Sở Nội vụ: GD, TP, PP, NV1, NV2, NV3 (HR and AD work in the Văn phòng unit).
    assert len(admin["text"].splitlines()) == 1 + 6
