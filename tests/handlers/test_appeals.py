"""Appeals always reach someone, end to end: the admins stand in for an unlinked decider,
/appeals lists what waits, and the author of a deduction never decides its appeal."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from models import Appeal, Employee
from sandbox.botapi import FakeBotAPI, FakeUser
from tests.factories import ORG_CHATS

DIRECTOR, LEADER, STAFF, OUTSIDER, ADMIN = (
    ORG_CHATS[name] for name in ("director", "leader", "staff", "outsider", "admin")
)


async def ask(fake: FakeBotAPI, user: FakeUser, text: str) -> dict:
    before = len(fake.messages(user.id))
    fake.send_text(user, text)
    return (await fake.wait_for_messages(user.id, before + 1))[before]


async def press(fake: FakeBotAPI, user: FakeUser, message: dict, data: str) -> str:
    update = fake.press_button(user, message, data, check=False)
    answer = await fake.wait_for(lambda: fake.callback_answer(update), what="the answer")
    return str(answer.get("text", ""))


def unlink(db: sessionmaker[Session], *codes: str) -> None:
    with db() as session:
        for code in codes:
            employee = session.exec(select(Employee).where(Employee.code == code)).one()
            employee.telegram_id = None
            session.add(employee)
        session.commit()


def statuses(db: sessionmaker[Session]) -> list[str]:
    with db() as session:
        return [a.status for a in session.exec(select(Appeal).order_by(Appeal.id))]


async def deduct_and_appeal(fake: FakeBotAPI, deducer: int, code: str, appellant: int) -> str:
    await ask(fake, fake.user(deducer, "A"), f"/deduct {code} training_attendance 2 Vắng")
    await fake.wait_for_messages(appellant, 1)
    reply = await ask(fake, fake.user(appellant, "E"), "/appeal 1 Tôi đi công tác")
    return str(reply["text"])


@pytest.mark.usefixtures("org")
async def test_when_the_decider_has_not_linked_the_admins_are_asked(
    bot: FakeBotAPI, db: sessionmaker[Session]
) -> None:
    unlink(db, "GD")  # the director, who decides appeals of the leader's deductions
    reply = await deduct_and_appeal(bot, LEADER, "NV1", STAFF)
    assert reply == "Đã gửi đề nghị xem xét lại điểm trừ D1 để cấp có thẩm quyền quyết định."
    [request] = await bot.wait_for_messages(ADMIN, 1)
    assert request["text"].startswith("Đề nghị xem xét lại #1")
    assert await press(bot, bot.user(ADMIN, "N"), request, "ap:acc:1") == (
        "Chấp nhận: điểm trừ D1 đã được hủy."
    )
    news = await bot.wait_for_messages(STAFF, 3)
    assert "đã có quyết định" in news[-1]["text"]
    assert statuses(db) == ["accepted"]


@pytest.mark.usefixtures("org")
async def test_rejecting_asks_the_reason_which_the_employee_receives(
    bot: FakeBotAPI, db: sessionmaker[Session]
) -> None:
    await deduct_and_appeal(bot, LEADER, "NV1", STAFF)
    [request] = await bot.wait_for_messages(DIRECTOR, 1)
    director = bot.user(DIRECTOR, "G")
    assert await press(bot, director, request, "ap:rej:1") == ""  # answered, then asked
    [_request, question] = await bot.wait_for_messages(DIRECTOR, 2)
    assert question["text"] == (
        "Đồng chí ghi lý do không chấp nhận đề nghị xem xét lại #1; lý do sẽ được gửi tới "
        "Lê Văn Hùng."
    )
    assert bot.asked_for_reply(DIRECTOR, question["message_id"])
    assert statuses(db) == ["pending"]  # nothing is decided before the reason

    staff_before, leader_before = len(bot.messages(STAFF)), len(bot.messages(LEADER))
    bot.reply_to(director, question, "Không có quyết định cử đi công tác")
    [_request, _question, verdict] = await bot.wait_for_messages(DIRECTOR, 3)
    assert verdict["text"] == "Không chấp nhận: giữ nguyên điểm trừ D1."
    shown = bot.messages(DIRECTOR)[0]  # the appeal's own message shows the decision
    assert shown["text"].endswith("Không chấp nhận: giữ nguyên điểm trừ D1.")
    assert "reply_markup" not in shown
    [news] = (await bot.wait_for_messages(STAFF, staff_before + 1))[staff_before:]
    assert news["text"].splitlines() == [
        "Đề nghị xem xét lại điểm trừ D1 đã có quyết định. "
        "Không chấp nhận: giữ nguyên điểm trừ D1.",
        "Lý do: Không có quyết định cử đi công tác",
    ]
    [told] = (await bot.wait_for_messages(LEADER, leader_before + 1))[leader_before:]
    assert told["text"].endswith("Lý do: Không có quyết định cử đi công tác")
    assert statuses(db) == ["rejected"]
    assert await press(bot, director, request, "ap:rej:1") == (
        "Đề nghị này đã được xem xét, giải quyết."
    )
    bot.assert_no_invalid_calls()


@pytest.mark.usefixtures("org")
async def test_a_decision_on_an_appeal_of_a_cancelled_deduction_names_the_deduction(
    bot: FakeBotAPI, db: sessionmaker[Session]
) -> None:
    leader, staff = bot.user(LEADER, "P"), bot.user(STAFF, "H")
    await ask(bot, leader, "/deduct NV1 training_attendance 2 Vắng")
    await ask(bot, leader, "/deduct NV1 training_attendance 1 Vắng lần hai")
    await bot.wait_for_messages(STAFF, 2)
    await ask(bot, staff, "/appeal D2 Tôi đi công tác")  # appeal #1, of deduction D2
    [request] = await bot.wait_for_messages(DIRECTOR, 1)
    await ask(bot, bot.user(ADMIN, "N"), "/reverse D2 Nhầm ngày")
    refusal = await press(bot, bot.user(DIRECTOR, "G"), request, "ap:rej:1")
    assert refusal == "Điểm trừ D2 đã được hủy trước đó."
    assert statuses(db) == ["pending"]


@pytest.mark.usefixtures("org")
async def test_when_nobody_can_be_asked_the_employee_is_told_so(
    bot: FakeBotAPI, db: sessionmaker[Session]
) -> None:
    unlink(db, "GD", "HR")
    reply = await deduct_and_appeal(bot, LEADER, "NV1", STAFF)
    assert "chưa có ai có thẩm quyền quyết định liên kết tài khoản Telegram" in reply
    again = await ask(bot, bot.user(STAFF, "H"), "/appeal D1 Nhắc lại")
    assert "chưa có ai có thẩm quyền quyết định" in again["text"]  # still nobody: never "waiting"
    with db() as session:
        hr = session.exec(select(Employee).where(Employee.code == "HR")).one()
        hr.telegram_id = ADMIN  # HR links
        session.add(hr)
        session.commit()
    third = await ask(bot, bot.user(STAFF, "H"), "/appeal 1 Nhắc lại")
    assert "đang chờ quyết định" in third["text"]  # true now: HR has it
    [request] = await bot.wait_for_messages(ADMIN, 1)
    assert request["text"].startswith("Đề nghị xem xét lại #1")
    assert statuses(db) == ["pending"]


@pytest.mark.usefixtures("org")
async def test_appeals_lists_what_waits_for_the_decider_and_hr(
    bot: FakeBotAPI, db: sessionmaker[Session]
) -> None:
    await deduct_and_appeal(bot, LEADER, "NV1", STAFF)
    await bot.wait_for_messages(DIRECTOR, 1)  # the appeal itself, with its buttons
    listing = await ask(bot, bot.user(DIRECTOR, "G"), "/appeals")
    assert listing["text"].startswith("Đề nghị xem xét lại đang chờ quyết định")
    assert "Lê Văn Hùng" in listing["text"]
    keyboard = listing["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for b in keyboard[0]] == ["al:acc:1", "al:rej:1"]
    assert "Lê Văn Hùng" in (await ask(bot, bot.user(ADMIN, "N"), "/appeals"))["text"]
    none = await ask(bot, bot.user(OUTSIDER, "L"), "/appeals")
    assert none["text"] == "Không có đề nghị xem xét lại nào đang chờ đồng chí quyết định."

    answer = await press(bot, bot.user(DIRECTOR, "G"), listing, "al:acc:1")
    assert answer == "Chấp nhận: điểm trừ D1 đã được hủy."
    assert bot.messages(DIRECTOR)[-1]["text"] == listing["text"]  # the list keeps its text
    assert statuses(db) == ["accepted"]
    assert "Không có đề nghị" in (await ask(bot, bot.user(DIRECTOR, "G"), "/appeals"))["text"]


@pytest.mark.usefixtures("org")
async def test_an_admin_who_wrote_the_deduction_does_not_decide_its_appeal(
    bot: FakeBotAPI, db: sessionmaker[Session]
) -> None:
    unlink(db, "GD")  # so the admins are asked: all but the author
    await deduct_and_appeal(bot, ADMIN, "NV3", OUTSIDER)
    assert len(bot.messages(ADMIN)) == 1  # the /deduct answer; no request to decide
    listing = await ask(bot, bot.user(ADMIN, "N"), "/appeals")
    assert "Không có đề nghị" in listing["text"]
    forged = await press(bot, bot.user(ADMIN, "N"), listing, "ap:acc:1")
    assert forged == "Đồng chí không có thẩm quyền quyết định đề nghị này."
    assert statuses(db) == ["pending"]


async def test_appeals_is_in_the_menu_and_in_help(bot: FakeBotAPI, org) -> None:  # noqa: ARG001
    await bot.wait_for(lambda: bot.commands("en") and bot.commands("vi"))
    english = {c["command"]: c["description"] for c in bot.commands("en")}
    assert english["appeals"] == "Appeals waiting for your decision"
    assert "appeals" in {c["command"] for c in bot.commands("vi")}
    assert "/appeals" in (await ask(bot, bot.user(DIRECTOR, "G"), "/help"))["text"]
