"""Moved deadlines are told: one message to each approver and author, old and new deadline."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select
from telegram.ext import Application

from bot.cli.calendar import notify_of_moves
from bot.config import Settings
from kpi.calendar import WorkCalendar
from kpi.days import DayKind, Names
from kpi.deadlines import Explanation, Run
from kpi.policy import Policy
from kpi.replanning import CalendarChange, Planning, Replanned, declare_day
from models import OutboxKind, OutboxMessage, WorkCode
from notices.limits import MESSAGE_LIMIT, visible_length
from notices.occasion import Occasion
from notices.replanning import replan_notices
from sandbox.botapi import FakeBotAPI
from scheduler.jobs import DELIVERER
from tests.conftest import Clock
from tests.factories import HANOI, ORG_CHATS, Org, local, make_employee

LEADER, STAFF = ORG_CHATS["leader"], ORG_CHATS["staff"]
D = date.fromisoformat
STORM = Explanation(
    5, False, (Run(D("2026-11-04"), D("2026-11-04"), DayKind.OFF, Names("Bão", "Storm")),)
)


def moved(code_id: int, title: str, author_id: int, approver_id: int) -> Replanned:
    return Replanned(
        code_id,
        title,
        1,
        author_id,
        approver_id,
        D("2026-11-09"),
        D("2026-11-10"),
        local("2026-11-11", 0),
        STORM,
    )


def texts(fake: FakeBotAPI, chat_id: int) -> list[str]:
    return [m["text"] for m in fake.messages(chat_id) if m["text"].startswith("📅")]


def declare(
    settings: Settings, db: sessionmaker[Session], clock: Clock, day: str, *, working: bool
) -> CalendarChange:
    with db() as session:
        return declare_day(
            session=session,
            planning=Planning(tz=HANOI, days=5, calendar_days=False),
            day=D(day),
            working=working,
            reason="Bão số 13" if not working else "Làm bù",
            now=clock.now,
            notify=notify_of_moves(settings, clock.now),
        )


@pytest.mark.usefixtures("org")
async def test_a_day_declared_off_moves_the_deadline_and_tells_each_person_once(
    application: Application, bot: FakeBotAPI, settings: Settings, db, clock: Clock
) -> None:
    staff = bot.user(STAFF, "Hùng")
    bot.send_text(staff, "/open Báo cáo quý IV")  # Monday 2/11/2026: due Monday 9/11
    await bot.wait_for_messages(LEADER, 1)
    change = declare(settings, db, clock, "2026-11-04", working=False)
    assert [(m.old_due_day, m.new_due_day) for m in change.replanned] == [
        (D("2026-11-09"), D("2026-11-10"))
    ]
    assert change.told == 2
    await application.bot_data[DELIVERER].deliver_due()
    why = "<i>5 ngày làm việc; không tính ngày nghỉ: Bão số 13 (04/11/2026)</i>"
    head = (
        "📅 Điều chỉnh thời hạn: do lịch làm việc thay đổi, thời hạn xử lý của 1 mã công việc "
        "được lùi lại như sau."
    )
    assert texts(bot, LEADER) == [
        f"{head}\n• #1 «Báo cáo quý IV» của Lê Văn Hùng: thời hạn lùi từ hết ngày 09/11/2026 "
        "đến hết ngày 10/11/2026\n  5 ngày làm việc; không tính ngày nghỉ: Bão số 13 (04/11/2026)"
    ]
    assert texts(bot, STAFF) == [
        f"{head}\n• #1 «Báo cáo quý IV»: thời hạn lùi từ hết ngày 09/11/2026 "
        "đến hết ngày 10/11/2026\n  5 ngày làm việc; không tính ngày nghỉ: Bão số 13 (04/11/2026)"
    ]
    with db() as session:
        replan = (
            select(OutboxMessage)
            .where(OutboxMessage.kind == OutboxKind.REPLAN)
            .order_by(col(OutboxMessage.chat_id))
        )
        assert [(row.chat_id, why in row.text) for row in session.exec(replan)] == [
            (LEADER, True),  # the explanation is set in italics
            (STAFF, True),
        ]
        assert session.get_one(WorkCode, 1).due_day == D("2026-11-10")

    # A make-up Saturday declared afterwards moves nothing earlier, and nobody is told.
    later = declare(settings, db, clock, "2026-11-07", working=True)
    assert (later.replanned, later.told) == ((), 0)
    await application.bot_data[DELIVERER].deliver_due()
    assert (len(texts(bot, LEADER)), len(texts(bot, STAFF))) == (1, 1)
    with db() as session:
        assert session.get_one(WorkCode, 1).due_day == D("2026-11-10")
    bot.send_text(staff, "/mycodes")
    [*_, answer] = await bot.wait_for_messages(STAFF, len(bot.messages(STAFF)) + 1)
    assert "hết ngày 10/11/2026" in answer["text"]


def test_a_long_list_fits_one_message_and_says_how_many_more(
    session: Session, org: Org, policy: Policy
) -> None:
    english = make_employee(
        session, "NV9", "Nguyễn <Anh>", leader=org.leader, language="en", telegram_id=709
    )
    unlinked = make_employee(session, "NV8", "Chưa liên kết", leader=org.leader)
    long_title = "Báo cáo <tổng kết> " + "rất dài " * 30
    changes = [moved(i, long_title, english.id, org.leader.id) for i in range(1, 81)]
    changes.append(moved(81, "Tờ trình", unlinked.id, org.leader.id))
    occasion = Occasion(WorkCalendar(tz=HANOI), policy, local("2026-11-03", 10), "vi")
    drafts = {d.chat_id: d for d in replan_notices(session, occasion, changes)}
    assert set(drafts) == {LEADER, 709}  # the unlinked author is not drafted for
    for draft in drafts.values():
        assert visible_length(draft.text) <= MESSAGE_LIMIT  # as Telegram counts
        entries = [line for line in draft.text.splitlines() if line.startswith("• #")]
        assert 10 < len(entries) < 81
        assert all("«Báo cáo &lt;tổng kết&gt; rất dài" in e for e in entries[:-1])
        assert all(len(e) < 200 and "…»" in e for e in entries if "Tờ trình" not in e)
    shown = sum(line.startswith("• #") for line in drafts[709].text.splitlines())
    assert drafts[709].text.startswith("📅 <b>Deadlines moved</b>: the working calendar changed")
    assert drafts[709].text.endswith(
        f"… and {80 - shown} more work codes: see /pending or /mycodes."
    )
    assert "Storm (4 Nov 2026)" in drafts[709].text
    assert "của Nguyễn &lt;Anh&gt;:" in drafts[LEADER].text  # the approver sees whose code
