"""Fixtures of the domain tests: the organisation that deductions are logged in."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from models import Employee
from tests.factories import make_employee


@dataclass
class Org:
    """GD leads TP, PP and HR; TP leads NV1 and NV2 (a records clerk); PP leads NV3."""

    director: Employee
    admin: Employee  # HR, an admin who is nobody's leader
    leader: Employee
    other_leader: Employee
    staff: Employee
    clerk: Employee
    outsider: Employee  # in the other leader's team

    def __getitem__(self, name: str) -> Employee:
        return getattr(self, name)  # type: ignore[no-any-return]


@pytest.fixture
def org(session: Session) -> Org:
    director = make_employee(session, "GD", "Giám đốc", position="giam_doc")
    leader = make_employee(session, "TP", "Trưởng phòng", position="truong_phong", leader=director)
    other = make_employee(session, "PP", "Phó phòng", position="pho_truong_phong", leader=director)
    return Org(
        director=director,
        admin=make_employee(session, "HR", "Tổ chức", role="admin", leader=director),
        leader=leader,
        other_leader=other,
        staff=make_employee(session, "NV1", "Nguyễn Văn An", leader=leader),
        clerk=make_employee(session, "NV2", "Trần Thị Bình", position="van_thu", leader=leader),
        outsider=make_employee(session, "NV3", "Lê Văn Cường", leader=other),
    )
