"""Factories that put real rows in the test database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from kpi.outbox import Draft
from models import Deduction, Employee, OutboxKind, Position, Unit


def _get_or_create_unit(session: Session, name: str) -> Unit:
    unit = session.exec(select(Unit).where(Unit.name == name)).first()
    if unit is None:
        unit = Unit(name=name)
        session.add(unit)
        session.flush()
    return unit


def _get_or_create_position(session: Session, code: str) -> Position:
    position = session.exec(select(Position).where(Position.code == code)).first()
    if position is None:
        position = Position(code=code)
        session.add(position)
        session.flush()
    return position


def make_employee(
    session: Session,
    code: str,
    full_name: str = "Nguyễn Văn An",
    *,
    position: str = "chuyen_vien",
    unit: str = "Sở Nội vụ",
    leader: Employee | None = None,
    role: str = "staff",
    language: str = "vi",
    telegram_id: int | None = None,
) -> Employee:
    """An employee (committed), optionally already linked to a Telegram account."""
    employee = Employee(
        code=code,
        full_name=full_name,
        role=role,
        language=language,
        unit_id=_get_or_create_unit(session, unit).id,
        position_id=_get_or_create_position(session, position).id,
        leader_id=leader.id if leader else None,
        telegram_id=telegram_id,
        linked_at=datetime.now(UTC) if telegram_id else None,
    )
    session.add(employee)
    session.commit()
    return employee


def make_deduction(
    session: Session,
    employee: Employee,
    criterion: str,
    points: str | Decimal = "2",
    *,
    occurred_at: datetime,
    source: str = "manual",
    reason: str = "Vi phạm quy định",
    author: Employee | None = None,
    reverses: Deduction | None = None,
    key: str | None = None,
) -> Deduction:
    """A deduction (committed); with `reverses`, the reversal of that deduction."""
    deduction = Deduction(
        key=key,
        employee_id=employee.id,
        criterion=criterion,
        points=Decimal(points),
        reason=reason,
        occurred_at=occurred_at,
        source=source,
        author_id=author.id if author else None,
        reverses_id=reverses.id if reverses else None,
        created_at=datetime.now(UTC),
    )
    session.add(deduction)
    session.commit()
    return deduction


# The Telegram chat of each linked member of the shared organisation (`make_org`).
ORG_CHATS = {
    "director": 800,
    "admin": 900,
    "leader": 700,
    "other_leader": 703,
    "staff": 701,
    "clerk": 702,
    "outsider": 704,
}


@dataclass
class Org:
    """An agency. GD leads TP, PP and HR; TP leads NV1 and NV2 (a records clerk); PP leads NV3.

    HR and AD are admins (HR leads nobody; AD has no leader and no Telegram account); both work in
    the Văn phòng unit, everyone else in Sở Nội vụ. All but AD are linked: see ORG_CHATS.
    """

    director: Employee
    admin: Employee
    top_admin: Employee
    leader: Employee
    other_leader: Employee
    staff: Employee
    clerk: Employee
    outsider: Employee

    def __getitem__(self, name: str) -> Employee:
        return getattr(self, name)  # type: ignore[no-any-return]


def make_org(session: Session) -> Org:
    """The shared organisation (committed)."""

    def member(
        name: str,
        code: str,
        full_name: str,
        leader: Employee | None,
        position: str = "chuyen_vien",
        role: str = "staff",
    ) -> Employee:
        unit = "Văn phòng" if role == "admin" else "Sở Nội vụ"
        return make_employee(
            session,
            code,
            full_name,
            position=position,
            unit=unit,
            leader=leader,
            role=role,
            telegram_id=ORG_CHATS.get(name),
        )

    director = member("director", "GD", "Nguyễn Văn Giám", None, "giam_doc")
    leader = member("leader", "TP", "Trần Thị Phương", director, "truong_phong")
    other = member("other_leader", "PP", "Vũ Minh Tâm", director, "pho_truong_phong")
    return Org(
        director=director,
        admin=member("admin", "HR", "Đỗ Thị Nhân", director, role="admin"),
        top_admin=member("top_admin", "AD", "Hoàng Quản Trị", None, role="admin"),
        leader=leader,
        other_leader=other,
        staff=member("staff", "NV1", "Lê Văn Hùng", leader),
        clerk=member("clerk", "NV2", "Phạm Thị Mai", leader, "van_thu"),
        outsider=member("outsider", "NV3", "Hồ Thị Lan", other),
    )


def make_drafts(
    chat_id: int, count: int, not_before: datetime, employee_id: int | None = None
) -> list[Draft]:
    """`count` messages for one chat, keyed by chat and number, whose text is the number."""
    return [
        Draft(
            key=f"m:{chat_id}:{i}",
            kind=OutboxKind.DIGEST,
            chat_id=chat_id,
            text=f"{i}",
            not_before=not_before,
            employee_id=employee_id,
        )
        for i in range(count)
    ]


HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: str, hh: int = 9, mm: int = 0, ss: int = 0) -> datetime:
    """An aware UTC instant at local wall time hh:mm:ss on `day` in Asia/Ho_Chi_Minh."""
    return datetime.combine(date.fromisoformat(day), time(hh, mm, ss), tzinfo=HANOI).astimezone(UTC)
