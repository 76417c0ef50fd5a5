"""Delivery through faults: flood limits and waits, 5xx storms, refusals, and expiry."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from kpi.calendar import WorkCalendar
from kpi.outbox import Draft, mark_unreachable, post, recover
from kpi.policy import Policy
from kpi.workcodes import open_work_code
from models import Employee, OutboxKind, OutboxMessage, OutboxStatus
from sandbox.botapi import FakeBotAPI
from scheduler import delivery
from scheduler.budget import LONG_WAIT, Budget, paced_bot
from scheduler.delivery import Deliverer
from scheduler.sweep import run_sweep
from tests.conftest import TOKEN, Clock
from tests.factories import HANOI, ORG_CHATS, Org, local

NOW = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
CHAT = 5_000


@pytest.fixture
def now() -> Clock:
    """The delivery worker's clock."""
    return Clock(NOW)


def deliverer_for(
    fake: FakeBotAPI, db: sessionmaker[Session], clock: Clock, budget: Budget | None = None
) -> Deliverer:
    """A worker with the real budget, as `kpibot run` and `kpibot sweep` build it."""
    return Deliverer(db=db, bot=paced_bot(TOKEN, fake.base_url, budget), clock=clock)


@pytest.fixture
async def worker(
    fake: FakeBotAPI, db: sessionmaker[Session], now: Clock
) -> AsyncIterator[Deliverer]:
    """A delivery worker on the fake without flood limits, pacing chats faster to save time."""
    deliverer = deliverer_for(fake, db, now, Budget(chat_per_second=10.0))
    async with deliverer.bot:
        yield deliverer


def queue(db: sessionmaker[Session], messages: list[tuple[int, str]], **extra: object) -> None:
    """Put one message per (chat, text) in the outbox, due now."""
    drafts = [
        Draft(
            key=f"test:{chat}:{text}",
            kind=OutboxKind.NOTICE,
            chat_id=chat,
            text=text,
            not_before=NOW,
        )
        for chat, text in messages
    ]
    with db() as session:
        post(session, [Draft(**{**d.__dict__, **extra}) for d in drafts], now=NOW)


def storm(chats: int, extra: int, label: str) -> list[tuple[int, str]]:
    """One message to each of `chats` chats, then `extra` more spread over the first ten."""
    first = [(CHAT + i, f"{label} {i}.1") for i in range(chats)]
    return first + [(CHAT + i % 10, f"{label} {i % 10}.{2 + i // 10}") for i in range(extra)]


def sent(fake: FakeBotAPI) -> Counter[tuple[int, str]]:
    """How often each (chat, text) reached Telegram."""
    return Counter(
        (call.params["chat_id"], call.params["text"])
        for call in fake.calls_of("sendMessage")
        if call.ok
    )


def assert_once_in_order(fake: FakeBotAPI, messages: list[tuple[int, str]]) -> None:
    """Each message arrived exactly once, and every chat got its messages in queue order."""
    counts = sent(fake)
    assert all(counts[message] == 1 for message in messages), counts
    for chat in {chat for chat, _ in messages}:
        texts = [m["text"] for m in fake.messages(chat)]
        assert [t for t in texts if (chat, t) in messages] == [t for c, t in messages if c == chat]


def rows(db: sessionmaker[Session]) -> list[OutboxMessage]:
    """The outbox, in queue order."""
    with db() as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


async def test_a_storm_stays_within_the_limits_and_honours_flood_waits(
    limited: FakeBotAPI, db: sessionmaker[Session], now: Clock
) -> None:
    worker = deliverer_for(limited, db, now)
    async with worker.bot:
        first = storm(40, 20, "Tin")  # 60 messages, 40 chats, ten of them get three
        queue(db, first)
        report = await worker.deliver_due()
        assert report.sent == 60 and report.later == 0
        assert_once_in_order(limited, first)
        assert limited.rate_limited == []

        limited.fail_next("sendMessage", 429, retry_after=1, count=3)
        second = storm(20, 0, "Lần hai")
        queue(db, second)
        report = await worker.deliver_due()
    assert report.sent == 20
    assert_once_in_order(limited, first + second)
    assert limited.rate_limited == []  # the pacer resumed without a burst
    calls = limited.calls_of("sendMessage")
    refused = [(i, call) for i, call in enumerate(calls) if call.status == 429]
    assert len(refused) == 3
    for index, call in refused:
        message = (call.params["chat_id"], call.params["text"])
        retry = next(
            c for c in calls[index + 1 :] if (c.params["chat_id"], c.params["text"]) == message
        )
        assert retry.time - call.time >= 1.0  # retry_after honoured
    assert {row.status for row in rows(db)} == {OutboxStatus.SENT}


async def test_a_5xx_storm_is_ridden_out(
    fake: FakeBotAPI, worker: Deliverer, db: sessionmaker[Session]
) -> None:
    messages = storm(10, 10, "Tin")
    queue(db, messages)
    fake.fail_next("sendMessage", 502, count=5)
    fake.fail_next("sendMessage", 500, count=3)
    report = await worker.deliver_due()
    assert report.sent == 20 and report.later == 0
    assert sorted(c.status for c in fake.rejected_calls) == [500] * 3 + [502] * 5
    assert_once_in_order(fake, messages)


async def test_a_chat_whose_message_keeps_failing_waits_in_order(
    fake: FakeBotAPI,
    worker: Deliverer,
    db: sessionmaker[Session],
    now: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "BACKOFF", (0.01,) * 4)  # exhaust the retries quickly
    messages = [(CHAT, "Tin 1"), (CHAT, "Tin 2")]
    queue(db, messages)
    fake.fail_next("sendMessage", 502, count=5)
    report = await worker.deliver_due()
    assert (report.sent, report.later) == (0, 1)
    failed, behind = rows(db)
    assert failed.status == OutboxStatus.PENDING and failed.attempts == 1
    assert failed.not_before == NOW + timedelta(minutes=1) and "Bad Gateway" in failed.last_error
    assert behind.status == OutboxStatus.PENDING
    assert not fake.messages(CHAT)  # the later ones did not overtake it

    now.now = NOW + timedelta(minutes=1)
    report = await worker.deliver_due()
    assert report.sent == 2
    assert_once_in_order(fake, messages)


async def test_a_long_flood_wait_puts_the_row_back_and_frees_the_worker(
    fake: FakeBotAPI, worker: Deliverer, db: sessionmaker[Session], now: Clock
) -> None:
    messages = [(CHAT, "A 1"), (CHAT, "A 2"), (CHAT + 1, "B 1"), (CHAT + 1, "B 2")]
    queue(db, messages)
    fake.fail_next("sendMessage", 429, retry_after=45, count=1)
    started = time.monotonic()
    report = await worker.deliver_due()
    assert time.monotonic() - started < LONG_WAIT  # nobody sat out the 45 s
    [flooded] = fake.rejected_calls
    chat = flooded.params["chat_id"]
    waiting = [row for row in rows(db) if row.chat_id == chat]
    assert waiting[0].text == flooded.params["text"]
    assert waiting[0].status == OutboxStatus.PENDING and waiting[0].attempts == 1
    assert waiting[0].not_before == NOW + timedelta(seconds=45)
    assert [row.status for row in waiting[1:]] == [OutboxStatus.PENDING] * (len(waiting) - 1)
    assert fake.messages(chat) == []
    other = [m for m in messages if m[0] != chat]
    assert report.sent == len(other) and sent(fake) == Counter(other)

    now.now = NOW + timedelta(seconds=44)
    assert (await worker.deliver_due()).sent == 0
    now.now = NOW + timedelta(seconds=45)
    assert (await worker.deliver_due()).sent == len(waiting)
    assert_once_in_order(fake, messages)


async def test_a_refusal_is_recorded_and_holds_back_no_one(
    fake: FakeBotAPI, worker: Deliverer, db: sessionmaker[Session]
) -> None:
    messages = storm(5, 5, "Tin")
    queue(db, messages)
    fake.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    report = await worker.deliver_due()
    assert (report.sent, report.failed, report.later) == (9, 1, 0)
    [refused] = fake.rejected_calls
    [failed] = [row for row in rows(db) if row.status == OutboxStatus.FAILED]
    assert (failed.chat_id, failed.text) == (refused.params["chat_id"], refused.params["text"])
    assert "chat not found" in failed.last_error.lower() and failed.attempts == 1
    delivered = [m for m in messages if m != (failed.chat_id, failed.text)]
    assert sent(fake) == Counter(delivered)
    assert_once_in_order(fake, delivered)
    assert (await worker.deliver_due()).sent == 0  # a refusal is final


async def test_a_late_reminder_expires_but_breach_notices_never_do(
    fake: FakeBotAPI,
    worker: Deliverer,
    db: sessionmaker[Session],
    now: Clock,
    policy: Policy,
    org: Org,
) -> None:
    with db() as session:
        opened = open_work_code(
            session=session,
            author=org.staff,
            title="Kế hoạch",
            now=local("2026-11-02", 9),
            calendar=WorkCalendar(tz=HANOI),
            days=policy.deadline_days,
        )
    assert opened.code is not None and opened.code.due_day.isoformat() == "2026-11-09"

    def sweep(at: datetime) -> None:
        run_sweep(db=db, policy=policy, tz=HANOI, now=at, default_locale="vi")

    sweep(local("2026-11-09", 15))  # the 15:00 reminder is queued, but the worker is down
    sweep(local("2026-11-10", 0, 30))  # past the deadline: the breach, its notices held until 07:00
    now.now = local("2026-11-16", 9)  # the worker comes back a week later
    report = await worker.deliver_due()
    statuses = {(row.kind, row.status) for row in rows(db)}
    assert statuses == {
        ("reminder", OutboxStatus.EXPIRED),
        ("digest", OutboxStatus.EXPIRED),  # 9/11's digest was worth sending on 9/11 only
        ("breach", OutboxStatus.SENT),
    }
    assert report.sent == 3
    assert not [m for m in fake.messages(ORG_CHATS["leader"]) if "Nhắc việc" in m["text"]]
    chats = [ORG_CHATS[name] for name in ("leader", "staff", "director")]
    assert [len(fake.messages(chat)) for chat in chats] == [1, 1, 1]
    assert "Quá hạn phê duyệt" in fake.messages(ORG_CHATS["leader"])[0]["text"]


async def test_messages_go_to_the_account_linked_when_they_are_sent(
    fake: FakeBotAPI, worker: Deliverer, db: sessionmaker[Session], org: Org
) -> None:
    staff, old, new = org.staff.id, ORG_CHATS["staff"], 7_999
    queue(db, [(old, "Đang chờ")], employee_id=staff)
    queue(db, [(old, "Bị giữ")], employee_id=staff)
    with db() as session:  # the second was held: the old account had blocked the bot
        held = update(OutboxMessage).where(col(OutboxMessage.text) == "Bị giữ")
        session.execute(held.values(status=OutboxStatus.BLOCKED))
        mark_unreachable(session, staff, NOW)
        relinked = session.get_one(Employee, staff)
        relinked.telegram_id = new  # a new invite moved the employee to another account
        session.commit()
        recover(session, staff, NOW)
    assert (await worker.deliver_due()).sent == 2
    assert [m["text"] for m in fake.messages(new)] == ["Đang chờ", "Bị giữ"]
    assert fake.messages(old) == []


async def test_a_message_to_someone_with_no_account_linked_waits(
    fake: FakeBotAPI, worker: Deliverer, db: sessionmaker[Session], org: Org
) -> None:
    staff = org.staff.id
    queue(db, [(ORG_CHATS["staff"], "Chờ liên kết")], employee_id=staff)
    with db() as session:
        session.execute(update(Employee).where(col(Employee.id) == staff).values(telegram_id=None))
        session.commit()
    assert (await worker.deliver_due()).sent == 0
    assert fake.calls_of("sendMessage") == []
    with db() as session:
        session.execute(update(Employee).where(col(Employee.id) == staff).values(telegram_id=7_999))
        session.commit()
    assert (await worker.deliver_due()).sent == 1
    assert [m["text"] for m in fake.messages(7_999)] == ["Chờ liên kết"]
