"""The organisation: units, job positions, employees and their invites."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger
from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class Role(StrEnum):
    """What an employee may do beyond their own work."""

    STAFF = "staff"
    ADMIN = "admin"


class Unit(SQLModel, table=True):
    """An organisational unit (đơn vị), named as in the roster."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)


class Position(SQLModel, table=True):
    """A job position (vị trí việc làm); its criteria come from the policy."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)


class EmployeeBase(SQLModel):
    """Roster fields of an employee."""

    code: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=200)
    role: str = Field(default=Role.STAFF.value, max_length=16)
    language: str = Field(default="vi", max_length=8)


class Employee(EmployeeBase, table=True):
    """A civil servant or public employee, with a direct leader except at the top."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    position_id: int = Field(foreign_key="position.id", index=True)
    leader_id: int | None = Field(default=None, foreign_key="employee.id", index=True)
    telegram_id: int | None = Field(default=None, unique=True, sa_type=BigInteger)
    chosen_locale: str | None = Field(default=None, max_length=8)
    linked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    unreachable_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # When the roster import created the employee; None (unknown) for those created before.
    joined_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class Invite(SQLModel, table=True):
    """A one-time invite that links a Telegram account to an employee; only its hash is kept."""

    id: int | None = Field(default=None, primary_key=True)
    employee_id: int = Field(foreign_key="employee.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    used_by_telegram_id: int | None = Field(default=None, sa_type=BigInteger)
