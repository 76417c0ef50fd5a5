"""The roster: its file format, its export, and counts of employees (imports: `roster_import`)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from kpi.tables import table_format, write_table
from models import Employee, Position, Unit

COLUMNS = ("code", "full_name", "unit", "position", "leader_code", "role", "language")


def export_roster(*, session: Session, path: Path) -> int:
    """Write every employee to a CSV or XLSX roster file, sorted by code; return the row count."""
    file_format = table_format(path)  # before the query: a wrong name fails fast
    rows = _export_rows(session)
    return write_table(path, COLUMNS, rows, file_format=file_format, sheet="roster")


def _export_rows(session: Session) -> list[list[str]]:
    leader = aliased(Employee)
    statement = (
        sa.select(
            col(Employee.code),
            col(Employee.full_name),
            col(Unit.name),
            col(Position.code),
            col(leader.code),
            col(Employee.role),
            col(Employee.language),
        )
        .join(Unit, col(Unit.id) == col(Employee.unit_id))
        .join(Position, col(Position.id) == col(Employee.position_id))
        .outerjoin(leader, col(leader.id) == col(Employee.leader_id))
    )
    rows = [[value or "" for value in row] for row in session.connection().execute(statement)]
    # Sorted here, not in SQL: collations differ between SQLite and PostgreSQL.
    return sorted(rows, key=lambda row: row[0])


def count_employees(session: Session, unit: str | None = None) -> int:
    """How many employees there are, in one unit (by name) or in all."""
    query = select(func.count()).select_from(Employee)
    if unit:
        query = query.join(Unit, col(Unit.id) == col(Employee.unit_id)).where(
            col(Unit.name) == unit
        )
    return int(session.exec(query).one())
