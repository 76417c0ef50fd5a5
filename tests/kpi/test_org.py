"""Who is who, read from the database as it stands: leaders, admins, linked accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from kpi import org as queries
from kpi.words import fold
from models import Employee, Unit
from tests.factories import ORG_CHATS, Org, local


@pytest.mark.parametrize(
    ("name", "leader", "leads", "admin"),
    [
        ("director", None, True, False),
        ("leader", "director", True, False),
        ("other_leader", "director", True, False),
        ("staff", "leader", False, False),
        ("clerk", "leader", False, False),
        ("admin", "director", False, True),
        ("top_admin", None, False, True),
    ],
)
def test_each_member_s_leader_and_role(
    session: Session, org: Org, name: str, leader: str | None, leads: bool, admin: bool
) -> None:
    employee_id = org[name].id
    assert queries.leader_of(session, employee_id) == (org[leader].id if leader else None)
    assert queries.leads_anyone(session, employee_id) is leads
    assert queries.is_admin(session, employee_id) is admin


def test_the_database_wins_over_a_stale_copy(session: Session, org: Org) -> None:
    moved = update(Employee).where(col(Employee.id) == org.staff.id)
    session.execute(
        moved.values(leader_id=org.other_leader.id).execution_options(synchronize_session=False)
    )
    session.commit()
    assert org.staff.leader_id == org.leader.id  # the copy the caller holds
    assert queries.leader_of(session, org.staff.id) == org.other_leader.id
    assert queries.direct_reports(session, org.leader.id) == [org.clerk.id]
    assert set(queries.direct_reports(session, org.other_leader.id)) == {
        org.staff.id,
        org.outsider.id,
    }


def test_linked_accounts_admins_and_who_blocked_the_bot(session: Session, org: Org) -> None:
    assert queries.linked_employee(session, ORG_CHATS["clerk"]) == org.clerk
    assert queries.linked_employee(session, 1) is None
    assert queries.admins(session) == [org.admin, org.top_admin]
    assert queries.unreachable(session) == []
    blocked = update(Employee).where(col(Employee.id) == org.leader.id)
    session.execute(blocked.values(unreachable_since=local("2026-11-02")))
    session.commit()
    assert queries.unreachable(session) == [org.leader]
    found = queries.employees_by_id(session, {org.staff.id, org.admin.id, 999})
    assert found == {org.staff.id: org.staff, org.admin.id: org.admin}
    assert queries.employees_by_id(session, set()) == {}


UNITS = ["Sở Nội vụ", "Phòng Nội vụ huyện Đà Bắc", "Đoàn Thanh niên", "Văn phòng"]


@pytest.fixture
def units(session: Session) -> None:
    for name in UNITS:
        session.add(Unit(name=name))
    session.commit()


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("Sở Nội vụ", ["Sở Nội vụ"]),  # named exactly: alone, though another name contains it
        ("  so   NOI vu ", ["Sở Nội vụ"]),
        ("noi vu", ["Phòng Nội vụ huyện Đà Bắc", "Sở Nội vụ"]),
        ("da bac", ["Phòng Nội vụ huyện Đà Bắc"]),
        ("doan", ["Đoàn Thanh niên"]),
        ("ĐOÀN THANH", ["Đoàn Thanh niên"]),
        ("phong", ["Phòng Nội vụ huyện Đà Bắc", "Văn phòng"]),
        ("Sở Tài chính", []),
        ("   ", []),
    ],
)
@pytest.mark.usefixtures("units")
def test_a_unit_named_by_any_part_of_its_name(
    session: Session, words: str, found: list[str]
) -> None:
    assert [unit.name for unit in queries.units_named(session, words)] == found


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Điểm của TÔI?", "diem cua toi?"),
        ("Sở\u00a0 Nội vụ", "so noi vu"),
        ("Nguye\u0302\u0303n", "nguyen"),
    ],
)
def test_words_compare_without_case_diacritics_or_extra_spaces(text: str, folded: str) -> None:
    assert fold(text) == folded
