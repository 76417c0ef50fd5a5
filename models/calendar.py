"""Days the admin declares off, or declares working (ngày làm bù)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel


class CalendarDay(SQLModel, table=True):
    """An admin override of one day in the working calendar."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    working: bool
    reason: str = Field(default="", max_length=200)
