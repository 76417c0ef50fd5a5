"""One-time invites that link a Telegram account to an employee (§6)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import cast

from sqlalchemy import update
from sqlmodel import Session, col, select

from kpi.audit import record
from models import Employee, Invite

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")
DEFAULT_EXPIRY_DAYS = 14


class LinkOutcome(StrEnum):
    """What became of a /start TOKEN."""

    LINKED = "linked"
    ALREADY_LINKED = "already_linked"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ACCOUNT_TAKEN = "account_taken"


@dataclass(frozen=True)
class LinkResult:
    """The outcome, and the employee when the account is (now) linked."""

    outcome: LinkOutcome
    employee: Employee | None = None


class UnknownEmployees(Exception):
    """Some employee codes are not in the roster."""

    def __init__(self, codes: Sequence[str]) -> None:
        super().__init__(", ".join(codes))
        self.codes = tuple(codes)


def hash_token(token: str) -> str:
    """The stored form of a token: only its SHA-256 is kept."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_invites(
    *,
    session: Session,
    codes: Sequence[str],
    all_unlinked: bool,
    now: datetime,
    expires_days: int = DEFAULT_EXPIRY_DAYS,
) -> list[tuple[str, str]]:
    """Make one invite per employee; returns (employee code, token) pairs and commits."""
    employees = _employees_to_invite(session, codes, all_unlinked)
    pairs = []
    for employee in employees:
        token = secrets.token_urlsafe(24)  # 192 bits in 32 characters of A-Z a-z 0-9 _ -
        session.add(
            Invite(
                employee_id=cast(int, employee.id),
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + timedelta(days=expires_days),
            )
        )
        pairs.append((employee.code, token))
    record(
        session,
        at=now,
        actor_id=None,
        action="invite.create",
        subject="invite",
        details=f"count={len(pairs)}",
    )
    session.commit()
    return pairs


def _employees_to_invite(
    session: Session, codes: Sequence[str], all_unlinked: bool
) -> list[Employee]:
    if all_unlinked:
        query = select(Employee).where(col(Employee.telegram_id).is_(None))
        return list(session.exec(query.order_by(col(Employee.code))))
    found = {e.code: e for e in session.exec(select(Employee).where(col(Employee.code).in_(codes)))}
    missing = [code for code in codes if code not in found]
    if missing:
        raise UnknownEmployees(missing)
    return [found[code] for code in dict.fromkeys(codes)]


def redeem_invite(*, session: Session, token: str, telegram_id: int, now: datetime) -> LinkResult:
    """Link `telegram_id` to the invite's employee, at most once per invite; commits."""
    if not TOKEN_RE.fullmatch(token):
        return LinkResult(LinkOutcome.MALFORMED)
    invite = session.exec(select(Invite).where(Invite.token_hash == hash_token(token))).first()
    if invite is None:
        return LinkResult(LinkOutcome.UNKNOWN)
    employee = session.get_one(Employee, invite.employee_id)
    holder = session.exec(select(Employee).where(Employee.telegram_id == telegram_id)).first()
    if holder is not None:
        same = holder.id == employee.id
        return LinkResult(LinkOutcome.ALREADY_LINKED if same else LinkOutcome.ACCOUNT_TAKEN, holder)
    if invite.used_at is not None:
        return LinkResult(LinkOutcome.USED)
    if invite.expires_at <= now:
        return LinkResult(LinkOutcome.EXPIRED)
    return _claim(session, invite, employee, telegram_id, now)


def _claim(
    session: Session, invite: Invite, employee: Employee, telegram_id: int, now: datetime
) -> LinkResult:
    # A conditional update: of two presses racing with the same token, exactly one wins.
    claimed = session.execute(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_at=now, used_by_telegram_id=telegram_id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return LinkResult(LinkOutcome.USED)
    employee.telegram_id = telegram_id
    employee.linked_at = now
    session.add(employee)
    record(
        session,
        at=now,
        actor_id=employee.id,
        action="account.link",
        subject=f"employee:{employee.id}",
        details=f"invite={invite.id}",
    )
    session.commit()
    return LinkResult(LinkOutcome.LINKED, employee)


def set_locale(*, session: Session, employee: Employee, locale: str, now: datetime) -> None:
    """Keep the employee's chosen language; commits."""
    employee.chosen_locale = locale
    session.add(employee)
    record(
        session,
        at=now,
        actor_id=employee.id,
        action="account.language",
        subject=f"employee:{employee.id}",
        details=f"locale={locale}",
    )
    session.commit()
