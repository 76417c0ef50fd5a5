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
from sqlmodel import Session

from tests.factories import Org, make_deduction, make_employee

NOV = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)


@pytest.fixture
def organisation(session: Session, org: Org) -> None:
    """The shared organisation, with deductions for NV1 and TP, one of them reversed."""
    staff, leader = org.staff, org.leader
    for _ in range(2):
        make_deduction(session, staff, "training_attendance", occurred_at=NOV)
    reversed_one = make_deduction(session, staff, "task_quality", "20", occurred_at=NOV)
    make_deduction(session, staff, "task_quality", "20", occurred_at=NOV, reverses=reversed_one)
    make_deduction(session, leader, "approval_timeliness", "5", occurred_at=NOV)
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
def test_csv_has_a_header_and_a_row_per_employee(database_url: str, tmp_path: Path) -> None:
    result = run_report(database_url, tmp_path, "--quarter", "2026Q4", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert "8 employees written to kpi-2026Q4.csv" in result.stdout
    raw = (tmp_path / "kpi-2026Q4.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    by_code = {row["code"]: row for row in rows}
    assert list(by_code) == ["AD", "GD", "HR", "NV1", "NV2", "NV3", "PP", "TP"]
    assert by_code["NV1"]["training_attendance"] == "11.00"
    assert by_code["NV1"]["task_quality"] == "20.00"  # the 20 points were reversed
    assert by_code["NV1"]["total"] == "96.00"
    assert by_code["NV1"]["deductions"] == "2"
    assert by_code["NV1"]["leader_name"] == "Trần Thị Phương"
    assert by_code["NV1"]["position"] == "Chuyên viên"
    assert by_code["TP"]["approval_timeliness"] == "5.00"  # September is another quarter
    assert by_code["TP"]["task_quantity"] == ""  # not a criterion of a division head
    assert by_code["TP"]["classification"] == "Hoàn thành xuất sắc nhiệm vụ"
    assert by_code["NV2"]["bonus_coefficient"] == "1.50"


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
    assert header[:3] == ("code", "full_name", "unit") and header[-1] == "deductions"
    assert [row[0] for row in rows[1:]] == ["AD", "HR"]
    assert [row[header.index("total")] for row in rows[1:]] == [100, 100]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--quarter", "2026Q5"), "is not a quarter"),
        (("--quarter", "2026Q4", "--format", "pdf"), "--format must be csv or xlsx"),
        (("--quarter", "2026Q4", "--unit", "Không có"), "no employee in unit"),
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
    database_url: str, tmp_path: Path
) -> None:
    result = run_report(database_url, tmp_path, "--quarter", "2026Q4", "--format", "csv")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "kpi-2026Q4.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines(keepends=True)))
    cells = {value for row in rows for value in row.values()}
    assert {cell[1:] for cell in cells if cell.startswith("'")} == FORMULA_TEXTS
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    by_code = {row["code"]: row for row in rows}
    assert by_code["'-CV"]["leader_code"] == "'@TP"
    assert (by_code["'-CV"]["task_quality"], by_code["'-CV"]["total"]) == ("0.00", "80.00")


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
    total = staff[header.index("total")]
    assert (total.value, total.data_type) == (80, "n")
