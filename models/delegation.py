"""Acting approvers (ủy quyền phê duyệt): a leader's deputy for a period of days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class Delegation(SQLModel, table=True):
    """A leader's deputy approves in the leader's place from `starts_on` to `ends_on` (inclusive
    days of the organisation's zone), unless cancelled.

    `returned_at` is set once the sweep (or the cancellation) gave the leader back the codes the
    deputy still held: a delegation that ended or was cancelled is finished then.
    """

    __table_args__ = (
        Index("ix_delegation_leader_days", "leader_id", "starts_on", "ends_on"),
        Index("ix_delegation_deputy_days", "deputy_id", "starts_on", "ends_on"),
        Index("ix_delegation_unfinished", "returned_at", "starts_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    leader_id: int = Field(foreign_key="employee.id")
    deputy_id: int = Field(foreign_key="employee.id")
    starts_on: date
    ends_on: date
    created_by: int | None = Field(default=None, foreign_key="employee.id")  # None: the CLI
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    cancelled_by: int | None = Field(default=None, foreign_key="employee.id")
    returned_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
