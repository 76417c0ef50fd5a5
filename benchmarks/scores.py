"""Time /myscore and the full quarterly report on a large generated organisation.

Builds a database of employees (about 50 units, leaders with about 10 direct reports, the
default policy's positions), open and closed work codes, and deductions spread over the four
quarters 2026Q2-2027Q1 on criteria of each employee's position, a few in a thousand of them
cancelled by reversal rows. Then, for the quarter 2026Q4, it times:

1. /myscore: `score_card` of a random employee, plus `pending_for` when they lead anyone;
2. the full report: `score_table` streamed into `write_report`, to XLSX and to CSV.

It runs on a fresh SQLite file and on PostgreSQL when `--postgres URL` is given or
KPIBOT_DATABASE_URL names one (in a private schema that is dropped afterwards, so existing data
is never touched). Everything it creates is removed when it ends.

    python -m benchmarks.scores [--employees 50000] [--deductions 1000000] [--sqlite-only]
                                [--postgres postgresql://user@host/db]
"""

from __future__ import annotations

import argparse
import gc
import heapq
import os
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
from datetime import UTC, datetime, timedelta
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
from kpi.policy import Policy, load_policy
from kpi.report import write_report
from kpi.scoring import Quarter, ScoreRow, period_deductions, score_card, score_table
from kpi.workcodes import pending_for
from models import Deduction, DeductionSource, Employee, Position, Role, Unit, WorkCode
from models.db import make_engine, make_session_factory, normalize_url, upgrade

Row = tuple[object, ...]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
QUARTER = Quarter(2026, 4)  # the quarter scored
QUARTERS = (Quarter(2026, 2), Quarter(2026, 3), Quarter(2026, 4), Quarter(2027, 1))
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
    insert = target.insert()
    for chunk in chunks(rows, CHUNK):  # a transaction per chunk keeps the WAL file small
        with engine.begin() as connection:
            connection.execute(insert, [dict(zip(columns, row, strict=True)) for row in chunk])
        count += len(chunk)
    return count


def load(engine: Engine, org: Org, codes: list[Row], deductions: Deductions) -> None:
    """Create the schema with the migrations and fill it."""
    upgrade(engine)
    bulk_insert(engine, table(Unit), ("id", "name"), enumerate(org.units, start=1))
    bulk_insert(engine, table(Position), ("id", "code"), enumerate(org.positions, start=1))
    bulk_insert(engine, table(Employee), EMPLOYEE_COLUMNS, org.employees)
    bulk_insert(engine, table(WorkCode), WORK_CODE_COLUMNS, codes)
    bulk_insert(engine, table(Deduction), DEDUCTION_COLUMNS, deductions.rows())
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for name in ("unit", "position", "employee", "work_code", "deduction"):
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
    factory: sessionmaker[Session], policy: Policy, employee_ids: Sequence[int], leaders: set[int]
) -> list[tuple[int, float]]:
    """Milliseconds of score_card (+ pending_for for leaders) per employee, a session each."""
    timings: list[tuple[int, float]] = []
    for employee_id in employee_ids:
        with factory() as session:
            employee = session.get(Employee, employee_id)  # the handler has it from `identify`
            assert employee is not None
            start = time.perf_counter()
            score_card(session=session, employee=employee, quarter=QUARTER, policy=policy, tz=TZ)
            if employee_id in leaders:
                pending_for(session=session, approver_id=employee_id)
            timings.append((employee_id, (time.perf_counter() - start) * 1000))
    return timings


def summary(values: Sequence[float]) -> str:
    """Median, 95th percentile and maximum, in ms."""
    p95 = statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else 0
    return f"median {statistics.median(values):6.2f}  p95 {p95:6.2f}  max {max(values):7.2f} ms"


def report(
    factory: sessionmaker[Session], policy: Policy, path: Path, file_format: str
) -> tuple[float, int, Counter[str]]:
    """Seconds to stream the quarter's score_table into write_report; rows; classifications."""
    classes: Counter[str] = Counter()

    def counted(rows: Iterable[ScoreRow]) -> Iterator[ScoreRow]:
        for row in rows:
            classes[row.classification.code] += 1
            yield row

    with factory() as session:
        start = time.perf_counter()
        rows = score_table(session=session, quarter=QUARTER, policy=policy, tz=TZ)
        count = write_report(
            counted(rows),
            period_deductions(session=session, period=QUARTER, tz=TZ),
            policy=policy,
            path=path,
            file_format=file_format,
            locale="vi",
            tz=TZ,
            headings=headings("vi"),
        )
        return time.perf_counter() - start, count, classes


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def run(
    engine: Engine,
    directory: Path,
    policy: Policy,
    org: Org,
    codes: list[Row],
    deductions: Deductions,
    sqlite_file: Path | None = None,
) -> None:
    """Load the data into `engine`'s (empty) database, then time /myscore and the report."""
    start = time.perf_counter()
    load(engine, org, codes, deductions)
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
    timings = myscore(factory, policy, sample[WARM_UP:], leaders)
    every = [ms for _id, ms in timings]
    led = [ms for employee_id, ms in timings if employee_id in leaders]
    p95 = statistics.quantiles(every, n=20, method="inclusive")[-1] if len(every) > 1 else 0
    print(
        f"  {f'/myscore ({len(every)} calls)':<26} {summary(every)}"
        f"   target p95 < {MYSCORE_TARGET_MS:.0f} ms: {verdict(p95 < MYSCORE_TARGET_MS)}"
    )
    if led:
        print(f"  {f'  of which leaders ({len(led)})':<26} {summary(led)}")
    classes: Counter[str] = Counter()
    for file_format in ("xlsx", "csv"):
        path = directory / f"kpi-{QUARTER}.{file_format}"
        seconds, count, classes = report(factory, policy, path, file_format)
        print(
            f"  {f'report {file_format.upper()} ({count} rows)':<26} {seconds:8.1f} s"
            f"   ({path.stat().st_size / 1e6:.1f} MB)"
            f"   target < {REPORT_TARGET_S:.0f} s: {verdict(seconds < REPORT_TARGET_S)}"
        )
        path.unlink()
    shown = ", ".join(
        f"{code} {classes[code]}" for code in (c.code for c in policy.classifications)
    )
    print(f"  {'classes in ' + str(QUARTER):<26} {shown}")
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
    parser.add_argument("--postgres", metavar="URL", help="default: KPIBOT_DATABASE_URL")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    if args.employees < 2 or args.deductions < 1:
        parser.error("--employees must be at least 2 and --deductions at least 1")
    env = os.environ.get("KPIBOT_DATABASE_URL", "")
    env_url = env if not args.postgres and normalize_url(env).startswith("postgresql") else None
    postgres = None if args.sqlite_only else normalize_url(args.postgres or env_url or "") or None
    if postgres is not None and not postgres.startswith("postgresql"):
        parser.error(f"--postgres needs a postgresql:// URL, not {hidden(postgres)!r}")
    print(command_line(env_url if postgres else None))

    start = time.perf_counter()
    policy = load_policy()
    rng = random.Random(SEED)
    org = build_org(args.employees, policy, rng)
    codes = work_codes(org, rng)
    deductions = make_deductions(org, policy, args.deductions, rng)
    pending = sum(1 for row in codes if row[5] == "open")
    # The generated rows (over a million objects) are no part of a bot's heap: keep the
    # collector from walking them, or its full passes show up as 70-100 ms /myscore calls.
    gc.collect()
    gc.freeze()
    print(
        f"python {sys.version.split()[0]}, SQLAlchemy {sqlalchemy.__version__}; "
        f"{len(org.employees)} employees in {len(org.units)} units, {len(org.leaders)} leaders; "
        f"{len(codes)} work codes ({pending} open); {len(deductions.originals)} deductions "
        f"+ {len(deductions.reversals)} reversals over {QUARTERS[0]}-{QUARTERS[-1]}; "
        f"scored: {QUARTER}; generated in {time.perf_counter() - start:.1f} s"
    )
    with tempfile.TemporaryDirectory(prefix="kpibot-bench-") as name:
        directory = Path(name)
        sqlite_file = directory / "bench.db"
        print(f"SQLite {sqlite3.sqlite_version} (temp file, no ANALYZE: kpibot never runs it):")
        run(
            make_engine(f"sqlite:///{sqlite_file}"),
            directory,
            policy,
            org,
            codes,
            deductions,
            sqlite_file,
        )
        if postgres is not None:
            with postgres_schema(postgres, "scores") as engine:
                with engine.connect() as connection:
                    version = connection.execute(text("SHOW server_version")).scalar_one()
                where = f"{hidden(args.postgres or env)}, private schema, ANALYZE after load"
                print(f"PostgreSQL {version} ({where}):")
                run(engine, directory, policy, org, codes, deductions)


if __name__ == "__main__":
    main()
