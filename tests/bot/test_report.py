"""`kpibot report`: the quarter for payroll, read back from CSV and XLSX."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from kpi.policy import Policy
from models import WorkCode
from tests.factories import Org, make_deduction, make_employee

NOV = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)
BREACH = "approval_timeliness"


@pytest.fixture
def organisation(session: Session, org: Org) -> None:
    """The shared organisation, with deductions for NV1 and TP, one of them reversed."""
    staff, leader = org.staff, org.leader
    for _ in range(2):
        make_deduction(session, staff, "training_attendance", occurred_at=NOV)
    reversed_one = make_deduction(session, staff, "task_quality", "20", occurred_at=NOV)
    make_deduction(session, staff, "task_quality", "20", occurred_at=NOV, reverses=reversed_one)
    code = WorkCode(
        employee_id=staff.id,
        approver_id=leader.id,
        title="Báo cáo tháng 10",
        cycle=1,
        cycle_started_at=NOV,
        deadline_at=NOV,
        due_day=NOV.date(),
        created_at=NOV,
    )
    session.add(code)
    session.commit()
    breach = make_deduction(
        session, leader, BREACH, "5", occurred_at=NOV, source="breach", reason="Quá hạn"
    )
    breach.work_code_id = code.id
    session.commit()
    september = datetime(2026, 9, 1, tzinfo=UTC)
    make_deduction(session, leader, "approval_timeliness", "5", occurred_at=september)


def run_report(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KPIBOT_")}
    return subprocess.run(
        [str(Path(sys.executable).parent / "kpibot"), "report", *args],
        env=env | {"KPIBOT_DATABASE_URL": database_url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.usefixtures("organisation")
def test_csv_has_a_header_and_a_row_per_employee(
    database_url: str, tmp_path: Path, policy: Policy
) -> None:
    result = run_report(database_url, tmp_path, "--quarter", "2026Q4", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert (
        "8 employees written to kpi-2026Q4.csv, 3 deductions to kpi-2026Q4-deductions.csv."
        in result.stdout
    )
    raw = (tmp_path / "kpi-2026Q4.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    by_code = {row["Mã cán bộ"]: row for row in rows}
    assert list(by_code) == ["AD", "GD", "HR", "NV1", "NV2", "NV3", "PP", "TP"]
    name = {code: c.name("vi") for code, c in policy.criteria.items()}
    assert by_code["NV1"][name["training_attendance"]] == "11.00"
    assert by_code["NV1"][name["task_quality"]] == "20.00"  # the 20 points were reversed
    assert by_code["NV1"]["Tổng điểm"] == "96.00"
    assert by_code["NV1"]["Số lần trừ điểm"] == "2"
    assert by_code["NV1"]["Cấp trên trực tiếp"] == "Trần Thị Phương"
    assert by_code["NV1"]["Vị trí việc làm"] == "Chuyên viên"
    assert by_code["TP"][name[BREACH]] == "5.00"  # September is another quarter
    assert by_code["TP"][name["task_quantity"]] == ""  # not a criterion of a division head
    assert by_code["TP"]["Xếp loại chất lượng"] == "Hoàn thành xuất sắc nhiệm vụ"
    assert by_code["NV2"]["Hệ số tiền thưởng"] == "1.50"
    listed = (tmp_path / "kpi-2026Q4-deductions.csv").read_text(encoding="utf-8-sig")
    deductions = list(csv.DictReader(listed.splitlines()))
    assert [(d["Mã cán bộ"], d["Số điểm trừ"], d["Ngày"]) for d in deductions] == [
        ("NV1", "2.00", "2026-11-05"),
        ("NV1", "2.00", "2026-11-05"),
        ("TP", "5.00", "2026-11-05"),
    ]
    assert deductions[2]["Mã công việc"].endswith(" Báo cáo tháng 10")


@pytest.mark.usefixtures("organisation")
def test_xlsx_is_ready_to_print_and_filter(
    database_url: str, tmp_path: Path, policy: Policy
) -> None:
    result = run_report(database_url, tmp_path, "--quarter", "2026Q4", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "8 employees written to kpi-2026Q4.xlsx, 3 deductions on its second sheet." in (
        result.stdout
    )
    scores, listed = openpyxl.load_workbook(tmp_path / "kpi-2026Q4.xlsx").worksheets
    header = [cell.value for cell in scores[1]]
    names = [criterion.name("en") for criterion in policy.criteria.values()]
    tasks = ["Tasks due", "Tasks done", "Units due", "Units done", "Quality errors", "Delays"]
    forced = ["Excused faults", "Forced rating: ground", "Forced rating: decision"]
    assert header == ["Code", "Full name", "Unit", "Position", "Leader's code", "Leader"] + [
        *names,
        *tasks,
        *forced,
        "Total",
        "Classification",
        "Bonus coefficient",
        "Deductions",
    ]
    assert scores.freeze_panes == "A2" and scores.auto_filter.ref == f"A1:{_last(header)}9"
    staff = next(row for row in scores.iter_rows(min_row=2) if row[0].value == "NV1")
    total = staff[header.index("Total")]
    assert (total.value, total.number_format) == (96, "0.00")
    widths = {
        letter: scores.column_dimensions[letter].width for letter in ("A", "B", _last(header))
    }
    assert widths["A"] < widths["B"] and widths["B"] >= len("Nguyễn Văn Giám")
    assert widths[_last(header)] >= len("Deductions")
    assert listed.title == "Deductions of the period" and listed.freeze_panes == "A2"
    rows = list(listed.iter_rows(values_only=True))
    assert rows[0] == (
        "Deduction no.",
        "Code",
        "Full name",
        "Criterion",
        "Points",
        "Date",
        "Reason",
        "Work code",
    )
    assert listed.auto_filter.ref == "A1:H4"
    breach = rows[3]
    assert breach[0].startswith("D") and breach[1:5] == (
        "TP",
        "Trần Thị Phương",
        policy.criteria[BREACH].name("en"),
        5,
    )
    assert breach[5].date().isoformat() == "2026-11-05" and breach[6] == "Quá hạn"
    assert breach[7].startswith("#") and breach[7].endswith(" Báo cáo tháng 10")
    assert [row[1] for row in rows[1:3]] == ["NV1", "NV1"] and rows[1][7] is None
    assert listed["E2"].number_format == "0.00"


def _last(header: list[object]) -> str:
    letter: str = get_column_letter(len(header))
    return letter


@pytest.mark.usefixtures("organisation")
def test_xlsx_of_one_unit(database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "van-phong.xlsx"
    result = run_report(
        database_url, tmp_path, "--quarter", "2026Q4", "--unit", "Văn phòng", "--output", str(out)
    )
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("Mã cán bộ", "Họ và tên", "Đơn vị") and header[-1] == "Số lần trừ điểm"
    assert [row[0] for row in rows[1:]] == ["AD", "HR"]
    assert [row[header.index("Tổng điểm")] for row in rows[1:]] == [100, 100]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--quarter", "2026Q5"), "is not a quarter"),
        (("--quarter", "2026Q4", "--format", "pdf"), "--format must be csv or xlsx"),
        (("--quarter", "2026Q4", "--unit", "Không có"), "no employee in unit"),
        (("--quarter", "2026Q4", "--lang", "fr"), "--lang must be vi or en"),
    ],
)
def test_bad_options_get_one_line(database_url: str, tmp_path: Path, args, message) -> None:
    result = run_report(database_url, tmp_path, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def hostile_organisation(db) -> None:
    """People whose roster values a spreadsheet would take for formulas."""
    with db() as session:
        leader = make_employee(session, "@TP", '=HYPERLINK("http://x.example","Mở")')
        staff = make_employee(session, "-CV", "+Lê Văn Hùng", leader=leader, unit="\tVăn phòng")
        make_deduction(session, staff, "task_quality", "20", occurred_at=NOV)


FORMULA_TEXTS = {
    "@TP",
    '=HYPERLINK("http://x.example","Mở")',
    "-CV",
    "+Lê Văn Hùng",
    "\tVăn phòng",
}


@pytest.mark.usefixtures("hostile_organisation")
def test_csv_cells_that_look_like_formulas_are_quoted_numbers_stay(
    database_url: str, tmp_path: Path, policy: Policy
) -> None:
    result = run_report(
        database_url, tmp_path, "--quarter", "2026Q4", "--format", "csv", "--lang", "en"
    )
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "kpi-2026Q4.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines(keepends=True)))
    cells = {value for row in rows for value in row.values()}
    assert {cell[1:] for cell in cells if cell.startswith("'")} == FORMULA_TEXTS
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    by_code = {row["Code"]: row for row in rows}
    assert by_code["'-CV"]["Leader's code"] == "'@TP"
    quality = policy.criteria["task_quality"].name("en")
    assert (by_code["'-CV"][quality], by_code["'-CV"]["Total"]) == ("0.00", "80.00")


@pytest.mark.usefixtures("hostile_organisation")
def test_xlsx_cells_that_look_like_formulas_are_text_numbers_stay(
    database_url: str, tmp_path: Path
) -> None:
    result = run_report(database_url, tmp_path, "--quarter", "2026Q4")
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "kpi-2026Q4.xlsx").active
    header = [cell.value for cell in sheet[1]]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None]
    texts = {cell.value for cell in cells if cell.data_type == "s"}
    assert FORMULA_TEXTS <= texts and "f" not in {cell.data_type for cell in cells}
    staff = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "-CV")
    total = staff[header.index("Tổng điểm")]
    assert (total.value, total.data_type) == (80, "n")
