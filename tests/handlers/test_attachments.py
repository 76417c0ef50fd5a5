"""Attachments end to end: files sent with /open, right after it, or in reply to a code's
message; the approver's card counts them and its button sends them; limits and refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from telegram.ext import Application

from models import WorkCode
from sandbox.botapi import FakeBotAPI, FakeUser
from scheduler.jobs import DELIVERER
from tests.conftest import Clock
from tests.factories import ORG_CHATS, Org, local

LEADER, STAFF, OTHER_LEADER = ORG_CHATS["leader"], ORG_CHATS["staff"], ORG_CHATS["other_leader"]


@pytest.fixture
def staff(bot: FakeBotAPI, org: Org) -> FakeUser:  # noqa: ARG001  (the people behind the chats)
    return bot.user(STAFF, "Hùng")


async def send(bot: FakeBotAPI, user: FakeUser, name: str, **options: object) -> dict:
    """Send a file as `user`; return the bot's answer."""
    before = len(bot.messages(user.id))
    bot.send_file(user, name, **options)  # type: ignore[arg-type]
    return (await bot.wait_for_messages(user.id, before + 1))[before]


async def card_shown(bot: FakeBotAPI, db: sessionmaker[Session], code_id: int = 1) -> dict:
    """The approver's card, once delivered and remembered (so a new file edits it)."""

    def remembered() -> bool:
        with db() as session:
            return session.get_one(WorkCode, code_id).leader_message_id is not None

    await bot.wait_for(remembered)
    return bot.messages(LEADER)[-1]


def files_button(message: dict) -> tuple[str, str] | None:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    found = [(b["text"], b["callback_data"]) for row in rows for b in row if "📎" in b["text"]]
    return found[0] if found else None


async def test_files_sent_with_open_and_right_after_reach_the_leader(
    bot: FakeBotAPI, db: sessionmaker[Session], staff: FakeUser
) -> None:
    opened = await send(bot, staff, "to-trinh.pdf", caption="/open Tờ trình mua sắm thiết bị")
    lines = opened["text"].splitlines()
    assert lines[0] == "Đã mở mã công việc #1, chờ Trần Thị Phương phê duyệt."
    assert lines[-1] == "📎 Đã đính kèm tệp vào mã công việc #1 (1/10 tệp)."
    card = await card_shown(bot, db)
    assert card["text"].splitlines()[1] == "Tờ trình mua sắm thiết bị"
    assert files_button(card) == ("📎 Tệp đính kèm (1)", "fa:1")
    # An album right after: two photos, no caption, each attached to the code just opened.
    for name in ("anh-1.jpg", "anh-2.jpg"):
        answer = await send(bot, staff, name, photo=True, media_group_id="album-1")
        assert answer["text"].startswith("📎 Đã đính kèm tệp vào mã công việc #1")
    assert answer["text"].endswith("(3/10 tệp).")
    card = bot.messages(LEADER)[-1]
    assert files_button(card) == ("📎 Tệp đính kèm (3)", "fa:1")
    assert card["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "wc:ap:1:1"

    leader = bot.user(LEADER, "Phương")
    before = len(bot.messages(LEADER))
    update = bot.press_button(leader, card, "fa:1")
    sent = await bot.wait_for_messages(LEADER, before + 3)
    pressed = await bot.wait_for(lambda: bot.callback_answer(update))
    assert pressed is not None and "text" not in pressed
    [document] = bot.calls_of("sendDocument")
    assert document.params["caption"] == "📎 Mã công việc #1: Tờ trình mua sắm thiết bị"
    [album] = bot.calls_of("sendMediaGroup")
    assert [item["type"] for item in album.params["media"]] == ["photo", "photo"]
    user_files = [m for m in bot.conversation(STAFF) if m["from"]["id"] == STAFF]
    assert document.params["document"] == user_files[0]["document"]["file_id"]
    assert [item["media"] for item in album.params["media"]] == [
        m["photo"][-1]["file_id"] for m in user_files[1:]
    ]
    assert [m.get("document", {}).get("file_name") for m in sent[before:]][0] == "to-trinh.pdf"


async def test_a_reply_with_a_file_to_the_code_s_message_attaches_it(
    bot: FakeBotAPI, db: sessionmaker[Session], staff: FakeUser, clock: Clock
) -> None:
    before = len(bot.messages(STAFF))
    bot.send_text(staff, "/open Báo cáo quý IV")
    [confirmation] = (await bot.wait_for_messages(STAFF, before + 1))[before:]
    await card_shown(bot, db)
    clock.now += timedelta(hours=2)  # long after opening: a file alone no longer goes to it
    lost = await send(bot, staff, "bao-cao.docx")
    assert lost["text"].startswith("Để đính kèm tệp vào mã công việc, đồng chí trả lời")
    answer = await send(bot, staff, "bao-cao.docx", reply_to=confirmation)
    assert answer["text"] == "📎 Đã đính kèm tệp vào mã công việc #1 (1/10 tệp)."
    again = await send(bot, staff, "phu-luc.docx", reply_to=confirmation, size=25 * 1024 * 1024)
    assert again["text"] == (
        "Tệp lớn hơn 20 MB nên chưa được đính kèm. Đồng chí vui lòng gửi tệp có dung lượng nhỏ hơn."
    )
    assert files_button(bot.messages(LEADER)[-1]) == ("📎 Tệp đính kèm (1)", "fa:1")
    # Only the approver may have the files sent: another leader's press is refused.
    other = bot.user(OTHER_LEADER, "Tâm")
    update = bot.press_button(other, bot.messages(LEADER)[-1], "fa:1", check=False)
    refused = await bot.wait_for(lambda: bot.callback_answer(update))
    assert refused is not None and refused["text"] == "Nút này không còn hiệu lực."
    assert not bot.calls_of("sendDocument")


async def test_ten_files_at_most_and_none_once_the_code_is_handled(
    bot: FakeBotAPI, db: sessionmaker[Session], staff: FakeUser
) -> None:
    opened = await send(bot, staff, "0.pdf", caption="/open Hồ sơ khen thưởng")
    for number in range(1, 10):
        await send(bot, staff, f"{number}.pdf", reply_to=opened)
    eleventh = await send(bot, staff, "10.pdf", reply_to=opened)
    assert eleventh["text"] == (
        "Mã công việc #1 đã có 10 tệp đính kèm, là số tối đa cho phép; tệp này chưa được đính kèm."
    )
    card = await card_shown(bot, db)
    assert files_button(card) == ("📎 Tệp đính kèm (10)", "fa:1")
    leader = bot.user(LEADER, "Phương")
    before = len(bot.messages(STAFF))
    bot.press_button(leader, card, "wc:ap:1:1")
    await bot.wait_for_messages(STAFF, before + 1)  # the author is told of the approval
    handled = bot.messages(LEADER)[-1]  # the card, handled: only its files' button stays
    assert handled["text"].splitlines()[0] == "Mã công việc #1 — Đã phê duyệt"
    assert handled["reply_markup"]["inline_keyboard"] == [
        [{"text": "📎 Tệp đính kèm (10)", "callback_data": "fa:1"}]
    ]
    closed = await send(bot, staff, "11.pdf", reply_to=opened)
    assert closed["text"].startswith("Mã công việc #1 ở trạng thái «Đã phê duyệt»")


async def test_a_file_while_the_bot_asks_for_a_title(bot: FakeBotAPI, staff: FakeUser) -> None:
    bot.send_text(staff, "/open")
    await bot.wait_for_messages(STAFF, 1)
    first = await send(bot, staff, "ke-hoach.pdf")
    assert first["text"].startswith("Đồng chí vui lòng gửi tiêu đề của mã công việc mới trước")
    opened = await send(bot, staff, "ke-hoach.pdf", caption="Kế hoạch năm 2027")
    assert opened["text"].startswith("Đã mở mã công việc #1, chờ Trần Thị Phương phê duyệt.")
    assert opened["text"].endswith("(1/10 tệp).")
    same = await send(bot, staff, "ke-hoach.pdf")  # a new upload: another file for Telegram
    assert same["text"].endswith("(2/10 tệp).")


async def test_the_english_card_counts_attachments(
    bot: FakeBotAPI, db: sessionmaker[Session], session: Session, org: Org
) -> None:
    org.leader.chosen_locale = "en"
    session.add(org.leader)
    session.commit()
    await send(bot, bot.user(STAFF, "Hùng"), "a.pdf", caption="/open Report")
    card = await card_shown(bot, db)
    assert files_button(card) == ("📎 Attachments (1)", "fa:1")


async def test_a_card_waiting_out_quiet_hours_goes_with_every_file(
    application: Application, bot: FakeBotAPI, staff: FakeUser, clock: Clock
) -> None:
    clock.now = local("2026-11-02", 22)  # Monday night: the card waits for the morning
    await send(bot, staff, "a.pdf", caption="/open Báo cáo gấp")
    await send(bot, staff, "b.jpg", photo=True)
    assert not bot.messages(LEADER)
    clock.now = local("2026-11-03", 7)
    await application.bot_data[DELIVERER].deliver_due()
    [card] = await bot.wait_for_messages(LEADER, 1)
    assert files_button(card) == ("📎 Tệp đính kèm (2)", "fa:1")
