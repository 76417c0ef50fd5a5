"""API keys of the agency's systems: only a hash of each key is kept."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Column, Field, SQLModel

from models.types import UTCDateTime


class ApiKey(SQLModel, table=True):
    """A named key for `/api/v1`, limited to its scopes; revoked keys stay, for the record."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    lookup: str = Field(max_length=16, unique=True)  # the key's first characters, not secret
    key_hash: str = Field(max_length=64)  # sha256 of the whole key, hex
    scopes: str = Field(max_length=200)  # comma-separated, e.g. "tasks:read,scores:read"
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
