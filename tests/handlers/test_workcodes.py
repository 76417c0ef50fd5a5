"""Work codes end to end: open, approve, reject, opinion, resubmit, withdraw, bad input."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from kpi.workcodes import WorkCodeOutcome, clean_title
from models import WorkCode, WorkCodeEvent
from sandbox.botapi import FakeBotAPI, FakeUser
from tests.factories import ORG_CHATS, Org

LEADER_ID, STAFF_ID, OTHER_ID = ORG_CHATS["leader"], ORG_CHATS["staff"], ORG_CHATS["clerk"]


@dataclass
class Team:
    leader: FakeUser
    staff: FakeUser
    other: FakeUser


@pytest.fixture
def team(bot: FakeBotAPI, org: Org) -> Team:  # noqa: ARG001  (the people behind the chats)
    return Team(
        bot.user(LEADER_ID, "Phương"), bot.user(STAFF_ID, "Hùng"), bot.user(OTHER_ID, "Mai")
    )


async def say(fake: FakeBotAPI, user: FakeUser, text: str, *, expect: int = 1) -> list[dict]:
    before = len(fake.messages(user.id))
    fake.send_text(user, text)
    return (await fake.wait_for_messages(user.id, before + expect))[before:]


async def open_code(fake: FakeBotAPI, team: Team, title: str = "Báo cáo quý IV") -> dict:
    """Open a code as the specialist; return the leader's notice."""
    before = len(fake.messages(LEADER_ID))
    await say(fake, team.staff, f"/open {title}")
    return (await fake.wait_for_messages(LEADER_ID, before + 1))[-1]


def buttons(message: dict) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


def code(db: sessionmaker[Session], code_id: int = 1) -> WorkCode:
    with db() as session:
        return session.get_one(WorkCode, code_id)


async def press(fake: FakeBotAPI, user: FakeUser, message: dict, data: str) -> dict:
    """Press a button (even one no longer shown) and return the callback's answer."""
    before = len(fake.callback_answers)
    fake.press_button(user, message, data, check=False)
    await fake.wait_for(lambda: len(fake.callback_answers) > before)
    return fake.callback_answers[before]


async def test_opening_tells_the_employee_the_deadline_and_the_leader_gets_buttons(
    bot: FakeBotAPI, team: Team
) -> None:
    [confirmation] = await say(bot, team.staff, "/open Báo cáo tổng kết năm 2026")
    assert confirmation["text"].splitlines() == [
        "Đã mở mã công việc #1, chờ Trần Thị Phương phê duyệt.",
        "Thời hạn: hết ngày 09/11/2026 (còn 5 ngày làm việc)",
    ]
    [notice] = await bot.wait_for_messages(LEADER_ID, 1)
    assert notice["text"].splitlines() == [
        "Mã công việc #1 — Chờ phê duyệt",
        "Báo cáo tổng kết năm 2026",
        "Người trình: Lê Văn Hùng (NV1)",
        "Thời hạn: hết ngày 09/11/2026 (còn 5 ngày làm việc)",
    ]
    assert buttons(notice) == ["wc:ap:1:1", "wc:rj:1:1", "wc:op:1:1"]


async def test_a_deadline_across_a_holiday_explains_the_skipped_days(
    bot: FakeBotAPI, team: Team, clock
) -> None:
    clock.now = clock.now.replace(month=8, day=27)  # Thursday 27/8/2026, before 31/8 and 2/9
    notice = await open_code(bot, team)
    assert "Thời hạn: hết ngày 08/09/2026 (còn 5 ngày làm việc)" in notice["text"]
    assert notice["text"].splitlines()[-1] == (
        "5 ngày làm việc; không tính ngày nghỉ: Nghỉ bù cho ngày 22/08/2026 "
        "(31/08/2026); Quốc khánh (01/09/2026–02/09/2026)"
    )


async def test_a_code_opened_before_new_year_2026_is_due_after_the_swapped_friday(
    bot: FakeBotAPI, team: Team, clock
) -> None:
    clock.now = clock.now.replace(year=2025, month=12, day=30)  # Tuesday 30/12/2025
    notice = await open_code(bot, team)
    assert "Thời hạn: hết ngày 08/01/2026" in notice["text"]
    assert notice["text"].splitlines()[-1] == (
        "5 ngày làm việc; không tính ngày nghỉ: Tết Dương lịch (01/01/2026); "
        "Nghỉ bù cho ngày 10/01/2026 (02/01/2026)"
    )


async def test_approve_edits_the_leaders_message_and_tells_the_employee(
    bot: FakeBotAPI, team: Team, db: sessionmaker[Session]
) -> None:
    notice = await open_code(bot, team)
    answer = await press(bot, team.leader, notice, "wc:ap:1:1")
    assert answer.get("text") == "Đã phê duyệt mã công việc #1."
    edited = bot.messages(LEADER_ID)[-1]
    assert edited["message_id"] == notice["message_id"]
    assert "Mã công việc #1 — Đã phê duyệt" in edited["text"]
    assert "Đã được Trần Thị Phương phê duyệt lúc 09:00 02/11/2026." in edited["text"]
    assert buttons(edited) == []
    [news] = (await bot.wait_for_messages(STAFF_ID, 2))[1:]
    assert news["text"] == "Mã công việc #1 «Báo cáo quý IV» đã được Trần Thị Phương phê duyệt."
    assert code(db).status == "approved"

    again = await press(bot, team.leader, notice, "wc:ap:1:1")
    assert again.get("text") == "Mã công việc #1 đã được xử lý trước đó."
    assert len(bot.messages(STAFF_ID)) == 2
    with db() as session:
        assert len(session.exec(select(WorkCodeEvent)).all()) == 2  # opened, approved


async def test_reject_asks_for_a_reason_with_force_reply(
    bot: FakeBotAPI, team: Team, db: sessionmaker[Session]
) -> None:
    notice = await open_code(bot, team)
    await press(bot, team.leader, notice, "wc:rj:1:1")
    question = (await bot.wait_for_messages(LEADER_ID, 2))[-1]
    assert (
        question["text"] == "Nhập lý do không phê duyệt mã công việc #1 (hoặc gửi /cancel để hủy)."
    )
    assert bot.calls_of("sendMessage")[-1].params["reply_markup"]["force_reply"] is True
    assert code(db).status == "open"  # the press alone changes nothing

    bot.reply_to(team.leader, question, "Thiếu số liệu <quý III> & phụ lục")
    await bot.wait_for(lambda: code(db).status == "rejected")
    [news] = (await bot.wait_for_messages(STAFF_ID, 2))[1:]
    assert news["text"] == (
        "Trần Thị Phương không phê duyệt mã công việc #1 «Báo cáo quý IV». "
        "Lý do: Thiếu số liệu <quý III> & phụ lục"
    )
    leader_view = await bot.wait_for_messages(LEADER_ID, 3)
    assert leader_view[0]["text"].endswith("Lý do: Thiếu số liệu <quý III> & phụ lục")
    assert buttons(leader_view[0]) == []
    assert leader_view[-1]["text"] == "Đã ghi nhận không phê duyệt mã công việc #1."
    [final] = await say(bot, team.staff, "/resubmit 1")
    assert final["text"] == (
        "Mã công việc #1 đã không được phê duyệt; đây là kết quả giải quyết cuối cùng nên không "
        "thể trình lại. Để trình lại nội dung này, đồng chí mở mã công việc mới bằng lệnh "
        "/open TIÊU_ĐỀ."
    )
    assert code(db).status == "rejected"


async def test_an_empty_reason_is_asked_again_and_cancel_stops(
    bot: FakeBotAPI, team: Team, db: sessionmaker[Session]
) -> None:
    notice = await open_code(bot, team)
    await press(bot, team.leader, notice, "wc:rj:1:1")
    await bot.wait_for_messages(LEADER_ID, 2)  # the question
    [reply] = await say(bot, team.leader, "\u200b")
    assert reply["text"] == "Nội dung không được để trống. Vui lòng nhập lại."
    [reply] = await say(bot, team.leader, "/cancel")
    assert reply["text"] == "Đã hủy."
    [reply] = await say(bot, team.leader, "Lý do muộn")
    assert "Bot có thể trả lời các câu hỏi" in reply["text"]  # no longer a reason: a question
    assert code(db).status == "open"


async def test_opinion_returns_the_code_and_resubmit_starts_a_new_cycle(
    bot: FakeBotAPI, team: Team, db: sessionmaker[Session], clock
) -> None:
    notice = await open_code(bot, team)
    await press(bot, team.leader, notice, "wc:op:1:1")
    await bot.wait_for_messages(LEADER_ID, 2)
    await say(bot, team.leader, "Bổ sung phụ lục 2")
    news = (await bot.wait_for_messages(STAFF_ID, 2))[-1]
    assert "đã cho ý kiến về mã công việc #1" in news["text"] and "/resubmit 1" in news["text"]
    assert code(db).status == "returned"

    clock.now = clock.now.replace(day=4)  # Wednesday
    [confirmation] = await say(bot, team.staff, "/resubmit 1")
    assert confirmation["text"].startswith("Đã trình lại mã công việc #1, chờ Trần Thị Phương")
    assert "hết ngày 11/11/2026" in confirmation["text"]
    fresh = (await bot.wait_for_messages(LEADER_ID, 4))[-1]
    assert buttons(fresh) == ["wc:ap:1:2", "wc:rj:1:2", "wc:op:1:2"]
    stale = await press(bot, team.leader, notice, "wc:ap:1:1")
    assert stale.get("text") == "Mã công việc #1 đã được xử lý trước đó."
    assert code(db).status == "open" and code(db).cycle == 2


async def test_a_press_after_the_code_was_withdrawn_changes_nothing(
    bot: FakeBotAPI, team: Team, db: sessionmaker[Session]
) -> None:
    notice = await open_code(bot, team)
    [reply] = await say(bot, team.staff, "/withdraw 1")
    assert reply["text"] == "Đã rút mã công việc #1."
    await bot.wait_for(lambda: buttons(bot.messages(LEADER_ID)[0]) == [])
    assert "Người trình đã rút" in bot.messages(LEADER_ID)[0]["text"]
    answer = await press(bot, team.leader, notice, "wc:ap:1:1")
    assert answer.get("text") == "Mã công việc #1 đã được xử lý trước đó."
    assert code(db).status == "withdrawn"


async def test_open_without_a_title_asks_for_it(bot: FakeBotAPI, team: Team) -> None:
    [question] = await say(bot, team.staff, "/open")
    assert question["text"] == "Nhập tiêu đề mã công việc mới (hoặc gửi /cancel để hủy)."
    bot.reply_to(team.staff, question, "Kế hoạch tập huấn")
    notice = (await bot.wait_for_messages(LEADER_ID, 1))[0]
    assert "Kế hoạch tập huấn" in notice["text"]


async def test_mycodes_and_pending(bot: FakeBotAPI, team: Team) -> None:
    await open_code(bot, team, "Việc một")
    await open_code(bot, team, "Việc hai")
    [mine] = await say(bot, team.staff, "/mycodes")
    assert mine["text"].splitlines()[1:] == [
        "#2 Việc hai — Chờ phê duyệt; thời hạn: hết ngày 09/11/2026 (còn 5 ngày làm việc)",
        "#1 Việc một — Chờ phê duyệt; thời hạn: hết ngày 09/11/2026 (còn 5 ngày làm việc)",
    ]
    header, first, second = await say(bot, team.leader, "/pending", expect=3)
    assert header["text"] == "Có 2 mã công việc chờ phê duyệt."
    assert buttons(first) == ["wc:ap:1:1", "wc:rj:1:1", "wc:op:1:1"]
    await press(bot, team.leader, second, "wc:ap:2:1")
    await bot.wait_for_messages(STAFF_ID, 4)  # the news of the approval
    [nothing_left] = await say(bot, team.staff, "/pending")
    assert nothing_left["text"] == "Không có mã công việc nào chờ phê duyệt."


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/open /help", "Tiêu đề không được bắt đầu bằng dấu /."),
        ("/open \u200b\u200c", "Tiêu đề không được để trống."),
        ("/open " + "x" * 201, "Tiêu đề dài quá 200 ký tự."),
        ("/withdraw 999", "Không tìm thấy mã công việc #999"),
        ("/withdraw abc", "Cú pháp: /withdraw SỐ_HIỆU_MÃ"),
        ("/resubmit", "Cú pháp: /resubmit SỐ_HIỆU_MÃ"),
        ("/resubmit 1", "Mã công việc #1 đã được xử lý trước đó."),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    bot: FakeBotAPI, team: Team, db: sessionmaker[Session], text: str, answer: str
) -> None:
    await open_code(bot, team)
    [reply] = await say(bot, team.staff, text)
    assert reply["text"].startswith(answer)
    assert code(db).status == "open"
    with db() as session:
        assert len(session.exec(select(WorkCode)).all()) == 1


async def test_someone_elses_code_is_not_found(bot: FakeBotAPI, team: Team, db) -> None:
    await open_code(bot, team)
    [reply] = await say(bot, team.other, "/withdraw 1")
    assert reply["text"] == "Không tìm thấy mã công việc #1 trong các mã của đồng chí."
    answer = await press(bot, team.other, bot.messages(LEADER_ID)[0], "wc:ap:1:1")
    assert "Không tìm thấy" in answer.get("text", "")
    assert code(db).status == "open"


async def test_titles_are_escaped_and_shown_exactly(bot: FakeBotAPI, team: Team, db) -> None:
    title = "<b>Hợp đồng</b> & phụ lục 🚀 \u202eعقد\u202c a\u200bb"
    notice = await open_code(bot, team, title)
    assert notice["text"].splitlines()[1] == title
    assert code(db).title == title


async def test_no_leader_unlinked_and_group(bot: FakeBotAPI, team: Team, db) -> None:
    [reply] = await say(bot, bot.user(LEADER_ID + 50, "X"), "/open Việc")
    assert reply["text"].startswith("Vui lòng liên kết tài khoản trước")
    [reply] = await say(bot, bot.user(ORG_CHATS["director"], "Giám"), "/open Việc của giám đốc")
    assert reply["text"].startswith("Đồng chí chưa có cấp trên trực tiếp")
    bot.send_text(team.staff, "/open Việc", chat_type="group", chat_id=-1007)
    [refusal] = await bot.wait_for_messages(-1007, 1)
    assert "nhắn tin riêng" in refusal["text"]
    with db() as session:
        assert session.exec(select(WorkCode)).all() == []


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=st.text(max_size=230))
async def test_any_title_is_either_opened_exactly_or_refused(
    bot: FakeBotAPI, team: Team, title: str
) -> None:
    leader_before = len(bot.messages(LEADER_ID))
    [reply] = await say(bot, team.staff, f"/open {title}")
    expected = clean_title(title)
    if isinstance(expected, WorkCodeOutcome):
        assert len(bot.messages(LEADER_ID)) == leader_before
        return
    notice = (await bot.wait_for_messages(LEADER_ID, leader_before + 1))[-1]
    assert notice["text"].splitlines()[1] == expected, reply
    bot.assert_no_invalid_calls()
