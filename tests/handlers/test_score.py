"""Scores end to end: /myscore, the chart, plain questions and /team."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from kpi.calendar import WorkCalendar
from kpi.workcodes import open_work_code
from models import Unit
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


async def test_myscore_before_joining_says_there_is_no_data(
    bot: FakeBotAPI, session: Session, org: Org
) -> None:
    org.staff.joined_at = datetime(2026, 10, 1, tzinfo=UTC)
    session.commit()
    user = bot.user(STAFF, "Hùng")
    reply = await ask(bot, user, "/myscore 2026Q2")
    assert reply["text"] == (
        "Chưa có dữ liệu Quý II/2026: quý này kết thúc trước khi đồng chí vào làm việc,"
        " nên không có điểm."
    )
    assert "reply_markup" not in reply
    assert "Tổng điểm: 100/100" in (await ask(bot, user, "/myscore"))["text"]
    bot.assert_no_invalid_calls()


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
    assert any(line.startswith("• D1 ngày 05/11/2026") for line in lines)  # never "#1", a code's
    assert "Vắng tập huấn không phép" in reply["text"]
    assert lines.count("  Không có nhiệm vụ đến hạn trong kỳ: đạt điểm tối đa.") == 4
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


async def test_hr_names_a_unit_by_part_of_it_without_diacritics(
    bot: FakeBotAPI, session: Session, scored: Org
) -> None:
    hr = bot.user(ADMIN, "Nhân")
    plain = await ask(bot, hr, "/team noi vu")
    assert plain["text"].splitlines()[0] == "Sở Nội vụ, Quý IV/2026"
    assert len(plain["text"].splitlines()) == 1 + 6
    session.add(Unit(name="Phòng Nội vụ huyện Đà Bắc"))
    session.commit()
    several = await ask(bot, hr, "/team 2026Q3 NỘI VỤ")
    assert several["text"] == "Có nhiều đơn vị khớp với «NỘI VỤ». Đồng chí chọn đơn vị nào?"
    rows = several["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == ["Phòng Nội vụ huyện Đà Bắc", "Sở Nội vụ"]
    sở = rows[1][0]["callback_data"]
    assert sở == f"tm:2026Q3:{scored.staff.unit_id}"
    before = len(bot.messages(ADMIN))
    update = bot.press_button(hr, several, sở)
    [table] = (await bot.wait_for_messages(ADMIN, before + 1))[before:]
    assert table["text"].splitlines()[0] == "Sở Nội vụ, Quý III/2026"
    assert "Lê Văn Hùng (NV1): 100/100" in table["text"]
    answer = await bot.wait_for(lambda: bot.callback_answer(update))
    assert answer is not None and "text" not in answer  # answered, silently
    none = await ask(bot, hr, "/team Sở Tài chính")
    assert none["text"].splitlines() == [
        "Không có đơn vị nào khớp với «Sở Tài chính». Các đơn vị:",
        "• Phòng Nội vụ huyện Đà Bắc",
        "• Sở Nội vụ",
        "• Văn phòng",
    ]


@pytest.mark.usefixtures("scored")
async def test_only_hr_may_choose_a_unit_by_button(bot: FakeBotAPI) -> None:
    leader = bot.user(LEADER, "Phương")
    await ask(bot, leader, "/team")
    message = bot.messages(LEADER)[-1]
    update = bot.press_button(leader, message, "tm:2026Q4:1", check=False)
    answer = await bot.wait_for(lambda: bot.callback_answer(update))
    assert answer is not None and answer["text"] == "Nút này không còn hiệu lực."
