"""API keys for the agency's systems (§8): created, listed, revoked, and checked per request.

A key is `kpi_` and 43 characters of a 256-bit random token, shown once. Only its sha256 is
kept, with its first characters (`lookup`, not secret) to find the row; the hash is then
compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from kpi import audit
from models import ApiKey

SCOPES = ("tasks:read", "tasks:write", "workcodes:read", "scores:read")
PREFIX = "kpi_"
_LOOKUP = 12  # characters of the key that find its row: the prefix and 8 random ones
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class ApiKeyError(ValueError):
    """A key cannot be created or revoked as asked; the message says why."""


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown of a key: never the key itself."""

    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


def parse_scopes(text: str) -> tuple[str, ...]:
    """Scopes from "tasks:read,scores:read"; ApiKeyError naming an unknown one."""
    scopes = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not scopes:
        raise ApiKeyError(f"give at least one scope: {', '.join(SCOPES)}")
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown:
        raise ApiKeyError(f"unknown scope {unknown[0]!r}; the scopes are {', '.join(SCOPES)}")
    return scopes


def create(session: Session, *, name: str, scopes: tuple[str, ...], now: datetime) -> str:
    """Store a new key (hashed, audited, committed) and return it: the only time it is seen."""
    if not _NAME.fullmatch(name):
        raise ApiKeyError(
            f"bad key name {name!r}: 1-64 characters of A-Z a-z 0-9 . _ -, starting with one "
            "of A-Z a-z 0-9"
        )
    if session.exec(select(ApiKey).where(col(ApiKey.name) == name)).first() is not None:
        raise ApiKeyError(f"a key named {name!r} exists already (revoked keys keep their name)")
    key = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        lookup=key[:_LOOKUP],
        key_hash=_hash(key),
        scopes=",".join(scopes),
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        at=now,
        actor_id=None,
        action="apikey.create",
        subject=f"api_key:{row.id}",
        details=f"name={name} scopes={row.scopes}",
    )
    session.commit()
    return key


def keys(session: Session) -> list[KeyInfo]:
    """Every key, revoked ones included, by name."""
    rows = session.exec(select(ApiKey).order_by(col(ApiKey.name))).all()
    return [
        KeyInfo(row.name, tuple(row.scopes.split(",")), row.created_at, row.revoked_at)
        for row in rows
    ]


def revoke(session: Session, *, name: str, now: datetime) -> None:
    """Revoke the key named `name` from now on (audited, committed)."""
    row = session.exec(select(ApiKey).where(col(ApiKey.name) == name)).first()
    if row is None:
        raise ApiKeyError(f"no key named {name!r}")
    if row.revoked_at is not None:
        raise ApiKeyError(f"the key {name!r} is revoked already")
    row.revoked_at = now
    audit.record(
        session,
        at=now,
        actor_id=None,
        action="apikey.revoke",
        subject=f"api_key:{row.id}",
        details=f"name={name}",
    )
    session.commit()


def authenticate(session: Session, key: str) -> KeyInfo | None:
    """The active key `key` is, or None (unknown, malformed or revoked)."""
    if not key.startswith(PREFIX) or len(key) < _LOOKUP or not key.isascii():
        return None
    row = session.exec(select(ApiKey).where(col(ApiKey.lookup) == key[:_LOOKUP])).first()
    if row is None or not hmac.compare_digest(_hash(key), row.key_hash):
        return None
    if row.revoked_at is not None:
        return None
    return KeyInfo(row.name, tuple(row.scopes.split(",")), row.created_at, row.revoked_at)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
