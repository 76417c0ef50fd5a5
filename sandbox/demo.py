"""The sandbox's people: a seeded demo organisation, or a real roster, every account linked.

Everything goes through the product's own code: the roster import, invites redeemed for each
employee's emulated Telegram account, work codes opened at past instants, deductions logged by
leaders and HR, and one sweep at the start instant for the reminders, breaches and digests due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import cast

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from kpi.calendar import WorkCalendar
from kpi.deductions import deduct
from kpi.linking import create_invites, redeem_invite
from kpi.policy import Policy
from kpi.roster_import import RosterRow, import_roster
from kpi.scoring import Quarter
from kpi.tables import RowError
from kpi.workcodes import WorkCodeOutcome, open_work_code
from models import Employee
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
    codes: int
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
        deductions = _deductions(session, policy, calendar, now) if demo else 0
    sweep = run_sweep(db=db, policy=policy, tz=calendar.tz, now=now, default_locale="vi")
    return Seeded(employees, codes, deductions, sweep)


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
