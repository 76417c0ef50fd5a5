"""Telegram's limits end to end: the longest lists the bot sends arrive, paged or shortened.

The Bot API emulator refuses a text over 4,096 characters (after its HTML is parsed) and a
keyboard over 100 buttons as Telegram does, so a message over a limit fails the test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select
from telegram.ext import Application

from handlers.appeals import APPEAL_REFUSALS
from handlers.workcode_replies import DONE, REFUSALS, done, refusal
from kpi.calendar import WorkCalendar
from kpi.workcodes import MAX_TITLE, open_work_code
from locales.i18n import Translator
from models import Deduction, Employee, OutboxMessage
from notices.appeals import verdict
from notices.limits import ANSWER_LIMIT
from sandbox.botapi import FakeBotAPI, FakeUser
from services.container import Services
from tests.conftest import Clock
from tests.factories import HANOI, ORG_CHATS, Org, local, make_deduction, make_employee
from tests.scheduler.test_engine import sweep_and_deliver

LEADER, STAFF, ADMIN = ORG_CHATS["leader"], ORG_CHATS["staff"], ORG_CHATS["admin"]
NOV_5 = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)
LONG_NAME = ("Nguyễn <Thị> & Hoàng " * 10)[:200]  # the roster's longest name, with markup
LONG_TITLE = ("Báo cáo <tổng kết> & kế hoạch " * 8)[:MAX_TITLE]
LONG_REASON = ("Vắng họp <giao ban> & không báo " * 70)[:2000]


async def ask(fake: FakeBotAPI, user: FakeUser, text: str) -> list[dict]:
    """Send `text`; return every message of the answer, as many as its first says it has."""
    before = len(fake.messages(user.id))
    fake.send_text(user, text)
    first = (await fake.wait_for_messages(user.id, before + 1))[before]
    pages = re.search(r"\(trang 1/(\d+)\)", first["text"])
    count = int(pages[1]) if pages else 1
    return (await fake.wait_for_messages(user.id, before + count))[before:]


def buttons(message: dict) -> int:
    return sum(len(row) for row in message.get("reply_markup", {}).get("inline_keyboard", []))


def all_sent(db: sessionmaker[Session]) -> list[str]:
    with db() as session:
        return sorted({row.status for row in session.exec(select(OutboxMessage))})


def open_codes(db: sessionmaker[Session], author: Employee, count: int, at: datetime) -> None:
    with db() as session:
        for number in range(count):
            result = open_work_code(
                session=session,
                author=author,
                title=f"{number} {LONG_TITLE}"[:MAX_TITLE],
                now=at,
                calendar=WorkCalendar(tz=HANOI),
                days=5,
            )
            assert result.code is not None


async def test_myscore_with_three_long_deduction_reasons(
    bot: FakeBotAPI, session: Session, org: Org
) -> None:
    for _ in range(3):
        make_deduction(
            session, org.staff, "training_attendance", occurred_at=NOV_5, reason=LONG_REASON
        )
    replies = await ask(bot, bot.user(STAFF, "Hùng"), "/myscore")
    lines = [line for reply in replies for line in reply["text"].splitlines()]
    listed = [line for line in lines if "— Vắng họp <giao ban> & không báo" in line]
    assert len(listed) == 3 and all(line.endswith("…") for line in listed)  # shortened
    assert buttons(replies[-1]) == 1  # the chart
    bot.assert_no_invalid_calls()


async def test_mycodes_with_twenty_long_titles(
    bot: FakeBotAPI, db: sessionmaker[Session], org: Org
) -> None:
    open_codes(db, org.staff, 20, local("2026-11-02", 9))
    [reply] = await ask(bot, bot.user(STAFF, "Hùng"), "/mycodes")
    lines = reply["text"].splitlines()[1:]
    assert len(lines) == 20 and all("…" in line for line in lines)
    assert lines[-1].startswith("#1 0 Báo cáo <tổng kết> & kế hoạch")
    bot.assert_no_invalid_calls()


async def test_team_of_ninety_is_paged(bot: FakeBotAPI, session: Session, org: Org) -> None:
    for number in range(90):
        make_employee(session, f"CV{number:03}", f"{number} {LONG_NAME}"[:200], leader=org.leader)
    replies = await ask(bot, bot.user(LEADER, "Phương"), "/team")
    assert len(replies) > 1
    title = f"Cán bộ thuộc quyền của đồng chí, Quý IV/2026 (trang 1/{len(replies)})"
    assert replies[0]["text"].startswith(title)
    ranks = [line.split(".")[0] for reply in replies for line in reply["text"].splitlines()[1:]]
    assert ranks == [str(rank) for rank in range(1, 93)]  # 90, and NV1 and NV2
    bot.assert_no_invalid_calls()


async def test_a_reminder_of_forty_codes_arrives_whole(
    application: Application,
    bot: FakeBotAPI,
    services: Services,
    clock: Clock,
    db: sessionmaker[Session],
    org: Org,
) -> None:
    with db() as session:
        author = session.get_one(Employee, org.staff.id)
        author.full_name = LONG_NAME
        session.add(author)
        session.commit()
        open_codes(db, author, 40, local("2026-11-02", 9))
    await sweep_and_deliver(application, services, clock, local("2026-11-09", 15))
    reminders = [m for m in bot.messages(LEADER) if m["text"].startswith("🔔 Nhắc việc")]
    assert len(reminders) == 2
    counts = [buttons(message) for message in reminders]
    assert sum(counts) == 120 and max(counts) <= 100
    listed = [line for m in reminders for line in m["text"].splitlines()[1:]]
    assert len(listed) == 40 and all("…" in line for line in listed)
    assert all_sent(db) == ["sent"]  # nothing failed, nothing lost
    bot.assert_no_invalid_calls()


async def test_the_admins_report_of_150_who_blocked_the_bot(
    application: Application,
    bot: FakeBotAPI,
    services: Services,
    clock: Clock,
    db: sessionmaker[Session],
    session: Session,
    org: Org,  # noqa: ARG001  (the admin who reads it)
) -> None:
    for number in range(150):
        person = make_employee(session, f"{number:03}-" + "X" * 60, f"{number} {LONG_NAME}"[:200])
        person.unreachable_since = local("2026-11-01")
        session.add(person)
    session.commit()
    await sweep_and_deliver(application, services, clock, local("2026-11-03", 8))
    reports = [m["text"] for m in bot.messages(ADMIN) if "đã chặn bot" in m["text"]]
    assert len(reports) > 1
    listed = [line for text in reports for line in text.splitlines() if line.startswith("• ")]
    assert len(listed) == 150
    assert all_sent(db) == ["sent"]
    bot.assert_no_invalid_calls()


async def test_a_leader_whose_name_has_markup(bot: FakeBotAPI, session: Session, org: Org) -> None:
    leader = session.get_one(Employee, org.leader.id)
    leader.full_name = "Trần <b>Phương</b> & <Co"
    session.add(leader)
    session.commit()
    [reply] = await ask(bot, bot.user(STAFF, "Hùng"), "/open Báo cáo")
    assert reply["text"].startswith(
        "Đã mở mã công việc #1, chờ Trần <b>Phương</b> & <Co phê duyệt."
    )
    bot.assert_no_invalid_calls()


async def test_a_chart_button_for_year_9999(bot: FakeBotAPI, org: Org) -> None:  # noqa: ARG001
    user = bot.user(STAFF, "Hùng")
    [card] = await ask(bot, user, "/myscore")
    before = len(bot.callback_answers)
    bot.press_button(user, card, "sc:chart:9999Q4", check=False)
    await bot.wait_for(lambda: len(bot.callback_answers) > before)
    assert bot.callback_answers[before]["text"] == "Nút này không còn hiệu lực."
    bot.assert_no_invalid_calls()


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_answer_to_a_button_fits(locale: str) -> None:
    """What a pressed button may be answered, with the longest ids, within 200 characters."""
    tr = Translator(locale, HANOI)
    longest_id = 999_999_999_999
    deduction = Deduction(id=longest_id, employee_id=1, criterion="x", points=1, reason="")
    answers = [
        tr._("This button is no longer valid."),
        *(refusal(tr, outcome, longest_id) for outcome in REFUSALS),
        *(done(tr, action, longest_id) for action in DONE),
        *(tr._(text, id=longest_id) for text in APPEAL_REFUSALS.values()),
        verdict(tr, True, deduction),
        verdict(tr, False, deduction),
    ]
    assert max(len(answer) for answer in answers) <= ANSWER_LIMIT
