"""A task's fault for whoever may excuse it: which faults, to whom, keyed once per fault."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from kpi.calendar import WorkCalendar
from kpi.policy import Policy
from kpi.tasks import cancel, excuse, faults_of
from models import Employee, WorkCode
from notices.callbacks import ExcuseButton
from notices.excuses import excused_notices, fault_notices
from notices.occasion import Occasion
from tests.factories import HANOI, Org, local
from tests.kpi.task_steps import new_task, report, respond


def occasion(policy: Policy, now: datetime) -> Occasion:
    return Occasion(WorkCalendar(tz=HANOI), policy, now, "vi")


def told(session: Session, policy: Policy, code: WorkCode) -> list[tuple[int, str, str]]:
    drafts = fault_notices(session, occasion(policy, local("2026-11-12")), code)
    return [(d.chat_id, d.key, d.reply_markup or "") for d in drafts]


def test_a_late_code_and_each_return_are_told_to_the_superior_once_each(session, org, policy):
    task = new_task(session, policy, org.leader, org.staff, due_on="2026-11-10")
    in_time = report(session, task, org.staff, on="2026-11-10")
    assert told(session, policy, in_time) == []  # opened on the due day: no fault
    respond(session, in_time, org.leader, org.staff, "o", on="2026-11-10")
    [(chat, key, markup)] = told(session, policy, in_time)
    [error] = faults_of(session, task.id, HANOI)
    assert (chat, key) == (org.director.telegram_id, f"fault:error:{error.event_id}")
    assert ExcuseButton.of(error).pack() in markup
    late = report(session, task, org.staff, on="2026-11-12")
    assert [key for _, key, _ in told(session, policy, late)] == [f"fault:delay:{late.id}"]


def test_an_excused_fault_or_a_cancelled_task_is_not_told(session, org, policy):
    task = new_task(session, policy, org.leader, org.staff, due_on="2026-11-10")
    late = report(session, task, org.staff, on="2026-11-12")
    result = excuse(
        session=session,
        task_id=task.id,
        key=f"delay:{late.id}",
        actor=org.director,
        reason="Số liệu gửi chậm",
        now=local("2026-11-12", 10),
        tz=HANOI,
    )
    assert result.outcome == "ok"
    assert told(session, policy, late) == []
    other = new_task(session, policy, org.leader, org.staff, due_on="2026-11-10", title="Khác")
    dropped = report(session, other, org.staff, on="2026-11-12")
    cancel(session=session, task_id=other.id, actor=org.leader, now=local("2026-11-12", 11))
    assert told(session, policy, dropped) == []


def link(session: Session, person: Employee, telegram_id: int | None) -> None:
    found = session.get_one(Employee, person.id)
    found.telegram_id = telegram_id
    session.add(found)
    session.commit()


def test_the_linked_admins_are_told_when_the_superior_has_no_telegram(
    session: Session, org: Org, policy
):
    link(session, org.director, None)
    task = new_task(session, policy, org.leader, org.staff, due_on="2026-11-10")
    late = report(session, task, org.staff, on="2026-11-12")
    [(chat, key, markup)] = told(session, policy, late)  # AD has no Telegram
    assert (chat, key) == (org.admin.telegram_id, f"fault:delay:{late.id}:{org.admin.id}")
    [delay] = faults_of(session, task.id, HANOI)
    assert ExcuseButton.of(delay).pack() in markup


def test_every_linked_admin_but_the_assignee_is_told_when_there_is_no_superior(
    session: Session, org: Org, policy
):
    link(session, org.top_admin, 901)
    task = new_task(session, policy, org.director, org.leader, due_on="2026-11-10")
    late = report(session, task, org.leader, on="2026-11-12")  # the director has no leader
    assert [(chat, key) for chat, key, _ in told(session, policy, late)] == [
        (org.admin.telegram_id, f"fault:delay:{late.id}:{org.admin.id}"),
        (901, f"fault:delay:{late.id}:{org.top_admin.id}"),
    ]
    own = new_task(session, policy, org.director, org.admin, due_on="2026-11-10", title="Của HR")
    mine = report(session, own, org.admin, on="2026-11-12")
    assert [chat for chat, _, _ in told(session, policy, mine)] == [901]  # not HR's own


def test_the_excuse_is_told_to_the_employee_and_the_leader(session, org, policy):
    task = new_task(session, policy, org.leader, org.staff, due_on="2026-11-10")
    report(session, task, org.staff, on="2026-11-12")
    [delay] = faults_of(session, task.id, HANOI)
    drafts = excused_notices(
        session, occasion(policy, local("2026-11-12")), delay, org.director, "<b>Lý do</b>"
    )
    assert [(d.chat_id, d.key) for d in drafts] == [
        (org.staff.telegram_id, f"excused:delay:{delay.work_code_id}:employee"),
        (org.leader.telegram_id, f"excused:delay:{delay.work_code_id}:leader"),
    ]
    assert all(d.text.endswith("Lý do: &lt;b&gt;Lý do&lt;/b&gt;") for d in drafts)
