"""SQLModel tables, the engine and session factory, and Alembic migrations."""

from models.audit import AuditEvent
from models.calendar import CalendarDay
from models.org import Employee, EmployeeBase, Invite, Position, Role, Unit

__all__ = [
    "AuditEvent",
    "CalendarDay",
    "Employee",
    "EmployeeBase",
    "Invite",
    "Position",
    "Role",
    "Unit",
]
