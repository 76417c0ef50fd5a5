"""Work codes (mã công việc) and the trail of every transition."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index
from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class WorkCodeStatus(StrEnum):
    """Where a work code stands; approved, rejected and withdrawn are final."""

    OPEN = "open"  # waiting for the approver
    RETURNED = "returned"  # the approver gave an opinion; waiting for the employee
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class WorkCodeAction(StrEnum):
    """A transition of a work code."""

    OPEN = "open"
    APPROVE = "approve"
    REJECT = "reject"
    OPINION = "opinion"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"


class WorkCode(SQLModel, table=True):
    """A task an employee opened that needs their leader's approval or opinion."""

    __tablename__ = "work_code"
    __table_args__ = (
        # An approver's open codes by deadline (/pending, /myscore): one index range, no sort.
        Index("ix_work_code_approver_pending", "approver_id", "status", "deadline_at", "id"),
        Index("ix_work_code_status_deadline", "status", "deadline_at"),
        # The codes of a period's tasks, read from the index alone (kpi.tasks.task_facts).
        Index("ix_work_code_task_facts", "task_id", "status", "created_at"),
    )
    # The sweep looks only at codes whose next event (a reminder slot or the deadline) is due,
    # so its cost follows the due codes, not the open ones.

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    approver_id: int = Field(foreign_key="employee.id")
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    status: str = Field(default=WorkCodeStatus.OPEN.value, max_length=16)
    cycle: int = 1
    cycle_started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    deadline_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    due_day: date
    # How the deadline was counted and the days off it skipped, stored with it (kpi.deadlines).
    deadline_explanation: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    leader_chat_id: int | None = Field(default=None, sa_type=BigInteger)
    leader_message_id: int | None = Field(default=None, sa_type=BigInteger)
    next_event_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), index=True)
    )
    reminded_slots: int = 0  # ladder slots of this cycle already handled
    breached_cycle: int = 0  # the last cycle whose breach is recorded
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)  # reported by it
    # While a deputy holds the code for its leader (kpi.delegation): the leader it returns to.
    delegated_from: int | None = Field(default=None, foreign_key="employee.id")


class WorkCodeEvent(SQLModel, table=True):
    """One transition: who, when, in which cycle, with the reason or opinion text."""

    __tablename__ = "work_code_event"
    # The returns and rejections of a period's task codes, from the index alone (task_facts).
    __table_args__ = (Index("ix_work_code_event_code_action", "work_code_id", "action", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    work_code_id: int = Field(foreign_key="work_code.id", index=True)
    cycle: int
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor_id: int = Field(foreign_key="employee.id")
    action: str = Field(max_length=16)
    text: str = Field(default="", max_length=2000)
