"""The roster's export: the import format, round trips through import, and inert cells."""

from __future__ import annotations

import csv
import string
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import Session, select

from kpi.roster import COLUMNS, export_roster
from kpi.roster_import import ImportReport, RosterRow, import_roster, read_roster
from kpi.tables import TableFileError
from models import AuditEvent, Employee, Invite, Position, Unit

POSITIONS = frozenset({"chuyen_vien", "lanh_dao"})
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def row(code: str, name: str, unit: str, leader: str | None = None, **more: str) -> RosterRow:
    values = {"position": "chuyen_vien", "role": "staff", "language": "vi"} | more
    return RosterRow(
        0, code, name, unit, values["position"], leader, values["role"], values["language"]
    )


def load(session: Session, rows: list[RosterRow]) -> None:
    report = import_roster(session=session, rows=rows, positions=POSITIONS, now=NOW)
    assert (report.created, report.errors) == (len(rows), ())


ROUND_TRIP = [
    row("NV10", 'Đặng, Thị "Hoa"', "Phòng Kế hoạch – Tài chính", "GD"),
    row("GD", "Nguyễn Văn Ánh", "Ban Giám đốc", position="lanh_dao", role="admin", language="en"),
    row("NV02", "=Trương Ỷ", "Phòng Kế hoạch – Tài chính", "NV10"),
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_changes_nothing(session: Session, tmp_path: Path, suffix: str) -> None:
    load(session, ROUND_TRIP)
    path = tmp_path / f"export{suffix}"
    assert export_roster(session=session, path=path) == 3
    rows = read_roster(path)
    assert [r.code for r in rows] == ["GD", "NV02", "NV10"]
    assert rows[1] == RosterRow(
        3, "NV02", "=Trương Ỷ", "Phòng Kế hoạch – Tài chính", "chuyen_vien", "NV10", "staff", "vi"
    )
    report = import_roster(session=session, rows=rows, positions=POSITIONS, now=NOW)
    assert report == ImportReport(created=0, updated=0, unchanged=3, errors=(), dry_run=False)
    again = tmp_path / f"again{suffix}"
    export_roster(session=session, path=again)
    assert read_roster(again) == rows


def test_an_employee_created_by_the_import_joined_then(session: Session) -> None:
    load(session, ROUND_TRIP[:2])
    later = NOW + timedelta(days=30)
    rows = [replace(ROUND_TRIP[0], full_name="Đặng Thị Hoa"), ROUND_TRIP[2]]
    import_roster(session=session, rows=rows, positions=POSITIONS, now=later)
    joined = dict(session.exec(select(Employee.code, Employee.joined_at)).all())
    assert joined == {"NV10": NOW, "GD": NOW, "NV02": later}  # an update keeps the first


def test_export_csv_has_bom_and_header(session: Session, tmp_path: Path) -> None:
    load(session, ROUND_TRIP)
    export_roster(session=session, path=tmp_path / "out.csv")
    content = (tmp_path / "out.csv").read_bytes()
    assert content.startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode() + b"\r\n")


def test_export_refuses_unknown_extension(session: Session, tmp_path: Path) -> None:
    with pytest.raises(TableFileError, match="expected .csv or .xlsx"):
        export_roster(session=session, path=tmp_path / "out.ods")


# --- Inert cells: nothing a spreadsheet would run --------------------------------------------

HOSTILE = [
    row("-7", '=HYPERLINK("http://x.example","Mở")', "+Phòng A", position="lanh_dao"),
    row("@NV1", "-Lê Văn Bình", "@Phòng B", "-7"),
    row("NV2", "'=Quoted", "Phòng C", "-7"),
]
FORMULA_CELLS = {
    "-7",
    '=HYPERLINK("http://x.example","Mở")',
    "+Phòng A",
    "@NV1",
    "-Lê Văn Bình",
    "@Phòng B",
}


def test_csv_export_quotes_every_formula_like_cell(session: Session, tmp_path: Path) -> None:
    load(session, HOSTILE)
    path = tmp_path / "out.csv"
    export_roster(session=session, path=path)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        cells = [cell for line in list(csv.reader(stream))[1:] for cell in line]
    assert {cell[1:] for cell in cells if cell.startswith("'")} == FORMULA_CELLS | {"'=Quoted"}
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    assert read_roster(path) == [
        RosterRow(n, r.code, r.full_name, r.unit, r.position, r.leader_code, r.role, r.language)
        for n, r in zip((2, 3, 4), sorted(HOSTILE, key=lambda r: r.code), strict=True)
    ]


def test_xlsx_export_writes_every_cell_as_text(session: Session, tmp_path: Path) -> None:
    load(session, HOSTILE)
    path = tmp_path / "out.xlsx"
    export_roster(session=session, path=path)
    sheet = openpyxl.load_workbook(path).active
    cells = [cell for line in sheet.iter_rows(min_row=2) for cell in line if cell.value]
    assert FORMULA_CELLS <= {cell.value for cell in cells}
    assert {cell.data_type for cell in cells} == {"s"}  # text, never "f" (a formula)


# --- Property: any valid roster survives import -> export -> import ---------------------------

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)
NAME_CHARS = VIETNAMESE + VIETNAMESE.upper() + " ,'\"=-."
CODE_CHARS = string.ascii_letters + string.digits + "-_./"


# Names as a roster file yields them: trimmed, single spaces.
names = st.text(NAME_CHARS, min_size=1, max_size=40).map(lambda s: " ".join(s.split())).filter(bool)


@st.composite
def rosters(draw: st.DrawFn) -> list[RosterRow]:
    codes = draw(
        st.lists(st.text(CODE_CHARS, min_size=1, max_size=12), min_size=1, max_size=12, unique=True)
    )
    rows = []
    for index, code in enumerate(codes):
        leader = draw(st.none() | st.sampled_from(codes[:index])) if index else None
        rows.append(
            RosterRow(
                line=0,
                code=code,
                full_name=draw(names),
                unit=draw(st.sampled_from(["Phòng Tổ chức", "Sở Nội vụ", "Văn phòng"])),
                position=draw(st.sampled_from(sorted(POSITIONS))),
                leader_code=leader,
                role=draw(st.sampled_from(["staff", "admin"])),
                language=draw(st.sampled_from(["vi", "en"])),
            )
        )
    return draw(st.permutations(rows))  # leaders may come after their reports


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(roster=rosters(), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_any_roster_round_trips(
    session: Session, tmp_path: Path, roster: list[RosterRow], suffix: str
) -> None:
    for table in (AuditEvent, Invite, Employee, Unit, Position):
        session.exec(delete(table))
    session.commit()
    first = import_roster(session=session, rows=roster, positions=POSITIONS, now=NOW)
    assert (first.created, first.errors) == (len(roster), ())
    path = tmp_path / f"roster{suffix}"
    export_roster(session=session, path=path)
    again = import_roster(session=session, rows=read_roster(path), positions=POSITIONS, now=NOW)
    assert (again.unchanged, again.created, again.updated) == (len(roster), 0, 0)
