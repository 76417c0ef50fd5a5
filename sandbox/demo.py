"""The sandbox's people: a seeded demo organisation, or a real roster, every account linked.

Everything goes through the product's own code: the roster import, invites redeemed for each
employee's emulated Telegram account, work codes opened at past instants, tasks assigned and
reported by work codes (returned, approved, one late and excused), deductions logged by leaders
and HR, and one sweep at the start instant for the reminders, breaches and digests due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import cast

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from kpi.calendar import WorkCalendar
from kpi.deductions import deduct
from kpi.linking import create_invites, redeem_invite
from kpi.org import leader_of
from kpi.policy import Policy
from kpi.roster_import import RosterRow, import_roster
from kpi.scoring import Quarter
from kpi.tables import RowError
from kpi.tasks import TaskOutcome, assign, excuse, fault_key
from kpi.workcodes import (
    WorkCodeOutcome,
    WorkCodeResult,
    approve,
    give_opinion,
    open_work_code,
    resubmit,
)
from models import Employee, FaultKind, Task, WorkCode
from scheduler.sweep import SweepReport, run_sweep

TELEGRAM_ID_BASE = 100_000  # an employee's emulated Telegram account is 100000 + their id
UNIT = "Sở Nội vụ tỉnh Hòa Bình"

# code, full name, position, leader, role, language
PEOPLE: tuple[tuple[str, str, str, str | None, str, str], ...] = (
    ("GD01", "Nguyễn Văn Minh", "giam_doc", None, "staff", "vi"),
    ("TP01", "Trần Thị Lan", "truong_phong", "GD01", "staff", "vi"),
    ("TP02", "Lê Hoàng Nam", "truong_phong", "GD01", "staff", "vi"),
    ("CV01", "Phạm Minh Tuấn", "chuyen_vien", "TP01", "staff", "vi"),
    ("CV02", "Hoàng Thị Mai", "chuyen_vien", "TP01", "staff", "vi"),
    ("CV03", "Vũ Đức Anh", "chuyen_vien", "TP01", "staff", "vi"),
    ("CV04", "Đặng Thu Hà", "chuyen_vien", "TP02", "staff", "vi"),
    ("CV05", "Bùi Quốc Huy", "chuyen_vien", "TP02", "staff", "vi"),
    ("CV06", "Ngô Thanh Hương", "chuyen_vien", "TP02", "staff", "en"),
    ("TC01", "Đỗ Thị Hạnh", "chuyen_vien", "GD01", "admin", "vi"),
)

# author, title, working days before today it was opened, local time it was opened
CODES: tuple[tuple[str, str, int, time], ...] = (
    ("CV04", "Tờ trình mua sắm thiết bị tin học năm 2027", 7, time(14, 0)),  # overdue
    ("CV03", "Báo cáo tổng kết công tác quý IV", 5, time(10, 0)),  # due today
    ("TP02", "Kế hoạch bồi dưỡng, tập huấn cán bộ năm 2027", 3, time(9, 30)),  # due in 2 days
    ("CV05", "Hồ sơ đề nghị khen thưởng cuối năm", 2, time(15, 0)),
    ("CV02", "Dự thảo kế hoạch cải cách hành chính năm 2027", 0, time(7, 30)),  # fresh
)


class Story(StrEnum):
    """What became of a demo task."""

    ON_TIME = "on_time"  # reported before its due date and approved
    RETURNED = "returned"  # reported on time, returned once with an opinion, then approved
    LATE_EXCUSED = "late_excused"  # reported after its due date, approved, the delay excused
    OPEN = "open"  # not reported yet


# employee, title, task type, working days ago it was assigned, due (working days from today,
# negative: ago), story. Each is assigned by the employee's leader. CV01's make every kind of
# line of /myscore: quantity short of full for the open task, quality −25% of the returned
# one's share, progress with an excused delay. The others' are done, so that every report of a
# leader stays rated Hoàn thành nhiệm vụ or better (a lone open task due in the quarter would
# leave its holder with no task points, and their leader's unit results at 50%).
TASKS: tuple[tuple[str, str, str, int, int, Story], ...] = (
    ("CV01", "Báo cáo tình hình thực hiện nhiệm vụ tháng", "bao_cao", 14, -9, Story.ON_TIME),
    ("CV01", "Công văn trả lời kiến nghị của cử tri", "van_ban", 10, -6, Story.ON_TIME),
    ("CV01", "Tờ trình phê duyệt danh mục vị trí việc làm", "to_trinh", 12, -4, Story.RETURNED),
    ("CV01", "Kế hoạch kiểm tra công tác văn thư, lưu trữ", "ke_hoach", 9, -3, Story.LATE_EXCUSED),
    ("CV01", "Dự thảo quy chế làm việc của phòng", "van_ban", 1, 7, Story.OPEN),
    ("CV02", "Báo cáo kết quả cải cách hành chính quý", "bao_cao", 7, -2, Story.ON_TIME),
    ("CV04", "Công văn đôn đốc báo cáo số lượng biên chế", "van_ban", 8, -5, Story.ON_TIME),
)
OPINION = "Đề nghị bổ sung bản mô tả công việc của từng vị trí."
EXCUSE = "Các phòng gửi số liệu chậm so với kế hoạch, không do lỗi của người thực hiện."

# author, employee, criterion, points, reason, working days ago
DEDUCTIONS: tuple[tuple[str, str, str, str, str, int], ...] = (
    ("TP01", "CV01", "training_attendance", "2", "Vắng buổi tập huấn chuyển đổi số không phép", 3),
    ("TP02", "CV05", "task_progress", "2", "Nộp báo cáo tháng chậm 3 ngày", 2),
    ("TC01", "CV02", "discipline_ethics", "5", "Đi muộn nhiều lần trong tháng", 1),
)


class RosterRejected(Exception):
    """The roster has bad rows; nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} bad row(s)")
        self.errors = tuple(errors)


@dataclass(frozen=True)
class Seeded:
    """What the sandbox starts with."""

    employees: int
    codes: int  # work codes opened, the tasks' reports included
    tasks: int
    deductions: int
    sweep: SweepReport


def demo_roster() -> list[RosterRow]:
    """The demo organisation as roster rows."""
    return [
        RosterRow(line, code, name, UNIT, position, leader, role, language)
        for line, (code, name, position, leader, role, language) in enumerate(PEOPLE, start=2)
    ]


def seed(
    *,
    db: sessionmaker[Session],
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    rows: Sequence[RosterRow] | None,
    demo: bool,
) -> Seeded:
    """Import `rows` (or the demo roster), link everyone, add the demo's history, then sweep."""
    with db() as session:
        if demo or rows:
            report = import_roster(
                session=session,
                rows=rows or demo_roster(),
                positions=set(policy.positions),
                now=now,
            )
            if report.errors:
                raise RosterRejected(report.errors)
        employees = link_everyone(session, now)
        codes = _open_codes(session, policy, calendar, now) if demo else 0
        tasks, reports = _tasks(session, policy, calendar, now) if demo else (0, 0)
        deductions = _deductions(session, policy, calendar, now) if demo else 0
    sweep = run_sweep(db=db, policy=policy, tz=calendar.tz, now=now, default_locale="vi")
    return Seeded(employees, codes + reports, tasks, deductions, sweep)


def link_everyone(session: Session, now: datetime) -> int:
    """Link each unlinked employee to Telegram account 100000 + id, with a redeemed invite."""
    ids = {e.code: cast(int, e.id) for e in session.exec(select(Employee))}
    for code, token in create_invites(session=session, codes=[], all_unlinked=True, now=now):
        redeem_invite(
            session=session, token=token, telegram_id=TELEGRAM_ID_BASE + ids[code], now=now
        )
    return len(ids)


def _employee(session: Session, code: str) -> Employee:
    return session.exec(select(Employee).where(col(Employee.code) == code)).one()


def _past(calendar: WorkCalendar, now: datetime, days: int, at: time) -> datetime:
    """`at` local time, `days` working days before today (today when 0), never after `now`."""
    today = calendar.local_day(now)
    day = calendar.add_working_days(today, -days) if days else today
    return min(calendar.local_instant(day, at), now)


def _open_codes(session: Session, policy: Policy, calendar: WorkCalendar, now: datetime) -> int:
    for author, title, days, at in CODES:
        result = open_work_code(
            session=session,
            author=_employee(session, author),
            title=title,
            now=_past(calendar, now, days, at),
            calendar=calendar,
            days=policy.deadline_days,
        )
        if result.outcome is not WorkCodeOutcome.OK:
            raise RuntimeError(f"demo code {title!r} not opened: {result.outcome}")
    return len(CODES)


def _tasks(
    session: Session, policy: Policy, calendar: WorkCalendar, now: datetime
) -> tuple[int, int]:
    """Assign the demo's tasks and play out their stories; the tasks and the codes opened."""
    today = calendar.local_day(now)
    quarter = Quarter.of(now, calendar.tz)
    reports = 0
    for code, title, type_code, assigned, due, story in TASKS:
        employee = _employee(session, code)
        leader = _leader(session, employee)
        due_on = _due_on(calendar, today, quarter.first_day, quarter.last_day, due, story)
        result = assign(
            session=session,
            assigner=leader,
            employee_id=cast(int, employee.id),
            title=title,
            due_on=due_on,
            type_code=type_code,
            policy=policy,
            now=_past(calendar, now, assigned, time(8, 30)),
        )
        if result.task is None:
            raise RuntimeError(f"demo task {title!r} not assigned: {result.outcome}")
        if story is not Story.OPEN:
            _report(session, policy, calendar, now, result.task, leader, story)
            reports += 1
    return len(TASKS), reports


def _due_on(
    calendar: WorkCalendar, today: date, first: date, last: date, due: int, story: Story
) -> date:
    """A task's due date, `due` working days from today, kept within the current quarter.

    A late task needs a working day after its due date and before now: on a quarter's first
    working day there is none in the quarter, so it falls due on the previous working day.
    """
    day = calendar.add_working_days(today, due) if due else today
    day = min(max(day, first), last)
    if story is Story.LATE_EXCUSED and calendar.add_working_days(day, 1) > today:
        day = calendar.add_working_days(today, -1)
    return day


def _report(
    session: Session,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    task: Task,
    leader: Employee,
    story: Story,
) -> None:
    """The assignee reports the task by a work code; their leader returns it or approves it."""
    employee, task_id, due_on = session.get_one(Employee, task.employee_id), _id(task), task.due_on

    def at(days: int, clock: time) -> datetime:
        """`clock` local time, `days` working days after the due date, never after now."""
        day = calendar.add_working_days(due_on, days) if days else due_on
        return min(calendar.local_instant(day, clock), now)

    opened_at = {
        Story.ON_TIME: at(-1, time(10, 0)),
        Story.RETURNED: at(-3, time(9, 30)),
        Story.LATE_EXCUSED: at(1, time(9, 0)),
    }[story]
    opened = _done(
        open_work_code(
            session=session,
            author=employee,
            title=task.title,
            now=opened_at,
            calendar=calendar,
            days=policy.deadline_days,
            task_id=task_id,
        )
    )
    code_id = _id(opened)
    if story is Story.RETURNED:
        returned_at = at(-2, time(10, 0))
        _done(
            give_opinion(
                session=session, code_id=code_id, actor=leader, text=OPINION, now=returned_at
            )
        )
        _done(
            resubmit(
                session=session,
                code_id=code_id,
                actor=employee,
                now=at(-2, time(16, 0)),
                calendar=calendar,
                days=policy.deadline_days,
            )
        )
        approved_at = at(-1, time(9, 0))
    else:
        approved_at = at(1 if story is Story.LATE_EXCUSED else -1, time(15, 0))
    _done(approve(session=session, code_id=code_id, actor=leader, now=approved_at))
    if story is Story.LATE_EXCUSED:
        superior = _leader(session, leader)
        excused = excuse(
            session=session,
            task_id=task_id,
            key=fault_key(FaultKind.DELAY, code_id),
            actor=superior,
            reason=EXCUSE,
            now=at(2, time(10, 0)),
            tz=calendar.tz,
        )
        if excused.outcome is not TaskOutcome.OK:
            raise RuntimeError(f"demo task T{task_id}'s delay not excused: {excused.outcome}")


def _done(result: WorkCodeResult) -> WorkCode:
    if result.outcome is not WorkCodeOutcome.OK or result.code is None:
        raise RuntimeError(f"demo work code step failed: {result.outcome}")
    return result.code


def _id(row: Task | WorkCode) -> int:
    return cast(int, row.id)  # read back from the database: the key is set


def _leader(session: Session, employee: Employee) -> Employee:
    leader = leader_of(session, cast(int, employee.id))
    if leader is None:
        raise RuntimeError(f"{employee.code} has no leader")
    return session.get_one(Employee, leader)


def _deductions(session: Session, policy: Policy, calendar: WorkCalendar, now: datetime) -> int:
    quarter_start = Quarter.of(now, calendar.tz).bounds(calendar.tz)[0]
    for author, employee, criterion, points, reason, days in DEDUCTIONS:
        # Dated in the current quarter, so that /myscore shows them.
        when = max(_past(calendar, now, days, time(16, 30)), quarter_start)
        result = deduct(
            session=session,
            actor=_employee(session, author),
            employee_code=employee,
            criterion=criterion,
            points=Decimal(points),
            reason=reason,
            now=when,
            policy=policy,
        )
        if result.deduction is None:
            raise RuntimeError(f"demo deduction for {employee} not logged: {result.outcome}")
    return len(DEDUCTIONS)
