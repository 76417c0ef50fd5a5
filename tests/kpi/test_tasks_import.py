"""Task imports: validation by line, all or nothing, idempotent by external_id."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session, col, select

from kpi.policy import Policy
from kpi.tables import RowError
from kpi.tasks_import import ImportReport, import_tasks, read_tasks
from models import AuditEvent, Task
from tests.factories import Org

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
HEADER = "code,title,due_on,type,assigned_by,external_id"


def load(session: Session, policy: Policy, path: Path, **options) -> ImportReport:
    return import_tasks(session=session, rows=read_tasks(path), policy=policy, now=NOW, **options)


def tasks(session: Session) -> list[Task]:
    session.expire_all()
    return list(session.exec(select(Task).order_by(col(Task.id))))


def write(path: Path, body: str) -> Path:
    path.write_text(HEADER + "\n" + body, encoding="utf-8")
    return path


def test_import_adds_tasks_then_skips_those_already_there(session, policy, org: Org, tmp_path):
    body = (
        "NV1,Báo cáo tháng 11,2026-11-30,BAO_CAO,TP,VB-001\n"
        "NV3,Đề án chuyển đổi số,2026-12-15,de_an,,VB-002\n"
        "NV2,Công văn trả lời,2026-12-01,van_ban,HR,\n"  # an admin assigns anyone
    )
    path = write(tmp_path / "t.csv", body)
    assert load(session, policy, path, dry_run=True) == ImportReport(3, 0, (), True)
    assert tasks(session) == []
    assert load(session, policy, path) == ImportReport(3, 0, (), False)
    first = tasks(session)
    assert [(t.employee_id, t.assigner_id, t.type, t.due_on, t.external_id) for t in first] == [
        (org.staff.id, org.leader.id, "bao_cao", date(2026, 11, 30), "VB-001"),
        (org.outsider.id, None, "de_an", date(2026, 12, 15), "VB-002"),
        (org.clerk.id, org.admin.id, "van_ban", date(2026, 12, 1), None),
    ]
    assert all(t.created_at == NOW for t in first)
    again = load(session, policy, path)
    assert (again.created, again.skipped) == (1, 2)  # the row without an external_id is new
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.action == "task.import"))
    assert len(list(actions)) == 2


@pytest.mark.usefixtures("org")
def test_every_bad_row_is_reported_by_line_and_nothing_is_added(session, policy, tmp_path):
    body = (
        "NV1,Báo cáo,2026-11-30,bao_cao,,A\n"
        "XX,,2026-02-30,poem,,\n"
        "NV1,/start,,van_ban,PP,A\n"
        "NV1,Tờ trình,30/11/2026,,NOBODY,\n"
    )
    report = load(session, policy, write(tmp_path / "t.csv", body))
    assert report.errors == (
        RowError(3, "unknown employee 'XX'"),
        RowError(3, "empty title"),
        RowError(3, "bad date '2026-02-30' (expected YYYY-MM-DD)"),
        RowError(
            3,
            "unknown task type 'poem' (one of: van_ban, bao_cao, to_trinh, ke_hoach, van_ban_qppl,"
            " de_an, nhiem_vu_trong_tam)",
        ),
        RowError(4, "title starts with '/'"),
        RowError(4, "empty due_on"),
        RowError(4, "'PP' is neither the leader of 'NV1' nor an admin"),
        RowError(4, "same external_id as line 2"),
        RowError(5, "bad date '30/11/2026' (expected YYYY-MM-DD)"),
        RowError(5, "empty type"),
        RowError(5, "unknown assigned_by 'NOBODY'"),
    )
    assert tasks(session) == []


@pytest.mark.usefixtures("org")
def test_xlsx_dates_are_read(session, policy, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "title", "due_on", "type"])
    sheet.append(["NV1", "Kế hoạch năm 2027", datetime(2026, 12, 20), "ke_hoach"])
    book.save(tmp_path / "t.xlsx")
    assert load(session, policy, tmp_path / "t.xlsx").created == 1
    assert tasks(session)[0].due_on == date(2026, 12, 20)
