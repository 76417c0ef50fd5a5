"""The task digest and the due day's task reminder survive a crash between their transactions: the
day is marked only once every message is queued, and the next sweep queues what is missing,
nothing twice."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

import scheduler.sweep as sweep
from kpi.outbox import enqueue as real
from models import OutboxMessage
from scheduler.sweep import run_sweep
from tests.factories import HANOI, local
from tests.kpi.task_steps import new_task


def task_digest_keys(session, prefix: str = "tasks:") -> list[str]:
    keys = session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).like(f"{prefix}%")))
    return sorted(keys)


def test_a_crash_between_transactions_loses_and_doubles_nothing(
    db, session, org, policy, monkeypatch
):
    for person in (org.staff, org.clerk):
        new_task(session, policy, org.leader, person, due_on="2026-11-04")
    morning = local("2026-11-03", 8, 5)  # Tuesday: due tomorrow
    monkeypatch.setattr(sweep, "TASK_DIGESTS_QUEUED", 1)
    calls = []

    def crashing(session, drafts, **kwargs):
        if any(draft.key.startswith("tasks:") for draft in drafts):
            calls.append(1)
            if len(calls) == 2:  # the first task digest is queued; the crash comes at the second
                raise RuntimeError("killed")
        return real(session, drafts, **kwargs)

    monkeypatch.setattr(sweep, "enqueue", crashing)
    with pytest.raises(RuntimeError):
        run_sweep(db=db, policy=policy, tz=HANOI, now=morning, default_locale="vi")
    assert len(task_digest_keys(session)) == 1
    monkeypatch.setattr(sweep, "enqueue", real)
    again = run_sweep(db=db, policy=policy, tz=HANOI, now=morning, default_locale="vi")
    assert (again.digests, again.queued) == (2, 1)  # the one missing
    expected = [f"tasks:{org.clerk.id}:2026-11-03:1", f"tasks:{org.staff.id}:2026-11-03:1"]
    assert task_digest_keys(session) == sorted(expected)
    later = run_sweep(
        db=db, policy=policy, tz=HANOI, now=local("2026-11-03", 11), default_locale="vi"
    )
    assert (later.digests, later.queued) == (0, 0)


def test_the_reminder_is_queued_once_through_a_crash_and_late_sweeps(
    db, session, org, policy, monkeypatch
):
    for person in (org.staff, org.clerk):
        new_task(session, policy, org.leader, person, due_on="2026-11-04")
    new_task(session, policy, org.other_leader, org.outsider, due_on="2026-11-05")  # tomorrow's
    afternoon = local("2026-11-04", 15)  # Wednesday, the due day's last slot
    monkeypatch.setattr(sweep, "TASK_DIGESTS_QUEUED", 1)
    calls = []

    def crashing(session, drafts, **kwargs):
        if any(draft.key.startswith("task-remind:") for draft in drafts):
            calls.append(1)
            if len(calls) == 2:  # the first reminder is queued; the crash comes at the second
                raise RuntimeError("killed")
        return real(session, drafts, **kwargs)

    monkeypatch.setattr(sweep, "enqueue", crashing)
    with pytest.raises(RuntimeError):
        run_sweep(db=db, policy=policy, tz=HANOI, now=afternoon, default_locale="vi")
    assert len(task_digest_keys(session, "task-remind:")) == 1
    monkeypatch.setattr(sweep, "enqueue", real)
    again = run_sweep(
        db=db, policy=policy, tz=HANOI, now=local("2026-11-04", 17), default_locale="vi"
    )
    assert (again.reminders, again.queued) == (2, 1)  # the one missing, late the same day
    expected = [
        f"task-remind:{org.clerk.id}:2026-11-04:1",
        f"task-remind:{org.staff.id}:2026-11-04:1",
    ]
    assert task_digest_keys(session, "task-remind:") == sorted(expected)
    queued = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.key).like("task-remind:%"))
    ).all()
    assert {message.expires_at for message in queued} == {local("2026-11-04", 21)}
    for hour in (17, 20):
        later = run_sweep(
            db=db, policy=policy, tz=HANOI, now=local("2026-11-04", hour), default_locale="vi"
        )
        assert (later.reminders, later.queued) == (0, 0)


def test_a_reminder_not_sent_by_quiet_hours_is_not_sent_at_all(db, session, org, policy):
    new_task(session, policy, org.leader, org.staff, due_on="2026-11-04")
    for hour in (14, 21, 23):  # before the slot, then too late the same day
        report = run_sweep(
            db=db, policy=policy, tz=HANOI, now=local("2026-11-04", hour), default_locale="vi"
        )
        assert report.reminders == 0
    next_day = run_sweep(
        db=db, policy=policy, tz=HANOI, now=local("2026-11-05", 15), default_locale="vi"
    )
    assert next_day.reminders == 0  # overdue now: the digest names it, no reminder
    assert task_digest_keys(session, "task-remind:") == []
