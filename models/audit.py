"""The audit trail: who did what, when."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class AuditEvent(SQLModel, table=True):
    """One recorded action; `details` holds ids and codes, never message texts."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    action: str = Field(max_length=64)
    subject: str = Field(max_length=64, index=True)
    details: str = Field(default="", max_length=2000)
