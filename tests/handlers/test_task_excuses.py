"""The leader's superior is told of a task's delay or quality error, with a button to excuse it
as an objective cause: asked for the reason, the excuse is recorded, the employee and the leader
are told, and the score no longer loses the 25%. With no superior to tell, the linked admins are
told, and the first of them to excuse it settles it."""

from __future__ import annotations

from datetime import UTC, datetime

from models import Employee
from sandbox.botapi import FakeBotAPI
from tests.factories import ORG_CHATS, Org
from tests.handlers.test_task_flow import assign, buttons, next_message
from tests.kpi.task_steps import new_task

LEADER, STAFF, DIRECTOR = ORG_CHATS["leader"], ORG_CHATS["staff"], ORG_CHATS["director"]
ADMIN, TOP_ADMIN = ORG_CHATS["admin"], 901  # AD, linked here


async def test_the_superior_excuses_a_delay_by_button_and_it_costs_nothing(
    bot: FakeBotAPI, org: Org, clock
) -> None:
    leader, staff = bot.user(LEADER, "Phương"), bot.user(STAFF, "Hùng")
    director = bot.user(DIRECTOR, "Giám")
    await assign(bot, leader, org, "Kế hoạch công tác năm 2027")  # due 09/11/2026
    clock.now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # the day after, 09:00 in Hà Nội
    offer = await next_message(bot, STAFF, lambda: bot.send_text(staff, "/open"))
    seen = len(bot.messages(DIRECTOR))
    card = await next_message(bot, LEADER, lambda: bot.press_button(staff, offer, "ot:1"))
    [notice] = (await bot.wait_for_messages(DIRECTOR, seen + 1))[seen:]
    assert notice["text"] == (
        "⚠️ Nhiệm vụ T1 «Kế hoạch công tác năm 2027» của Lê Văn Hùng có hạn hoàn thành"
        " 09/11/2026, nhưng mã công việc #1 báo cáo nhiệm vụ này được mở muộn, ngày 10/11/2026."
        " Nếu đồng chí không xác nhận nguyên nhân khách quan, nhiệm vụ bị trừ 25% điểm tiến độ."
    )
    assert buttons(notice) == ["ex:1:d:1"]
    await next_message(bot, STAFF, lambda: bot.press_button(leader, card, "wc:ap:1:1"))
    late = await next_message(bot, STAFF, lambda: bot.send_text(staff, "/myscore"))
    assert "• Tiến độ kết quả thực hiện nhiệm vụ (KPI cứng): 15/20" in late["text"]

    ask = await next_message(bot, DIRECTOR, lambda: bot.press_button(director, notice, "ex:1:d:1"))
    assert bot.asked_for_reply(DIRECTOR, ask["message_id"])
    assert ask["text"] == (
        "Đồng chí ghi rõ nguyên nhân khách quan của việc chậm tiến độ đối với nhiệm vụ T1:"
    )
    staff_seen, leader_seen = len(bot.messages(STAFF)), len(bot.messages(LEADER))
    done = await next_message(
        bot, DIRECTOR, lambda: bot.reply_to(director, ask, "Sở Tài chính gửi số liệu chậm")
    )
    assert done["text"] == "Đã xác nhận nguyên nhân khách quan cho nhiệm vụ T1: không bị trừ điểm."
    [told] = (await bot.wait_for_messages(STAFF, staff_seen + 1))[staff_seen:]
    assert told["text"] == (
        "Nguyễn Văn Giám đã xác nhận nguyên nhân khách quan của việc chậm tiến độ đối với nhiệm vụ"
        " T1 «Kế hoạch công tác năm 2027» của đồng chí (mã công việc #1): không bị trừ điểm."
        " Lý do: Sở Tài chính gửi số liệu chậm"
    )
    [leader_told] = (await bot.wait_for_messages(LEADER, leader_seen + 1))[leader_seen:]
    assert "của Lê Văn Hùng (mã công việc #1): không bị trừ điểm." in leader_told["text"]
    await bot.wait_for(lambda: not buttons(bot.messages(DIRECTOR)[seen]), what="button gone")

    score = await next_message(bot, STAFF, lambda: bot.send_text(staff, "/myscore"))
    lines = score["text"].splitlines()
    assert "• Tiến độ kết quả thực hiện nhiệm vụ (KPI cứng): 20/20" in lines
    assert "Tổng điểm: 100/100" in lines


async def test_a_return_is_told_to_the_superior_and_only_they_may_excuse_it(
    bot: FakeBotAPI, org: Org
) -> None:
    leader, staff = bot.user(LEADER, "Phương"), bot.user(STAFF, "Hùng")
    director = bot.user(DIRECTOR, "Giám")
    await assign(bot, leader, org, "Báo cáo tổng kết năm")
    offer = await next_message(bot, STAFF, lambda: bot.send_text(staff, "/open"))
    card = await next_message(bot, LEADER, lambda: bot.press_button(staff, offer, "ot:1"))
    assert len(bot.messages(DIRECTOR)) == 0  # opened in time: no delay to tell
    ask = await next_message(bot, LEADER, lambda: bot.press_button(leader, card, "wc:op:1:1"))
    await next_message(bot, DIRECTOR, lambda: bot.reply_to(leader, ask, "Bổ sung số liệu"))
    [notice] = bot.messages(DIRECTOR)
    assert notice["text"].startswith(
        "⚠️ Trần Thị Phương trả lại kèm ý kiến mã công việc #1 báo cáo nhiệm vụ T1"
    )
    [data] = buttons(notice)
    assert data.startswith("ex:1:e:")
    # Only the superior (or HR) may: the leader pressing the same data is refused.
    pressed = bot.press_button(leader, notice, data, check=False)
    answer = await bot.wait_for(lambda: bot.callback_answer(pressed), what="an answer")
    assert answer is not None and answer["text"].startswith("Chỉ cấp trên của lãnh đạo trực tiếp")
    ask = await next_message(bot, DIRECTOR, lambda: bot.press_button(director, notice, data))
    assert "sai sót về chất lượng đối với nhiệm vụ T1" in ask["text"]
    empty = await next_message(bot, DIRECTOR, lambda: bot.reply_to(director, ask, "   "))
    assert empty["text"] == "Vui lòng ghi lý do."  # asked again
    done = await next_message(bot, DIRECTOR, lambda: bot.reply_to(director, ask, "Đổi quy định"))
    assert done["text"].startswith("Đã xác nhận nguyên nhân khách quan cho nhiệm vụ T1")
    again = bot.press_button(director, notice, data, check=False)
    stale = await bot.wait_for(lambda: bot.callback_answer(again), what="an answer")
    assert stale is not None and (
        stale["text"] == "Sai sót hoặc chậm tiến độ này của nhiệm vụ T1 đã được xác nhận trước đó."
    )


async def test_with_no_superior_every_linked_admin_is_told_and_the_first_excuses(
    bot: FakeBotAPI, org: Org, session, policy
) -> None:
    top = session.get_one(Employee, org.top_admin.id)
    top.telegram_id = TOP_ADMIN
    session.add(top)
    session.commit()
    director, leader = bot.user(DIRECTOR, "Giám"), bot.user(LEADER, "Phương")
    admin, top_admin = bot.user(ADMIN, "Nhân"), bot.user(TOP_ADMIN, "Trị")
    # The director, who has no leader, assigns the division head a task (T1).
    new_task(session, policy, org.director, org.leader, due_on="2026-11-20", title="Đề án số hóa")
    offer = await next_message(bot, LEADER, lambda: bot.send_text(leader, "/open"))
    card = await next_message(bot, DIRECTOR, lambda: bot.press_button(leader, offer, "ot:1"))
    ask = await next_message(bot, DIRECTOR, lambda: bot.press_button(director, card, "wc:op:1:1"))
    await next_message(bot, LEADER, lambda: bot.reply_to(director, ask, "Bổ sung kinh phí"))
    [notice] = await bot.wait_for_messages(ADMIN, 1)
    [other] = await bot.wait_for_messages(TOP_ADMIN, 1)
    assert notice["text"] == other["text"]
    assert notice["text"].startswith(
        "⚠️ Nguyễn Văn Giám trả lại kèm ý kiến mã công việc #1 báo cáo nhiệm vụ T1"
    )
    [data] = buttons(notice)
    assert buttons(other) == [data] and data.startswith("ex:1:e:")

    ask = await next_message(bot, ADMIN, lambda: bot.press_button(admin, notice, data))
    done = await next_message(bot, ADMIN, lambda: bot.reply_to(admin, ask, "Thay đổi quy định"))
    assert done["text"] == "Đã xác nhận nguyên nhân khách quan cho nhiệm vụ T1: không bị trừ điểm."
    late = bot.press_button(top_admin, other, data, check=False)
    answer = await bot.wait_for(lambda: bot.callback_answer(late), what="an answer")
    assert answer is not None and (
        answer["text"] == "Sai sót hoặc chậm tiến độ này của nhiệm vụ T1 đã được xác nhận trước đó."
    )
    assert len(bot.messages(TOP_ADMIN)) == 1  # no question asked
