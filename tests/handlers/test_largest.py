"""Every kind of message at its largest: names, titles, reasons and texts as long as allowed.

One story runs every command and every notice the bot has with its inputs at their maximum
lengths, full of HTML's special characters, through the real bot and the Bot API emulator; the
emulator refuses what Telegram refuses (over 4,096 characters once parsed, over 100 buttons,
an answer to a button over 200 characters, markup that does not parse).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select
from telegram.ext import Application

from kpi import outbox
from kpi.calendar import WorkCalendar
from kpi.days import DayKind, Names
from kpi.deadlines import Explanation, Run
from kpi.deductions import MAX_REASON
from kpi.replanning import Replanned
from kpi.roster_import import MAX_CODE, MAX_TEXT
from kpi.workcodes import MAX_TEXT as MAX_RESPONSE
from kpi.workcodes import MAX_TITLE
from models import Employee, OutboxMessage
from notices.limits import ANSWER_LIMIT
from notices.occasion import Occasion
from notices.replanning import replan_notices
from sandbox.botapi import FakeBotAPI, FakeUser
from scheduler.jobs import DELIVERER
from services.container import Services
from tests.conftest import Clock
from tests.factories import HANOI, ORG_CHATS, Org, local
from tests.handlers.test_workcodes import press, say
from tests.scheduler.test_engine import sweep_and_deliver

LEADER, STAFF, DIRECTOR, ADMIN = (ORG_CHATS[n] for n in ("leader", "staff", "director", "admin"))


def longest(text: str, size: int) -> str:
    """`text` repeated to exactly `size` characters."""
    return (text * (size // len(text) + 1))[:size]


TITLE = longest("Báo cáo <tổng kết> & «kế hoạch» 😀 ", MAX_TITLE)
TEXT = longest("Thiếu <số liệu> & phụ lục 😀 ", MAX_RESPONSE)
REASON = longest("Vắng <họp> & không báo 😀 ", MAX_REASON)
CODE = longest("NV", MAX_CODE)
STORM = Explanation(
    5, False, (Run(date(2026, 11, 4), date(2026, 11, 4), DayKind.OFF, Names("Bão", "Storm")),)
)


def at_their_longest(session: Session, org: Org) -> None:
    """Everyone's name as long as the roster allows; the employee's code too."""
    for name in ("director", "admin", "top_admin", "leader", "other_leader", "staff", "clerk"):
        person = session.get_one(Employee, org[name].id)
        person.full_name = longest(f"{name} <Nguyễn> & Thị 😀 ", MAX_TEXT)
        if name == "staff":
            person.code = CODE
        session.add(person)
    session.commit()


async def respond(fake: FakeBotAPI, leader: FakeUser, card: dict, data: str, text: str) -> None:
    """Press Reject or Opinion on a card and answer the question with `text`."""
    before = len(fake.messages(LEADER))
    await press(fake, leader, card, data)
    question = (await fake.wait_for_messages(LEADER, before + 1))[-1]
    fake.reply_to(leader, question, text)
    await fake.wait_for_messages(LEADER, before + 2)


def with_buttons(fake: FakeBotAPI, chat_id: int, prefix: str) -> dict:
    """The latest message in the chat with a button whose data starts with `prefix` (or {})."""
    found = (
        message
        for message in reversed(fake.messages(chat_id))
        for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        for button in row
        if button.get("callback_data", "").startswith(prefix)
    )
    return next(found, {})


async def test_every_message_at_its_largest(
    application: Application,
    bot: FakeBotAPI,
    services: Services,
    clock: Clock,
    db: sessionmaker[Session],
    session: Session,
    org: Org,
) -> None:
    at_their_longest(session, org)
    staff, leader = bot.user(STAFF, "Hùng"), bot.user(LEADER, "Phương")
    admin = bot.user(ADMIN, "Nhân")
    for command in ("/start", "/help", f"/open {TITLE}", f"/open {TITLE}", "/mycodes"):
        await say(bot, staff, command)
    await say(bot, leader, "/pending", expect=3)
    card = (await bot.wait_for_messages(LEADER, 2))[0]
    await respond(bot, leader, card, "wc:op:1:1", TEXT)  # the opinion, with its news
    await say(bot, staff, "/resubmit 1")
    card = await bot.wait_for(lambda: with_buttons(bot, LEADER, "wc:rj:1:2"))
    await respond(bot, leader, card, "wc:rj:1:2", TEXT)  # the rejection
    await say(bot, leader, f"/deduct {CODE} training_attendance 2 {REASON}")
    await say(bot, leader, f"/deduct {CODE} training_attendance 2 {REASON}")
    await say(bot, staff, f"/appeal 1 {REASON}")
    appeal = await bot.wait_for(lambda: with_buttons(bot, DIRECTOR, "ap:acc:"))
    await press(bot, bot.user(DIRECTOR, "Giám"), appeal, "ap:acc:1")
    await say(bot, admin, f"/reverse 4 {REASON}")
    for command in ("/myscore", "/mycodes"):
        await say(bot, staff, command)
    await say(bot, leader, "/team")
    await say(bot, admin, f"/team 2026Q4 {longest('Phòng <Tổ chức> & ', 4000)}")
    chart = await bot.wait_for(lambda: with_buttons(bot, STAFF, "sc:chart:"))
    await press(bot, staff, chart, "sc:chart:2026Q4")
    await bot.wait_for(lambda: bot.photos(STAFF))

    # The time-driven messages: the reminder, the breach, the digest, the admins' report.
    with db() as other:
        clerk = other.get_one(Employee, org.clerk.id)
        clerk.unreachable_since = local("2026-11-02")
        other.add(clerk)
        other.commit()
    for instant in (local("2026-11-09", 15), local("2026-11-10", 8)):
        await sweep_and_deliver(application, services, clock, instant)
    moved = [
        Replanned(
            2,
            TITLE,
            1,
            org.staff.id,
            org.leader.id,
            date(2026, 11, 9),
            date(2026, 11, 10),
            local("2026-11-11", 0),
            STORM,
        )
    ] * 60
    occasion = Occasion(WorkCalendar(tz=HANOI), services.policy, clock.now, "vi")
    with db() as other:
        outbox.post(other, replan_notices(other, occasion, moved), now=clock.now)
    await application.bot_data[DELIVERER].deliver_due()

    bot.assert_no_invalid_calls()
    with db() as other:
        rows = other.exec(select(OutboxMessage)).all()
    assert {row.kind for row in rows} >= {
        "notice",
        "outcome",
        "deduction",
        "appeal",
        "reminder",
        "breach",
        "digest",
        "replan",
    }
    assert {row.status for row in rows} == {"sent"}
    assert all(len(answer.get("text", "")) <= ANSWER_LIMIT for answer in bot.callback_answers)
    assert not [call for call in bot.calls if not call.ok]
