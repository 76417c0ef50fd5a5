"""Deductions by people: who may log them, criteria and points, reversals, and file imports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from kpi.deductions import (
    MAX_REASON,
    DeductionFileError,
    DeductionRow,
    DeductResult,
    ImportReport,
    Outcome,
    ReverseResult,
    check_points,
    clean_reason,
    deduct,
    deduction_status,
    import_deductions,
    read_deductions,
    reverse,
)
from kpi.policy import Policy
from kpi.roster import RowError
from kpi.scoring import Quarter, score_card
from models import AuditEvent, Deduction, Employee
from tests.concurrency import race
from tests.factories import HANOI, Org, local, make_deduction, make_employee

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # Friday 10:00 in Hà Nội
HEADER = "code,criterion,occurred_on,reason,points"


def log(
    session: Session,
    policy: Policy,
    actor: Employee,
    code: str,
    criterion: str = "task_quality",
    points: str | None = None,
    reason: str = "Nộp báo cáo chậm",
) -> DeductResult:
    return deduct(
        session=session,
        actor=actor,
        employee_code=code,
        criterion=criterion,
        points=None if points is None else Decimal(points),
        reason=reason,
        now=NOW,
        policy=policy,
    )


def rows(session: Session) -> list[Deduction]:
    session.expire_all()
    return list(session.exec(select(Deduction).order_by(col(Deduction.id))))


def audits(session: Session, action: str) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


# --- Who may deduct whom (§4, §6) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "code", "outcome"),
    [
        ("staff", "NV2", Outcome.NOT_ALLOWED),  # an employee deducts nobody
        ("staff", "NOBODY", Outcome.NOT_ALLOWED),  # ... and learns nothing about codes
        ("leader", "NV3", Outcome.NOT_ALLOWED),  # outside the leader's team
        ("leader", "GD", Outcome.NOT_ALLOWED),  # the leader's own leader
        ("director", "NV1", Outcome.NOT_ALLOWED),  # a report's report is not a direct report
        ("leader", "TP", Outcome.NOT_ALLOWED),  # oneself
        ("admin", "HR", Outcome.NOT_ALLOWED),  # oneself, even an admin
        ("leader", "NOBODY", Outcome.UNKNOWN_EMPLOYEE),
        ("admin", "NOBODY", Outcome.UNKNOWN_EMPLOYEE),
        ("leader", "NV1", Outcome.OK),  # a direct report
        ("leader", " NV1 ", Outcome.OK),
        ("director", "TP", Outcome.OK),
        ("admin", "NV3", Outcome.OK),  # admins: anyone
        ("admin", "GD", Outcome.OK),
    ],
)
def test_who_may_deduct_whom(
    session: Session, policy: Policy, org: Org, actor: str, code: str, outcome: Outcome
) -> None:
    result = log(session, policy, org[actor], code, criterion="discipline_ethics")
    assert result.outcome == outcome
    created = rows(session)
    if outcome != Outcome.OK:
        assert (result.deduction, created) == (None, [])
        return
    assert result.deduction is not None and result.employee is not None
    assert result.employee.code == code.strip()
    assert [row.id for row in created] == [result.deduction.id]
    row = created[0]
    assert (row.employee_id, row.author_id, row.source) == (
        result.employee.id,
        org[actor].id,
        "manual",
    )
    assert (row.occurred_at, row.created_at, row.reverses_id, row.key) == (NOW, NOW, None, None)
    [event] = audits(session, "deduction.manual")
    assert (event.actor_id, event.subject) == (org[actor].id, f"deduction:{row.id}")
    assert "báo cáo" not in event.details  # ids only, never the text


def test_the_roles_in_the_database_count_not_the_callers_copy(
    db: sessionmaker[Session], session: Session, policy: Policy, org: Org
) -> None:
    with db() as other:
        other.execute(update(Employee).where(col(Employee.id) == org.admin.id).values(role="staff"))
        other.execute(
            update(Employee).where(col(Employee.id) == org.staff.id).values(leader_id=None)
        )
        other.commit()
    assert org.admin.role == "admin"  # the caller's stale copy
    assert log(session, policy, org.admin, "NV3").outcome == Outcome.NOT_ALLOWED
    assert log(session, policy, org.leader, "NV1").outcome == Outcome.NOT_ALLOWED


# --- Criteria, points and reasons --------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "criterion", "outcome", "stored"),
    [
        ("NV1", "task_quality", Outcome.OK, "task_quality"),
        ("NV1", " Task_Quality ", Outcome.OK, "task_quality"),
        ("NV1", "document_handling", Outcome.UNKNOWN_CRITERION, None),  # a clerk's criterion
        ("NV2", "document_handling", Outcome.OK, "document_handling"),
        ("NV1", "approval_timeliness", Outcome.UNKNOWN_CRITERION, None),  # leaders only
        ("NV1", "no_such_criterion", Outcome.UNKNOWN_CRITERION, None),
        ("NV1", "", Outcome.UNKNOWN_CRITERION, None),
    ],
)
def test_the_criterion_must_be_of_the_employees_position(
    session: Session,
    policy: Policy,
    org: Org,
    code: str,
    criterion: str,
    outcome: Outcome,
    stored: str | None,
) -> None:
    result = log(session, policy, org.leader, code, criterion=criterion)
    assert result.outcome == outcome
    assert [row.criterion for row in rows(session)] == ([stored] if stored else [])


@pytest.mark.parametrize(
    ("criterion", "points", "stored"),
    [
        ("task_quality", None, "2.00"),  # the criterion's default deduction
        ("discipline_ethics", None, "5.00"),
        ("task_quality", "2.5", "2.50"),
        ("task_quality", "0.01", "0.01"),
        ("task_quality", "20", "20.00"),  # the criterion's maximum
        ("task_quality", "1.50", "1.50"),
        ("task_quality", "0", None),
        ("task_quality", "-1", None),
        ("task_quality", "20.01", None),
        ("discipline_ethics", "16", None),  # its maximum is 15
        ("task_quality", "2.555", None),
        ("task_quality", "0.001", None),
        ("task_quality", "NaN", None),
        ("task_quality", "sNaN", None),
        ("task_quality", "Infinity", None),
        ("task_quality", "1E+10", None),
    ],
)
def test_points_default_and_limits(
    session: Session,
    policy: Policy,
    org: Org,
    criterion: str,
    points: str | None,
    stored: str | None,
) -> None:
    result = log(session, policy, org.leader, "NV1", criterion=criterion, points=points)
    assert result.outcome == (Outcome.OK if stored else Outcome.BAD_POINTS)
    assert [row.points for row in rows(session)] == ([Decimal(stored)] if stored else [])


@given(points=st.decimals(allow_nan=True, allow_infinity=True))
def test_check_points_accepts_exactly_cents_up_to_the_maximum(
    policy: Policy, points: Decimal
) -> None:
    criterion = policy.criteria["task_quality"]
    fine = points.is_finite() and 0 < points <= 20 and points * 100 == int(points * 100)
    assert (check_points(points, criterion) is not None) == fine


@pytest.mark.parametrize(
    ("reason", "outcome", "stored"),
    [
        ("", Outcome.REASON_REQUIRED, None),
        ("  \n\t ", Outcome.REASON_REQUIRED, None),
        ("\u200b\u200b", Outcome.REASON_REQUIRED, None),  # nothing visible
        ("x" * (MAX_REASON + 1), Outcome.REASON_TOO_LONG, None),
        ("x" * MAX_REASON, Outcome.OK, "x" * MAX_REASON),
        ("  Vắng họp\r\nkhông phép \x00 ", Outcome.OK, "Vắng họp\nkhông phép"),
    ],
)
def test_a_reason_is_required(
    session: Session, policy: Policy, org: Org, reason: str, outcome: Outcome, stored: str | None
) -> None:
    assert log(session, policy, org.leader, "NV1", reason=reason).outcome == outcome
    assert [row.reason for row in rows(session)] == ([stored] if stored else [])


def test_clean_reason_normalizes_to_nfc() -> None:
    assert clean_reason(" Nguye\u0302\u0303n ") == "Nguyễn"


# --- Reversals ---------------------------------------------------------------------------------


@pytest.fixture
def logged(session: Session, policy: Policy, org: Org) -> Deduction:
    result = log(session, policy, org.leader, "NV1", points="3")
    assert result.deduction is not None
    return result.deduction


def undo(
    session: Session, actor: Employee, deduction_id: int, reason: str = "Nhầm"
) -> ReverseResult:
    return reverse(session=session, actor=actor, deduction_id=deduction_id, reason=reason, now=NOW)


def test_an_admin_reverses_with_a_new_row_and_it_counts_no_more(
    session: Session, policy: Policy, org: Org, logged: Deduction
) -> None:
    result = undo(session, org.admin, logged.id, " Nhầm người ")
    assert result.outcome == Outcome.OK
    assert result.deduction is not None and result.reversal is not None
    original, reversal = rows(session)
    assert (original.id, reversal.id) == (logged.id, result.reversal.id)
    assert (original.points, original.reason, original.reverses_id) == (
        Decimal(3),
        logged.reason,
        None,
    )
    assert (reversal.reverses_id, reversal.employee_id, reversal.criterion) == (
        logged.id,
        logged.employee_id,
        logged.criterion,
    )
    assert (reversal.points, reversal.source, reversal.author_id) == (
        Decimal(3),
        "manual",
        org.admin.id,
    )
    assert (reversal.reason, reversal.occurred_at) == ("Nhầm người", NOW)
    assert deduction_status(session=session, deduction_ids=[logged.id, reversal.id, 999]) == {
        logged.id: False,
        reversal.id: False,
    }
    card = score_card(
        session=session, employee=org.staff, quarter=Quarter.of(NOW, HANOI), policy=policy, tz=HANOI
    )
    assert card.total == 100 and card.deductions == ()
    [event] = audits(session, "deduction.reverse")
    assert (event.actor_id, event.subject) == (org.admin.id, f"deduction:{reversal.id}")


def test_a_reversal_keeps_the_source_of_the_original(session: Session, org: Org) -> None:
    breach = make_deduction(
        session, org.leader, "approval_timeliness", "5", occurred_at=NOW, source="deadline_breach"
    )
    result = undo(session, org.admin, breach.id)
    assert result.outcome == Outcome.OK and result.reversal is not None
    assert (result.reversal.source, result.reversal.author_id) == ("deadline_breach", org.admin.id)


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        ("leader", Outcome.NOT_ALLOWED),  # even the deduction's author
        ("staff", Outcome.NOT_ALLOWED),
        ("director", Outcome.NOT_ALLOWED),
        ("admin", Outcome.OK),
    ],
)
def test_only_admins_reverse(
    session: Session, org: Org, logged: Deduction, actor: str, outcome: Outcome
) -> None:
    assert undo(session, org[actor], logged.id).outcome == outcome
    assert len(rows(session)) == (2 if outcome == Outcome.OK else 1)


def test_reversal_refusals(session: Session, policy: Policy, org: Org, logged: Deduction) -> None:
    own = log(session, policy, org.director, "HR").deduction  # a deduction of the admin
    assert own is not None
    assert undo(session, org.admin, 999).outcome == Outcome.NOT_FOUND
    assert undo(session, org.admin, own.id).outcome == Outcome.NOT_ALLOWED  # one's own
    assert undo(session, org.admin, logged.id, " ").outcome == Outcome.REASON_REQUIRED
    assert undo(session, org.admin, logged.id, "x" * 2001).outcome == Outcome.REASON_TOO_LONG
    first = undo(session, org.admin, logged.id)
    assert first.outcome == Outcome.OK and first.reversal is not None
    again = undo(session, org.admin, logged.id)
    assert (again.outcome, again.reversal) == (Outcome.ALREADY_REVERSED, first.reversal)
    assert undo(session, org.admin, first.reversal.id).outcome == Outcome.IS_REVERSAL
    assert len(rows(session)) == 3


def test_two_admins_reversing_at_once_make_one_reversal(
    db: sessionmaker[Session], session: Session, policy: Policy, org: Org
) -> None:
    second_admin = make_employee(session, "HR2", "Tổ chức 2", role="admin", leader=org.director)
    for _round in range(5):
        target = log(session, policy, org.leader, "NV1").deduction
        assert target is not None
        calls = [
            lambda s, who=who, target_id=target.id: undo(s, s.get_one(Employee, who), target_id)
            for who in (org.admin.id, second_admin.id)
        ]
        results = race(db, *calls)
        outcomes = sorted(result.outcome for result in results)
        assert outcomes == sorted([Outcome.OK, Outcome.ALREADY_REVERSED])
        assert results[0].reversal.id == results[1].reversal.id
    session.expire_all()
    reversals = session.exec(select(Deduction).where(col(Deduction.reverses_id).is_not(None)))
    assert len(reversals.all()) == 5
    assert len(audits(session, "deduction.reverse")) == 5


# --- Importing files ---------------------------------------------------------------------------


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
            "line 1: missing required column(s) occurred_on",
        ),
        (
            "d.csv",
            b"code,code,criterion,occurred_on,reason\n",
            "line 1: column 'code' appears twice",
        ),
        ("d.csv", b"\xff\xfecode", "d.csv is not UTF-8 text"),
        ("d.txt", b"code\n", "d.txt: unknown file type, expected .csv or .xlsx"),
        ("d.xlsx", b"not a zip file", "cannot read d.xlsx as an XLSX workbook"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DeductionFileError) as caught:
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
