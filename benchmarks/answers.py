"""CPU time per answer: /myscore through the whole bot, beside a bare python-telegram-bot app.

Fills a fresh SQLite file with 1,000 linked employees (a director, 500 unit heads and their staff,
as in the engine benchmark) and `--codes` open work codes, none of them due, so the bot's sweep
has nothing to do. Then starts three processes, each against a fake Bot API of its own
(`sandbox.botapi.FakeBotAPI`, one token each):

- a bare python-telegram-bot Application with one CommandHandler for /myscore that answers a
  fixed text (`python -m benchmarks.answers --bare`);
- the same with python-telegram-bot's own rate limiter (`AIORateLimiter`, Telegram's limit of
  about 30 messages a second), as kpibot keeps to that limit with its send budget: a round's
  answers are then spread over seconds in both, not sent back to back by one of them;
- `kpibot run`, the whole bot.

It sends /myscore from the 1,000 linked employees to each, in rounds of `--batch` updates taken
in turn, so all see the same machine load. It reads each process's CPU time (user + system, from
/proc/PID/stat) before and after each round and prints the CPU per answer and the bot's ratio to
each bare app. Run from the repository root:

    python -m benchmarks.answers [--codes 3000] [--batch 100] [--profile FILE]

`--profile FILE` runs the bot under cProfile and writes its statistics to FILE when it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from benchmarks.memory import EMPLOYEES, SHIFTED_RUN, fill, free_port
from sandbox.botapi import FakeBotAPI

KPIBOT_TOKEN = "123456:KPIBOT"
BARE_TOKEN = "654321:BARE"
LIMITED_TOKEN = "654322:LIMITED"
TICKS = os.sysconf("SC_CLK_TCK")
AT = "2026-12-01T07:30:00+07:00"  # a working Tuesday, before the morning's digest
FIRST_TELEGRAM_ID = 1_000_001  # employee n has Telegram id 1,000,000 + n (benchmarks.engine)

# `kpibot run` under cProfile, in CPU seconds; the statistics are written when SIGTERM stops it.
PROFILED_RUN = """
import cProfile
import sys
import time
from datetime import UTC, datetime

import bot.cli.service

bot.cli.service.leave_unloaded()  # as `kpibot run` does, and benchmarks.memory's SHIFTED_RUN
import bot.app

out, at, sys.argv = sys.argv[1], sys.argv[2], ["kpibot", "run"]
offset = datetime.fromisoformat(at) - datetime.now(UTC)
bot.app.services_for.__defaults__ = (lambda: datetime.now(UTC) + offset,)
from bot.cli import main

profile = cProfile.Profile(time.process_time)  # CPU time: waiting for the network is free
try:
    profile.runcall(main)
except SystemExit:
    pass
finally:
    profile.dump_stats(out)
"""


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system, every thread), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime and stime: fields 14 and 15


def bare(limited: bool) -> None:
    """A bare python-telegram-bot app: /myscore answered by a fixed text; nothing else but, when
    `limited`, python-telegram-bot's own rate limiter."""
    from telegram import Update
    from telegram.ext import AIORateLimiter, Application, CommandHandler, ContextTypes

    async def myscore(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Điểm quý này: 100")

    builder = Application.builder().token(os.environ["TOKEN"]).base_url(os.environ["BASE_URL"])
    if limited:
        builder.rate_limiter(AIORateLimiter())  # sets it on the builder itself
    application = builder.build()
    application.add_handler(CommandHandler("myscore", myscore))
    application.run_polling(poll_interval=0.0, timeout=10)


class Bot:
    """One bot process, its fake Bot API and the chats it answered."""

    def __init__(self, name: str, fake: FakeBotAPI, process: subprocess.Popen[str]) -> None:
        self.name = name
        self.fake = fake
        self.process = process
        self.cpu = 0.0
        self.answers = 0

    async def answer(self, employees: Sequence[int]) -> None:
        """Send /myscore from these employees; wait for every answer; add up the CPU spent."""
        before = {n: len(self.fake.messages(FIRST_TELEGRAM_ID + n - 1)) for n in employees}
        start = cpu_seconds(self.process.pid)
        for n in employees:
            user = self.fake.user(FIRST_TELEGRAM_ID + n - 1, f"NV{n}", language_code="vi")
            self.fake.send_text(user, "/myscore")
        for n in employees:
            await self.fake.wait_for_messages(FIRST_TELEGRAM_ID + n - 1, before[n] + 1, 120)
        self.cpu += cpu_seconds(self.process.pid) - start
        self.answers += len(employees)

    @property
    def per_answer_ms(self) -> float:
        """CPU per answer so far, in milliseconds."""
        return 1000 * self.cpu / max(self.answers, 1)


def _start(command: list[str], env: dict[str, str], log: IO[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, env=env, stdout=log, stderr=log, text=True)


async def _ready(bot: Bot, log: IO[str]) -> None:
    """Wait until the bot answers a first /myscore (from an employee outside the rounds)."""
    deadline = time.monotonic() + 120
    user = bot.fake.user(FIRST_TELEGRAM_ID, "NV1", language_code="vi")
    bot.fake.send_text(user, "/myscore")
    while not bot.fake.messages(FIRST_TELEGRAM_ID):
        if bot.process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise SystemExit(f"{bot.name} did not start:\n{log.read()[-3000:]}")
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)  # the start-up sweep and the first deliveries settle


async def measure(url: str, batch: int, at: datetime, profile: str | None) -> None:
    """Both bots, the same updates in turn; print the CPU per answer."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KPIBOT_")}
    with (
        FakeBotAPI(token=KPIBOT_TOKEN) as kpibot_fake,
        FakeBotAPI(token=BARE_TOKEN) as bare_fake,
        FakeBotAPI(token=LIMITED_TOKEN) as limited_fake,
        tempfile.TemporaryFile("w+") as kpibot_log,
        tempfile.TemporaryFile("w+") as bare_log,
        tempfile.TemporaryFile("w+") as limited_log,
    ):
        env = clean | {
            "KPIBOT_DATABASE_URL": url,
            "KPIBOT_TOKEN": KPIBOT_TOKEN,
            "KPIBOT_TELEGRAM_BASE_URL": kpibot_fake.base_url,
            "KPIBOT_PORT": str(free_port()),
        }
        if profile:
            command = [sys.executable, "-c", PROFILED_RUN, profile, at.isoformat()]
        else:
            command = [sys.executable, "-c", SHIFTED_RUN, at.isoformat()]
        bots = [
            Bot(
                "bare python-telegram-bot",
                bare_fake,
                _start(
                    [sys.executable, "-m", "benchmarks.answers", "--bare"],
                    clean | {"TOKEN": BARE_TOKEN, "BASE_URL": bare_fake.base_url},
                    bare_log,
                ),
            ),
            Bot(
                "bare with PTB's rate limiter",
                limited_fake,
                _start(
                    [sys.executable, "-m", "benchmarks.answers", "--bare", "--limited"],
                    clean | {"TOKEN": LIMITED_TOKEN, "BASE_URL": limited_fake.base_url},
                    limited_log,
                ),
            ),
            Bot("kpibot", kpibot_fake, _start(command, env, kpibot_log)),
        ]
        try:
            for bot, log in zip(bots, (bare_log, limited_log, kpibot_log), strict=True):
                await _ready(bot, log)
            employees = list(range(2, EMPLOYEES + 1)) + [1]  # 1,000 answers, every employee
            for start in range(0, len(employees), batch):
                for bot in bots:
                    await bot.answer(employees[start : start + batch])
        finally:
            for bot in bots:
                bot.process.terminate()
            for bot in bots:
                bot.process.wait(timeout=30)
        *bare_bots, whole = bots
        for bot in bots:
            print(
                f"  {bot.name:<30} {bot.answers:,} answers, CPU {bot.cpu:6.2f} s"
                f" = {bot.per_answer_ms:5.2f} ms per answer"
            )
        for bare_bot in bare_bots:
            ratio = whole.per_answer_ms / bare_bot.per_answer_ms
            print(f"  ratio to the {bare_bot.name}: {ratio:.1f} times")


def main() -> None:
    """Measure on a fresh SQLite file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--codes", type=int, default=3_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--at", default=AT, help="the bot's clock at start (ISO-8601, with zone)")
    parser.add_argument("--profile", help="write the bot's cProfile statistics to this file")
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--limited", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        bare(args.limited)
        return
    print(f"$ {shlex.join(['python', '-m', 'benchmarks.answers', *sys.argv[1:]])}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, SQLite")
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory, 'answers.db')}"
        # Codes due in 30 days: the sweeps during the run find nothing to do.
        at = datetime.fromisoformat(args.at)
        fill(url, args.codes, at, due=at + timedelta(days=30))
        print(f"{EMPLOYEES:,} linked employees, {args.codes:,} open codes (none due)")
        print(f"kpibot run, its clock starting at {at.isoformat()}")
        asyncio.run(measure(url, args.batch, at, args.profile))


if __name__ == "__main__":
    main()
