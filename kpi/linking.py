"""One-time invites that link a Telegram account to an employee (§6)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import cast

from sqlalchemy import update
from sqlmodel import Session, col, select

from kpi.audit import record
from kpi.outbox import Draft, enqueue
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


@dataclass(frozen=True)
class Move:
    """An invite moved an employee from one Telegram account to another."""

    employee: Employee
    previous_telegram_id: int
    invite_id: int


# Drafts the message telling the previous account it is unlinked; it is queued in the move's own
# transaction, so it goes out if and only if the move is kept.
Farewell = Callable[[Move], Draft]
# Drafts what an employee linking for the first time missed (deductions logged before), queued in
# the linking transaction.
Catchup = Callable[[Employee], Sequence[Draft]]


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


def redeem_invite(
    *,
    session: Session,
    token: str,
    telegram_id: int,
    now: datetime,
    farewell: Farewell | None = None,
    catchup: Catchup | None = None,
) -> LinkResult:
    """Spend the invite on its first opening, by anyone, and link `telegram_id` to its employee
    when that account acts for nobody else; commits.

    The employee's previous account, if any, is unlinked and told (by `farewell`'s draft); an
    employee linking for the first time is told what they missed (by `catchup`'s drafts).
    """
    if not TOKEN_RE.fullmatch(token):
        return LinkResult(LinkOutcome.MALFORMED)
    invite = session.exec(select(Invite).where(Invite.token_hash == hash_token(token))).first()
    if invite is None:
        return LinkResult(LinkOutcome.UNKNOWN)
    employee = session.get_one(Employee, invite.employee_id)
    holder = session.exec(select(Employee).where(Employee.telegram_id == telegram_id)).first()
    owner = holder is not None and holder.id == employee.id
    if invite.used_at is not None or invite.expires_at <= now:
        if owner:  # the owner opening their old link again: nothing to spend, nothing to change
            return LinkResult(LinkOutcome.ALREADY_LINKED, holder)
        spent = invite.used_at is not None
        return LinkResult(LinkOutcome.USED if spent else LinkOutcome.EXPIRED)
    if not _spend(session, invite, telegram_id, now):
        return LinkResult(LinkOutcome.USED)
    if holder is not None:  # spent all the same: nobody else may link with it afterwards
        session.commit()
        outcome = LinkOutcome.ALREADY_LINKED if owner else LinkOutcome.ACCOUNT_TAKEN
        return LinkResult(outcome, holder)
    return _link(session, invite, employee, telegram_id, now, (farewell, catchup))


def _spend(session: Session, invite: Invite, telegram_id: int, now: datetime) -> bool:
    # A conditional update: of two openings racing with the same token, exactly one spends it.
    spent = session.execute(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_at=now, used_by_telegram_id=telegram_id)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return False
    return True


def _link(
    session: Session,
    invite: Invite,
    employee: Employee,
    telegram_id: int,
    now: datetime,
    tellers: tuple[Farewell | None, Catchup | None],
) -> LinkResult:
    farewell, catchup = tellers
    previous = employee.telegram_id
    employee.telegram_id = telegram_id
    employee.linked_at = now
    session.add(employee)
    details = f"invite={invite.id}"
    record(
        session,
        at=now,
        actor_id=employee.id,
        action="account.link" if previous is None else "account.move",
        subject=f"employee:{employee.id}",
        details=details if previous is None else f"{details} from={previous} to={telegram_id}",
    )
    if previous is not None and farewell is not None:
        enqueue(session, [farewell(Move(employee, previous, cast(int, invite.id)))], now=now)
    if previous is None and catchup is not None:
        session.flush()
        enqueue(session, list(catchup(employee)), now=now)
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
