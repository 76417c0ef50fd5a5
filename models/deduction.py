"""Deductions (điểm trừ): append-only; a reversal is a new row, never an edit."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Index, Numeric
from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class DeductionSource(StrEnum):
    """Where a deduction comes from."""

    DEADLINE_BREACH = "deadline_breach"
    MANUAL = "manual"
    IMPORT = "import"


class Deduction(SQLModel, table=True):
    """Points taken from one criterion of an employee, or the reversal of such a record.

    A row with `reverses_id` set is a reversal: it cancels the row it names (with a reason).
    Neither kind is ever updated or deleted.
    """

    __table_args__ = (Index("ix_deduction_employee_occurred", "employee_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, max_length=100, unique=True)  # idempotency
    employee_id: int = Field(foreign_key="employee.id")
    criterion: str = Field(max_length=64)
    points: Decimal = Field(sa_column=Column(Numeric(6, 2), nullable=False))
    reason: str = Field(default="", max_length=2000)
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    source: str = Field(max_length=32)
    author_id: int | None = Field(default=None, foreign_key="employee.id")
    work_code_id: int | None = Field(default=None, foreign_key="work_code.id")
    reverses_id: int | None = Field(default=None, foreign_key="deduction.id", unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
