"""The outbox: every proactive message is a row first, then a delivery."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Text
from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class OutboxStatus(StrEnum):
    """Where a message stands."""

    PENDING = "pending"  # waiting for its not-before time, or for a retry
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"
    EXPIRED = "expired"  # its validity passed before it could be sent
    BLOCKED = "blocked"  # the recipient blocked the bot; kept for when they come back
    FAILED = "failed"  # Telegram refused it for good (kept for the record)


class OutboxKind(StrEnum):
    """What a proactive message is about."""

    NOTICE = "notice"  # a new code (or cycle) for its approver, with the buttons
    OUTCOME = "outcome"  # the approver's response, for the code's author
    REMINDER = "reminder"
    BREACH = "breach"
    DIGEST = "digest"  # the morning list, and the admins' morning report
    DEDUCTION = "deduction"  # a deduction logged, imported or cancelled
    APPEAL = "appeal"  # an appeal for its decider, and the decision for the appellant
    REPLAN = "replan"  # deadlines a calendar change moved, for the codes' approvers and authors
    ACCOUNT = "account"  # a Telegram account unlinked because an invite linked another one
    TASK = "task"  # a task assigned, for its assignee
    DELEGATION = "delegation"  # an acting approver named or cancelled, codes handed over or back


class OutboxMessage(SQLModel, table=True):
    """One message to one chat, sent at most once per idempotency key."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=32)  # an OutboxKind
    chat_id: int = Field(sa_type=BigInteger, index=True)
    employee_id: int | None = Field(default=None, foreign_key="employee.id")
    work_code_id: int | None = Field(default=None, foreign_key="work_code.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    reply_markup: str | None = Field(default=None, sa_column=Column(Text))
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=16)
    not_before: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    last_error: str = Field(default="", max_length=200)


class SweepMark(SQLModel, table=True):
    """How far a once-a-day piece of the sweep has got (e.g. the last digest day)."""

    __tablename__ = "sweep_mark"

    name: str = Field(primary_key=True, max_length=64)
    day: str = Field(max_length=10)
