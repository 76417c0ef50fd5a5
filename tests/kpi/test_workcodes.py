"""The work-code workflow: transitions, refusals, the trail, deadlines, titles and races."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

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
from tests.factories import local, make_employee

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CALENDAR = WorkCalendar()
DAYS = 5


MONDAY = local("2026-11-02")
FRIDAY = local("2026-11-06")
LATER = MONDAY + timedelta(hours=3)


@dataclass
class Team:
    boss: Employee  # the leader's own leader: takes no part in the author's codes
    leader: Employee
    author: Employee
    colleague: Employee  # same leader as the author
    other_leader: Employee


@pytest.fixture
def team(session: Session) -> Team:
    boss = make_employee(session, "GD", "Giám đốc", position="lanh_dao")
    leader = make_employee(session, "TP", "Trưởng phòng", position="lanh_dao", leader=boss)
    return Team(
        boss=boss,
        leader=leader,
        author=make_employee(session, "NV1", "Nguyễn Văn An", leader=leader),
        colleague=make_employee(session, "NV2", "Trần Thị Bình", leader=leader),
        other_leader=make_employee(session, "PP", "Phó phòng", position="lanh_dao", leader=boss),
    )


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


def actor_for(team: Team, name: str) -> Employee:
    return team.leader if name in APPROVER_ACTIONS else team.author


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
def test_accepted_titles_are_stored_exactly(session: Session, team: Team, text: str) -> None:
    title = clean_title(text)
    result = open_work_code(
        session=session, author=team.author, title=text, now=MONDAY, calendar=CALENDAR, days=DAYS
    )
    if isinstance(title, WorkCodeOutcome):
        assert result == WorkCodeResult(title)
        return
    assert result.code is not None
    session.expire_all()
    assert session.get_one(WorkCode, result.code.id).title == title


# --- Opening -------------------------------------------------------------------------------------


def test_open_on_friday_is_due_end_of_next_friday(session: Session, team: Team) -> None:
    result = open_work_code(
        session=session,
        author=team.author,
        title="  Kế hoạch\ncải cách hành chính ",
        description="\r\nDòng 1\r\nDòng 2\x00  ",
        now=FRIDAY,
        calendar=CALENDAR,
        days=DAYS,
    )
    code = result.code
    assert result.outcome is WorkCodeOutcome.OK and code is not None
    assert (code.title, code.description) == ("Kế hoạch cải cách hành chính", "Dòng 1\nDòng 2")
    assert (code.employee_id, code.approver_id) == (team.author.id, team.leader.id)
    assert (code.status, code.cycle, code.closed_at) == (WorkCodeStatus.OPEN, 1, None)
    assert code.cycle_started_at == code.created_at == FRIDAY
    # Five working days after Friday 6/11 (the first day not counted): Friday 13/11, 24:00 local.
    assert code.due_day == date(2026, 11, 13)
    assert code.deadline_at == datetime(2026, 11, 13, 17, 0, tzinfo=UTC)
    assert trail(session, code) == [(1, "open", team.author.id, "")]
    [audit] = audits(session, code)
    assert (audit.action, audit.actor_id, audit.at) == ("workcode.open", team.author.id, FRIDAY)
    assert audit.details == f"cycle=1 approver={team.leader.id}"


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
    session: Session, team: Team, title: str, description: str, outcome: WorkCodeOutcome
) -> None:
    result = open_work_code(
        session=session,
        author=team.author,
        title=title,
        description=description,
        now=MONDAY,
        calendar=CALENDAR,
        days=DAYS,
    )
    assert result == WorkCodeResult(outcome)
    assert session.exec(select(WorkCode)).all() == []
    assert session.exec(select(AuditEvent)).all() == []


def test_description_of_exactly_the_limit_is_kept(session: Session, team: Team) -> None:
    description = "đ" * MAX_TEXT
    result = open_work_code(
        session=session,
        author=team.author,
        title="Báo cáo",
        description=f"  {description}\n",
        now=MONDAY,
        calendar=CALENDAR,
        days=DAYS,
    )
    assert result.code is not None and result.code.description == description


def test_employee_without_leader_cannot_open(session: Session, team: Team) -> None:
    assert open_work_code(
        session=session, author=team.boss, title="Kế hoạch", now=MONDAY, calendar=CALENDAR, days=5
    ) == WorkCodeResult(WorkCodeOutcome.NO_LEADER)
    # The leader is read from the database, not from the (stale) object the caller holds.
    stale = Employee(id=team.author.id, code="NV1", full_name="An", leader_id=team.leader.id)
    set_leader(session, team.author, None)
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
    session: Session, team: Team, name: str, status: WorkCodeStatus, final: bool, text: str
) -> None:
    code = open_code(session, team.author)
    assert pending_for(session=session, approver_id=team.leader.id) == [code]
    result = act(session, name, code, team.leader, cycle=1)
    assert result.outcome is WorkCodeOutcome.OK and result.code is not None
    assert (result.code.status, result.code.closed_at) == (status, LATER if final else None)
    assert result.code.deadline_at == code.deadline_at  # kept for the record
    assert pending_for(session=session, approver_id=team.leader.id) == []
    assert trail(session, code)[1:] == [(1, name, team.leader.id, text)]
    audit = audits(session, code)[-1]
    assert (audit.action, audit.actor_id, audit.at) == (f"workcode.{name}", team.leader.id, LATER)
    assert audit.details == f"cycle=1 approver={team.leader.id}"


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
    session: Session, team: Team, name: str, text: str, outcome: WorkCodeOutcome, stored: str | None
) -> None:
    code = open_code(session, team.author)
    assert code.id is not None
    if name == "reject":
        result = reject(session=session, code_id=code.id, actor=team.leader, reason=text, now=LATER)
    else:
        result = give_opinion(
            session=session, code_id=code.id, actor=team.leader, text=text, now=LATER
        )
    assert result.outcome is outcome and result.code is not None
    if stored is None:
        assert result.code.status == WorkCodeStatus.OPEN
        assert len(trail(session, code)) == 1
    else:
        assert trail(session, code)[-1] == (1, name, team.leader.id, stored)
        assert stored not in audits(session, code)[-1].details


# --- Who may do what -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("colleague", WorkCodeOutcome.NOT_FOUND),  # same leader, someone else's code
        ("boss", WorkCodeOutcome.NOT_FOUND),  # the leader's superior does not act on codes
        ("other_leader", WorkCodeOutcome.NOT_FOUND),
        (
            "wrong_side",
            WorkCodeOutcome.NOT_ALLOWED,
        ),  # the author responding, or the approver withdrawing
    ],
)
def test_only_the_right_participant_acts(
    session: Session, team: Team, name: str, who: str, outcome: WorkCodeOutcome
) -> None:
    code = open_code(session, team.author)
    if name == "resubmit":
        act(session, "opinion", code, team.leader)
    if who == "wrong_side":
        actor = team.author if name in APPROVER_ACTIONS else team.leader
    else:
        actor = getattr(team, who)
    result = act(session, name, code, actor)
    assert result.outcome is outcome
    # Someone who takes no part does not even learn that the code exists.
    assert (result.code is None) == (outcome is WorkCodeOutcome.NOT_FOUND)
    assert len(trail(session, code)) == (2 if name == "resubmit" else 1)


@pytest.mark.parametrize("name", list(ACTIONS))
def test_unknown_code_is_not_found(session: Session, team: Team, name: str) -> None:
    assert act(session, name, 999, actor_for(team, name)) == WorkCodeResult(
        WorkCodeOutcome.NOT_FOUND
    )


@pytest.mark.parametrize(
    ("who", "action", "cycle", "outcome"),
    [
        ("leader", WorkCodeAction.REJECT, 1, WorkCodeOutcome.OK),
        ("leader", WorkCodeAction.OPINION, None, WorkCodeOutcome.OK),
        ("leader", WorkCodeAction.OPINION, 2, WorkCodeOutcome.ALREADY_HANDLED),
        ("author", WorkCodeAction.REJECT, 1, WorkCodeOutcome.NOT_ALLOWED),
        ("colleague", WorkCodeAction.OPINION, 1, WorkCodeOutcome.NOT_FOUND),
    ],
)
def test_check_response_before_asking_for_the_text(
    session: Session,
    team: Team,
    who: str,
    action: WorkCodeAction,
    cycle: int | None,
    outcome: WorkCodeOutcome,
) -> None:
    code = open_code(session, team.author)
    assert code.id is not None
    actor = getattr(team, who)
    result = check_response(
        session=session, code_id=code.id, actor=actor, action=action, cycle=cycle
    )
    assert result.outcome is outcome
    assert (result.code is None) == (outcome is WorkCodeOutcome.NOT_FOUND)
    assert len(trail(session, code)) == 1  # a check changes nothing
    assert session.get_one(WorkCode, code.id).status == WorkCodeStatus.OPEN


# --- Cycles, final states, stale buttons -------------------------------------------------------


def test_resubmit_starts_a_new_cycle_with_a_new_deadline_and_current_leader(
    session: Session, team: Team
) -> None:
    code = open_code(session, team.author)  # Monday 2/11: due Monday 9/11
    assert code.id is not None and code.due_day == date(2026, 11, 9)
    set_leader_message(session=session, code_id=code.id, chat_id=-100, message_id=7)
    act(session, "opinion", code, team.leader, now=local("2026-11-04"))
    set_leader(session, team.author, team.other_leader)
    result = resubmit(
        session=session, code_id=code.id, actor=team.author, now=FRIDAY, calendar=CALENDAR, days=5
    )
    new = result.code
    assert result.outcome is WorkCodeOutcome.OK and new is not None
    assert (new.status, new.cycle, new.cycle_started_at) == (WorkCodeStatus.OPEN, 2, FRIDAY)
    assert (new.due_day, new.deadline_at) == (date(2026, 11, 13), local("2026-11-14", 0))
    assert (new.approver_id, new.closed_at, new.created_at) == (team.other_leader.id, None, MONDAY)
    assert (new.leader_chat_id, new.leader_message_id) == (None, None)  # the old notice is stale
    assert trail(session, code)[1:] == [
        (1, "opinion", team.leader.id, "Bổ sung phụ lục"),
        (2, "resubmit", team.author.id, ""),
    ]
    assert audits(session, code)[-1].details == f"cycle=2 approver={team.other_leader.id}"
    # The former approver no longer sees the code; the new one has it pending.
    assert act(session, "approve", code, team.leader) == WorkCodeResult(WorkCodeOutcome.NOT_FOUND)
    assert pending_for(session=session, approver_id=team.other_leader.id) == [new]


def test_resubmit_needs_a_leader(session: Session, team: Team) -> None:
    code = open_code(session, team.author)
    act(session, "opinion", code, team.leader)
    set_leader(session, team.author, None)
    result = act(session, "resubmit", code, team.author)
    assert result.outcome is WorkCodeOutcome.NO_LEADER
    assert result.code is not None and result.code.status == WorkCodeStatus.RETURNED


def test_a_button_from_a_past_cycle_is_already_handled(session: Session, team: Team) -> None:
    code = open_code(session, team.author)
    act(session, "opinion", code, team.leader, cycle=1)
    act(session, "resubmit", code, team.author)
    for name in (*APPROVER_ACTIONS, "withdraw"):
        result = act(session, name, code, actor_for(team, name), cycle=1)
        assert result.outcome is WorkCodeOutcome.ALREADY_HANDLED
        assert result.code is not None and (result.code.status, result.code.cycle) == ("open", 2)
    assert act(session, "approve", code, team.leader, cycle=2).outcome is WorkCodeOutcome.OK
    assert [action for _cycle, action, *_ in trail(session, code)] == [
        "open",
        "opinion",
        "resubmit",
        "approve",
    ]


@pytest.mark.parametrize("from_status", ["open", "returned"])
def test_author_withdraws(session: Session, team: Team, from_status: str) -> None:
    code = open_code(session, team.author)
    if from_status == "returned":
        act(session, "opinion", code, team.leader)
    result = act(session, "withdraw", code, team.author, now=FRIDAY)
    assert result.outcome is WorkCodeOutcome.OK and result.code is not None
    assert (result.code.status, result.code.closed_at) == (WorkCodeStatus.WITHDRAWN, FRIDAY)
    assert trail(session, code)[-1] == (1, "withdraw", team.author.id, "")
    assert pending_for(session=session, approver_id=team.leader.id) == []


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
    session: Session, team: Team, name: str, steps: list[str], status: WorkCodeStatus
) -> None:
    code = open_code(session, team.author)
    for step in steps:
        assert (
            act(session, step, code, actor_for(team, step), now=MONDAY).outcome
            is WorkCodeOutcome.OK
        )
    before = trail(session, code)
    result = act(session, name, code, actor_for(team, name))
    assert result.outcome is WorkCodeOutcome.ALREADY_HANDLED and result.code is not None
    assert (result.code.status, result.code.closed_at) == (status, MONDAY)
    assert trail(session, code) == before


@pytest.mark.parametrize(
    ("first", "second"),
    [("opinion", "opinion"), ("opinion", "approve"), ("approve", "reject")],
)
def test_double_press_is_already_handled(
    session: Session, team: Team, first: str, second: str
) -> None:
    code = open_code(session, team.author)
    assert act(session, first, code, team.leader).outcome is WorkCodeOutcome.OK
    assert act(session, second, code, team.leader).outcome is WorkCodeOutcome.ALREADY_HANDLED
    assert len(trail(session, code)) == 2


def test_resubmit_twice_starts_one_cycle(session: Session, team: Team) -> None:
    code = open_code(session, team.author)
    act(session, "opinion", code, team.leader)
    assert act(session, "resubmit", code, team.author).outcome is WorkCodeOutcome.OK
    result = act(session, "resubmit", code, team.author)
    assert result.outcome is WorkCodeOutcome.ALREADY_HANDLED
    assert result.code is not None and result.code.cycle == 2


# --- The trail -----------------------------------------------------------------------------------


def test_the_audit_trail_holds_ids_only(session: Session, team: Team) -> None:
    secret = "Bí mật <b>quốc gia</b>"
    code = open_code(session, team.author, title=secret)
    assert code.id is not None
    steps = [
        ("opinion", team.leader, local("2026-11-03")),
        ("resubmit", team.author, local("2026-11-04")),
        ("reject", team.leader, local("2026-11-05")),
    ]
    for name, actor, now in steps:
        assert act(session, name, code, actor, now=now).outcome is WorkCodeOutcome.OK
    assert [
        (e.cycle, e.action, e.actor_id, e.at) for e in events_of(session=session, code_id=code.id)
    ] == [
        (1, "open", team.author.id, MONDAY),
        (1, "opinion", team.leader.id, local("2026-11-03")),
        (2, "resubmit", team.author.id, local("2026-11-04")),
        (2, "reject", team.leader.id, local("2026-11-05")),
    ]
    records = audits(session, code)
    assert [(a.action, a.actor_id) for a in records] == [
        ("workcode.open", team.author.id),
        ("workcode.opinion", team.leader.id),
        ("workcode.resubmit", team.author.id),
        ("workcode.reject", team.leader.id),
    ]
    assert all(re.fullmatch(r"cycle=\d approver=\d+", a.details) for a in records)


# --- Lists ---------------------------------------------------------------------------------------


def test_codes_of_newest_first_and_pending_by_deadline(session: Session, team: Team) -> None:
    first = open_code(session, team.author, "Một", now=local("2026-11-03"))
    second = open_code(session, team.author, "Hai", now=MONDAY)  # older deadline, newer row
    third = open_code(session, team.author, "Ba", now=local("2026-11-04"))
    other = open_code(session, team.colleague, "Của Bình", now=local("2026-11-05"))
    act(session, "opinion", third, team.leader)
    assert codes_of(session=session, employee_id=team.author.id) == [third, first, second]
    assert codes_of(session=session, employee_id=team.author.id, limit=2) == [third, first]
    assert pending_for(session=session, approver_id=team.leader.id) == [second, first, other]
    assert pending_for(session=session, approver_id=team.other_leader.id) == []


def test_set_leader_message(session: Session, team: Team) -> None:
    code = open_code(session, team.author)
    assert code.id is not None
    set_leader_message(session=session, code_id=code.id, chat_id=-1001234567890, message_id=42)
    session.expire_all()
    stored = session.get_one(WorkCode, code.id)
    assert (stored.leader_chat_id, stored.leader_message_id) == (-1001234567890, 42)


# --- Reassignment --------------------------------------------------------------------------------


def test_reassign_moves_open_codes_to_the_new_leader_and_keeps_the_deadline(
    session: Session, team: Team
) -> None:
    opened = open_code(session, team.author, "Mở")
    returned = open_code(session, team.author, "Trả lại")
    approved = open_code(session, team.author, "Đã duyệt")
    act(session, "opinion", returned, team.leader)
    act(session, "approve", approved, team.leader)
    kept = open_code(session, team.colleague, "Giữ nguyên")
    orphan = open_code(session, team.leader, "Của trưởng phòng")  # approver: the boss
    set_leader(session, team.author, team.other_leader)
    set_leader(session, team.leader, None)  # a code never loses its approver
    deadline = opened.deadline_at
    assert reassign_open_codes(session=session) == 2
    session.commit()
    assert opened.approver_id == returned.approver_id == team.other_leader.id  # refreshed
    assert approved.approver_id == kept.approver_id == team.leader.id
    assert orphan.approver_id == team.boss.id
    assert (opened.deadline_at, opened.cycle, opened.status) == (deadline, 1, "open")
    assert reassign_open_codes(session=session) == 0


# --- Races ---------------------------------------------------------------------------------------


def race(
    db: sessionmaker[Session], *calls: Callable[[Session], WorkCodeResult]
) -> list[WorkCodeOutcome]:
    """Run each call in its own thread and session, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[WorkCodeOutcome | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[Session], WorkCodeResult]) -> None:
        try:
            with db() as session:
                barrier.wait(timeout=10)
                outcomes[index] = call(session).outcome
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return [outcome for outcome in outcomes if outcome is not None]


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
    db: sessionmaker[Session], session: Session, team: Team, first: str, second: str, returned: bool
) -> None:
    for _round in range(5):
        code = open_code(session, team.author)
        assert code.id is not None
        if returned:
            act(session, "opinion", code, team.leader)
        outcomes = race(db, press(team, first, code.id), press(team, second, code.id))
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


def press(team: Team, name: str, code_id: int) -> Callable[[Session], WorkCodeResult]:
    """A press of `name` by the right participant, with the button's cycle, in its own session."""
    actor_id = actor_for(team, name).id
    return lambda session: act(session, name, code_id, session.get_one(Employee, actor_id), cycle=1)


@pytest.mark.parametrize(("name", "rival"), [("withdraw", "approve"), ("approve", "opinion")])
def test_a_change_between_read_and_update_loses(
    db: sessionmaker[Session], session: Session, team: Team, name: str, rival: str
) -> None:
    code = open_code(session, team.author)
    assert code.id is not None
    code_id, rivals, rival_id = code.id, [rival], actor_for(team, rival).id

    @event.listens_for(session, "do_orm_execute")
    def interleave(state: ORMExecuteState) -> None:
        # Right before this session's conditional UPDATE, another instance acts on the code.
        if state.is_update and rivals:
            rivals.pop()
            with db() as other:
                rival_actor = other.get_one(Employee, rival_id)
                assert act(other, rival, code_id, rival_actor).outcome is WorkCodeOutcome.OK

    result = act(session, name, code_id, actor_for(team, name))
    assert result.outcome is WorkCodeOutcome.ALREADY_HANDLED and result.code is not None
    assert result.code.status == WINNER_STATUS[rival]  # the row as it now stands
    assert [e.action for e in events_of(session=session, code_id=code_id)] == ["open", rival]
