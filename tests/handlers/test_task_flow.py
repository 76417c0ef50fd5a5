"""A task from assignment to score, end to end: assigned by buttons, reported by a work code,
returned once then approved, and explained in /myscore."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sandbox.botapi import FakeBotAPI, FakeUser
from tests.factories import ORG_CHATS, Org

LEADER, STAFF, DIRECTOR = ORG_CHATS["leader"], ORG_CHATS["staff"], ORG_CHATS["director"]


def buttons(message: dict) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


def card_with(fake: FakeBotAPI, chat: int, data: str) -> dict | None:
    """The bot's message in `chat` with a button of this data, if any."""
    return next((m for m in fake.messages(chat) if data in buttons(m)), None)


async def next_message(fake: FakeBotAPI, chat: int, act: Callable[[], object]) -> dict:
    """Do `act`, and return the next message the bot sends to `chat`."""
    before = len(fake.messages(chat))
    act()
    return (await fake.wait_for_messages(chat, before + 1))[before]


async def assign(fake: FakeBotAPI, leader: FakeUser, org: Org, title: str) -> dict:
    """The leader assigns a report to NV1 by buttons; the employee's notice."""
    people = await next_message(fake, LEADER, lambda: fake.send_text(leader, "/assign"))
    assert f"as:p:{org.staff.id}" in buttons(people)
    ask_title = await next_message(
        fake, LEADER, lambda: fake.press_button(leader, people, f"as:p:{org.staff.id}")
    )
    assert fake.asked_for_reply(LEADER, ask_title["message_id"])
    due = await next_message(fake, LEADER, lambda: fake.reply_to(leader, ask_title, title))
    assert [b["text"] for row in due["reply_markup"]["inline_keyboard"] for b in row] == [
        "+5 ngày làm việc (09/11/2026)",
        "Cuối tháng (30/11/2026)",
    ]
    kinds = await next_message(
        fake, LEADER, lambda: fake.press_button(leader, due, buttons(due)[0])
    )
    assert "as:t:bao_cao" in buttons(kinds)
    before = len(fake.messages(STAFF))
    done = await next_message(
        fake, LEADER, lambda: fake.press_button(leader, kinds, "as:t:bao_cao")
    )
    assert (
        done["text"] == "Đã giao nhiệm vụ T1 cho đồng chí Lê Văn Hùng; đồng chí đã được thông báo."
    )
    return (await fake.wait_for_messages(STAFF, before + 1))[before]


async def test_a_task_assigned_returned_once_and_approved_scores_quality_less_a_quarter(
    bot: FakeBotAPI, org: Org
) -> None:
    leader, staff = bot.user(LEADER, "Phương"), bot.user(STAFF, "Hùng")
    notice = await assign(bot, leader, org, "Báo cáo tổng kết năm")
    assert notice["text"].startswith(
        "Trần Thị Phương giao cho đồng chí nhiệm vụ T1: «Báo cáo tổng kết năm», hạn hoàn thành"
        " 09/11/2026"
    )
    offer = await next_message(bot, STAFF, lambda: bot.send_text(staff, "/open"))
    card = await next_message(bot, LEADER, lambda: bot.press_button(staff, offer, "ot:1"))
    assert "T1 «Báo cáo tổng kết năm»" in card["text"]
    ask = await next_message(bot, LEADER, lambda: bot.press_button(leader, card, "wc:op:1:1"))
    await next_message(bot, STAFF, lambda: bot.reply_to(leader, ask, "Bổ sung số liệu quý IV"))
    bot.send_text(staff, "/resubmit 1")
    fresh = await bot.wait_for(lambda: card_with(bot, LEADER, "wc:ap:1:2"))
    await next_message(bot, STAFF, lambda: bot.press_button(leader, fresh, "wc:ap:1:2"))
    score = await next_message(bot, STAFF, lambda: bot.send_text(staff, "/myscore"))
    lines = score["text"].splitlines()
    quantity = lines.index(
        "• Số lượng kết quả thực hiện nhiệm vụ (sản phẩm/công việc đã quy đổi) (KPI cứng): 20/20"
    )
    assert lines[quantity + 1] == "  Hoàn thành 2/2 sản phẩm quy đổi (1/1 nhiệm vụ)."
    quality = lines.index("• Chất lượng kết quả thực hiện nhiệm vụ (KPI cứng): 15/20")
    assert lines[quality + 1] == (
        "  1 nhiệm vụ bị trả lại hoặc từ chối 1 lần: mỗi lần trừ 25% điểm chất lượng của nhiệm vụ"
        " đó."
    )
    assert "Tổng điểm: 95/100" in lines


async def test_a_task_reported_late_and_excused_by_the_superior_costs_nothing(
    bot: FakeBotAPI, org: Org, clock
) -> None:
    leader, staff = bot.user(LEADER, "Phương"), bot.user(STAFF, "Hùng")
    await assign(bot, leader, org, "Kế hoạch công tác năm 2027")  # due 09/11/2026
    clock.now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # the day after
    offer = await next_message(bot, STAFF, lambda: bot.send_text(staff, "/open"))
    card = await next_message(bot, LEADER, lambda: bot.press_button(staff, offer, "ot:1"))
    await next_message(bot, STAFF, lambda: bot.press_button(leader, card, "wc:ap:1:1"))
    late = await next_message(bot, STAFF, lambda: bot.send_text(staff, "/myscore"))
    assert "• Tiến độ kết quả thực hiện nhiệm vụ (KPI cứng): 15/20" in late["text"]

    refused = await next_message(
        bot, LEADER, lambda: bot.send_text(leader, "/excuse T1 delay Số liệu gửi chậm")
    )
    assert refused["text"].startswith("Chỉ cấp trên của lãnh đạo trực tiếp")
    director = bot.user(DIRECTOR, "Giám")
    excused = await next_message(
        bot, DIRECTOR, lambda: bot.send_text(director, "/excuse T1 delay Số liệu gửi chậm")
    )
    assert excused["text"] == (
        "Đã xác nhận nguyên nhân khách quan cho nhiệm vụ T1: không bị trừ điểm."
    )
    again = await next_message(
        bot, DIRECTOR, lambda: bot.send_text(director, "/excuse T1 delay Số liệu gửi chậm")
    )
    assert again["text"].startswith("Nhiệm vụ T1 không có")
    score = await next_message(bot, STAFF, lambda: bot.send_text(staff, "/myscore"))
    lines = score["text"].splitlines()
    progress = lines.index("• Tiến độ kết quả thực hiện nhiệm vụ (KPI cứng): 20/20")
    assert lines[progress + 1].endswith(
        "1 sai sót, chậm tiến độ được xác nhận do nguyên nhân khách quan: không bị trừ điểm."
    )
    assert "Tổng điểm: 100/100" in lines
