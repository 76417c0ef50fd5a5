"""Who is who in the organisation, as the database says now: leaders, admins, linked accounts."""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session, col, select

from kpi.words import fold
from models import Employee, Role, Unit


def leader_of(session: Session, employee_id: int) -> int | None:
    """The employee's direct leader (the caller's copy of the employee may be stale)."""
    query = select(Employee.leader_id).where(col(Employee.id) == employee_id)
    return session.exec(query).first()


def is_admin(session: Session, employee_id: int) -> bool:
    """Whether the employee is an admin (HR)."""
    role = session.exec(select(Employee.role).where(col(Employee.id) == employee_id)).first()
    return role == Role.ADMIN.value


def leads_anyone(session: Session, employee_id: int) -> bool:
    """Whether the employee is somebody's direct leader."""
    query = select(Employee.id).where(col(Employee.leader_id) == employee_id).limit(1)
    return session.exec(query).first() is not None


def direct_reports(session: Session, leader_id: int) -> list[int]:
    """The ids of the employees this one leads directly."""
    query = select(col(Employee.id)).where(col(Employee.leader_id) == leader_id)
    return [employee_id for employee_id in session.exec(query) if employee_id is not None]


def employee_by_code(session: Session, code: str) -> Employee | None:
    """The employee with this roster code, as the database says now."""
    query = select(Employee).where(col(Employee.code) == code)
    return session.exec(query.execution_options(populate_existing=True)).first()


def linked_employee(session: Session, telegram_id: int) -> Employee | None:
    """The employee this Telegram account is linked to, if any."""
    return session.exec(select(Employee).where(col(Employee.telegram_id) == telegram_id)).first()


def admins(session: Session) -> list[Employee]:
    """Every admin, linked or not."""
    query = select(Employee).where(col(Employee.role) == Role.ADMIN).order_by(col(Employee.id))
    return list(session.exec(query))


def unreachable(session: Session) -> list[Employee]:
    """The employees who blocked the bot and have not written to it since."""
    query = select(Employee).where(col(Employee.unreachable_since).is_not(None))
    return list(session.exec(query.order_by(col(Employee.id))))


def employees_by_id(session: Session, ids: Collection[int]) -> dict[int, Employee]:
    """The employees with these ids, by id."""
    if not ids:
        return {}
    query = select(Employee).where(col(Employee.id).in_(ids))
    return {employee.id: employee for employee in session.exec(query) if employee.id is not None}


def units(session: Session) -> list[Unit]:
    """Every unit, by name."""
    return list(session.exec(select(Unit).order_by(col(Unit.name))))


def units_named(session: Session, text: str) -> list[Unit]:
    """The units whose name contains `text`, ignoring case and diacritics ("noi vu" finds "Sở
    Nội vụ"); a unit named exactly so comes alone, though other names contain it too."""
    wanted = fold(text)
    found = [unit for unit in units(session) if wanted and wanted in fold(unit.name)]
    exact = [unit for unit in found if fold(unit.name) == wanted]
    return exact or found


def unit_by_id(session: Session, unit_id: int) -> Unit | None:
    """The unit with this id, if it still exists."""
    return session.get(Unit, unit_id)
