"""The sweep's domain work on due codes: reminders owed and breach deductions (§3, §4)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import update
from sqlmodel import Session, col, select

from kpi.audit import record
from kpi.policy import Policy
from kpi.reminders import Step
from models import Deduction, DeductionSource, WorkCode, WorkCodeStatus
from models.db import insert_ignoring_duplicates

BATCH = 50  # due codes per batch of a sweep (an approver's due codes are never split)
# A breach belongs to the deadline day: dated at its last moment (23:59:59.999999 local), not
# at 24:00, which is already the next day and may be the next month, quarter or year.
LAST_MOMENT = timedelta(microseconds=1)


def due_batches(session: Session, now: datetime) -> list[list[int]]:
    """The ids of the codes whose next event has come, in batches of about BATCH.

    An approver's due codes stay in one batch, so that one reminder lists them all.
    """
    # Only codes still open have a next event, so the next_event_at index alone finds the due
    # ones. Asking for the status in the same query let SQLite pick the status index and walk
    # every open code instead.
    query = select(col(WorkCode.id), col(WorkCode.approver_id)).where(
        col(WorkCode.next_event_at) <= now
    )
    by_approver: dict[int, list[int]] = defaultdict(list)
    for code_id, approver_id in sorted(session.exec(query), key=lambda row: cast(int, row[0])):
        by_approver[approver_id].append(cast(int, code_id))
    batches: list[list[int]] = []
    for ids in by_approver.values():
        if not batches or len(batches[-1]) + len(ids) > BATCH:
            batches.append([])
        batches[-1] += ids
    return batches


def due_codes(session: Session, ids: list[int], now: datetime) -> list[WorkCode]:
    """The codes of a batch that are still open and due (a response may have come meanwhile)."""
    return list(
        session.exec(
            select(WorkCode)
            .where(
                col(WorkCode.id).in_(ids),
                col(WorkCode.status) == WorkCodeStatus.OPEN,
                col(WorkCode.next_event_at) <= now,
            )
            .order_by(col(WorkCode.id))
        )
    )


def record_breach(session: Session, code: WorkCode, policy: Policy, now: datetime) -> bool:
    """The approver's deduction for this cycle, dated on its deadline day; False if it exists."""
    inserted = insert_ignoring_duplicates(
        session,
        Deduction,
        [
            {
                "key": f"breach:{code.id}:{code.cycle}",
                "employee_id": code.approver_id,
                "criterion": policy.breach_criterion,
                "points": policy.breach_points,
                "reason": "",
                "occurred_at": code.deadline_at - LAST_MOMENT,
                "source": DeductionSource.DEADLINE_BREACH.value,
                "work_code_id": code.id,
                "created_at": now,
            }
        ],
    )
    if inserted:
        record(
            session,
            at=now,
            actor_id=None,
            action="deduction.breach",
            subject=f"workcode:{code.id}",
            details=f"cycle={code.cycle} approver={code.approver_id}",
        )
    return inserted == 1


def advance(session: Session, code: WorkCode, step: Step) -> None:
    """Store where the code's ladder stands (no commit); a response meanwhile wins."""
    values = {"reminded_slots": step.reminded_slots, "next_event_at": step.next_event_at}
    if step.breach:
        values["breached_cycle"] = code.cycle
    session.execute(
        update(WorkCode)
        .where(col(WorkCode.id) == code.id, col(WorkCode.cycle) == code.cycle)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
