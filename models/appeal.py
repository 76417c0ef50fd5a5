"""Appeals (đề nghị xem xét lại) against deductions, and their decisions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class AppealStatus(StrEnum):
    """Where an appeal stands; accepted and rejected are final."""

    PENDING = "pending"
    ACCEPTED = "accepted"  # the deduction is reversed
    REJECTED = "rejected"


_PENDING = text("status = 'pending'")


class Appeal(SQLModel, table=True):
    """An employee's request to reverse one of their deductions, decided once.

    `decider_id` is the person who decides; None means any admin does. Of the appeals of one
    deduction at most one is pending at a time: a partial unique index keeps it so under races.
    """

    __table_args__ = (
        Index("ix_appeal_decider_status", "decider_id", "status"),
        Index(
            "uq_appeal_pending_deduction",
            "deduction_id",
            unique=True,
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    deduction_id: int = Field(foreign_key="deduction.id", index=True)
    employee_id: int = Field(foreign_key="employee.id")  # the appellant
    reason: str = Field(max_length=2000)
    decider_id: int | None = Field(default=None, foreign_key="employee.id")
    status: str = Field(default=AppealStatus.PENDING.value, max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    decided_by_id: int | None = Field(default=None, foreign_key="employee.id")
    decision_reason: str = Field(default="", max_length=2000)
    reversal_id: int | None = Field(default=None, foreign_key="deduction.id")
