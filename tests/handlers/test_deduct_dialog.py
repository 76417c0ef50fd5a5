"""/deduct step by step, end to end: the person, the criterion, the points and the reason, by
buttons or typed, as a leader and as HR would do it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from models import Deduction
from sandbox.botapi import FakeBotAPI, FakeUser
from tests.factories import ORG_CHATS, Org

LEADER, STAFF, OUTSIDER, ADMIN = (ORG_CHATS[n] for n in ("leader", "staff", "outsider", "admin"))
STALE = "Nút này không còn hiệu lực."


def buttons(message: dict) -> dict[str, str]:
    """The message's inline buttons: their text, and the data each sends."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


async def next_message(fake: FakeBotAPI, chat: int, act: Callable[[], object]) -> dict:
    """Do `act`, and return the next message the bot sends to `chat`."""
    before = len(fake.messages(chat))
    act()
    return (await fake.wait_for_messages(chat, before + 1))[before]


async def press(fake: FakeBotAPI, user: FakeUser, message: dict, data: str) -> str:
    """Press a button and return the answer to the press (every press is answered)."""
    update = fake.press_button(user, message, data, check=False)
    answer = await fake.wait_for(lambda: fake.callback_answer(update), what="the answer")
    return str(answer.get("text", ""))


def rows(db) -> list[Deduction]:
    with db() as session:
        return list(session.exec(select(Deduction).order_by(Deduction.id)))


def assert_sound(fake: FakeBotAPI) -> None:
    """Every Bot API call was valid, and every button's data ASCII of at most 64 bytes."""
    fake.assert_no_invalid_calls()
    for chat in (LEADER, ADMIN):
        for message in fake.messages(chat):
            for data in buttons(message).values():
                assert data.isascii() and len(data.encode()) <= 64


async def test_a_leader_deducts_by_buttons_and_the_employee_is_told(
    bot: FakeBotAPI, db, org: Org
) -> None:
    leader = bot.user(LEADER, "Phương")
    people = await next_message(bot, LEADER, lambda: bot.send_text(leader, "/deduct"))
    assert people["text"] == "Đồng chí ghi nhận điểm trừ đối với cán bộ nào?"
    assert buttons(people) == {
        "Lê Văn Hùng (NV1)": f"dd:p:{org.staff.id}",
        "Phạm Thị Mai (NV2)": f"dd:p:{org.clerk.id}",
    }
    criteria = await next_message(
        bot, LEADER, lambda: bot.press_button(leader, people, f"dd:p:{org.staff.id}")
    )
    assert criteria["text"] == "Trừ điểm đối với Lê Văn Hùng ở tiêu chí nào?"
    training = "Tham gia bồi dưỡng, tập huấn nâng cao trình độ chuyên môn, nghiệp vụ"
    assert training in buttons(criteria) and len(buttons(criteria)) == 6  # the specialist's
    points = await next_message(
        bot, LEADER, lambda: bot.press_button(leader, criteria, buttons(criteria)[training])
    )
    assert points["text"].startswith(f"Trừ bao nhiêu điểm ở tiêu chí «{training}»?")
    [(label, default)] = buttons(points).items()
    assert label == "Trừ 2 điểm (mức mặc định)"
    why = await next_message(bot, LEADER, lambda: bot.press_button(leader, points, default))
    assert why["text"].startswith("Đồng chí ghi lý do trừ điểm")
    assert bot.asked_for_reply(LEADER, why["message_id"])

    before = len(bot.messages(STAFF))
    done = await next_message(
        bot, LEADER, lambda: bot.reply_to(leader, why, "Vắng tập huấn ngày 5/11")
    )
    assert done["text"] == "Đã ghi nhận điểm trừ D1 đối với Lê Văn Hùng."
    [news] = (await bot.wait_for_messages(STAFF, before + 1))[before:]
    assert news["text"].startswith("Trần Thị Phương đã ghi nhận điểm trừ D1: trừ 2 điểm")
    assert "Lý do: Vắng tập huấn ngày 5/11" in news["text"]
    assert [(d.criterion, str(d.points)) for d in rows(db)] == [("training_attendance", "2.00")]

    # The dialog is over: its buttons are stale, and a text is a text again.
    assert await press(bot, leader, points, default) == STALE
    assert await press(bot, leader, people, f"dd:p:{org.staff.id}") == STALE
    assert len(rows(db)) == 1
    assert_sound(bot)


async def test_buttons_of_an_earlier_dialog_or_for_someone_else_are_refused(
    bot: FakeBotAPI, db, org: Org
) -> None:
    leader = bot.user(LEADER, "Phương")
    first = await next_message(bot, LEADER, lambda: bot.send_text(leader, "/deduct NV1"))
    assert first["text"] == "Trừ điểm đối với Lê Văn Hùng ở tiêu chí nào?"
    second = await next_message(bot, LEADER, lambda: bot.send_text(leader, "/deduct NV2"))
    assert second["text"] == "Trừ điểm đối với Phạm Thị Mai ở tiêu chí nào?"
    assert await press(bot, leader, first, next(iter(buttons(first).values()))) == STALE
    forged = f"dd:p:{org.outsider.id}"  # another leader's report
    assert await press(bot, leader, second, forged) == STALE
    assert await press(bot, leader, second, f"dd:c:{org.clerk.id}:99") == STALE
    answer = await next_message(bot, LEADER, lambda: bot.send_text(leader, "/deduct Lan"))
    assert answer["text"].startswith("Không có cán bộ nào khớp với «Lan»")
    assert rows(db) == []
    assert_sound(bot)


@pytest.mark.usefixtures("org")
async def test_hr_types_a_name_a_criterion_and_the_points(bot: FakeBotAPI, db) -> None:
    hr = bot.user(ADMIN, "Nhân")
    ask = await next_message(bot, ADMIN, lambda: bot.send_text(hr, "/deduct"))
    assert ask["text"] == (
        "Đồng chí ghi nhận điểm trừ đối với cán bộ nào? Đồng chí nhập mã cán bộ hoặc một phần "
        "họ tên."
    )
    assert bot.asked_for_reply(ADMIN, ask["message_id"])
    none = await next_message(bot, ADMIN, lambda: bot.reply_to(hr, ask, "Xyz"))
    assert none["text"].startswith("Không có cán bộ nào khớp với «Xyz»")
    several = await next_message(bot, ADMIN, lambda: bot.send_text(hr, "thi"))
    assert several["text"] == (
        "Có một số cán bộ khớp với «thi». Đồng chí ghi nhận điểm trừ đối với cán bộ nào?"
    )
    assert list(buttons(several)) == [
        "Hồ Thị Lan (NV3)",
        "Phạm Thị Mai (NV2)",
        "Trần Thị Phương (TP)",
    ]  # never HR herself (Đỗ Thị Nhân)
    criteria = await next_message(bot, ADMIN, lambda: bot.send_text(hr, "hồ thị LAN"))
    assert criteria["text"] == "Trừ điểm đối với Hồ Thị Lan ở tiêu chí nào?"
    unknown = await next_message(bot, ADMIN, lambda: bot.send_text(hr, "xyz"))
    assert unknown["text"].startswith("Không có tiêu chí nào của vị trí việc làm của Hồ Thị Lan")
    assert buttons(unknown) == buttons(criteria)
    points = await next_message(bot, ADMIN, lambda: bot.send_text(hr, "kỷ"))
    assert "«Ý thức tổ chức kỷ luật" in points["text"]
    bad = await next_message(bot, ADMIN, lambda: bot.send_text(hr, "99"))
    assert bad["text"].startswith("Số điểm trừ phải lớn hơn 0")
    why = await next_message(bot, ADMIN, lambda: bot.send_text(hr, "1,5"))
    assert bot.asked_for_reply(ADMIN, why["message_id"])
    before = len(bot.messages(OUTSIDER))
    done = await next_message(bot, ADMIN, lambda: bot.reply_to(hr, why, "Đi muộn"))
    assert done["text"] == "Đã ghi nhận điểm trừ D1 đối với Hồ Thị Lan."
    [news] = (await bot.wait_for_messages(OUTSIDER, before + 1))[before:]
    assert news["text"].startswith("Đỗ Thị Nhân đã ghi nhận điểm trừ D1: trừ 1,5 điểm")
    assert [(d.criterion, str(d.points)) for d in rows(db)] == [("discipline_ethics", "1.50")]
    assert_sound(bot)


@pytest.mark.usefixtures("org")
async def test_cancel_ends_the_dialog(bot: FakeBotAPI, db) -> None:
    hr = bot.user(ADMIN, "Nhân")
    await next_message(bot, ADMIN, lambda: bot.send_text(hr, "/deduct NV1"))
    cancelled = await next_message(bot, ADMIN, lambda: bot.send_text(hr, "/cancel"))
    assert cancelled["text"] == "Đã hủy."
    answer = await next_message(bot, ADMIN, lambda: bot.send_text(hr, "kỷ"))
    assert not answer["text"].startswith("Trừ bao nhiêu điểm")  # a plain text again
    assert rows(db) == []


@pytest.mark.usefixtures("org")
async def test_criteria_are_named_in_the_users_language(bot: FakeBotAPI) -> None:
    leader = bot.user(LEADER, "Phương")
    await next_message(bot, LEADER, lambda: bot.send_text(leader, "/language en"))
    criteria = await next_message(bot, LEADER, lambda: bot.send_text(leader, "/deduct NV1"))
    assert criteria["text"] == "Which criterion is the deduction for Lê Văn Hùng on?"
    discipline = "Discipline, political qualities, ethics, lifestyle and work conduct"
    assert discipline in buttons(criteria)
    assert_sound(bot)


async def test_a_newer_question_replaces_the_dialog(bot: FakeBotAPI, db, org: Org) -> None:
    leader = bot.user(LEADER, "Phương")
    criteria = await next_message(bot, LEADER, lambda: bot.send_text(leader, "/deduct NV1"))
    points = await next_message(
        bot, LEADER, lambda: bot.press_button(leader, criteria, f"dd:c:{org.staff.id}:0")
    )
    default = next(iter(buttons(points).values()))
    await next_message(bot, LEADER, lambda: bot.press_button(leader, points, default))
    people = await next_message(bot, LEADER, lambda: bot.send_text(leader, "/assign"))
    title = await next_message(
        bot, LEADER, lambda: bot.press_button(leader, people, f"as:p:{org.staff.id}")
    )
    due = await next_message(bot, LEADER, lambda: bot.reply_to(leader, title, "Báo cáo quý IV"))
    assert due["text"].startswith("Hạn hoàn thành")  # the task's title, not the reason
    assert rows(db) == []
    assert await press(bot, leader, points, default) == STALE
    assert_sound(bot)
