"""Assigned tasks (nhiệm vụ được giao), excuses of their faults, and forced ratings (§7).

Tasks are never deleted; cancelling one sets `cancelled_at` once. Excuses and forced ratings are
append-only: a forced rating is withdrawn by a new row naming it (`reverses_id`).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class FaultKind(StrEnum):
    """What went wrong with a task: a quality error or a delay."""

    ERROR = "error"  # the leader returned (opinion) or rejected a work code of the task
    DELAY = "delay"  # the first work code for the task was opened after its due date


class Task(SQLModel, table=True):
    """A task assigned to an employee, due on a day, of a policy task type."""

    __table_args__ = (
        Index("ix_task_employee_due", "employee_id", "due_on"),
        # A period's tasks read from the index alone (kpi.tasks.task_facts).
        Index("ix_task_due_facts", "due_on", "employee_id", "type", "cancelled_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id")
    assigner_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    title: str = Field(max_length=200)
    due_on: date = Field(index=True)
    type: str = Field(max_length=64)
    external_id: str | None = Field(default=None, max_length=100, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    cancelled_by_id: int | None = Field(default=None, foreign_key="employee.id")


class Excuse(SQLModel, table=True):
    """An objective cause confirmed for one fault of a task, so that it costs nothing.

    `key` names the fault ("error:<event id>" or "delay:<work code id>"): one excuse per fault,
    of racing callers exactly one records it.
    """

    __table_args__ = (Index("ix_excuse_task_key", "task_id", "key"),)  # a period's excuses

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    kind: str = Field(max_length=16)
    work_code_id: int = Field(foreign_key="work_code.id")
    event_id: int | None = Field(default=None, foreign_key="work_code_event.id")
    author_id: int | None = Field(default=None, foreign_key="employee.id")
    reason: str = Field(max_length=2000)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ForcedRating(SQLModel, table=True):
    """An admin's record that a person is Không hoàn thành nhiệm vụ for a period, or its reversal.

    A row with `reverses_id` set withdraws the row it names; neither kind is ever edited.
    """

    __tablename__ = "forced_rating"

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    period: str = Field(max_length=16)  # "2026-11", "2026Q4" or "2026"
    ground: str = Field(max_length=2000)
    reference: str = Field(default="", max_length=200)
    author_id: int | None = Field(default=None, foreign_key="employee.id")
    reverses_id: int | None = Field(default=None, foreign_key="forced_rating.id", unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
