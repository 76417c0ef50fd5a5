"""Linking, /help and /language, end to end through the fake Bot API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from kpi.linking import create_invites
from models import Employee, Invite
from sandbox.botapi import FakeBotAPI
from tests.conftest import Clock
from tests.factories import make_deduction, make_employee


def invite(db: sessionmaker[Session], clock: Clock, code: str) -> str:
    with db() as session:
        [(_code, token)] = create_invites(
            session=session, codes=[code], all_unlinked=False, now=clock()
        )
    return token


def employee(db: sessionmaker[Session], code: str) -> Employee:
    with db() as session:
        return session.exec(select(Employee).where(Employee.code == code)).one()


async def ask(fake: FakeBotAPI, user, text: str) -> str:
    """Send `text` as `user` and return the bot's next reply."""
    before = len(fake.messages(user.id))
    fake.send_text(user, text)
    replies = await fake.wait_for_messages(user.id, before + 1)
    return str(replies[-1]["text"])


async def test_a_valid_invite_links_the_account_and_greets_by_name(
    bot: FakeBotAPI, db: sessionmaker[Session], clock: Clock
) -> None:
    with db() as session:
        make_employee(session, "CV001", "Trần Thị <Bình> & Co")
    user = bot.user(501, "Binh", language_code="en")
    reply = await ask(bot, user, f"/start {invite(db, clock, 'CV001')}")
    assert reply.startswith("Chào mừng đồng chí Trần Thị <Bình> & Co!")
    assert "/language" in reply
    linked = employee(db, "CV001")
    assert linked.telegram_id == 501
    assert linked.linked_at == clock()


async def test_an_english_employee_is_greeted_in_english(
    bot: FakeBotAPI, db: sessionmaker[Session], clock: Clock
) -> None:
    with db() as session:
        make_employee(session, "CV002", "Lê Văn Cường", language="en")
    user = bot.user(502, "Cuong", language_code="vi")
    reply = await ask(bot, user, f"/start {invite(db, clock, 'CV002')}")
    assert reply.startswith("Welcome, Lê Văn Cường! Your account is linked.")


async def test_bad_tokens_get_a_clear_answer_and_change_nothing(
    bot: FakeBotAPI, db: sessionmaker[Session], clock: Clock
) -> None:
    with db() as session:
        make_employee(session, "CV003", "Phạm Minh Đức")
        make_employee(session, "CV004", "Hoàng Thu Hà")
    first, second = bot.user(503, "A"), bot.user(504, "B")
    token = invite(db, clock, "CV003")
    await ask(bot, first, f"/start {token}")

    assert "đã được sử dụng" in await ask(bot, second, f"/start {token}")
    assert "Không tìm thấy" in await ask(bot, second, "/start " + "x" * 32)
    assert "không hợp lệ" in await ask(bot, second, "/start <script>")
    expiring = invite(db, clock, "CV004")
    clock.now += timedelta(days=14, seconds=1)
    assert "đã hết hạn" in await ask(bot, second, f"/start {expiring}")

    assert employee(db, "CV003").telegram_id == 503
    assert employee(db, "CV004").telegram_id is None
    with db() as session:
        unused = session.exec(select(Invite).where(Invite.employee_id == employee(db, "CV004").id))
        assert [i.used_at for i in unused] == [None]


async def test_one_account_cannot_take_a_second_employee(
    bot: FakeBotAPI, db: sessionmaker[Session], clock: Clock
) -> None:
    with db() as session:
        make_employee(session, "CV005", "Đỗ Quang Huy", telegram_id=505)
        make_employee(session, "CV006", "Vũ Thị Lan")
    user = bot.user(505, "Huy")
    reply = await ask(bot, user, f"/start {invite(db, clock, 'CV006')}")
    assert "đã được liên kết với một cán bộ khác" in reply
    assert employee(db, "CV006").telegram_id is None
    assert employee(db, "CV005").telegram_id == 505


async def test_start_without_a_token_explains_how_to_get_an_invite(bot: FakeBotAPI) -> None:
    assert "bộ phận tổ chức cán bộ" in await ask(
        bot, bot.user(506, "X", language_code="vi"), "/start"
    )
    english = await ask(bot, bot.user(507, "Y", language_code="en"), "/start")
    assert "open the invite link" in english


async def test_help_lists_what_this_caller_may_do(
    bot: FakeBotAPI, db: sessionmaker[Session]
) -> None:
    with db() as session:
        make_employee(session, "CV008", "Ngô Bảo Châu", telegram_id=508, language="en")
    stranger = await ask(bot, bot.user(509, "S", language_code="en"), "/help")
    assert "/start" in stranger and "/language" not in stranger
    assert "once your account is linked" in stranger
    member = await ask(bot, bot.user(508, "C"), "/help")
    assert "/language vi|en" in member and "once your account is linked" not in member


async def test_language_switches_and_is_kept(bot: FakeBotAPI, db: sessionmaker[Session]) -> None:
    with db() as session:
        make_employee(session, "CV010", "Bùi Thị Xuân", telegram_id=510)
    user = bot.user(510, "Xuan", language_code="vi")
    assert await ask(bot, user, "/language en") == "Language set to English."
    assert employee(db, "CV010").chosen_locale == "en"
    assert "What you can do" in await ask(bot, user, "/help")
    assert await ask(bot, user, "/language vi") == "Đã chuyển ngôn ngữ sang tiếng Việt."
    assert "Cú pháp: /language vi" in await ask(bot, user, "/language fr")
    assert employee(db, "CV010").chosen_locale == "vi"


async def test_unlinked_users_cannot_choose_a_language(bot: FakeBotAPI) -> None:
    reply = await ask(bot, bot.user(511, "Z", language_code="en"), "/language vi")
    assert "Please link your account first" in reply


async def test_commands_in_a_group_are_refused(bot: FakeBotAPI, db: sessionmaker[Session]) -> None:
    with db() as session:
        make_employee(session, "CV012", "Lý Thường Kiệt", telegram_id=512)
    user = bot.user(512, "Kiet")
    bot.send_text(user, "/help", chat_type="group", chat_id=-100512)
    [reply] = await bot.wait_for_messages(-100512, 1)
    assert "nhắn tin riêng" in reply["text"]


async def test_the_command_menu_is_set_per_language(bot: FakeBotAPI) -> None:
    await bot.wait_for(lambda: bot.commands("en") and bot.commands("vi"))
    english = {c["command"]: c["description"] for c in bot.commands("en")}
    vietnamese = {c["command"]: c["description"] for c in bot.commands("vi")}
    assert english["language"] == "Change the language"
    assert vietnamese["language"] == "Đổi ngôn ngữ"
    assert set(english) == set(vietnamese) >= {"start", "help", "language"}


async def test_an_invite_the_linked_owner_opened_links_no_stranger(
    bot: FakeBotAPI, db: sessionmaker[Session], clock: Clock
) -> None:
    with db() as session:
        make_employee(session, "CV013", "Trịnh Văn Bô", telegram_id=513)
    token = invite(db, clock, "CV013")
    owner = await ask(bot, bot.user(513, "Bo"), f"/start {token}")
    assert "đã được liên kết với Trịnh Văn Bô" in owner
    assert "đã được sử dụng" in await ask(bot, bot.user(514, "Mallory"), f"/start {token}")
    assert employee(db, "CV013").telegram_id == 513


async def test_an_invite_moving_an_employee_unlinks_and_tells_the_old_account(
    bot: FakeBotAPI, db: sessionmaker[Session], clock: Clock
) -> None:
    with db() as session:
        make_employee(session, "CV015", "Mạc Thị Bưởi", telegram_id=515, language="en")
    old, new = bot.user(515, "Old phone"), bot.user(516, "New phone")
    reply = await ask(bot, new, f"/start {invite(db, clock, 'CV015')}")
    assert reply.startswith("Welcome, Mạc Thị Bưởi! Your account is linked.")
    [told] = await bot.wait_for_messages(515, 1)
    assert "no longer acts for Mạc Thị Bưởi" in told["text"]
    assert "Vui lòng liên kết tài khoản trước" in await ask(bot, old, "/myscore")
    assert employee(db, "CV015").telegram_id == 516


async def test_a_late_linker_is_told_the_deductions_logged_before(
    bot: FakeBotAPI, db: sessionmaker[Session], clock: Clock
) -> None:
    with db() as session:
        staff = make_employee(session, "CV003", "Phạm Thị Hoa")
        kept = make_deduction(
            session,
            staff,
            "training_attendance",
            occurred_at=clock(),
            source="import",
            reason="Vắng tập huấn",
        )
        cancelled = make_deduction(session, staff, "discipline_ethics", occurred_at=clock())
        make_deduction(session, staff, "discipline_ethics", occurred_at=clock(), reverses=cancelled)
    user = bot.user(503, "Hoa")
    await ask(bot, user, f"/start {invite(db, clock, 'CV003')}")
    messages = await bot.wait_for_messages(503, 2)
    [missed] = [m for m in messages if "trước khi đồng chí liên kết" in m["text"]]
    lines = missed["text"].splitlines()
    assert lines[0] == "Các điểm trừ đã ghi nhận trước khi đồng chí liên kết tài khoản"
    assert len(lines) == 2 and lines[1].startswith(f"• D{kept.id} ngày ")
    assert "Vắng tập huấn" in lines[1]
    await ask(bot, user, "/help")  # nothing more is sent: no second list
    assert sum("liên kết tài khoản" in m["text"] for m in bot.messages(503)) == 1
