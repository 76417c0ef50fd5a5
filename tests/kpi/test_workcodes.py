"""The work-code workflow: transitions, refusals, the trail, deadlines, titles and races."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, sessionmaker
from sqlmodel import Session, col, select

from kpi.calendar import WorkCalendar
from kpi.workcodes import (
    MAX_TEXT,
    MAX_TITLE,
    WorkCodeOutcome,
    WorkCodeResult,
    approve,
    check_response,
    clean_title,
    codes_of,
    events_of,
    give_opinion,
    open_work_code,
    pending_for,
    reassign_open_codes,
    reject,
    resubmit,
    set_leader_message,
    withdraw,
)
from models import AuditEvent, Employee, WorkCode, WorkCodeAction, WorkCodeStatus
from tests.concurrency import race
from tests.factories import Org, local

CALENDAR = WorkCalendar()
DAYS = 5


MONDAY = local("2026-11-02")
FRIDAY = local("2026-11-06")
LATER = MONDAY + timedelta(hours=3)


def open_code(
    session: Session, author: Employee, title: str = "Báo cáo quý IV", now: datetime = MONDAY
) -> WorkCode:
    result = open_work_code(
        session=session, author=author, title=title, now=now, calendar=CALENDAR, days=DAYS
    )
    assert result.outcome is WorkCodeOutcome.OK and result.code is not None
    return result.code


def set_leader(session: Session, employee: Employee, leader: Employee | None) -> None:
    row = session.get_one(Employee, employee.id)
    row.leader_id = leader.id if leader else None
    session.add(row)
    session.commit()


# Every action, by name, with valid texts: (session, code id, actor, now, cycle) -> WorkCodeResult.
Action = Callable[[Session, int, Employee, datetime, int | None], WorkCodeResult]
ACTIONS: dict[str, Action] = {
    "approve": lambda s, c, a, now, cy: approve(session=s, code_id=c, actor=a, now=now, cycle=cy),
    "reject": lambda s, c, a, now, cy: reject(
        session=s, code_id=c, actor=a, reason="Thiếu số liệu", now=now, cycle=cy
    ),
    "opinion": lambda s, c, a, now, cy: give_opinion(
        session=s, code_id=c, actor=a, text="Bổ sung phụ lục", now=now, cycle=cy
    ),
    "resubmit": lambda s, c, a, now, _cy: resubmit(
        session=s, code_id=c, actor=a, now=now, calendar=CALENDAR, days=DAYS
    ),
    "withdraw": lambda s, c, a, now, cy: withdraw(session=s, code_id=c, actor=a, now=now, cycle=cy),
}
APPROVER_ACTIONS = ("approve", "reject", "opinion")
AUTHOR_ACTIONS = ("resubmit", "withdraw")


def act(
    session: Session,
    name: str,
    code: WorkCode | int,
    actor: Employee,
    *,
    now: datetime = LATER,
    cycle: int | None = None,
) -> WorkCodeResult:
    code_id = code if isinstance(code, int) else code.id
    assert code_id is not None
    return ACTIONS[name](session, code_id, actor, now, cycle)


def actor_for(org: Org, name: str) -> Employee:
    return org.leader if name in APPROVER_ACTIONS else org.staff


def trail(session: Session, code: WorkCode) -> list[tuple[int, str, int, str]]:
    assert code.id is not None
    return [
        (e.cycle, e.action, e.actor_id, e.text) for e in events_of(session=session, code_id=code.id)
    ]


def audits(session: Session, code: WorkCode) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.subject == f"workcode:{code.id}")
    return list(session.exec(query.order_by(col(AuditEvent.id))))


# --- Titles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Báo cáo quý IV", "Báo cáo quý IV"),
        ("  Báo cáo\n\tquý   IV \r\n", "Báo cáo quý IV"),
        ("🚀 Kế hoạch 👨‍👩‍👧 2027", "🚀 Kế hoạch 👨‍👩‍👧 2027"),  # the ZWJ family stays one emoji
        ("تقرير الربع الرابع", "تقرير الربع الرابع"),
        ("\u200fשלום\u200e", "\u200fשלום\u200e"),  # direction marks are kept
        ("<b>Đề xuất</b> & <i>dự toán</i>", "<b>Đề xuất</b> & <i>dự toán</i>"),
        ("a\x00b\x07c", "abc"),  # control characters cannot be shown (and PostgreSQL refuses NUL)
        ("x\ud800y", "xy"),  # a lone surrogate is not text
        ("\u00a0Họp\u3000giao ban\u2028", "Họp giao ban"),
        ("a/b", "a/b"),
        ("x" * MAX_TITLE, "x" * MAX_TITLE),
        (" " + "ệ" * MAX_TITLE + "\n", "ệ" * MAX_TITLE),  # trimmed before counting
        ("", WorkCodeOutcome.EMPTY_TITLE),
        (" \n\t ", WorkCodeOutcome.EMPTY_TITLE),
        ("\u200b\u200c\u2060\ufeff", WorkCodeOutcome.EMPTY_TITLE),
        ("\u00a0\u3000\u2028\x00", WorkCodeOutcome.EMPTY_TITLE),
        ("/start", WorkCodeOutcome.COMMAND_AS_TITLE),
        ("  /open Báo cáo", WorkCodeOutcome.COMMAND_AS_TITLE),
        ("x" * (MAX_TITLE + 1), WorkCodeOutcome.TITLE_TOO_LONG),
    ],
)
def test_clean_title(text: str, expected: str | WorkCodeOutcome) -> None:
    assert clean_title(text) == expected


def reference_fold(text: str) -> str:
    """The title rule stated another way: drop controls, fold whitespace runs, trim."""
    kept = "".join(c for c in text if c.isspace() or unicodedata.category(c) not in ("Cc", "Cs"))
    return re.sub(r"\s+", " ", kept).strip()


def visible(text: str) -> bool:
    categories = [unicodedata.category(c) for c in text]
    return any(c[0] != "Z" and c not in ("Cc", "Cf") for c in categories)


TRICKY = st.sampled_from([" ", "\n", "\t", "\r", "/", "\u200b", "\ufeff", "\x00", "\u00a0", "<"])
TITLES = st.text(st.characters() | TRICKY, max_size=220) | st.text(min_size=195, max_size=205)


@given(text=TITLES)
def test_any_text_is_a_folded_title_or_a_refusal(text: str) -> None:
    result = clean_title(text)
    folded = reference_fold(text)
    if not isinstance(result, WorkCodeOutcome):  # an WorkCodeOutcome is a str too
        assert result == folded
        assert 1 <= len(result) <= MAX_TITLE and visible(result) and not result.startswith("/")
    elif not visible(folded):
        assert result is WorkCodeOutcome.EMPTY_TITLE
    elif folded.startswith("/"):
        assert result is WorkCodeOutcome.COMMAND_AS_TITLE
    else:
        assert (result, len(folded) > MAX_TITLE) == (WorkCodeOutcome.TITLE_TOO_LONG, True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TITLES)
def test_accepted_titles_are_stored_exactly(session: Session, org: Org, text: str) -> None:
    title = clean_title(text)
    result = open_work_code(
        session=session, author=org.staff, title=text, now=MONDAY, calendar=CALENDAR, days=DAYS
    )
    if isinstance(title, WorkCodeOutcome):
        assert result == WorkCodeResult(title)
        return
    assert result.code is not None
    session.expire_all()
    assert session.get_one(WorkCode, result.code.id).title == title


# --- Opening -------------------------------------------------------------------------------------


def test_open_on_friday_is_due_end_of_next_friday(session: Session, org: Org) -> None:
    result = open_work_code(
        session=session,
        author=org.staff,
        title="  Kế hoạch\ncải cách hành chính ",
        description="\r\nDòng 1\r\nDòng 2\x00  ",
        now=FRIDAY,
        calendar=CALENDAR,
        days=DAYS,
    )
    code = result.code
    assert result.outcome is WorkCodeOutcome.OK and code is not None
    assert (code.title, code.description) == ("Kế hoạch cải cách hành chính", "Dòng 1\nDòng 2")
    assert (code.employee_id, code.approver_id) == (org.staff.id, org.leader.id)
    assert (code.status, code.cycle, code.closed_at) == (WorkCodeStatus.OPEN, 1, None)
    assert code.cycle_started_at == code.created_at == FRIDAY
    # Five working days after Friday 6/11 (the first day not counted): Friday 13/11, 24:00 local.
    assert code.due_day == date(2026, 11, 13)
    assert code.deadline_at == datetime(2026, 11, 13, 17, 0, tzinfo=UTC)
    assert trail(session, code) == [(1, "open", org.staff.id, "")]
    [audit] = audits(session, code)
    assert (audit.action, audit.actor_id, audit.at) == ("workcode.open", org.staff.id, FRIDAY)
    assert audit.details == f"cycle=1 approver={org.leader.id}"


@pytest.mark.parametrize(
    ("title", "description", "outcome"),
    [
        ("   ", "", WorkCodeOutcome.EMPTY_TITLE),
        ("\u200b", "", WorkCodeOutcome.EMPTY_TITLE),
        ("/mycodes", "", WorkCodeOutcome.COMMAND_AS_TITLE),
        ("x" * 201, "", WorkCodeOutcome.TITLE_TOO_LONG),
        ("Báo cáo", "d" * (MAX_TEXT + 1), WorkCodeOutcome.DESCRIPTION_TOO_LONG),
    ],
)
def test_open_refusals_write_nothing(
    session: Session, org: Org, title: str, description: str, outcome: WorkCodeOutcome
) -> None:
    result = open_work_code(
        session=session,
        author=org.staff,
        title=title,
        description=description,
        now=MONDAY,
        calendar=CALENDAR,
        days=DAYS,
    )
    assert result == WorkCodeResult(outcome)
    assert session.exec(select(WorkCode)).all() == []
    assert session.exec(select(AuditEvent)).all() == []


def test_description_of_exactly_the_limit_is_kept(session: Session, org: Org) -> None:
    description = "đ" * MAX_TEXT
    result = open_work_code(
        session=session,
        author=org.staff,
        title="Báo cáo",
        description=f"  {description}\n",
        now=MONDAY,
        calendar=CALENDAR,
        days=DAYS,
    )
    assert result.code is not None and result.code.description == description


def test_employee_without_leader_cannot_open(session: Session, org: Org) -> None:
    assert open_work_code(
        session=session,
        author=org.director,
        title="Kế hoạch",
        now=MONDAY,
        calendar=CALENDAR,
        days=5,
    ) == WorkCodeResult(WorkCodeOutcome.NO_LEADER)
    # The leader is read from the database, not from the (stale) object the caller holds.
    stale = Employee(id=org.staff.id, code="NV1", full_name="An", leader_id=org.leader.id)
    set_leader(session, org.staff, None)
    assert open_work_code(
        session=session, author=stale, title="Kế hoạch", now=MONDAY, calendar=CALENDAR, days=5
    ) == WorkCodeResult(WorkCodeOutcome.NO_LEADER)
    assert session.exec(select(WorkCode)).all() == []


# --- Responding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "final", "text"),
    [
        ("approve", WorkCodeStatus.APPROVED, True, ""),
        ("reject", WorkCodeStatus.REJECTED, True, "Thiếu số liệu"),
        ("opinion", WorkCodeStatus.RETURNED, False, "Bổ sung phụ lục"),
    ],
)
def test_approver_responds_and_stops_the_clock(
    session: Session, org: Org, name: str, status: WorkCodeStatus, final: bool, text: str
) -> None:
    code = open_code(session, org.staff)
    assert pending_for(session=session, approver_id=org.leader.id) == [code]
    result = act(session, name, code, org.leader, cycle=1)
    assert result.outcome is WorkCodeOutcome.OK and result.code is not None
    assert (result.code.status, result.code.closed_at) == (status, LATER if final else None)
    assert result.code.deadline_at == code.deadline_at  # kept for the record
    assert pending_for(session=session, approver_id=org.leader.id) == []
    assert trail(session, code)[1:] == [(1, name, org.leader.id, text)]
    audit = audits(session, code)[-1]
    assert (audit.action, audit.actor_id, audit.at) == (f"workcode.{name}", org.leader.id, LATER)
    assert audit.details == f"cycle=1 approver={org.leader.id}"


@pytest.mark.parametrize("name", ["reject", "opinion"])
@pytest.mark.parametrize(
    ("text", "outcome", "stored"),
    [
        ("", WorkCodeOutcome.TEXT_REQUIRED, None),
        ("  \n\t ", WorkCodeOutcome.TEXT_REQUIRED, None),
        ("\u200b\u2060\x00", WorkCodeOutcome.TEXT_REQUIRED, None),
        ("x" * (MAX_TEXT + 1), WorkCodeOutcome.TEXT_TOO_LONG, None),
        (" \n" + "x" * MAX_TEXT + "\n ", WorkCodeOutcome.OK, "x" * MAX_TEXT),
        ("Dòng 1\r\n<b>Dòng 2</b> 🙏", WorkCodeOutcome.OK, "Dòng 1\n<b>Dòng 2</b> 🙏"),
    ],
)
def test_reason_and_opinion_texts(
    session: Session, org: Org, name: str, text: str, outcome: WorkCodeOutcome, stored: str | None
) -> None:
    code = open_code(session, org.staff)
    assert code.id is not None
    if name == "reject":
        result = reject(session=session, code_id=code.id, actor=org.leader, reason=text, now=LATER)
    else:
        result = give_opinion(
            session=session, code_id=code.id, actor=org.leader, text=text, now=LATER
        )
    assert result.outcome is outcome and result.code is not None
    if stored is None:
        assert result.code.status == WorkCodeStatus.OPEN
        assert len(trail(session, code)) == 1
    else:
        assert trail(session, code)[-1] == (1, name, org.leader.id, stored)
        assert stored not in audits(session, code)[-1].details


# --- Who may do what -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("clerk", WorkCodeOutcome.NOT_FOUND),  # same leader, someone else's code
        ("director", WorkCodeOutcome.NOT_FOUND),  # the leader's superior does not act on codes
        ("other_leader", WorkCodeOutcome.NOT_FOUND),
        (
            "wrong_side",
            WorkCodeOutcome.NOT_ALLOWED,
        ),  # the author responding, or the approver withdrawing
    ],
)
def test_only_the_right_participant_acts(
    session: Session, org: Org, name: str, who: str, outcome: WorkCodeOutcome
) -> None:
    code = open_code(session, org.staff)
    if name == "resubmit":
        act(session, "opinion", code, org.leader)
    if who == "wrong_side":
        actor = org.staff if name in APPROVER_ACTIONS else org.leader
    else:
        actor = org[who]
    result = act(session, name, code, actor)
    assert result.outcome is outcome
    # Someone who takes no part does not even learn that the code exists.
    assert (result.code is None) == (outcome is WorkCodeOutcome.NOT_FOUND)
    assert len(trail(session, code)) == (2 if name == "resubmit" else 1)


@pytest.mark.parametrize("name", list(ACTIONS))
def test_unknown_code_is_not_found(session: Session, org: Org, name: str) -> None:
    assert act(session, name, 999, actor_for(org, name)) == WorkCodeResult(
        WorkCodeOutcome.NOT_FOUND
    )


@pytest.mark.parametrize(
    ("who", "action", "cycle", "outcome"),
    [
        ("leader", WorkCodeAction.REJECT, 1, WorkCodeOutcome.OK),
        ("leader", WorkCodeAction.OPINION, None, WorkCodeOutcome.OK),
        ("leader", WorkCodeAction.OPINION, 2, WorkCodeOutcome.ALREADY_HANDLED),
        ("staff", WorkCodeAction.REJECT, 1, WorkCodeOutcome.NOT_ALLOWED),
        ("clerk", WorkCodeAction.OPINION, 1, WorkCodeOutcome.NOT_FOUND),
    ],
)
def test_check_response_before_asking_for_the_text(
    session: Session,
    org: Org,
    who: str,
    action: WorkCodeAction,
    cycle: int | None,
    outcome: WorkCodeOutcome,
) -> None:
    code = open_code(session, org.staff)
    assert code.id is not None
    actor = org[who]
    result = check_response(
        session=session, code_id=code.id, actor=actor, action=action, cycle=cycle
    )
    assert result.outcome is outcome
    assert (result.code is None) == (outcome is WorkCodeOutcome.NOT_FOUND)
    assert len(trail(session, code)) == 1  # a check changes nothing
    assert session.get_one(WorkCode, code.id).status == WorkCodeStatus.OPEN


# --- Cycles, final states, stale buttons -------------------------------------------------------


def test_resubmit_starts_a_new_cycle_with_a_new_deadline_and_current_leader(
    session: Session, org: Org
) -> None:
    code = open_code(session, org.staff)  # Monday 2/11: due Monday 9/11
    assert code.id is not None and code.due_day == date(2026, 11, 9)
    set_leader_message(session=session, code_id=code.id, chat_id=-100, message_id=7)
    act(session, "opinion", code, org.leader, now=local("2026-11-04"))
    set_leader(session, org.staff, org.other_leader)
    result = resubmit(
        session=session, code_id=code.id, actor=org.staff, now=FRIDAY, calendar=CALENDAR, days=5
    )
    new = result.code
    assert result.outcome is WorkCodeOutcome.OK and new is not None
    assert (new.status, new.cycle, new.cycle_started_at) == (WorkCodeStatus.OPEN, 2, FRIDAY)
    assert (new.due_day, new.deadline_at) == (date(2026, 11, 13), local("2026-11-14", 0))
    assert (new.approver_id, new.closed_at, new.created_at) == (org.other_leader.id, None, MONDAY)
    assert (new.leader_chat_id, new.leader_message_id) == (None, None)  # the old notice is stale
    assert trail(session, code)[1:] == [
        (1, "opinion", org.leader.id, "Bổ sung phụ lục"),
        (2, "resubmit", org.staff.id, ""),
    ]
    assert audits(session, code)[-1].details == f"cycle=2 approver={org.other_leader.id}"
    # The former approver no longer sees the code; the new one has it pending.
    assert act(session, "approve", code, org.leader) == WorkCodeResult(WorkCodeOutcome.NOT_FOUND)
    assert pending_for(session=session, approver_id=org.other_leader.id) == [new]


def test_resubmit_needs_a_leader(session: Session, org: Org) -> None:
    code = open_code(session, org.staff)
    act(session, "opinion", code, org.leader)
    set_leader(session, org.staff, None)
    result = act(session, "resubmit", code, org.staff)
    assert result.outcome is WorkCodeOutcome.NO_LEADER
    assert result.code is not None and result.code.status == WorkCodeStatus.RETURNED


def test_a_button_from_a_past_cycle_is_already_handled(session: Session, org: Org) -> None:
    code = open_code(session, org.staff)
    act(session, "opinion", code, org.leader, cycle=1)
    act(session, "resubmit", code, org.staff)
    for name in (*APPROVER_ACTIONS, "withdraw"):
        result = act(session, name, code, actor_for(org, name), cycle=1)
        assert result.outcome is WorkCodeOutcome.ALREADY_HANDLED
        assert result.code is not None and (result.code.status, result.code.cycle) == ("open", 2)
    assert act(session, "approve", code, org.leader, cycle=2).outcome is WorkCodeOutcome.OK
    assert [action for _cycle, action, *_ in trail(session, code)] == [
        "open",
        "opinion",
        "resubmit",
        "approve",
    ]


@pytest.mark.parametrize("from_status", ["open", "returned"])
def test_author_withdraws(session: Session, org: Org, from_status: str) -> None:
    code = open_code(session, org.staff)
    if from_status == "returned":
        act(session, "opinion", code, org.leader)
    result = act(session, "withdraw", code, org.staff, now=FRIDAY)
    assert result.outcome is WorkCodeOutcome.OK and result.code is not None
    assert (result.code.status, result.code.closed_at) == (WorkCodeStatus.WITHDRAWN, FRIDAY)
    assert trail(session, code)[-1] == (1, "withdraw", org.staff.id, "")
    assert pending_for(session=session, approver_id=org.leader.id) == []


@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.parametrize(
    ("steps", "status"),
    [
        (["approve"], WorkCodeStatus.APPROVED),
        (["reject"], WorkCodeStatus.REJECTED),
        (["withdraw"], WorkCodeStatus.WITHDRAWN),
        (["opinion", "withdraw"], WorkCodeStatus.WITHDRAWN),
        (["opinion", "resubmit", "approve"], WorkCodeStatus.APPROVED),
    ],
)
def test_final_states_refuse_everything(
    session: Session, org: Org, name: str, steps: list[str], status: WorkCodeStatus
) -> None:
    code = open_code(session, org.staff)
    for step in steps:
        assert (
            act(session, step, code, actor_for(org, step), now=MONDAY).outcome is WorkCodeOutcome.OK
        )
    before = trail(session, code)
    result = act(session, name, code, actor_for(org, name))
    # Resubmitting a rejected code is refused with the reason: a rejection is final.
    final = status is WorkCodeStatus.REJECTED and name == "resubmit"
    expected = WorkCodeOutcome.REJECTION_IS_FINAL if final else WorkCodeOutcome.ALREADY_HANDLED
    assert result.outcome is expected and result.code is not None
    assert (result.code.status, result.code.closed_at) == (status, MONDAY)
    assert trail(session, code) == before


@pytest.mark.parametrize(
    ("first", "second"),
    [("opinion", "opinion"), ("opinion", "approve"), ("approve", "reject")],
)
def test_double_press_is_already_handled(
    session: Session, org: Org, first: str, second: str
) -> None:
    code = open_code(session, org.staff)
    assert act(session, first, code, org.leader).outcome is WorkCodeOutcome.OK
    assert act(session, second, code, org.leader).outcome is WorkCodeOutcome.ALREADY_HANDLED
    assert len(trail(session, code)) == 2


def test_resubmit_twice_starts_one_cycle(session: Session, org: Org) -> None:
    code = open_code(session, org.staff)
    act(session, "opinion", code, org.leader)
    assert act(session, "resubmit", code, org.staff).outcome is WorkCodeOutcome.OK
    result = act(session, "resubmit", code, org.staff)
    assert result.outcome is WorkCodeOutcome.ALREADY_HANDLED
    assert result.code is not None and result.code.cycle == 2


# --- The trail -----------------------------------------------------------------------------------


def test_the_audit_trail_holds_ids_only(session: Session, org: Org) -> None:
    secret = "Bí mật <b>quốc gia</b>"
    code = open_code(session, org.staff, title=secret)
    assert code.id is not None
    steps = [
        ("opinion", org.leader, local("2026-11-03")),
        ("resubmit", org.staff, local("2026-11-04")),
        ("reject", org.leader, local("2026-11-05")),
    ]
    for name, actor, now in steps:
        assert act(session, name, code, actor, now=now).outcome is WorkCodeOutcome.OK
    assert [
        (e.cycle, e.action, e.actor_id, e.at) for e in events_of(session=session, code_id=code.id)
    ] == [
        (1, "open", org.staff.id, MONDAY),
        (1, "opinion", org.leader.id, local("2026-11-03")),
        (2, "resubmit", org.staff.id, local("2026-11-04")),
        (2, "reject", org.leader.id, local("2026-11-05")),
    ]
    records = audits(session, code)
    assert [(a.action, a.actor_id) for a in records] == [
        ("workcode.open", org.staff.id),
        ("workcode.opinion", org.leader.id),
        ("workcode.resubmit", org.staff.id),
        ("workcode.reject", org.leader.id),
    ]
    assert all(re.fullmatch(r"cycle=\d approver=\d+", a.details) for a in records)


# --- Lists ---------------------------------------------------------------------------------------


def test_codes_of_newest_first_and_pending_by_deadline(session: Session, org: Org) -> None:
    first = open_code(session, org.staff, "Một", now=local("2026-11-03"))
    second = open_code(session, org.staff, "Hai", now=MONDAY)  # older deadline, newer row
    third = open_code(session, org.staff, "Ba", now=local("2026-11-04"))
    other = open_code(session, org.clerk, "Của Bình", now=local("2026-11-05"))
    act(session, "opinion", third, org.leader)
    assert codes_of(session=session, employee_id=org.staff.id) == [third, first, second]
    assert codes_of(session=session, employee_id=org.staff.id, limit=2) == [third, first]
    assert pending_for(session=session, approver_id=org.leader.id) == [second, first, other]
    assert pending_for(session=session, approver_id=org.other_leader.id) == []


def test_set_leader_message(session: Session, org: Org) -> None:
    code = open_code(session, org.staff)
    assert code.id is not None
    set_leader_message(session=session, code_id=code.id, chat_id=-1001234567890, message_id=42)
    session.expire_all()
    stored = session.get_one(WorkCode, code.id)
    assert (stored.leader_chat_id, stored.leader_message_id) == (-1001234567890, 42)


# --- Reassignment --------------------------------------------------------------------------------


def test_reassign_moves_open_codes_to_the_new_leader_and_keeps_the_deadline(
    session: Session, org: Org
) -> None:
    opened = open_code(session, org.staff, "Mở")
    returned = open_code(session, org.staff, "Trả lại")
    approved = open_code(session, org.staff, "Đã duyệt")
    act(session, "opinion", returned, org.leader)
    act(session, "approve", approved, org.leader)
    kept = open_code(session, org.clerk, "Giữ nguyên")
    orphan = open_code(session, org.leader, "Của trưởng phòng")  # approver: the boss
    set_leader(session, org.staff, org.other_leader)
    set_leader(session, org.leader, None)  # a code never loses its approver
    deadline = opened.deadline_at
    assert reassign_open_codes(session=session) == 2
    session.commit()
    assert opened.approver_id == returned.approver_id == org.other_leader.id  # refreshed
    assert approved.approver_id == kept.approver_id == org.leader.id
    assert orphan.approver_id == org.director.id
    assert (opened.deadline_at, opened.cycle, opened.status) == (deadline, 1, "open")
    assert reassign_open_codes(session=session) == 0


# --- Races ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "returned"),
    [
        ("approve", "withdraw", False),
        ("approve", "approve", False),
        ("reject", "opinion", False),
        ("resubmit", "withdraw", True),  # a withdraw button made for the returned cycle
    ],
)
def test_racing_transitions_have_one_winner(
    db: sessionmaker[Session], session: Session, org: Org, first: str, second: str, returned: bool
) -> None:
    for _round in range(5):
        code = open_code(session, org.staff)
        assert code.id is not None
        if returned:
            act(session, "opinion", code, org.leader)
        results = race(db, press(org, first, code.id), press(org, second, code.id))
        outcomes = [result.outcome for result in results]
        assert sorted(outcomes) == sorted([WorkCodeOutcome.OK, WorkCodeOutcome.ALREADY_HANDLED])
        winner = (first, second)[outcomes.index(WorkCodeOutcome.OK)]
        session.expire_all()
        events = events_of(session=session, code_id=code.id)
        # Besides the opening (and the opinion before it), exactly one transition is recorded.
        assert [e.action for e in events[2 if returned else 1 :]] == [winner]
        assert len(audits(session, code)) == len(events)
        status = session.get_one(WorkCode, code.id).status
        assert status == WINNER_STATUS[winner]


WINNER_STATUS = {
    "approve": "approved",
    "reject": "rejected",
    "opinion": "returned",
    "resubmit": "open",
    "withdraw": "withdrawn",
}


def press(org: Org, name: str, code_id: int) -> Callable[[Session], WorkCodeResult]:
    """A press of `name` by the right participant, with the button's cycle, in its own session."""
    actor_id = actor_for(org, name).id
    return lambda session: act(session, name, code_id, session.get_one(Employee, actor_id), cycle=1)


@pytest.mark.parametrize(("name", "rival"), [("withdraw", "approve"), ("approve", "opinion")])
def test_a_change_between_read_and_update_loses(
    db: sessionmaker[Session], session: Session, org: Org, name: str, rival: str
) -> None:
    code = open_code(session, org.staff)
    assert code.id is not None
    code_id, rivals, rival_id = code.id, [rival], actor_for(org, rival).id

    @event.listens_for(session, "do_orm_execute")
    def interleave(state: ORMExecuteState) -> None:
        # Right before this session's conditional UPDATE, another instance acts on the code.
        if state.is_update and rivals:
            rivals.pop()
            with db() as other:
                rival_actor = other.get_one(Employee, rival_id)
                assert act(other, rival, code_id, rival_actor).outcome is WorkCodeOutcome.OK

    result = act(session, name, code_id, actor_for(org, name))
    assert result.outcome is WorkCodeOutcome.ALREADY_HANDLED and result.code is not None
    assert result.code.status == WINNER_STATUS[rival]  # the row as it now stands
    assert [e.action for e in events_of(session=session, code_id=code_id)] == ["open", rival]
