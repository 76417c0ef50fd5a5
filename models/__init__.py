"""SQLModel tables, the engine and session factory, and Alembic migrations."""

from models.apikey import ApiKey
from models.appeal import Appeal, AppealStatus
from models.attachment import Attachment, AttachmentKind
from models.audit import AuditEvent
from models.calendar import CalendarDay, DecisionDay
from models.deduction import Deduction, DeductionSource
from models.delegation import Delegation
from models.org import Employee, EmployeeBase, Invite, Position, Role, Unit
from models.outbox import OutboxKind, OutboxMessage, OutboxStatus, SweepMark
from models.task import Excuse, FaultKind, ForcedRating, Task
from models.workcode import WorkCode, WorkCodeAction, WorkCodeEvent, WorkCodeStatus

__all__ = [
    "ApiKey",
    "Appeal",
    "AppealStatus",
    "Attachment",
    "AttachmentKind",
    "Deduction",
    "Delegation",
    "DeductionSource",
    "OutboxKind",
    "OutboxMessage",
    "OutboxStatus",
    "SweepMark",
    "Excuse",
    "FaultKind",
    "ForcedRating",
    "Task",
    "WorkCode",
    "WorkCodeAction",
    "WorkCodeEvent",
    "WorkCodeStatus",
    "AuditEvent",
    "CalendarDay",
    "DecisionDay",
    "Employee",
    "EmployeeBase",
    "Invite",
    "Position",
    "Role",
    "Unit",
]
