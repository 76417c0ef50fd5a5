"""The agency's own calendar: days it declares, and official decisions it imports."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class CalendarDay(SQLModel, table=True):
    """An admin override of one day in the working calendar."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    working: bool
    reason: str = Field(default="", max_length=200)


class DecisionDay(SQLModel, table=True):
    """One day of an official yearly decision the agency imported (`kpibot calendar import`).

    The rows of a year replace the decision shipped with kpibot for that year, if any.
    """

    __tablename__ = "decision_day"

    day: date = Field(primary_key=True)
    kind: str = Field(max_length=16)
    name_vi: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    source_number: str = Field(max_length=64)
    source_date: date
    source_issuer: str = Field(max_length=200)
    source_title: str = Field(default="", max_length=500)
    imported_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
