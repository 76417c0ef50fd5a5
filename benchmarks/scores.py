"""Time /myscore and the full quarterly report on a large generated organisation.

Builds a database of employees (about 50 units, leaders with about 10 direct reports, the
default policy's positions), open and closed work codes, and deductions spread over the four
quarters 2026Q2-2027Q1 on criteria of each employee's position, a few in a thousand of them
cancelled by reversal rows. With the shipped policy (`task_scoring = "assigned_tasks"`) it adds
20 assigned tasks per employee with a leader in each quarter of `--task-quarters` (default: the
scored quarter), of the policy's task types, with the work codes that report them and their
events as kpi.tasks and kpi.workcodes write them (not their audit rows and messages, which no
score reads): most reported on time and approved, some
returned once (a quality error) or rejected and reported again, some reported late (a delay),
a few of those faults excused by the leader's superior, some still open, a few cancelled; and a
few forced ratings, some reversed. Then, for the quarter 2026Q4, it times:

1. /myscore as the bot answers it: `score_card` of a random employee, the card's text with a
   line explaining each computed criterion, and `pending_for` when they lead anyone; then every
   unit head and the director, whose unit results score their direct reports;
2. `kpibot report --period 2026Q4`: `score_table` (with the task columns and forced ratings)
   streamed into `write_report`, to XLSX and to CSV, and the 20% check of each agency.

It runs on a fresh SQLite file and on PostgreSQL when `--postgres URL` is given or
KPIBOT_DATABASE_URL names one (in a private schema that is dropped afterwards, so existing data
is never touched). Everything it creates is removed when it ends.

    python -m benchmarks.scores [--employees 50000] [--deductions 1000000] [--sqlite-only]
                                [--task-quarters 2026Q4] [--postgres postgresql://user@host/db]
"""

from __future__ import annotations

import argparse
import gc
import heapq
import os
import pickle
import random
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy
from sqlalchemy import Connection, Engine, Table, make_url, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from benchmarks.scratch import postgres_schema
from bot.cli.report import headings
from handlers.score_views import card
from kpi.bulk import mapped
from kpi.policy import Policy, TaskScoring, load_policy
from kpi.report import ExcellenceCheck, write_report
from kpi.scoring import Quarter, ScoreRow, period_deductions, score_card, score_table
from kpi.workcodes import pending_for
from locales.i18n import Translator
from models import (
    Deduction,
    DeductionSource,
    Employee,
    Excuse,
    ForcedRating,
    Position,
    Role,
    Task,
    Unit,
    WorkCode,
    WorkCodeEvent,
)
from models.db import make_engine, make_session_factory, normalize_url, upgrade
from notices.limits import paged_lines

Row = tuple[object, ...]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
QUARTER = Quarter(2026, 4)  # the quarter scored
QUARTERS = (Quarter(2026, 2), Quarter(2026, 3), Quarter(2026, 4), Quarter(2027, 1))
TASK_QUARTERS = (QUARTER,)  # add its neighbours with --task-quarters 2026Q3,2026Q4,2027Q1
NOW = datetime(2027, 4, 22, 2, 0, tzinfo=UTC)  # "today": after the last reversal
SEED = 20261128
WARM_UP = 10  # /myscore calls before the timed ones, not counted
CALLS = 500
TEAM = 10  # direct reports per leader
UNITS = 50  # including the directors' office
REVERSED_PER_MILLE = 3
MYSCORE_TARGET_MS = 20.0
REPORT_TARGET_S = 30.0
CHUNK = 20_000  # rows per executemany on SQLite

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLES = ["Văn", "Thị", "Minh", "Thanh", "Ngọc", "Đức", "Hữu", "Quốc", "Thu", "Hoài"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Linh", "Nam", "Phương", "Quỳnh"]
DEPARTMENTS = [
    "Văn phòng",
    "Phòng Tổ chức cán bộ",
    "Phòng Kế hoạch - Tài chính",
    "Phòng Pháp chế",
    "Thanh tra",
    "Phòng Hành chính - Quản trị",
    "Phòng Cải cách hành chính",
    "Phòng Chuyển đổi số",
    "Phòng Quản lý đầu tư",
    "Phòng Hợp tác quốc tế",
]
REASONS = [
    "Nộp báo cáo trễ hạn",
    "Vắng họp không lý do",
    "Vắng lớp bồi dưỡng không phép",
    "Hồ sơ sai sót, phải làm lại",
    "Chưa hoàn thành sản phẩm được giao",
    "Đi muộn, về sớm",
    "Văn bản đến chưa vào sổ đúng hạn",
]
TASKS = ["Dự thảo công văn", "Báo cáo tháng", "Tờ trình", "Kế hoạch kiểm tra", "Tổng hợp số liệu"]
ODD_POINTS = [Decimal(p) for p in ("0.50", "1.00", "1.50", "2.50", "3.00")]

EMPLOYEE_COLUMNS = (
    "id",
    "code",
    "full_name",
    "role",
    "language",
    "unit_id",
    "position_id",
    "leader_id",
    "telegram_id",
    "chosen_locale",
    "linked_at",
    "unreachable_since",
)
WORK_CODE_COLUMNS = (
    "id",
    "employee_id",
    "approver_id",
    "title",
    "description",
    "status",
    "cycle",
    "cycle_started_at",
    "deadline_at",
    "due_day",
    "created_at",
    "closed_at",
    "leader_chat_id",
    "leader_message_id",
    "next_event_at",
    "reminded_slots",
    "breached_cycle",
)
DEDUCTION_COLUMNS = (
    "id",
    "key",
    "employee_id",
    "criterion",
    "points",
    "reason",
    "occurred_at",
    "source",
    "author_id",
    "work_code_id",
    "reverses_id",
    "created_at",
)
WORK_CODE_STATUSES = ["open", "returned", "approved", "rejected", "withdrawn"]
WORK_CODE_WEIGHTS = [12, 4, 72, 6, 6]


# --- the organisation --------------------------------------------------------------------------


@dataclass(frozen=True)
class Org:
    """A generated organisation: units, positions, and employees (employee i has id i + 1)."""

    units: list[str]
    positions: list[str]  # position codes, in id order
    employees: list[Row]  # EMPLOYEE_COLUMNS
    position_of: list[str]  # each employee's position code
    leader_of: list[int | None]  # each employee's leader id
    admins: list[int]  # ids of the admins (HR)

    @property
    def leaders(self) -> set[int]:
        """Ids of the employees with at least one direct report."""
        return {leader for leader in self.leader_of if leader is not None}


def unit_names(count: int) -> list[str]:
    """The directors' office, then departments, then regional branches."""
    names = ["Ban Giám đốc", *DEPARTMENTS][:count]
    names += [f"Chi nhánh khu vực {n}" for n in range(1, count - len(names) + 1)]
    return names


def unit_sizes(people: int, units: int, rng: random.Random) -> list[int]:
    """Split `people` into `units` uneven sizes (0.5x to 1.5x the mean), each at least 1."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(units)]
    scale = (people - units) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    for i in range(people - sum(sizes)):
        sizes[i % units] += 1
    return sizes


def build_org(count: int, policy: Policy, rng: random.Random) -> Org:
    """A director over unit heads; in each unit a tree with `TEAM` direct reports per leader.

    Inside a unit of n people, member k > 0 reports to member (k - 1) // TEAM: the head
    (truong_phong), deputies (pho_truong_phong) and senior specialists leading teams, then
    specialists (chuyen_vien) with a few records clerks (van_thu).
    """
    units = unit_names(max(2, min(UNITS, (count - 1) // TEAM + 1)))
    positions = list(policy.positions)
    position_id = {code: i for i, code in enumerate(positions, start=1)}
    codes = list(range(1, count + 1))
    rng.shuffle(codes)  # code order is not id order, as after a real roster import
    placed: list[tuple[int, str, int | None]] = [(1, "giam_doc", None)]  # unit id, position, leader
    heads: list[int] = []
    for unit_id, size in enumerate(unit_sizes(count - 1, len(units) - 1, rng), start=2):
        base = len(placed) + 1  # id of the unit's head
        heads.append(base)
        for k in range(size):
            if k == 0:
                placed.append((unit_id, "truong_phong", 1))
                continue
            leads = TEAM * k + 1 < size
            if k <= 2:
                position = "pho_truong_phong"
            elif not leads and rng.random() < 0.04:
                position = "van_thu"
            else:
                position = "chuyen_vien"
            placed.append((unit_id, position, base + (k - 1) // TEAM))
    hr = heads[min(1, len(heads) - 1)]  # "Phòng Tổ chức cán bộ"
    admins = [1, *range(hr + 1, min(hr + 4, len(placed) + 1))]  # the director and HR staff
    employees: list[Row] = []
    linked = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    for index, (unit_id, position, leader) in enumerate(placed):
        employee_id = index + 1
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVEN)}"
        telegram = rng.random() < 0.9  # most have linked their Telegram account
        employees.append(
            (
                employee_id,
                f"NV{codes[index]:06d}",
                name,
                Role.ADMIN.value if employee_id in admins else Role.STAFF.value,
                "en" if rng.random() < 0.02 else "vi",
                unit_id,
                position_id[position],
                leader,
                5_000_000_000 + employee_id if telegram else None,
                None,
                linked + timedelta(minutes=employee_id) if telegram else None,
                None,
            )
        )
    return Org(
        units=units,
        positions=positions,
        employees=employees,
        position_of=[position for _unit, position, _leader in placed],
        leader_of=[leader for _unit, _position, leader in placed],
        admins=admins,
    )


def work_codes(org: Org, rng: random.Random) -> list[Row]:
    """About one work code per employee with a leader; one in six still waits for them."""
    rows: list[Row] = []
    span_start = QUARTERS[0].bounds(TZ)[0]
    span_days = (NOW - span_start).days
    for index, approver in enumerate(org.leader_of):
        if approver is None:
            continue
        for _ in range(rng.choices((0, 1, 2, 3), weights=(3, 4, 2, 1))[0]):
            status = rng.choices(WORK_CODE_STATUSES, weights=WORK_CODE_WEIGHTS)[0]
            if status in ("open", "returned"):
                created = NOW - timedelta(minutes=rng.randrange(10 * 24 * 60))
            else:
                created = span_start + timedelta(minutes=rng.randrange((span_days - 6) * 24 * 60))
            deadline = created + timedelta(days=7)
            pending = status in ("open", "returned")
            code_id = len(rows) + 1
            rows.append(
                (
                    code_id,
                    index + 1,
                    approver,
                    f"{rng.choice(TASKS)} số {code_id}",
                    "",
                    status,
                    2 if status == "returned" and rng.random() < 0.5 else 1,
                    created,
                    deadline,
                    deadline.astimezone(TZ).date(),
                    created,
                    None if pending else created + timedelta(hours=rng.randint(1, 120)),
                    None,
                    None,
                    created + timedelta(days=5) if pending else None,
                    0,
                    0,
                )
            )
    return rows


# --- deductions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deductions:
    """Generated deductions, oldest first, as DEDUCTION_COLUMNS rows (produced on demand)."""

    originals: list[tuple[datetime, int, str, Decimal, str, int | None]]
    reversals: list[tuple[datetime, int, int]]  # occurred_at, index into originals, author
    seed: int

    def __len__(self) -> int:
        return len(self.originals) + len(self.reversals)

    def rows(self) -> Iterator[Row]:
        """Originals and reversals merged by time, ids in that order (a reversal follows)."""
        rng = random.Random(self.seed)
        ids = [0] * len(self.originals)
        merged = heapq.merge(
            ((at, 0, i) for i, (at, *_rest) in enumerate(self.originals)),
            ((at, 1, i) for i, (at, _target, _author) in enumerate(self.reversals)),
        )
        breaches = 0
        for row_id, (at, kind, i) in enumerate(merged, start=1):
            if kind == 0:
                ids[i] = row_id
                _at, employee_id, criterion, points, source, author = self.originals[i]
                key = None
                reason = rng.choice(REASONS)
                created = at + timedelta(minutes=rng.randint(5, 3 * 24 * 60))
                if source == DeductionSource.DEADLINE_BREACH.value:
                    breaches += 1
                    key, reason, created = f"breach:{breaches}:1", "", at
                yield (
                    row_id,
                    key,
                    employee_id,
                    criterion,
                    points,
                    reason,
                    at,
                    source,
                    author,
                    None,
                    None,
                    created,
                )
            else:
                _at, target, author = self.reversals[i]
                _when, employee_id, criterion, points, source, _author = self.originals[target]
                yield (
                    row_id,
                    None,
                    employee_id,
                    criterion,
                    points,
                    "Hủy điểm trừ: đã xác minh có lý do chính đáng",
                    at,
                    source,
                    author,
                    None,
                    ids[target],
                    at,
                )


def make_deductions(org: Org, policy: Policy, count: int, rng: random.Random) -> Deductions:
    """`count` deductions on working days and hours, on the criteria of each one's position.

    How often someone is deducted varies (an exponential weight per employee); most take the
    criterion's default points, the rest other amounts. Breaches of the approval deadline come
    from the sweep (no author, a key); the others are manual or imported, by the leader.
    """
    start, end = QUARTERS[0].bounds(TZ)[0], QUARTERS[-1].bounds(TZ)[1]
    days = (end - start).days
    first_weekday = start.astimezone(TZ).weekday()
    criteria = {
        code: [(c.code, c.default_deduction) for c in policy.criteria_of(code)]
        for code in policy.positions
    }
    weights = [rng.expovariate(1.0) for _ in org.employees]
    chosen = rng.choices(range(len(org.employees)), weights=weights, k=count)
    breach = policy.breach_criterion
    originals: list[tuple[datetime, int, str, Decimal, str, int | None]] = []
    for index in chosen:
        day = rng.randrange(days)
        weekday = (first_weekday + day) % 7
        if weekday >= 5:
            day = max(0, day - (weekday - 4))  # to the Friday before
        at = start + timedelta(days=day, seconds=rng.randrange(27_000, 63_000))  # 07:30-17:30
        criterion, default = rng.choice(criteria[org.position_of[index]])
        points = default if rng.random() < 0.7 else rng.choice(ODD_POINTS)
        if criterion == breach:
            source, author = DeductionSource.DEADLINE_BREACH.value, None
        else:
            source = (
                DeductionSource.IMPORT if rng.random() < 0.15 else DeductionSource.MANUAL
            ).value
            author = org.leader_of[index] or org.admins[1 % len(org.admins)]
        originals.append((at, index + 1, criterion, points, source, author))
    originals.sort(key=lambda row: row[0])
    targets = rng.sample(range(count), count * REVERSED_PER_MILLE // 1000)
    reversals = sorted(
        (
            originals[t][0] + timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600)),
            t,
            rng.choice(org.admins),
        )
        for t in targets
    )
    return Deductions(originals, reversals, rng.randrange(2**32))


# --- assigned tasks ----------------------------------------------------------------------------


TASK_COLUMNS = (
    "id",
    "employee_id",
    "assigner_id",
    "title",
    "due_on",
    "type",
    "external_id",
    "created_at",
    "cancelled_at",
    "cancelled_by_id",
)
TASK_CODE_COLUMNS = (*WORK_CODE_COLUMNS, "task_id")
EVENT_COLUMNS = ("id", "work_code_id", "cycle", "at", "actor_id", "action", "text")
EXCUSE_COLUMNS = (
    "id",
    "key",
    "task_id",
    "kind",
    "work_code_id",
    "event_id",
    "author_id",
    "reason",
    "created_at",
)
FORCED_COLUMNS = (
    "id",
    "employee_id",
    "period",
    "ground",
    "reference",
    "author_id",
    "reverses_id",
    "created_at",
)
TASK_TABLES = ("task", "work_code", "work_code_event", "excuse")
TASKS_EACH = 20  # tasks per employee with a leader, per quarter generated
# The policy's task types (kpi/default_policy.toml) and how often each is assigned.
TASK_TYPE_WEIGHTS = {
    "van_ban": 40,
    "bao_cao": 20,
    "to_trinh": 14,
    "ke_hoach": 10,
    "van_ban_qppl": 5,
    "de_an": 4,
    "nhiem_vu_trong_tam": 7,
}
TASK_TITLES = {
    "van_ban": "Dự thảo công văn trả lời",
    "bao_cao": "Báo cáo kết quả thực hiện",
    "to_trinh": "Tờ trình phê duyệt",
    "ke_hoach": "Kế hoạch kiểm tra",
    "van_ban_qppl": "Dự thảo quyết định quy định",
    "de_an": "Đề án chuyển đổi số",
    "nhiem_vu_trong_tam": "Nhiệm vụ trọng tâm",
}
# What became of a task, per hundred: reported on time and approved; returned once (an opinion,
# a quality error) then approved; rejected then reported again; reported late (a delay); a late
# report or a return excused by the leader's superior; still open (no report yet, or returned and
# not yet sent back); cancelled by the assigner.
OUTCOMES = {
    "on_time": 74,
    "returned": 8,
    "rejected": 1,
    "late": 8,
    "late_excused": 1.5,
    "returned_excused": 0.5,
    "returned_waiting": 1,
    "not_reported": 5,
    "cancelled": 1,
}
FORCED_PER_TEN_THOUSAND = 4  # forced ratings in the scored quarter; one in four reversed


def working_days(quarter: Quarter) -> list[date]:
    """Monday to Friday of the quarter (public holidays not left out)."""
    day, days = quarter.first_day, []
    while day <= quarter.last_day:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def local(day: date, seconds: int) -> datetime:
    """`seconds` after local midnight of `day`, as an aware UTC instant."""
    return (datetime.combine(day, datetime.min.time(), TZ) + timedelta(seconds=seconds)).astimezone(
        UTC
    )


@dataclass(frozen=True)
class TaskCounts:
    """How many rows of each table the tasks make, and their outcomes."""

    tasks: int
    codes: int
    events: int
    excuses: int
    outcomes: Counter[str]


@dataclass(frozen=True)
class Tasks:
    """`TASKS_EACH` tasks a quarter for everyone with a leader, and what the bot wrote of them.

    `write` makes the rows once, in one pass, into files of pickled chunks in `directory`, one
    per table (tasks, their work codes, the codes' events, the excuses); `rows` reads a table
    back. So the millions of rows never sit in memory together.
    """

    org: Org
    quarters: tuple[Quarter, ...]
    first_code_id: int  # after the work codes that report no task
    seed: int
    directory: Path

    def write(self) -> TaskCounts:
        """Make every row, file them by table; how many of each, and the outcomes drawn."""
        outcomes: Counter[str] = Counter()
        counts: Counter[str] = Counter()
        buffers: dict[str, list[Row]] = {name: [] for name in TASK_TABLES}
        files = {name: (self.directory / f"{name}.pickle").open("wb") for name in TASK_TABLES}
        try:
            for name, row in self._generate(outcomes):
                buffer = buffers[name]
                buffer.append(row)
                if len(buffer) == CHUNK:
                    pickle.dump(buffer, files[name], pickle.HIGHEST_PROTOCOL)
                    buffer.clear()
                counts[name] += 1
            for name, buffer in buffers.items():
                pickle.dump(buffer, files[name], pickle.HIGHEST_PROTOCOL)
        finally:
            for file in files.values():
                file.close()
        return TaskCounts(
            counts["task"],
            counts["work_code"],
            counts["work_code_event"],
            counts["excuse"],
            outcomes,
        )

    def rows(self, table_name: str) -> Iterator[Row]:
        """The rows of one table ("task", "work_code", "work_code_event", "excuse"), by id."""
        with (self.directory / f"{table_name}.pickle").open("rb") as file:
            while True:
                try:
                    chunk: list[Row] = pickle.load(file)  # noqa: S301  (our own file)
                except EOFError:
                    return
                yield from chunk

    def _generate(self, outcomes: Counter[str]) -> Iterator[tuple[str, Row]]:
        """Every row, in id order within each table, as the bot's services write them:

        the task (assigned in Telegram by the leader, or imported by HR with an external id),
        each work code reporting it with its events (open, opinion, resubmit, approve, reject),
        and the excuse of a fault, written by the superior of the assignee's leader.
        """
        rng = random.Random(self.seed)
        org = self.org
        types = list(TASK_TYPE_WEIGHTS)
        type_weights = list(TASK_TYPE_WEIGHTS.values())
        kinds = list(OUTCOMES)
        kind_weights = list(OUTCOMES.values())
        ids = {"task": 0, "work_code": self.first_code_id - 1, "work_code_event": 0, "excuse": 0}

        def next_id(name: str) -> int:
            ids[name] += 1
            return ids[name]

        for quarter in self.quarters:
            days = working_days(quarter)
            for index, leader in enumerate(org.leader_of):
                if leader is None:
                    continue  # the director: nobody assigns them tasks
                employee_id = index + 1
                superior = org.leader_of[leader - 1] or org.admins[0]
                for _ in range(TASKS_EACH):
                    task_type = rng.choices(types, type_weights)[0]
                    kind = rng.choices(kinds, kind_weights)[0]
                    outcomes[kind] += 1
                    due = rng.choice(days)
                    assigned = local(due - timedelta(days=rng.randint(5, 30)), 28_800)
                    assigned += timedelta(seconds=rng.randrange(10_800))
                    task_id = next_id("task")
                    imported = rng.random() < 0.15
                    cancelled = assigned + timedelta(days=2) if kind == "cancelled" else None
                    yield (
                        "task",
                        (
                            task_id,
                            employee_id,
                            None if imported else leader,
                            f"{TASK_TITLES[task_type]} số {task_id}",
                            due,
                            task_type,
                            f"QLVB-{task_id}" if imported else None,
                            assigned,
                            cancelled,
                            (org.admins[0] if imported else leader) if cancelled else None,
                        ),
                    )
                    if kind in ("cancelled", "not_reported"):
                        continue
                    late = kind in ("late", "late_excused")
                    if late:
                        day = due + timedelta(days=rng.randint(1, 15))
                        while day.weekday() >= 5:
                            day += timedelta(days=1)
                    else:
                        day = due - timedelta(days=rng.randint(0, 4))
                    opened = max(assigned + timedelta(hours=1), local(day, 28_800))
                    opened += timedelta(seconds=rng.randrange(30_000))
                    if opened.astimezone(TZ).date() > due and not late:
                        opened = local(due, 61_200)  # assigned late on its due day: by 17:00
                    title = f"Báo cáo hoàn thành: {TASK_TITLES[task_type]} số {task_id}"
                    if kind == "rejected":
                        rejected = opened + timedelta(hours=rng.randint(2, 48))
                        code_id = next_id("work_code")
                        yield from self._code(
                            code_id,
                            employee_id,
                            leader,
                            title,
                            task_id,
                            opened,
                            "rejected",
                            1,
                            rejected,
                        )
                        yield (
                            "work_code_event",
                            (
                                next_id("work_code_event"),
                                code_id,
                                1,
                                opened,
                                employee_id,
                                "open",
                                "",
                            ),
                        )
                        yield (
                            "work_code_event",
                            (
                                next_id("work_code_event"),
                                code_id,
                                1,
                                rejected,
                                leader,
                                "reject",
                                "Sản phẩm không đạt yêu cầu, đề nghị làm lại",
                            ),
                        )
                        opened = rejected + timedelta(hours=rng.randint(4, 72))
                    code_id = next_id("work_code")
                    returned = kind in ("returned", "returned_excused", "returned_waiting")
                    answered = opened + timedelta(hours=rng.randint(1, 72))
                    if kind == "returned_waiting":
                        yield from self._code(
                            code_id,
                            employee_id,
                            leader,
                            title,
                            task_id,
                            opened,
                            "returned",
                            1,
                            None,
                        )
                    elif returned:
                        resent = answered + timedelta(hours=rng.randint(4, 72))
                        approved = resent + timedelta(hours=rng.randint(1, 48))
                        yield from self._code(
                            code_id,
                            employee_id,
                            leader,
                            title,
                            task_id,
                            opened,
                            "approved",
                            2,
                            approved,
                            cycle_start=resent,
                        )
                    else:
                        yield from self._code(
                            code_id,
                            employee_id,
                            leader,
                            title,
                            task_id,
                            opened,
                            "approved",
                            1,
                            answered,
                        )
                    yield (
                        "work_code_event",
                        (next_id("work_code_event"), code_id, 1, opened, employee_id, "open", ""),
                    )
                    if returned:
                        opinion_id = next_id("work_code_event")
                        yield (
                            "work_code_event",
                            (
                                opinion_id,
                                code_id,
                                1,
                                answered,
                                leader,
                                "opinion",
                                "Đề nghị bổ sung số liệu và chỉnh sửa thể thức văn bản",
                            ),
                        )
                        if kind == "returned_waiting":
                            continue
                        yield (
                            "work_code_event",
                            (
                                next_id("work_code_event"),
                                code_id,
                                2,
                                resent,
                                employee_id,
                                "resubmit",
                                "",
                            ),
                        )
                        yield (
                            "work_code_event",
                            (
                                next_id("work_code_event"),
                                code_id,
                                2,
                                approved,
                                leader,
                                "approve",
                                "",
                            ),
                        )
                    else:
                        yield (
                            "work_code_event",
                            (
                                next_id("work_code_event"),
                                code_id,
                                1,
                                answered,
                                leader,
                                "approve",
                                "",
                            ),
                        )
                    if kind in ("late_excused", "returned_excused"):
                        fault, ref, event = (
                            ("delay", code_id, None)
                            if kind == "late_excused"
                            else ("error", opinion_id, opinion_id)
                        )
                        yield (
                            "excuse",
                            (
                                next_id("excuse"),
                                f"{fault}:{ref}",
                                task_id,
                                fault,
                                code_id,
                                event,
                                superior,
                                "Nguyên nhân khách quan: chờ ý kiến của cơ quan phối hợp",
                                answered + timedelta(days=2),
                            ),
                        )

    @staticmethod
    def _code(
        code_id: int,
        employee_id: int,
        approver_id: int,
        title: str,
        task_id: int,
        opened: datetime,
        status: str,
        cycle: int,
        closed: datetime | None,
        cycle_start: datetime | None = None,
    ) -> Iterator[tuple[str, Row]]:
        """A work code reporting the task, as it stands after its last event."""
        start = cycle_start or opened
        due_day = start.astimezone(TZ).date() + timedelta(days=7)  # about 5 working days
        deadline = local(due_day + timedelta(days=1), 0)
        final = status in ("approved", "rejected")
        yield (
            "work_code",
            (
                code_id,
                employee_id,
                approver_id,
                title,
                "",
                status,
                cycle,
                start,
                deadline,
                due_day,
                opened,
                closed if final else None,
                None,
                None,
                None,  # answered: the sweep no longer looks at it
                0,
                0,
                task_id,
            ),
        )


def forced_ratings(org: Org, rng: random.Random) -> list[Row]:
    """A few forced ratings for the scored quarter, one in four of them reversed later."""
    rows: list[Row] = []
    chosen = rng.sample(
        range(2, len(org.employees) + 1), len(org.employees) * FORCED_PER_TEN_THOUSAND // 10_000
    )
    at = QUARTER.bounds(TZ)[1] + timedelta(days=20)
    for employee_id in chosen:
        rows.append(
            (
                len(rows) + 1,
                employee_id,
                str(QUARTER),
                "Bị xử lý kỷ luật khiển trách trong kỳ đánh giá",
                f"Quyết định số {len(rows) + 1}/QĐ-KL",
                org.admins[0],
                None,
                at,
            )
        )
    for target in list(rows[::4]):
        rows.append(
            (
                len(rows) + 1,
                target[1],
                target[2],
                "Quyết định kỷ luật đã được hủy bỏ",
                target[4],
                org.admins[0],
                target[0],
                at + timedelta(days=10),
            )
        )
    return rows


# --- loading -----------------------------------------------------------------------------------


def table(model: type[Any]) -> Table:
    """The Core table of a SQLModel class."""
    return cast(Table, model.__table__)


def chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """`rows` in lists of at most `size`."""
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def bulk_insert(engine: Engine, target: Table, columns: Sequence[str], rows: Iterable[Row]) -> int:
    """Insert `rows` (tuples in `columns` order): COPY on PostgreSQL, executemany on SQLite."""
    count = 0
    if engine.dialect.name == "postgresql":
        statement = f"COPY {target.name} ({', '.join(columns)}) FROM STDIN"
        with engine.begin() as connection:
            raw = cast(psycopg.Connection[Any], connection.connection.driver_connection)
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count
    # The columns' own bind processors (UTCDateTime, Date, Numeric) turn each value into what
    # SQLAlchemy would store; the driver's executemany then takes plain tuples.
    dialect = engine.dialect
    processors = [
        target.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    quoted = [f'"{name}"' for name in columns]
    statement = (
        f"INSERT INTO {target.name} ({', '.join(quoted)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    for chunk in chunks(rows, CHUNK):  # a transaction per chunk keeps the WAL file small
        processed = [
            tuple(
                value if process is None or value is None else process(value)
                for process, value in zip(processors, row, strict=True)
            )
            for row in chunk
        ]
        with engine.begin() as connection:
            connection.exec_driver_sql(statement, processed)
        count += len(chunk)
    return count


def load(engine: Engine, data: Data) -> None:
    """Create the schema with the migrations and fill it."""
    org, tasks = data.org, data.tasks
    upgrade(engine)
    bulk_insert(engine, table(Unit), ("id", "name"), enumerate(org.units, start=1))
    bulk_insert(engine, table(Position), ("id", "code"), enumerate(org.positions, start=1))
    bulk_insert(engine, table(Employee), EMPLOYEE_COLUMNS, org.employees)
    bulk_insert(engine, table(Task), TASK_COLUMNS, tasks.rows("task"))
    bulk_insert(engine, table(WorkCode), WORK_CODE_COLUMNS, data.codes)
    bulk_insert(engine, table(WorkCode), TASK_CODE_COLUMNS, tasks.rows("work_code"))
    bulk_insert(engine, table(WorkCodeEvent), EVENT_COLUMNS, tasks.rows("work_code_event"))
    bulk_insert(engine, table(Excuse), EXCUSE_COLUMNS, tasks.rows("excuse"))
    bulk_insert(engine, table(ForcedRating), FORCED_COLUMNS, data.forced)
    bulk_insert(engine, table(Deduction), DEDUCTION_COLUMNS, data.deductions.rows())
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for name in (
                "unit",
                "position",
                "employee",
                "task",
                "work_code",
                "work_code_event",
                "excuse",
                "forced_rating",
                "deduction",
            ):
                sequence = f"pg_get_serial_sequence('{name}', 'id')"
                connection.execute(text(f"SELECT setval({sequence}, max(id)) FROM {name}"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))  # what autovacuum does soon after a bulk load


def database_size(connection: Connection, sqlite_file: Path | None) -> float:
    """Megabytes taken by the data and indexes."""
    if sqlite_file is not None:
        files = [sqlite_file, sqlite_file.with_name(sqlite_file.name + "-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / 1e6
    size = connection.execute(
        text(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
        )
    ).scalar_one()
    return float(size) / 1e6


# --- measurements ------------------------------------------------------------------------------


def myscore(
    factory: sessionmaker[Session],
    policy: Policy,
    employee_ids: Sequence[int],
    leaders: set[int],
    cpu: list[float] | None = None,
) -> list[tuple[int, float]]:
    """Milliseconds of /myscore's answer per employee, a session each, as the bot makes it:
    `score_card`, its text with a line explaining each computed criterion, split into
    messages, and for leaders their pending codes. `cpu` gets each call's CPU time, in ms."""
    timings: list[tuple[int, float]] = []
    tr = Translator("vi", TZ)
    for employee_id in employee_ids:
        with factory() as session:
            employee = session.get(Employee, employee_id)  # the handler has it from `identify`
            assert employee is not None
            start, used = time.perf_counter(), time.process_time()
            score = score_card(
                session=session, employee=employee, quarter=QUARTER, policy=policy, tz=TZ
            )
            lines = card(tr, score, employee, policy)
            if employee_id in leaders:
                pending_for(session=session, approver_id=employee_id)
            paged_lines(tr, lines[0], lines[1:])
            timings.append((employee_id, (time.perf_counter() - start) * 1000))
            if cpu is not None:
                cpu.append((time.process_time() - used) * 1000)
    return timings


def summary(values: Sequence[float]) -> str:
    """Median, 95th percentile and maximum, in ms."""
    p95 = statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else 0
    return f"median {statistics.median(values):6.2f}  p95 {p95:6.2f}  max {max(values):7.2f} ms"


@dataclass(frozen=True)
class Report:
    """What a timed report wrote."""

    seconds: float
    cpu: float  # seconds of this process's CPU time
    rows: int
    classes: Counter[str]
    forced: int  # rows with a forced rating
    agencies: int  # agencies checked by the 20% rule
    exceeded: int  # of which over it


def report(factory: sessionmaker[Session], policy: Policy, path: Path, file_format: str) -> Report:
    """Time `kpibot report --period` for the quarter: score_table streamed into write_report
    (with the task columns and forced ratings), then the 20% check of each agency."""
    classes: Counter[str] = Counter()
    forced = 0

    def counted(rows: Iterable[ScoreRow]) -> Iterator[ScoreRow]:
        nonlocal forced
        for row in rows:
            classes[row.classification.code] += 1
            forced += row.forced is not None
            yield row

    check = ExcellenceCheck(policy)
    with factory() as session:
        start, used = time.perf_counter(), time.process_time()
        mapped(session)  # as the command does
        rows = score_table(session=session, quarter=QUARTER, policy=policy, tz=TZ, ahead=True)
        deductions = period_deductions(session=session, period=QUARTER, tz=TZ)
        count = write_report(
            check.watch(counted(rows)),
            deductions,
            policy=policy,
            path=path,
            file_format=file_format,
            locale="vi",
            tz=TZ,
            headings=headings("vi"),
        )
        agencies = check.agencies()
        for agency in agencies:
            agency.candidates()  # listed when the rule is exceeded
        seconds, cpu = time.perf_counter() - start, time.process_time() - used
    exceeded = sum(1 for agency in agencies if agency.exceeded)
    return Report(seconds, cpu, count, classes, forced, len(agencies), exceeded)


def load_average() -> str:
    """The machine's load average over the last minute, against its CPUs."""
    return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


@dataclass(frozen=True)
class Data:
    """Everything generated, loaded into each database in turn."""

    org: Org
    codes: list[Row]  # work codes that report no task
    tasks: Tasks
    forced: list[Row]
    deductions: Deductions


def run(
    engine: Engine,
    directory: Path,
    policy: Policy,
    data: Data,
    sqlite_file: Path | None = None,
) -> None:
    """Load the data into `engine`'s (empty) database, then time /myscore and the report."""
    org = data.org
    start = time.perf_counter()
    load(engine, data)
    with engine.connect() as connection:
        size = database_size(connection, sqlite_file)
    print(
        f"  {'build (migrate + load)':<26} {time.perf_counter() - start:8.1f} s   ({size:.0f} MB)"
    )
    factory = make_session_factory(engine)
    leaders = org.leaders
    rng = random.Random(SEED + 1)
    sample = rng.sample(range(1, len(org.employees) + 1), min(WARM_UP + CALLS, len(org.employees)))
    myscore(factory, policy, sample[:WARM_UP], leaders)
    cpu: list[float] = []
    timings = myscore(factory, policy, sample[WARM_UP:], leaders, cpu)
    every = [ms for _id, ms in timings]
    led = [ms for employee_id, ms in timings if employee_id in leaders]
    p95 = statistics.quantiles(every, n=20, method="inclusive")[-1] if len(every) > 1 else 0
    print(
        f"  {f'/myscore ({len(every)} calls)':<26} {summary(every)}"
        f"   target p95 < {MYSCORE_TARGET_MS:.0f} ms: {verdict(p95 < MYSCORE_TARGET_MS)}"
    )
    print(f"  {'  their CPU time':<26} {summary(cpu)}   (load average {load_average()})")
    if led:
        print(f"  {f'  of which leaders ({len(led)})':<26} {summary(led)}")
    # Unit results score every direct report: the heads' and the director's cards cost most.
    heads = [i + 1 for i, code in enumerate(org.position_of) if code == "truong_phong"]
    timed = myscore(factory, policy, heads, leaders)
    print(f"  {f'  unit heads, all ({len(timed)})':<26} {summary([ms for _i, ms in timed])}")
    director = myscore(factory, policy, [1], leaders)[0][1]
    print(f"  {'  the director (1)':<26} {director:8.2f} ms (scores the {len(heads)} heads' units)")
    last: Report | None = None
    for file_format in ("xlsx", "csv"):
        path = directory / f"kpi-{QUARTER}.{file_format}"
        last = report(factory, policy, path, file_format)
        print(
            f"  {f'report {file_format.upper()} ({last.rows} rows)':<26} {last.seconds:8.1f} s"
            f"   ({path.stat().st_size / 1e6:.1f} MB)"
            f"   target < {REPORT_TARGET_S:.0f} s: {verdict(last.seconds < REPORT_TARGET_S)}"
            f"   (CPU {last.cpu:.1f} s, load average {load_average()})"
        )
        path.unlink()
    assert last is not None
    shown = ", ".join(
        f"{code} {last.classes[code]}" for code in (c.code for c in policy.classifications)
    )
    print(f"  {'classes in ' + str(QUARTER):<26} {shown}")
    print(
        f"  {'forced ratings, 20% rule':<26} {last.forced} rows forced; "
        f"{last.agencies} agencies checked, {last.exceeded} over 20%"
    )
    engine.dispose()


def hidden(url: str) -> str:
    """`url` with its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def command_line(env_url: str | None) -> str:
    """The command as typed, passwords masked; the environment variable when it is used."""
    argv = list(sys.argv)
    for i, item in enumerate(argv):
        if item.startswith("--postgres="):
            argv[i] = "--postgres=" + hidden(item.removeprefix("--postgres="))
        elif item == "--postgres" and i + 1 < len(argv):
            argv[i + 1] = hidden(argv[i + 1])
    prefix = f"KPIBOT_DATABASE_URL={shlex.quote(hidden(env_url))} " if env_url else ""
    return f"$ {prefix}{shlex.join(['python', *argv])}"


def main() -> None:
    """Generate the data, then time /myscore and the report on SQLite and, if asked, PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--employees", type=int, default=50_000)
    parser.add_argument("--deductions", type=int, default=1_000_000)
    parser.add_argument(
        "--task-quarters",
        default=",".join(str(q) for q in TASK_QUARTERS),
        help=f"quarters with {TASKS_EACH} tasks per employee, comma-separated; default %(default)s",
    )
    parser.add_argument("--postgres", metavar="URL", help="default: KPIBOT_DATABASE_URL")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    if args.employees < 2 or args.deductions < 1:
        parser.error("--employees must be at least 2 and --deductions at least 1")
    try:
        task_quarters = tuple(
            Quarter.parse(item.strip()) for item in args.task_quarters.split(",") if item.strip()
        )
    except ValueError:
        parser.error(f"--task-quarters: write quarters like 2026Q4, not {args.task_quarters!r}")
    env = os.environ.get("KPIBOT_DATABASE_URL", "")
    env_url = env if not args.postgres and normalize_url(env).startswith("postgresql") else None
    postgres = None if args.sqlite_only else normalize_url(args.postgres or env_url or "") or None
    if postgres is not None and not postgres.startswith("postgresql"):
        parser.error(f"--postgres needs a postgresql:// URL, not {hidden(postgres)!r}")
    print(command_line(env_url if postgres else None))

    start = time.perf_counter()
    policy = load_policy()
    if policy.task_scoring is not TaskScoring.ASSIGNED_TASKS:
        sys.exit("the shipped policy should score assigned tasks")
    rng = random.Random(SEED)
    org = build_org(args.employees, policy, rng)
    codes = work_codes(org, rng)
    deductions = make_deductions(org, policy, args.deductions, rng)
    forced = forced_ratings(org, rng)
    workspace = tempfile.TemporaryDirectory(prefix="kpibot-bench-")
    directory = Path(workspace.name)
    tasks = Tasks(org, task_quarters, len(codes) + 1, rng.randrange(2**32), directory)
    counts = tasks.write()
    data = Data(org, codes, tasks, forced, deductions)
    pending = sum(1 for row in codes if row[5] == "open")
    # The generated rows (over a million objects) are no part of a bot's heap: keep the
    # collector from walking them, or its full passes show up as 70-100 ms /myscore calls.
    gc.collect()
    gc.freeze()
    outcomes = ", ".join(f"{kind} {counts.outcomes[kind]}" for kind in OUTCOMES)
    reversed_forced = sum(1 for row in forced if row[6] is not None)
    print(
        f"python {sys.version.split()[0]}, SQLAlchemy {sqlalchemy.__version__}; "
        f"{len(org.employees)} employees in {len(org.units)} units, {len(org.leaders)} leaders; "
        f"{len(codes)} work codes without a task ({pending} open); "
        f"{len(deductions.originals)} deductions "
        f"+ {len(deductions.reversals)} reversals over {QUARTERS[0]}-{QUARTERS[-1]};\n"
        f"{counts.tasks} tasks ({TASKS_EACH} per employee with a leader in each of "
        f"{', '.join(str(q) for q in task_quarters)}; {outcomes}), reported by "
        f"{counts.codes} work codes with {counts.events} events, {counts.excuses} excuses; "
        f"{len(forced) - reversed_forced} forced ratings ({reversed_forced} reversed); "
        f"scored: {QUARTER}; generated in {time.perf_counter() - start:.1f} s"
    )
    with workspace:
        sqlite_file = directory / "bench.db"
        print(f"SQLite {sqlite3.sqlite_version} (temp file, no ANALYZE: kpibot never runs it):")
        run(make_engine(f"sqlite:///{sqlite_file}"), directory, policy, data, sqlite_file)
        if postgres is not None:
            with postgres_schema(postgres, "scores") as engine:
                with engine.connect() as connection:
                    version = connection.execute(text("SHOW server_version")).scalar_one()
                where = f"{hidden(args.postgres or env)}, private schema, ANALYZE after load"
                print(f"PostgreSQL {version} ({where}):")
                run(engine, directory, policy, data)


if __name__ == "__main__":
    main()
