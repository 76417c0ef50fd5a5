"""Who is who in the organisation, as the database says now: leaders, admins, linked accounts."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kpi.words import fold
from models import Employee, Role, Unit
from models.db import read


def leader_of(session: Session, employee_id: int) -> int | None:
    """The employee's direct leader (the caller's copy of the employee may be stale)."""
    query = select(Employee.leader_id).where(col(Employee.id) == employee_id)
    return session.exec(query).first()


def is_admin(session: Session, employee_id: int) -> bool:
    """Whether the employee is an admin (HR)."""
    role = session.exec(select(Employee.role).where(col(Employee.id) == employee_id)).first()
    return role == Role.ADMIN.value


# The lookups every update makes, built once with their parameters: building a statement and
# its cache key costs several times what SQLite takes to answer it. Columns of the table, not
# the ORM entity, where only values are read.
_EMPLOYEE = Employee.__table__.c  # type: ignore[attr-defined]
_LEADS_ANYONE = sa.select(_EMPLOYEE.id).where(_EMPLOYEE.leader_id == sa.bindparam("id")).limit(1)
_DIRECT_REPORTS = sa.select(_EMPLOYEE.id).where(_EMPLOYEE.leader_id == sa.bindparam("id"))
_REPORTS_OF = sa.select(_EMPLOYEE.leader_id, _EMPLOYEE.id).where(
    _EMPLOYEE.leader_id.in_(sa.bindparam("ids", expanding=True))
)
_LINKED = select(Employee).where(col(Employee.telegram_id) == sa.bindparam("telegram_id"))
_UNREACHABLE = sa.select(_EMPLOYEE.id).where(
    _EMPLOYEE.telegram_id == sa.bindparam("telegram_id"), _EMPLOYEE.unreachable_since.is_not(None)
)


def leads_anyone(session: Session, employee_id: int) -> bool:
    """Whether the employee is somebody's direct leader."""
    return read(session, _LEADS_ANYONE, {"id": employee_id}).first() is not None


def direct_reports(session: Session, leader_id: int) -> list[int]:
    """The ids of the employees this one leads directly."""
    return list(read(session, _DIRECT_REPORTS, {"id": leader_id}).scalars())


def direct_reports_of(session: Session, leader_ids: Collection[int]) -> dict[int, list[int]]:
    """`direct_reports` of each of these employees, in one query (an empty list: no one)."""
    found: dict[int, list[int]] = {leader_id: [] for leader_id in leader_ids}
    for leader_id, employee_id in read(session, _REPORTS_OF, {"ids": list(leader_ids)}):
        found[leader_id].append(employee_id)
    return found


def employee_by_code(session: Session, code: str) -> Employee | None:
    """The employee with this roster code, as the database says now."""
    query = select(Employee).where(col(Employee.code) == code)
    return session.exec(query.execution_options(populate_existing=True)).first()


def linked_employee(session: Session, telegram_id: int) -> Employee | None:
    """The employee this Telegram account is linked to, if any."""
    return session.exec(_LINKED, params={"telegram_id": telegram_id}).first()


def unreachable_linked(session: Session, telegram_id: int) -> int | None:
    """The employee linked to this Telegram account, if the bot holds them unreachable."""
    return read(session, _UNREACHABLE, {"telegram_id": telegram_id}).scalar()


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
