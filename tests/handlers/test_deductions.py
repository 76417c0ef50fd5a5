"""Deductions by people, end to end: /deduct, /appeal, and the decider's buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import Deduction
from sandbox.botapi import FakeBotAPI, FakeUser
from tests.factories import ORG_CHATS

DIRECTOR, LEADER, STAFF, OUTSIDER, ADMIN = (
    ORG_CHATS[name] for name in ("director", "leader", "staff", "outsider", "admin")
)


async def ask(fake: FakeBotAPI, user: FakeUser, text: str) -> str:
    before = len(fake.messages(user.id))
    fake.send_text(user, text)
    return str((await fake.wait_for_messages(user.id, before + 1))[before]["text"])


def rows(db) -> list[Deduction]:
    with db() as session:
        return list(session.exec(select(Deduction).order_by(Deduction.id)))


@pytest.mark.usefixtures("org")
async def test_a_leader_deducts_and_the_employee_is_told(bot: FakeBotAPI, db) -> None:
    reply = await ask(
        bot, bot.user(LEADER, "P"), "/deduct NV1 training_attendance Vắng tập huấn ngày 5/11"
    )
    assert reply == "Đã ghi nhận điểm trừ D1 đối với Lê Văn Hùng."
    [news] = await bot.wait_for_messages(STAFF, 1)
    assert news["text"].splitlines() == [
        "Trần Thị Phương đã ghi nhận điểm trừ D1: trừ 2 điểm ở tiêu chí «Tham gia bồi dưỡng, tập "
        "huấn nâng cao trình độ chuyên môn, nghiệp vụ» (ngày 02/11/2026). "
        "Lý do: Vắng tập huấn ngày 5/11",
        "Nếu không đồng ý, đồng chí gửi /appeal D1 LÝ_DO trước khi hết ngày 09/11/2026.",
    ]
    [deduction] = rows(db)
    assert str(deduction.points) == "2.00" and deduction.source == "manual"
    score = await ask(bot, bot.user(STAFF, "H"), "/myscore")
    assert "Tổng điểm: 98/100" in score


@pytest.mark.parametrize(
    ("user", "text", "answer"),
    [
        (
            STAFF,
            "/deduct NV1 training_attendance 2 Tự trừ",
            "chỉ được ghi nhận điểm trừ đối với cán bộ thuộc quyền",
        ),
        (
            LEADER,
            "/deduct NV3 training_attendance 2 Ngoài phòng",
            "chỉ được ghi nhận điểm trừ đối với cán bộ thuộc quyền",
        ),
        (
            LEADER,
            "/deduct NV1 unit_results 2 Không thuộc vị trí",
            "Không có tiêu chí nào của vị trí việc làm của Lê Văn Hùng khớp",
        ),
        (LEADER, "/deduct NV1 training_attendance 99 Quá nhiều", "Số điểm trừ phải lớn hơn 0"),
        (LEADER, "/deduct NV99 training_attendance 2 Không có", "Không có cán bộ nào có mã này."),
        (LEADER, "/deduct NV3", "Không có cán bộ nào khớp với «NV3»"),
        (ADMIN, "/deduct HR training_attendance 2 Tự trừ", "chỉ được ghi nhận điểm trừ"),
    ],
)
@pytest.mark.usefixtures("org")
async def test_deductions_that_are_refused_change_nothing(
    bot: FakeBotAPI, db, user: int, text: str, answer: str
) -> None:
    assert answer in await ask(bot, bot.user(user, "U"), text)
    assert rows(db) == []


@pytest.mark.parametrize(
    ("word", "criterion"),
    [
        ("TRAINING_ATTENDANCE", "training_attendance"),
        ("tap", "training_attendance"),
        ("Tập", "training_attendance"),
        ("training", "training_attendance"),
        ("ky", "discipline_ethics"),
        ("ethics", "discipline_ethics"),
    ],
)
@pytest.mark.usefixtures("org")
async def test_a_criterion_is_named_by_its_code_or_a_word_of_its_name(
    bot: FakeBotAPI, db, word: str, criterion: str
) -> None:
    reply = await ask(bot, bot.user(LEADER, "P"), f"/deduct NV1 {word} 1 Vắng họp")
    assert reply == "Đã ghi nhận điểm trừ D1 đối với Lê Văn Hùng."
    assert [d.criterion for d in rows(db)] == [criterion]


@pytest.mark.parametrize("word", ["xyz", "ket"])  # "ket" (kết quả) is in several names
@pytest.mark.usefixtures("org")
async def test_an_unknown_criterion_lists_the_valid_ones(bot: FakeBotAPI, db, word: str) -> None:
    reply = await ask(bot, bot.user(LEADER, "P"), f"/deduct NV1 {word} 1 Vắng họp")
    lines = reply.splitlines()
    assert lines[0].startswith("Không có tiêu chí nào của vị trí việc làm của Lê Văn Hùng")
    assert (
        "• training_attendance — Tham gia bồi dưỡng, tập huấn nâng cao trình độ chuyên môn, "
        "nghiệp vụ" in lines
    )
    assert not any("unit_results" in line for line in lines)  # a leader's, not a specialist's
    assert rows(db) == []


@pytest.mark.usefixtures("org")
async def test_an_admin_deducts_anyone(bot: FakeBotAPI, db) -> None:
    reply = await ask(bot, bot.user(ADMIN, "N"), "/deduct NV3 discipline_ethics 1,5 Đi muộn")
    assert reply == "Đã ghi nhận điểm trừ D1 đối với Hồ Thị Lan."
    assert str(rows(db)[0].points) == "1.50"


@pytest.mark.usefixtures("org")
async def test_an_accepted_appeal_cancels_the_deduction(bot: FakeBotAPI, db) -> None:
    await ask(bot, bot.user(LEADER, "P"), "/deduct NV1 training_attendance 2 Vắng tập huấn")
    staff = bot.user(STAFF, "H")
    await bot.wait_for_messages(STAFF, 1)
    reply = await ask(bot, staff, "/appeal D1 Tôi đi công tác theo quyết định của Giám đốc")
    assert reply == "Đã gửi đề nghị xem xét lại điểm trừ D1 để cấp có thẩm quyền quyết định."
    [request] = await bot.wait_for_messages(DIRECTOR, 1)  # the author's superior decides
    assert request["text"].startswith(
        "Đề nghị xem xét lại #1: Lê Văn Hùng đề nghị xem xét lại điểm trừ D1"
    )
    assert [b["callback_data"] for b in request["reply_markup"]["inline_keyboard"][0]] == [
        "ap:acc:1",
        "ap:rej:1",
    ]

    bot.press_button(bot.user(LEADER, "P"), request, "ap:acc:1", check=False)  # not the decider
    await bot.wait_for(lambda: bot.callback_answers)
    assert (
        bot.callback_answers[-1]["text"] == "Đồng chí không có thẩm quyền quyết định đề nghị này."
    )

    bot.press_button(bot.user(DIRECTOR, "G"), request, "ap:acc:1")
    await bot.wait_for(lambda: len(bot.callback_answers) == 2)
    assert bot.messages(DIRECTOR)[0]["text"].endswith("Chấp nhận: điểm trừ D1 đã được hủy.")
    assert "reply_markup" not in bot.messages(DIRECTOR)[0]
    [_logged, told] = await bot.wait_for_messages(LEADER, 2)  # the author learns it too
    assert told["text"] == (
        "Đề nghị xem xét lại của Lê Văn Hùng đối với điểm trừ D1 do đồng chí ghi nhận đã có quyết "
        "định. Chấp nhận: điểm trừ D1 đã được hủy."
    )
    news = await bot.wait_for_messages(STAFF, 3)
    assert news[-1]["text"] == (
        "Đề nghị xem xét lại điểm trừ D1 đã có quyết định. Chấp nhận: điểm trừ D1 đã được hủy."
    )
    assert [d.reverses_id for d in rows(db)] == [None, 1]
    assert "Tổng điểm: 100/100" in await ask(bot, staff, "/myscore")

    bot.press_button(bot.user(DIRECTOR, "G"), request, "ap:rej:1", check=False)
    await bot.wait_for(lambda: len(bot.callback_answers) == 3)
    assert bot.callback_answers[-1]["text"] == "Đề nghị này đã được xem xét, giải quyết."


@pytest.mark.usefixtures("org")
async def test_appeals_out_of_time_or_not_ones_own(bot: FakeBotAPI, clock) -> None:
    await ask(bot, bot.user(LEADER, "P"), "/deduct NV1 training_attendance 2 Vắng tập huấn")
    await bot.wait_for_messages(STAFF, 1)  # the notice, before the answers counted below
    assert "Không tìm thấy điểm trừ D1" in await ask(
        bot, bot.user(OUTSIDER, "L"), "/appeal 1 Không phải của tôi"
    )
    assert "Cú pháp: /appeal" in await ask(bot, bot.user(STAFF, "H"), "/appeal abc")
    clock.now += timedelta(days=8)
    assert "Đã hết thời hạn" in await ask(bot, bot.user(STAFF, "H"), "/appeal 1 Muộn")


@pytest.mark.usefixtures("org")
async def test_hr_cancels_a_deduction_and_the_employee_is_told(bot: FakeBotAPI, db) -> None:
    await ask(bot, bot.user(LEADER, "P"), "/deduct NV1 training_attendance 2 Vắng tập huấn")
    await bot.wait_for_messages(STAFF, 1)
    refused = await ask(bot, bot.user(LEADER, "P"), "/reverse 1 Nhầm người")
    assert refused == "Chỉ bộ phận tổ chức cán bộ được hủy điểm trừ."
    assert (
        await ask(bot, bot.user(ADMIN, "N"), "/reverse 1")
        == "Cú pháp: /reverse SỐ_HIỆU_ĐIỂM_TRỪ LÝ_DO"
    )
    assert await ask(bot, bot.user(ADMIN, "N"), "/reverse d1 Nhầm người") == "Đã hủy điểm trừ D1."
    [_notice, news] = await bot.wait_for_messages(STAFF, 2)
    assert news["text"] == "Bộ phận tổ chức cán bộ đã hủy điểm trừ D1. Lý do: Nhầm người"
    again = await ask(bot, bot.user(ADMIN, "N"), "/reverse 1 Lần nữa")
    assert again == "Điểm trừ D1 đã được hủy trước đó."
    assert await ask(bot, bot.user(ADMIN, "N"), "/reverse 2 Hủy bản hủy") == (
        "D2 là bản ghi hủy một điểm trừ khác, không thể hủy."
    )
    assert await ask(bot, bot.user(ADMIN, "N"), "/reverse 99 Không có") == "Không có điểm trừ D99."
    assert [d.reverses_id for d in rows(db)] == [None, 1]
