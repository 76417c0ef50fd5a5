"""Roster imports: reading CSV/XLSX rows, validation, all-or-nothing import, re-import by code."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, select

import kpi.tables
from kpi.calendar import WorkCalendar
from kpi.roster_import import ImportReport, RosterRow, import_roster, read_roster
from kpi.tables import RowError, TableFileError
from kpi.workcodes import WorkCodeOutcome, approve, open_work_code
from models import AuditEvent, Employee, Position, Unit, WorkCode

POSITIONS = frozenset({"chuyen_vien", "lanh_dao"})
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
HEADER = "code,full_name,unit,position,leader_code,role,language"


def write_csv(path: Path, body: str, *, bom: bool = False, header: str = HEADER) -> Path:
    path.write_bytes((("\ufeff" if bom else "") + header + "\n" + body).encode())
    return path


def import_text(session: Session, tmp_path: Path, body: str, **options: Any) -> ImportReport:
    rows = read_roster(write_csv(tmp_path / "roster.csv", body))
    return import_roster(session=session, rows=rows, positions=POSITIONS, now=NOW, **options)


def state(session: Session) -> dict[str, tuple[object, ...]]:
    """Every employee by code, with names instead of ids, as the roster and linking see them."""
    session.expire_all()
    employees = session.exec(select(Employee)).all()
    codes = {e.id: e.code for e in employees}
    units = {u.id: u.name for u in session.exec(select(Unit)).all()}
    positions = {p.id: p.code for p in session.exec(select(Position)).all()}
    return {
        e.code: (
            e.full_name,
            units[e.unit_id],
            positions[e.position_id],
            codes.get(e.leader_id),
            e.role,
            e.language,
            e.telegram_id,
            e.chosen_locale,
            e.linked_at,
        )
        for e in employees
    }


def audit_events(session: Session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == "roster.import")).all())


# --- Reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True])
def test_read_csv_with_or_without_bom(tmp_path: Path, bom: bool) -> None:
    path = write_csv(
        tmp_path / "r.csv", "NV01,Nguyễn Văn An,Phòng Tổ chức,lanh_dao,,admin,en\n", bom=bom
    )
    assert read_roster(path) == [
        RosterRow(2, "NV01", "Nguyễn Văn An", "Phòng Tổ chức", "lanh_dao", None, "admin", "en")
    ]


def test_read_csv_header_any_case_and_order_ignores_unknown_columns(tmp_path: Path) -> None:
    header = " Position ,CODE,note,Full_Name,Unit"
    path = write_csv(
        tmp_path / "r.csv", "chuyen_vien,NV02,x,Trần Thị Bình,Phòng A\n", header=header
    )
    assert read_roster(path) == [
        RosterRow(2, "NV02", "Trần Thị Bình", "Phòng A", "chuyen_vien", None, "staff", "vi")
    ]


def test_read_csv_trims_collapses_spaces_and_normalizes_to_nfc(tmp_path: Path) -> None:
    decomposed = "Nguye\u0302\u0303n"  # "Nguyễn" typed with combining marks
    body = f"  NV03 , {decomposed}   Văn  An ,  Phòng A ,chuyen_vien, , Admin , EN \n"
    [row] = read_roster(write_csv(tmp_path / "r.csv", body))
    assert (row.code, row.full_name, row.unit) == ("NV03", "Nguyễn Văn An", "Phòng A")
    assert (row.leader_code, row.role, row.language) == (None, "admin", "en")


def test_read_csv_numbers_lines_as_in_the_file(tmp_path: Path) -> None:
    # A quoted cell spanning two lines, then a blank line: later rows keep their file line.
    body = 'NV01,"Nguyễn\nVăn An",Phòng A,chuyen_vien\n\nNV02,Lê Chi,Phòng A,chuyen_vien\n'
    rows = read_roster(write_csv(tmp_path / "r.csv", body))
    assert [(r.line, r.full_name) for r in rows] == [(2, "Nguyễn Văn An"), (5, "Lê Chi")]


def test_read_csv_with_semicolons_as_excel_saves_it_in_vietnam(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv", "NV01;An;Phòng A;chuyen_vien\n", header=HEADER.replace(",", ";")
    )
    assert [(r.code, r.full_name) for r in read_roster(path)] == [("NV01", "An")]


def test_read_xlsx_first_sheet_with_sheet_row_numbers(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Code", "Full_name", "Unit", "Position", "Leader_code"])
    sheet.append([1001, "Phạm Văn Dũng", "Sở Nội vụ", "lanh_dao", None])
    sheet.append([])
    sheet.append(["1002", "Hoàng Thị Em", "Sở Nội vụ", "chuyen_vien", 1001])
    workbook.create_sheet("ignored").append(["not", "a", "roster"])
    workbook.save(tmp_path / "r.xlsx")
    assert read_roster(tmp_path / "r.xlsx") == [
        RosterRow(2, "1001", "Phạm Văn Dũng", "Sở Nội vụ", "lanh_dao", None, "staff", "vi"),
        RosterRow(4, "1002", "Hoàng Thị Em", "Sở Nội vụ", "chuyen_vien", "1001", "staff", "vi"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("r.txt", b"code,full_name,unit,position\n", "unknown file type, expected .csv or .xlsx"),
        (
            "r.csv",
            b"Code,Full_Name\nA,B\n",
            "r.csv line 1: missing required column(s) unit, position",
        ),
        ("r.csv", b"code,code,full_name,unit,position\n", "column 'code' appears twice"),
        ("r.csv", b"code,full_name,unit,position\nA,Nguy\xe1n\n", "not UTF-8 text"),
        ("r.csv", b"\xef\xbb\xbf\n\n", "r.csv is empty: a header row is required"),
        ("r.xlsx", b"not a zip file", "cannot read r.xlsx as an XLSX workbook"),
    ],
)
def test_read_roster_file_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(TableFileError, match=re.escape(message)):
        read_roster(tmp_path / name)


def test_read_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TableFileError, match="cannot read .*nope.csv"):
        read_roster(tmp_path / "nope.csv")


# --- Importing -------------------------------------------------------------------------------

ERROR_CASES = [
    ("A,An,P,xyz", [(2, "unknown position 'xyz'")]),
    ("A,An,P,", [(2, "empty position")]),
    (
        "A,An,P,chuyen_vien\nB,Bình,P,chuyen_vien\nA,An 2,P,chuyen_vien",
        [(4, "duplicate code 'A' (first on line 2)")],
    ),
    ("A,An,P,chuyen_vien,Z", [(2, "unknown leader 'Z'")]),
    (
        "A,An,P,chuyen_vien,B\nB,Bình,P,chuyen_vien,C\nC,Chi,P,chuyen_vien,A",
        [
            (2, "leader cycle: A -> B -> C -> A"),
            (3, "leader cycle: B -> C -> A -> B"),
            (4, "leader cycle: C -> A -> B -> C"),
        ],
    ),
    ("A,An,P,chuyen_vien,,,fr", [(2, "bad language 'fr' (expected vi or en)")]),
    ("A,An,P,chuyen_vien,,boss", [(2, "bad role 'boss' (expected staff or admin)")]),
    ("A,  ,P,chuyen_vien", [(2, "empty name")]),
    (" ,An,P,chuyen_vien", [(2, "empty code")]),
    ("A,An,P,chuyen_vien,A", [(2, "employee is their own leader")]),
    ("A B,An,P,chuyen_vien", [(2, "code 'A B' must be visible characters without spaces")]),
    ("A" * 65 + ",An,P,chuyen_vien", [(2, "code is longer than 64 characters")]),
    ("A," + "n" * 201 + ",P,chuyen_vien", [(2, "name is longer than 200 characters")]),
    ("A,An, ,chuyen_vien", [(2, "empty unit")]),
    ("A,An," + "u" * 201 + ",chuyen_vien", [(2, "unit is longer than 200 characters")]),
]


@pytest.mark.parametrize(("body", "expected"), ERROR_CASES)
def test_each_error_with_its_line(
    session: Session, tmp_path: Path, body: str, expected: list[tuple[int, str]]
) -> None:
    report = import_text(session, tmp_path, body + "\n")
    assert report.errors == tuple(RowError(line, reason) for line, reason in expected)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert state(session) == {}


def test_rows_built_in_code_are_checked_too(session: Session) -> None:
    cycle = [f"C{i}" for i in range(8)]
    rows = [
        RosterRow(2, "A", "An\u0007", "Phòng\tA", "chuyen_vien", None, "staff", "vi"),
        *(
            RosterRow(3 + i, code, "Tên", "P", "chuyen_vien", cycle[i - 1], "staff", "vi")
            for i, code in enumerate(cycle)
        ),
    ]
    report = import_roster(session=session, rows=rows, positions=POSITIONS, now=NOW)
    assert report.errors[:3] == (
        RowError(2, "name contains control characters"),
        RowError(2, "unit contains control characters"),
        RowError(3, "leader cycle of 8: C0 -> C7 -> C6 -> C5 -> C4 -> C3 -> ..."),
    )
    assert len(report.errors) == 10


def test_all_errors_at_once_and_nothing_changes(session: Session, tmp_path: Path) -> None:
    import_text(session, tmp_path, "BOSS,Giám đốc,Ban Giám đốc,lanh_dao\n")
    before = state(session)
    body = "\n".join(
        [
            "BOSS,Giám đốc mới,Ban Giám đốc,lanh_dao",  # a valid update: must not be applied
            "NV1,,Phòng A,ke_toan,GHOST,boss,fr",
            "NV2,Bình,Phòng A,chuyen_vien,NV2",
            "NV2,Bình,Phòng A,chuyen_vien,BOSS",
        ]
    )
    report = import_text(session, tmp_path, body + "\n")
    assert report.errors == (
        RowError(3, "empty name"),
        RowError(3, "unknown position 'ke_toan'"),
        RowError(3, "bad role 'boss' (expected staff or admin)"),
        RowError(3, "bad language 'fr' (expected vi or en)"),
        RowError(3, "unknown leader 'GHOST'"),
        RowError(4, "employee is their own leader"),
        RowError(5, "duplicate code 'NV2' (first on line 4)"),
    )
    assert state(session) == before
    assert len(audit_events(session)) == 1


def test_import_creates_employees_units_positions_and_one_audit_event(
    session: Session, tmp_path: Path
) -> None:
    # The leader comes after the report in the file.
    body = (
        "NV1,Lê Văn Bình,Phòng A,chuyen_vien,BOSS\nBOSS,Trần Minh,Ban Giám đốc,lanh_dao,,admin,en\n"
    )
    report = import_text(session, tmp_path, body, actor_id=None)
    assert report == ImportReport(created=2, updated=0, unchanged=0, errors=(), dry_run=False)
    assert state(session) == {
        "NV1": ("Lê Văn Bình", "Phòng A", "chuyen_vien", "BOSS", "staff", "vi", None, None, None),
        "BOSS": ("Trần Minh", "Ban Giám đốc", "lanh_dao", None, "admin", "en", None, None, None),
    }
    [event] = audit_events(session)
    assert (event.at, event.actor_id, event.subject) == (NOW, None, "roster")
    assert event.details == "created=2 updated=0 unchanged=0"


def test_dry_run_counts_but_changes_nothing(session: Session, tmp_path: Path) -> None:
    import_text(session, tmp_path, "A,An,Phòng A,chuyen_vien\nB,Bình,Phòng A,chuyen_vien\n")
    before = state(session)
    body = "A,An,Phòng A,chuyen_vien\nB,Bình,Phòng B,chuyen_vien,A\nC,Chi,Phòng C,lanh_dao\n"
    report = import_text(session, tmp_path, body, dry_run=True)
    assert report == ImportReport(created=1, updated=1, unchanged=1, errors=(), dry_run=True)
    assert state(session) == before
    assert len(audit_events(session)) == 1
    assert {u.name for u in session.exec(select(Unit)).all()} == {"Phòng A"}


def test_reimport_updates_by_code_and_keeps_telegram_link(session: Session, tmp_path: Path) -> None:
    import_text(
        session, tmp_path, "A,An,P1,lanh_dao\nB,Bình,P1,chuyen_vien,A\nC,Chi,P1,chuyen_vien,A\n"
    )
    employee = session.exec(select(Employee).where(Employee.code == "B")).one()
    employee.telegram_id, employee.chosen_locale, employee.linked_at = 10**12, "en", NOW
    session.commit()
    body = "A,An,P1,lanh_dao\nB,Bình Nguyễn,P2,lanh_dao,D,admin,en\nD,Dũng,P2,lanh_dao\n"
    report = import_text(session, tmp_path, body)
    assert report == ImportReport(created=1, updated=1, unchanged=1, errors=(), dry_run=False)
    assert state(session) == {
        "A": ("An", "P1", "lanh_dao", None, "staff", "vi", None, None, None),
        "B": ("Bình Nguyễn", "P2", "lanh_dao", "D", "admin", "en", 10**12, "en", NOW),
        "C": ("Chi", "P1", "chuyen_vien", "A", "staff", "vi", None, None, None),  # absent: kept
        "D": ("Dũng", "P2", "lanh_dao", None, "staff", "vi", None, None, None),
    }
    assert [e.details for e in audit_events(session)][-1] == "created=1 updated=1 unchanged=1"


def test_reimport_can_remove_a_leader(session: Session, tmp_path: Path) -> None:
    import_text(session, tmp_path, "A,An,P,lanh_dao\nB,Bình,P,chuyen_vien,A\n")
    report = import_text(session, tmp_path, "B,Bình,P,chuyen_vien\n")
    assert (report.updated, state(session)["B"][3]) == (1, None)


def test_leader_in_database_but_not_in_file(session: Session, tmp_path: Path) -> None:
    import_text(session, tmp_path, "BOSS,Giám đốc,Ban Giám đốc,lanh_dao\n")
    report = import_text(session, tmp_path, "NV1,Nhân viên,Phòng A,chuyen_vien,BOSS\n")
    assert (report.created, report.errors) == (1, ())
    assert state(session)["NV1"][3] == "BOSS"


def test_cycle_across_file_and_database(session: Session, tmp_path: Path) -> None:
    import_text(
        session, tmp_path, "A,An,P,lanh_dao\nB,Bình,P,chuyen_vien,A\nC,Chi,P,chuyen_vien,B\n"
    )
    before = state(session)
    # B's leader stays A (B is not in the file), so A -> C -> B -> A closes a loop.
    report = import_text(session, tmp_path, "X,Xuân,P,lanh_dao\nA,An,P,lanh_dao,C\n")
    assert report.errors == (RowError(3, "leader cycle: A -> C -> B -> A"),)
    assert state(session) == before


def test_file_overrides_database_leader_so_no_cycle(session: Session, tmp_path: Path) -> None:
    import_text(session, tmp_path, "A,An,P,lanh_dao\nB,Bình,P,chuyen_vien,A\n")
    report = import_text(session, tmp_path, "A,An,P,lanh_dao,B\nB,Bình,P,lanh_dao\n")
    assert (report.errors, report.updated) == ((), 2)
    assert state(session)["A"][3] == "B"


def test_progress_is_reported_while_applying(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kpi.tables, "CHUNK", 2)
    import_text(session, tmp_path, "A,An,P,lanh_dao\n")
    calls: list[tuple[int, int]] = []
    body = "A,An mới,P,lanh_dao\n" + "".join(f"N{i},Tên {i},P,chuyen_vien,A\n" for i in range(5))
    import_text(session, tmp_path, body, progress=lambda done, total: calls.append((done, total)))
    # 5 inserts, 5 leader links, 1 update, in chunks of 2.
    assert calls == [(0, 11), (2, 11), (4, 11), (5, 11), (7, 11), (9, 11), (10, 11), (11, 11)]


def test_reimport_moves_open_codes_to_the_new_leader_keeping_the_deadline(
    session: Session, tmp_path: Path
) -> None:
    import_text(session, tmp_path, "A,An,P,lanh_dao\nB,Bình,P,lanh_dao\nN,Nam,P,chuyen_vien,A\n")
    ids = {e.code: e.id for e in session.exec(select(Employee)).all()}
    author = session.get_one(Employee, ids["N"])
    opened, approved = (
        open_work_code(
            session=session, author=author, title=title, now=NOW, calendar=WorkCalendar(), days=5
        ).code
        for title in ("Báo cáo", "Kế hoạch")
    )
    assert opened is not None and approved is not None
    leader = session.get_one(Employee, ids["A"])
    result = approve(session=session, code_id=approved.id, actor=leader, now=NOW)
    assert result.outcome is WorkCodeOutcome.OK
    deadline = (opened.deadline_at, opened.due_day)
    moved = "N,Nam,P,chuyen_vien,B\n"
    assert import_text(session, tmp_path, moved, dry_run=True).updated == 1
    session.expire_all()
    assert session.get_one(WorkCode, opened.id).approver_id == ids["A"]  # a dry run moves nothing
    import_text(session, tmp_path, moved)
    session.expire_all()
    code = session.get_one(WorkCode, opened.id)
    assert (code.approver_id, code.deadline_at, code.due_day) == (ids["B"], *deadline)
    assert session.get_one(WorkCode, approved.id).approver_id == ids["A"]  # final: stays
    query = select(AuditEvent).where(AuditEvent.action == "workcode.reassign")
    assert [e.details for e in session.exec(query).all()] == ["count=1"]
