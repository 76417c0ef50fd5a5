"""The running sandbox: the emulator, the real bot on a simulated clock, and the page's API.

`running()` starts, on 127.0.0.1, the Bot API emulator, the same `Application` as `kpibot run`
(handlers, delivery job, outbox) pointed at it with a fresh SQLite file, and the web server of
`sandbox.web`. `Sandbox` is what the page acts through: people, chats, buttons and the clock.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from sqlmodel import Session, select
from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.app import build_application, services_for
from bot.config import Settings
from kpi.calendar import WorkCalendar, load_calendar
from kpi.policy import Policy, load_policy
from kpi.roster_import import RosterRow
from kpi.tasks import task_lines
from models import Employee
from models.db import make_engine, make_session_factory, upgrade
from sandbox import clock as moves
from sandbox.botapi import FakeBotAPI, FakeUser, JsonDict, StoredFile
from sandbox.chat import chat_view
from sandbox.clock import ClockError, SandboxClock
from sandbox.demo import Seeded, seed
from sandbox.people import GUEST_ID, language, people_view, task_view
from sandbox.web import make_app
from scheduler.budget import Budget
from scheduler.delivery import Deliverer
from scheduler.jobs import DELIVERER
from scheduler.sweep import run_sweep
from services.container import Services

TOKEN = "7000000001:sandbox-emulated-bot"  # the emulator's; no real Telegram is involved
TIMEZONE = "Asia/Ho_Chi_Minh"
ANSWER_WAIT = 5.0  # seconds to wait for the bot's answer to a button


class PortInUse(Exception):
    """The page's port cannot be listened on."""


@dataclass(frozen=True)
class Options:
    """How to start the sandbox."""

    folder: Path  # where the SQLite file goes
    port: int = 8080
    empty: bool = False
    roster: Sequence[RosterRow] | None = None
    start: datetime | None = None  # default: now, or the next working moment


class Sandbox:
    """What the page acts through: people, chats, buttons and the simulated clock."""

    def __init__(
        self,
        fake: FakeBotAPI,
        application: Application,  # type: ignore[type-arg]
        svc: Services,
        clock: SandboxClock,
        port: int,
        seeded: Seeded,
    ) -> None:
        self.fake, self.application, self.svc, self.clock = fake, application, svc, clock
        self.port, self.seeded = port, seeded
        self._moving = asyncio.Lock()

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def policy(self) -> Policy:
        """The active policy."""
        return self.svc.policy

    def calendar(self, session: Session) -> WorkCalendar:
        """The working calendar as the database declares it now."""
        return self.svc.calendar(session)

    # ---- people and chats ----

    def people(self) -> list[JsonDict]:
        """Everyone with a linked account, top of the hierarchy first, then the guest."""
        with self.svc.db() as session:
            return people_view(session, self.policy)

    def employee(self, chat_id: int) -> Employee | None:
        """Who has this chat (None: the guest); KeyError if nobody has it."""
        if chat_id == GUEST_ID:
            return None
        with self.svc.db() as session:
            employee = session.exec(
                select(Employee).where(Employee.telegram_id == chat_id)
            ).one_or_none()
        if employee is None:
            raise KeyError(chat_id)
        return employee

    def user(self, chat_id: int) -> FakeUser:
        """The emulated Telegram user behind a chat; KeyError if nobody has it."""
        employee = self.employee(chat_id)
        if employee is None:
            return self.fake.user(GUEST_ID, "Khách", "vi")
        first_name = employee.full_name.split()[-1] if employee.full_name.split() else "User"
        return self.fake.user(chat_id, first_name, employee.language)

    def chat(self, chat_id: int) -> JsonDict:
        """A person's chat as the page shows it, with the language the bot now speaks to them."""
        speaks = language(self.employee(chat_id))
        return {**chat_view(self.fake, chat_id), "language": speaks}

    def send(self, chat_id: int, text: str) -> int:
        """Send text as the person; it answers the bot's open ForceReply question, if any."""
        user = self.user(chat_id)
        asked = chat_view(self.fake, chat_id)["reply_to"]
        if asked is not None and not text.lstrip().startswith("/"):
            message = {"chat": {"id": chat_id}, "message_id": asked}
            return self.fake.reply_to(user, message, text)
        return self.fake.send_text(user, text)

    async def press(self, chat_id: int, message_id: int, data: str) -> JsonDict:
        """Press a button as the person and wait for the bot's answer (a toast, an alert or
        nothing to show); "answered" is false only when the bot did not answer in time."""
        message = {"chat": {"id": chat_id}, "message_id": message_id}
        update_id = self.fake.press_button(self.user(chat_id), message, data)
        deadline = asyncio.get_running_loop().time() + ANSWER_WAIT
        while (answer := self.fake.callback_answer(update_id)) is None:
            if asyncio.get_running_loop().time() > deadline:
                return {"answered": False, "answer": None, "alert": False}
            await asyncio.sleep(0.05)
        # An answer without text is an answer: Telegram just stops the button's spinner.
        text, alert = answer.get("text") or None, bool(answer.get("show_alert"))
        return {"answered": True, "answer": text, "alert": alert}

    def tasks(self, chat_id: int) -> list[JsonDict]:
        """The person's tasks not cancelled, done ones included, the earliest due first."""
        employee = self.employee(chat_id)
        if employee is None:
            return []
        with self.svc.db() as session:
            today = self.calendar(session).local_day(self.clock())
            lines = task_lines(
                session=session,
                employee_ids=[cast(int, employee.id)],
                today=today,
                since=date.min,
            )
            return [task_view(line, self.policy) for line in lines]

    def file(self, file_id: str) -> StoredFile | None:
        """A picture or document the bot sent."""
        return self.fake.file(file_id)

    # ---- the clock ----

    def clock_view(self) -> JsonDict:
        """The simulated time, and what waits for later."""
        now = self.clock()
        with self.svc.db() as session:
            calendar = self.calendar(session)
            count, earliest = moves.held(session, now)
            upcoming = moves.next_event(session, calendar, self.policy, now)
        return {
            "now": now.astimezone(calendar.tz).isoformat(),
            "timezone": TIMEZONE,
            "working_day": calendar.is_working_day(calendar.local_day(now)),
            "next_event": upcoming.astimezone(calendar.tz).isoformat() if upcoming else None,
            "held": count,
            "held_until": earliest.astimezone(calendar.tz).isoformat() if earliest else None,
        }

    def target(self, action: str, to: str | None) -> datetime:
        """Where a move goes: "next" event, next working "day", or "jump" to `to`."""
        now = self.clock()
        with self.svc.db() as session:
            calendar = self.calendar(session)
            if action == "next":
                upcoming = moves.next_event(session, calendar, self.policy, now)
                if upcoming is None:
                    raise ClockError(
                        "nothing_due",
                        "nothing is left to come: no open work code, no digest to send, "
                        "no held message",
                    )
                return upcoming
        if action == "day":
            return moves.next_working_day(calendar, now)
        if action == "jump":
            return moves.parse_instant(to or "", calendar.tz, now)
        raise ClockError("bad_move", f"unknown move {action!r}: use next, day or jump with a date")

    async def move(self, action: str, to: str | None = None) -> JsonDict:
        """Move the clock, then do the sweep due at the new instant and deliver what is due."""
        async with self._moving:
            self.clock.advance_to(self.target(action, to))
            sweep = await asyncio.to_thread(
                run_sweep,
                db=self.svc.db,
                policy=self.policy,
                tz=self.svc.tz,
                now=self.clock(),
                default_locale=self.svc.default_locale,
            )
            deliverer: Deliverer = self.application.bot_data[DELIVERER]
            delivered = await deliverer.deliver_due()
        return {"clock": self.clock_view(), "sweep": asdict(sweep), "sent": delivered.sent}


# ---- lifecycle ----


def listen(port: int) -> list[socket.socket]:
    """The page's listening sockets on 127.0.0.1, or PortInUse saying why not."""
    try:
        return bind_sockets(port, "127.0.0.1", family=socket.AF_INET)
    except OSError as exc:
        raise PortInUse(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None


def settings_for(fake: FakeBotAPI, database_url: str) -> Settings:
    """The bot's settings: the emulator, the sandbox database, the default policy; no .env."""
    return Settings(
        _env_file=None,
        token=TOKEN,
        telegram_base_url=fake.base_url,
        database_url=database_url,
        policy=None,
        timezone=TIMEZONE,
        default_locale="vi",
        webhook_url=None,
    )


@asynccontextmanager
async def running(options: Options) -> AsyncIterator[Sandbox]:
    """Start everything on 127.0.0.1; stop it all on exit."""
    sockets = listen(options.port)
    engine = make_engine(f"sqlite:///{options.folder / 'sandbox.db'}")
    try:
        await asyncio.to_thread(upgrade, engine)
        db, policy = make_session_factory(engine), load_policy()
        with db() as session:
            calendar = load_calendar(
                session=session, tz=ZoneInfo(TIMEZONE), calendar_days=policy.calendar_days
            )
        start = options.start or moves.start_instant(calendar, policy, datetime.now(UTC))
        clock = SandboxClock(start)
        demo = not options.empty and options.roster is None
        seeded = await asyncio.to_thread(
            seed, db=db, policy=policy, calendar=calendar, now=start, rows=options.roster, demo=demo
        )
        with FakeBotAPI(TOKEN, clock=clock.timestamp, bot_username="kpi_sandbox_bot") as fake:
            settings = settings_for(fake, str(engine.url))
            svc = services_for(settings, db, policy, clock)
            async with _bot(settings, svc) as application:
                await application.bot_data[DELIVERER].deliver_due()  # what the seed's sweep queued
                port = sockets[0].getsockname()[1]
                sandbox = Sandbox(fake, application, svc, clock, port, seeded)
                server = HTTPServer(make_app(sandbox))
                server.add_sockets(sockets)
                try:
                    yield sandbox
                finally:
                    server.stop()
                    await server.close_all_connections()
    finally:
        for sock in sockets:
            sock.close()
        engine.dispose()


@asynccontextmanager
async def _bot(settings: Settings, svc: Services) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The real Application polling the emulator; sweeps happen when the clock moves."""
    # The emulator has no flood control; the page should not wait a second per message.
    application = build_application(settings, svc, sweep_every=None, budget=Budget.unlimited())
    async with application:
        if application.post_init is not None:
            await application.post_init(application)  # run_polling() would call it
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
        )
        try:
            yield application
        finally:
            await application.updater.stop()
            await application.stop()


@contextmanager
def background(options: Options) -> Iterator[Sandbox]:
    """Run the sandbox on an event loop in a thread of its own (tests, scripts)."""
    started: queue.Queue[Sandbox | BaseException] = queue.Queue()
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()

    async def main() -> None:
        try:
            async with running(options) as sandbox:
                started.put(sandbox)
                await stop.wait()
        except BaseException as exc:  # noqa: BLE001  (handed to the caller's thread)
            started.put(exc)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), name="sandbox")
    thread.start()
    result = started.get()
    try:
        if isinstance(result, BaseException):
            raise result
        yield result
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)
        loop.close()
