"""SQLModel tables, the engine and session factory, and Alembic migrations."""

from models.audit import AuditEvent
from models.calendar import CalendarDay
from models.org import Employee, EmployeeBase, Invite, Position, Role, Unit
from models.workcode import WorkCode, WorkCodeAction, WorkCodeEvent, WorkCodeStatus

__all__ = [
    "WorkCode",
    "WorkCodeAction",
    "WorkCodeEvent",
    "WorkCodeStatus",
    "AuditEvent",
    "CalendarDay",
    "Employee",
    "EmployeeBase",
    "Invite",
    "Position",
    "Role",
    "Unit",
]
