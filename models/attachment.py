"""Files attached to a work code: kept by Telegram, referred to by their file_id."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class AttachmentKind(StrEnum):
    """How Telegram holds the file, and so how it is sent again."""

    DOCUMENT = "document"
    PHOTO = "photo"


class Attachment(SQLModel, table=True):
    """A document or photo its author attached to a work code (a file once per code)."""

    __table_args__ = (UniqueConstraint("work_code_id", "file_unique_id"),)

    id: int | None = Field(default=None, primary_key=True)
    work_code_id: int = Field(foreign_key="work_code.id", index=True)
    kind: str = Field(max_length=16)  # an AttachmentKind
    file_id: str = Field(max_length=255)
    file_unique_id: str = Field(max_length=64)
    file_name: str = Field(default="", max_length=255)
    file_size: int | None = Field(default=None, sa_type=BigInteger)
    added_by: int = Field(foreign_key="employee.id")
    added_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
