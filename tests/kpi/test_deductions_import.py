"""Deduction imports: reading CSV/XLSX rows, validation, all or nothing, importing once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, col, select

from kpi.deductions_import import DeductionRow, ImportReport, import_deductions, read_deductions
from kpi.policy import Policy
from kpi.tables import RowError, TableFileError
from models import AuditEvent, Deduction
from tests.factories import HANOI, Org, local, make_employee

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Friday 10:00 in Hà Nội
HEADER = "code,criterion,occurred_on,reason,points"


def rows(session: Session) -> list[Deduction]:
    session.expire_all()
    return list(session.exec(select(Deduction).order_by(col(Deduction.id))))


def audits(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def write_csv(path: Path, body: str, *, bom: bool = True, header: str = HEADER) -> Path:
    path.write_bytes((("\ufeff" if bom else "") + header + "\n" + body).encode())
    return path


def load(session: Session, policy: Policy, path: Path, **options: Any) -> ImportReport:
    return import_deductions(
        session=session, rows=read_deductions(path), policy=policy, tz=HANOI, now=NOW, **options
    )


@pytest.mark.parametrize("bom", [True, False])
def test_import_csv_creates_deductions_at_noon_local(
    session: Session, policy: Policy, org: Org, tmp_path: Path, bom: bool
) -> None:
    body = (
        "NV1,task_quality,2026-11-02,Báo cáo sai số liệu,3\n"
        'NV2 , Document_Handling ,2026-10-01,"Thất lạc\nvăn bản đến",\n'  # default points
        "TP,approval_timeliness,2026-11-27,Chậm duyệt,2.5\n"  # today
    )
    report = load(
        session, policy, write_csv(tmp_path / "d.csv", body, bom=bom), actor_id=org.admin.id
    )
    assert report == ImportReport(created=3, skipped=0, errors=(), dry_run=False)
    created = rows(session)
    assert [(r.employee_id, r.criterion, r.points) for r in created] == [
        (org.staff.id, "task_quality", Decimal(3)),
        (org.clerk.id, "document_handling", Decimal(2)),
        (org.leader.id, "approval_timeliness", Decimal("2.5")),
    ]
    assert [r.occurred_at for r in created] == [
        local("2026-11-02", 12),
        local("2026-10-01", 12),  # Q4's first day stays in Q4
        local("2026-11-27", 12),
    ]
    assert created[1].reason == "Thất lạc\nvăn bản đến"
    assert {(r.source, r.author_id, r.reverses_id) for r in created} == {
        ("import", org.admin.id, None)
    }
    assert all(r.key and r.key.startswith("import:") for r in created)
    [event] = audits(session, "deduction.import")
    assert (event.actor_id, event.details) == (org.admin.id, "created=3 skipped=0")


def test_import_xlsx_with_date_and_number_cells(
    session: Session, policy: Policy, org: Org, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Reason", "CODE", "occurred_on", "criterion", "points", "note"])
    sheet.append(["Đi muộn", "NV1", datetime(2026, 9, 30), "discipline_ethics", 1.5, "x"])
    sheet.append(["Vắng tập huấn", 1001, "2026-07-01", "training_attendance", None, None])
    sheet.append([None] * 6)  # blank rows are skipped, later rows keep their sheet row
    sheet.append(["Chậm tiến độ", "NV1", date(2026, 8, 28), "task_progress", 4, None])
    workbook.create_sheet("ignored").append(["code"])
    workbook.save(tmp_path / "d.xlsx")
    make_employee(session, "1001", "Số hiệu", leader=org.leader)  # a code Excel keeps as a number
    parsed = read_deductions(tmp_path / "d.xlsx")
    assert [(r.line, r.code, r.occurred_on, r.points) for r in parsed] == [
        (2, "NV1", "2026-09-30T00:00:00", "1.5"),
        (3, "1001", "2026-07-01", ""),
        (5, "NV1", "2026-08-28T00:00:00", "4"),
    ]
    report = load(session, policy, tmp_path / "d.xlsx")
    assert (report.created, report.errors) == (3, ())
    assert [(r.points, r.occurred_at, r.author_id) for r in rows(session)] == [
        (Decimal("1.5"), local("2026-09-30", 12), None),
        (Decimal(2), local("2026-07-01", 12), None),
        (Decimal(4), local("2026-08-28", 12), None),
    ]


@pytest.mark.usefixtures("org")
def test_import_reads_semicolons_and_decimal_commas(
    session: Session,
    policy: Policy,
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        "NV1;task_quality;2026-11-02;Sai sót;2,5\n",
        header=HEADER.replace(",", ";"),
    )
    assert load(session, policy, path).created == 1
    assert [r.points for r in rows(session)] == [Decimal("2.5")]


@pytest.mark.usefixtures("org")
def test_points_column_is_optional(
    session: Session,
    policy: Policy,
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        "2026-11-02,NV1,Sai sót,task_quality\n",
        header="occurred_on,code,reason,criterion",
    )
    assert load(session, policy, path).created == 1
    assert [r.points for r in rows(session)] == [Decimal(2)]


ERROR_CASES = [
    ("NOBODY,task_quality,2026-11-02,Lý do,", "unknown employee 'NOBODY'"),
    (",task_quality,2026-11-02,Lý do,", "empty code"),
    ("NV1,,2026-11-02,Lý do,", "empty criterion"),
    ("NV1,no_such,2026-11-02,Lý do,", "unknown criterion 'no_such'"),
    (
        "NV1,document_handling,2026-11-02,Lý do,",
        "criterion 'document_handling' is not one of position 'chuyen_vien'",
    ),
    ("NV1,task_quality,,Lý do,", "empty occurred_on"),
    ("NV1,task_quality,02/11/2026,Lý do,", "bad date '02/11/2026' (expected YYYY-MM-DD)"),
    ("NV1,task_quality,2026-02-30,Lý do,", "bad date '2026-02-30' (expected YYYY-MM-DD)"),
    ("NV1,task_quality,20261102,Lý do,", "bad date '20261102' (expected YYYY-MM-DD)"),
    ("NV1,task_quality,2026-11-28,Lý do,", "date 2026-11-28 is in the future"),
    (
        "NV1,task_quality,2026-11-02,Lý do,abc",
        "bad points 'abc' (expected a number such as 2 or 2.5)",
    ),
    (
        "NV1,task_quality,2026-11-02,Lý do,0",
        "bad points '0' (more than 0, at most 20 for this criterion, at most 2 decimals)",
    ),
    (
        "NV1,task_quality,2026-11-02,Lý do,21",
        "bad points '21' (more than 0, at most 20 for this criterion, at most 2 decimals)",
    ),
    (
        "NV1,task_quality,2026-11-02,Lý do,1.555",
        "bad points '1.555' (more than 0, at most 20 for this criterion, at most 2 decimals)",
    ),
    ("NV1,task_quality,2026-11-02,  ,", "empty reason"),
    ("NV1,task_quality,2026-11-02," + "x" * 2001 + ",", "reason is longer than 2000 characters"),
]


@pytest.mark.parametrize(("line", "reason"), ERROR_CASES)
@pytest.mark.usefixtures("org")
def test_each_bad_row_is_reported_with_its_line(
    session: Session,
    policy: Policy,
    tmp_path: Path,
    line: str,
    reason: str,
) -> None:
    good = "NV1,task_quality,2026-11-02,Báo cáo sai,\n"
    report = load(
        session,
        policy,
        write_csv(tmp_path / "d.csv", good + line + "\n" + good.replace("sai", "thiếu")),
    )
    assert report == ImportReport(
        created=0, skipped=0, errors=(RowError(3, reason),), dry_run=False
    )
    assert rows(session) == []  # all or nothing
    assert audits(session, "deduction.import") == []


@pytest.mark.usefixtures("org")
def test_every_error_at_once_in_line_order(
    session: Session,
    policy: Policy,
    tmp_path: Path,
) -> None:
    body = "\n".join(line for line, _reason in ERROR_CASES) + "\n"
    body += "NOBODY,no_such,someday,,-1\n"  # several problems on one line
    body += "NV1,task_quality,2026-11-02,Trùng,2\nNV1,Task_Quality,2026-11-02,Trùng,2.00\n"
    report = load(session, policy, write_csv(tmp_path / "d.csv", body))
    last = len(ERROR_CASES) + 2
    assert report.errors == (
        *(RowError(n, reason) for n, (_line, reason) in enumerate(ERROR_CASES, start=2)),
        RowError(last, "unknown employee 'NOBODY'"),
        RowError(last, "unknown criterion 'no_such'"),
        RowError(last, "bad date 'someday' (expected YYYY-MM-DD)"),
        RowError(last, "empty reason"),  # points are checked against a known criterion only
        RowError(last + 2, f"same deduction as line {last + 1}"),
    )
    assert rows(session) == []


@pytest.mark.usefixtures("org")
def test_reimport_adds_nothing_and_dry_run_changes_nothing(
    session: Session, policy: Policy, tmp_path: Path
) -> None:
    body = "NV1,task_quality,2026-11-02,Sai sót,\nNV2,document_handling,2026-11-03,Thất lạc,2\n"
    path = write_csv(tmp_path / "d.csv", body)
    assert load(session, policy, path, dry_run=True) == ImportReport(2, 0, (), dry_run=True)
    assert rows(session) == [] and audits(session, "deduction.import") == []
    assert load(session, policy, path) == ImportReport(2, 0, (), dry_run=False)
    # The same file again, with explicit default points and another spelling: nothing new.
    again = write_csv(
        tmp_path / "again.csv",
        "NV1,Task_Quality,2026-11-02, Sai sót ,2.00\nNV2,document_handling,2026-11-03,Thất lạc,2\n"
        "NV1,task_quality,2026-11-02,Sai sót lần 2,\n",
    )
    assert load(session, policy, again, dry_run=True) == ImportReport(1, 2, (), dry_run=True)
    assert load(session, policy, again) == ImportReport(1, 2, (), dry_run=False)
    assert load(session, policy, path) == ImportReport(0, 2, (), dry_run=False)
    assert len(rows(session)) == 3
    details = [event.details for event in audits(session, "deduction.import")]
    assert details == ["created=2 skipped=0", "created=1 skipped=2", "created=0 skipped=2"]


def test_a_header_only_file_imports_nothing(
    session: Session, policy: Policy, tmp_path: Path
) -> None:
    assert load(session, policy, write_csv(tmp_path / "d.csv", "")) == ImportReport(0, 0, (), False)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("d.csv", b"", "d.csv is empty: a header row is required"),
        ("d.csv", b"\n\n", "d.csv is empty: a header row is required"),
        (
            "d.csv",
            b"code,criterion,reason\nNV1,x,y\n",
            "d.csv line 1: missing required column(s) occurred_on",
        ),
        (
            "d.csv",
            b"code,code,criterion,occurred_on,reason\n",
            "d.csv line 1: column 'code' appears twice",
        ),
        ("d.csv", b"\xff\xfecode", "d.csv is not UTF-8 text"),
        ("d.txt", b"code\n", "d.txt: unknown file type, expected .csv or .xlsx"),
        ("d.xlsx", b"not a zip file", "cannot read d.xlsx as an XLSX workbook"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(TableFileError) as caught:
        read_deductions(tmp_path / name)
    assert str(caught.value).startswith(message)


@pytest.mark.usefixtures("org")
def test_rows_built_in_code_are_checked_too(session: Session, policy: Policy) -> None:
    row = DeductionRow(7, "NV1", "task_quality", "2026-11-02", "Lý do", "2")
    future = DeductionRow(8, "NV1", "task_quality", "2026-11-28", "Lý do", "")
    # At 23:30 in Hà Nội on 27/11 it is still the 27th: the 28th is tomorrow there.
    late = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    report = import_deductions(
        session=session, rows=[row, future], policy=policy, tz=HANOI, now=late
    )
    assert report.errors == (RowError(8, "date 2026-11-28 is in the future"),)
    at_midnight = late + timedelta(minutes=30)
    report = import_deductions(
        session=session, rows=[row, future], policy=policy, tz=HANOI, now=at_midnight
    )
    assert (report.created, report.errors) == (2, ())
