"""The `kpibot` command line, run as a user runs it."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import select

from kpi.calendar import load_calendar
from kpi.policy import Policy
from kpi.workcodes import open_work_code
from models import Employee
from models.db import make_engine, make_session_factory
from sandbox.botapi import FakeBotAPI
from tests.conftest import TOKEN
from tests.factories import HANOI

ROSTER = """code,full_name,unit,position,leader_code,role,language
GD01,Nguyễn Văn Giám,Sở Nội vụ,giam_doc,,admin,vi
TP01,Trần Thị Phòng,Sở Nội vụ,truong_phong,GD01,,vi
CV01,Lê Văn Viên,Sở Nội vụ,chuyen_vien,TP01,,en
"""


def kpibot(
    *args: str, env: dict[str, str], module: bool = False
) -> subprocess.CompletedProcess[str]:
    command = (
        [sys.executable, "-m", "bot"] if module else [str(Path(sys.executable).parent / "kpibot")]
    )
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def linked_roster(env: dict[str, str], tmp_path: Path, database_url: str, **chats: int) -> Engine:
    """Import ROSTER with the CLI, link the employees in `chats` (code=chat id); the engine."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    kpibot("roster", "import", str(roster), env=env)
    engine = make_engine(database_url)
    with engine.begin() as connection:
        for code, chat in chats.items():
            connection.execute(
                text("UPDATE employee SET telegram_id = :chat WHERE code = :code"),
                {"chat": chat, "code": code},
            )
    return engine


def test_every_command_has_help(env: dict[str, str]) -> None:
    for command in (
        [],
        ["run"],
        ["db", "upgrade"],
        ["roster", "import"],
        ["roster", "export"],
        ["invite"],
        ["calendar", "add-off"],
        ["calendar", "show"],
        ["calendar", "import"],
        ["api-key", "create"],
        ["tasks", "import"],
        ["rating", "force"],
        ["rating", "reverse"],
        ["report"],
        ["delegate"],
    ):
        result = kpibot(*command, "--help", env=env)
        assert result.returncode == 0, result.stderr
        assert "Usage:" in result.stdout
        assert "<bool>" not in result.stdout  # a flag takes no value


def test_flags_read_as_flags_in_help(env: dict[str, str]) -> None:
    help_text = kpibot("roster", "import", "--help", env=env).stdout
    assert re.search(r"^  --dry-run +Check only; change nothing\.$", help_text, re.MULTILINE)


def test_python_dash_m_bot_is_the_same_program(env: dict[str, str]) -> None:
    result = kpibot("db", "upgrade", env=env, module=True)
    assert result.returncode == 0 and "up to date" in result.stdout


def test_a_bad_setting_stops_with_one_line(env: dict[str, str]) -> None:
    result = kpibot("db", "upgrade", env=env | {"KPIBOT_TIMEZONE": "Asia/Saigonn"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "kpibot: KPIBOT_TIMEZONE: 'Asia/Saigonn' is not a known time zone"
    ]


def test_run_without_a_token_says_how_to_get_one(env: dict[str, str]) -> None:
    result = kpibot("run", env=env)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "KPIBOT_TOKEN is not set" in line and "@BotFather" in line


def test_a_broken_policy_is_explained(env: dict[str, str], tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[[criteria]]\ncode = 'x'\n", encoding="utf-8")
    result = kpibot("roster", "import", "x.csv", env=env | {"KPIBOT_POLICY": str(policy)})
    assert result.returncode == 2
    assert "invalid policy" in result.stderr and "Traceback" not in result.stderr


def test_roster_import_reports_every_bad_row_and_changes_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(ROSTER + "CV02,,Sở Nội vụ,thu_ky,TP99,boss,fr\n", encoding="utf-8")
    result = kpibot("roster", "import", str(bad), env=env)
    assert result.returncode == 2
    assert "line 5: empty name" in result.stderr
    assert "line 5: unknown position 'thu_ky'" in result.stderr
    assert "line 5: unknown leader 'TP99'" in result.stderr
    exported = tmp_path / "out.csv"
    assert kpibot("roster", "export", str(exported), env=env).returncode == 0
    assert exported.read_text(encoding="utf-8-sig").strip().count("\n") == 0  # header only


def test_roster_import_dry_run_then_import_then_export(env: dict[str, str], tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    dry = kpibot("roster", "import", str(roster), "--dry-run", env=env)
    assert dry.returncode == 0 and "3 would be created" in dry.stdout
    assert dry.stderr == ""  # no progress bar where nobody watches a terminal
    done = kpibot("roster", "import", str(roster), env=env)
    assert done.returncode == 0 and "3 rows: 3 created, 0 updated" in done.stdout
    again = kpibot("roster", "import", str(roster), env=env)
    assert "3 unchanged" in again.stdout
    exported = tmp_path / "out.xlsx"
    assert kpibot("roster", "export", str(exported), env=env).returncode == 0
    reimport = kpibot("roster", "import", str(exported), env=env)
    assert reimport.returncode == 0 and "3 unchanged" in reimport.stdout


def test_invite_prints_a_deep_link_per_employee(env: dict[str, str], tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    kpibot("roster", "import", str(roster), env=env)
    with FakeBotAPI(token=TOKEN) as fake:
        env = env | {"KPIBOT_TOKEN": TOKEN, "KPIBOT_TELEGRAM_BASE_URL": fake.base_url}
        result = kpibot("invite", "--all-unlinked", "--expires-days", "7", env=env)
        unknown = kpibot("invite", "CV01", "NOPE", env=env)
        fake.assert_no_invalid_calls()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["CV01", "GD01", "TP01"]
    for line in lines:
        assert re.fullmatch(r"\S+ https://t\.me/kpi_test_bot\?start=[A-Za-z0-9_-]{20,64}", line)
    assert unknown.returncode == 2 and "unknown employee code(s): NOPE" in unknown.stderr


def test_invite_works_offline_when_the_bot_s_username_is_given(
    env: dict[str, str], tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    kpibot("roster", "import", str(roster), env=env)
    offline = env | {"KPIBOT_TOKEN": TOKEN, "KPIBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot"}
    unreachable = kpibot("invite", "CV01", env=offline)
    assert unreachable.returncode == 2 and "Traceback" not in unreachable.stderr
    assert "set KPIBOT_BOT_USERNAME" in unreachable.stderr
    given = kpibot("invite", "CV01", env=offline | {"KPIBOT_BOT_USERNAME": "@kpi_so_noi_vu_bot"})
    assert given.returncode == 0, given.stderr
    assert re.fullmatch(r"CV01 https://t\.me/kpi_so_noi_vu_bot\?start=\S+\n", given.stdout)
    wrong = kpibot("invite", "CV01", env=offline | {"KPIBOT_BOT_USERNAME": "not a bot"})
    assert wrong.returncode == 2 and "KPIBOT_BOT_USERNAME" in wrong.stderr


def test_calendar_commands(env: dict[str, str]) -> None:
    added = kpibot("calendar", "add-off", "2026-12-31", "Nghỉ cuối năm", env=env)
    assert added.returncode == 0 and "is now a day off" in added.stdout
    assert "0 open work codes re-planned" in added.stdout
    shown = kpibot("calendar", "show", "2026", env=env)
    assert "2026-12-31  Thu  off      Nghỉ cuối năm  [declared by the agency]" in shown.stdout
    assert "2026-08-22  Sat  working" in shown.stdout
    assert "248 working days" in shown.stdout
    assert kpibot("calendar", "remove", "2026-12-31", env=env).returncode == 0
    missing = kpibot("calendar", "remove", "2026-12-31", env=env)
    assert missing.returncode == 2 and "nothing is declared" in missing.stderr
    bad = kpibot("calendar", "add-workday", "31/12/2026", env=env)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_a_calendar_change_queues_one_message_per_person_for_the_running_bot(
    env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    engine = linked_roster(env, tmp_path, database_url, TP01=700, CV01=701)
    with make_session_factory(engine)() as session:
        author = session.exec(select(Employee).where(Employee.code == "CV01")).one()
        calendar = load_calendar(session=session, tz=HANOI, calendar_days=False)
        opened = open_work_code(
            session=session,
            author=author,
            title="Tờ trình",
            now=datetime.now(UTC),
            calendar=calendar,
            days=5,
        )
        assert opened.code is not None
        day_off = calendar.add_working_days(calendar.local_day(datetime.now(UTC)), 1)
    changed = kpibot("calendar", "add-off", day_off.isoformat(), "Bão", env=env)
    assert changed.returncode == 0, changed.stderr
    assert "1 open work code re-planned to a later deadline." in changed.stdout
    assert "2 people will be told: the running bot sends the messages." in changed.stdout
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT chat_id, text FROM outbox WHERE kind = 'replan' ORDER BY chat_id")
        ).all()
    engine.dispose()
    assert [chat for chat, _ in rows] == [700, 701]
    assert rows[0][1].startswith("📅 <b>Điều chỉnh thời hạn</b>")
    assert rows[1][1].startswith("📅 <b>Deadline moved</b>")  # CV01 reads English
    assert "#1 «Tờ trình»: end of " in rows[1][1]


def test_calendar_show_names_the_sources_and_marks_estimated_years(
    env: dict[str, str], tmp_path: Path
) -> None:
    nowhere = tmp_path / "none" / "kpibot.db"
    env = env | {"KPIBOT_DATABASE_URL": f"sqlite:///{nowhere}"}
    official = kpibot("calendar", "show", "2026", env=env).stdout
    assert not nowhere.parent.exists()  # showing the calendar creates no database
    assert official.startswith("2026: official decision, shipped with kpibot.")
    assert (
        "2026-01-02  Fri  off      Nghỉ bù cho ngày 10/01/2026  "
        "[official: 12729/VPCP-KGVX, 25/12/2025, Văn phòng Chính phủ]"
    ) in official
    assert "2026-02-14  Sat  off      Tết Nguyên Đán  [official: 9441/TB-BNV" in official
    english = kpibot("calendar", "show", "2026", "--lang", "en", env=env).stdout
    assert "2026-08-31  Mon  off      Day off in lieu of 22 August 2026  [official:" in english
    estimated = kpibot("calendar", "show", "2027", env=env).stdout
    assert estimated.startswith("2027: ESTIMATED")
    days = [line for line in estimated.splitlines() if line.startswith("2027-")]
    assert days and all(line.endswith("[estimated: holidays package]") for line in days)
    assert "2027-02-04  Thu  off      Tết Nguyên Đán" in estimated
    wrong = kpibot("calendar", "show", "2026", "--lang", "fr", env=env)
    assert wrong.returncode == 2 and "--lang must be vi or en" in wrong.stderr


def test_calendar_import_refuses_a_bad_file_then_imports_a_good_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    from tests.kpi.test_decisions import GOOD

    bad = tmp_path / "2027-bad.toml"
    bad.write_text(GOOD.replace('kind = "holiday"', 'kind = "party"'), encoding="utf-8")
    refused = kpibot("calendar", "import", str(bad), env=env)
    assert refused.returncode == 2
    assert "days #1: kind must be one of holiday, in_lieu, makeup" in refused.stderr
    assert "nothing was imported" in refused.stderr
    assert kpibot("calendar", "show", "2027", env=env).stdout.startswith("2027: ESTIMATED")
    good = tmp_path / "2027.toml"
    good.write_text(GOOD, encoding="utf-8")
    imported = kpibot("calendar", "import", str(good), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "2027: 9 official days imported" in imported.stdout
    assert "0 open work codes re-planned" in imported.stdout
    shown = kpibot("calendar", "show", "2027", env=env).stdout
    assert shown.startswith("2027: official decision, imported by the agency.")
    assert "2027-02-03  Wed  off      Nghỉ bù cho ngày 20/02/2027  [official: 1234/TB-BNV" in shown
    assert "2027-04-30  Fri  off      Ngày Chiến thắng  [holidays package]" in shown


def test_deductions_import_reports_bad_rows_then_adds_once_and_queues_notices(
    env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    engine = linked_roster(env, tmp_path, database_url, CV01=701)
    today = date.today().isoformat()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,criterion,occurred_on,reason,points\n"
        f"CV01,training_attendance,{today},Vắng tập huấn,2\n"
        "CV01,unit_results,2026-11-05,Không thuộc vị trí,\n"
        "NOPE,task_quality,2026-13-01,,\n",
        encoding="utf-8",
    )
    refused = kpibot("deductions", "import", str(bad), env=env)
    assert refused.returncode == 2
    assert "line 3: " in refused.stderr and "line 4: " in refused.stderr
    assert "nothing was imported" in refused.stderr
    good = tmp_path / "good.csv"
    good.write_text("\n".join(bad.read_text(encoding="utf-8").splitlines()[:2]) + "\n", "utf-8")
    added = kpibot("deductions", "import", str(good), env=env)
    assert added.returncode == 0, added.stderr
    assert "1 row: 1 added, 0 already there" in added.stdout
    assert "1 message queued" in added.stdout
    again = kpibot("deductions", "import", str(good), env=env)
    assert "1 row: 0 added, 1 already there" in again.stdout
    with engine.connect() as connection:
        [(chat, message)] = connection.execute(text("SELECT chat_id, text FROM outbox")).all()
    engine.dispose()
    assert chat == 701
    assert message.startswith("HR logged deduction D1: −2 points")  # CV01 reads English


def test_tasks_import_refuses_bad_rows_then_adds_once_and_tells_the_assignee(
    env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    engine = linked_roster(env, tmp_path, database_url, CV01=701)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,title,due_on,type,assigned_by,external_id\n"
        "CV01,Báo cáo tổng kết năm,2026-12-20,bao_cao,TP01,VB-1\n"
        "CV01,Tờ trình,2026-12-40,to_trinh,,\n",
        encoding="utf-8",
    )
    refused = kpibot("tasks", "import", str(bad), env=env)
    assert refused.returncode == 2
    assert "line 3: bad date '2026-12-40'" in refused.stderr
    assert "nothing was imported" in refused.stderr
    good = tmp_path / "good.csv"
    good.write_text("\n".join(bad.read_text(encoding="utf-8").splitlines()[:2]) + "\n", "utf-8")
    added = kpibot("tasks", "import", str(good), env=env)
    assert added.returncode == 0, added.stderr
    assert "1 row: 1 added, 0 already there" in added.stdout
    assert "1 message queued" in added.stdout
    again = kpibot("tasks", "import", str(good), env=env)
    assert "1 row: 0 added, 1 already there" in again.stdout
    with engine.connect() as connection:
        [(chat, message)] = connection.execute(text("SELECT chat_id, text FROM outbox")).all()
    engine.dispose()
    assert chat == 701
    assert message.startswith("Trần Thị Phòng assigned you task T1: «Báo cáo tổng kết năm»")


def test_a_forced_rating_shows_in_the_report_until_reversed(
    env: dict[str, str], tmp_path: Path, database_url: str, policy: Policy
) -> None:
    linked_roster(env, tmp_path, database_url).dispose()  # the roster is all this test needs
    forced = kpibot(
        "rating", "force", "CV01", "2026Q4", "Kỷ luật khiển trách", "--ref", "12/QĐ-SNV", env=env
    )
    assert forced.returncode == 0, forced.stderr
    twice = kpibot("rating", "force", "CV01", "2026Q4", "Lần nữa", "--ref", "13", env=env)
    assert twice.returncode == 2 and "already has a forced rating" in twice.stderr
    out = tmp_path / "nov.csv"
    report = kpibot(
        "report",
        "--period",
        "2026-11",
        "--format",
        "csv",
        "--lang",
        "en",
        "--output",
        str(out),
        env=env,
    )
    assert report.returncode == 0, report.stderr
    rows = {row["Code"]: row for row in csv.DictReader(out.read_text("utf-8-sig").splitlines())}
    assert rows["CV01"]["Total"] == "100.00"
    lowest, best = policy.classifications[-1].name("en"), policy.classifications[0].name("en")
    assert rows["CV01"]["Classification"] == lowest
    assert (rows["CV01"]["Forced rating: ground"], rows["CV01"]["Forced rating: decision"]) == (
        "Kỷ luật khiển trách",
        "12/QĐ-SNV",
    )
    assert (
        rows["TP01"][policy.criteria["unit_results"].name("en")] == "10.00"
    )  # a report below Hoàn thành nhiệm vụ
    assert rows["CV01"]["Tasks due"] == "0"
    # GD01 and TP01 are excellent, nobody good: none allowed.
    assert (
        "Agency of GD01 (Nguyễn Văn Giám): 2 Hoàn thành xuất sắc, 0 Hoàn thành tốt (at most 0"
        " allowed): the 20% rule is exceeded; HR decides among: GD01 Nguyễn Văn Giám 100.00;"
        " TP01 Trần Thị Phòng 90.00."
    ) in report.stdout
    reversed_ = kpibot("rating", "reverse", "CV01", "2026Q4", "Quyết định bị hủy", env=env)
    assert reversed_.returncode == 0, reversed_.stderr
    gone = kpibot("rating", "reverse", "CV01", "2026Q4", "Lần nữa", env=env)
    assert gone.returncode == 2 and "no active forced rating" in gone.stderr
    kpibot(
        "report",
        "--period",
        "2026",
        "--format",
        "csv",
        "--lang",
        "en",
        "--output",
        str(out),
        env=env,
    )
    rows = {row["Code"]: row for row in csv.DictReader(out.read_text("utf-8-sig").splitlines())}
    assert rows["CV01"]["Classification"] == best


def test_a_period_is_required_and_checked(env: dict[str, str]) -> None:
    neither = kpibot("report", env=env)
    assert neither.returncode == 2 and "give the period" in neither.stderr
    bad = kpibot("report", "--period", "2026-13", env=env)
    assert bad.returncode == 2 and "is not a period" in bad.stderr


def test_delegate_names_lists_refuses_and_cancels(
    env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    engine = linked_roster(env, tmp_path, database_url, GD01=800, TP01=700, CV01=701)
    made = kpibot("delegate", "TP01", "GD01", "--from", "2030-01-07", "--to", "2030-01-11", env=env)
    assert made.returncode == 0, made.stderr
    assert made.stdout == (
        "Delegation 1: GD01 approves for TP01 from 2030-01-07 to 2030-01-11; both are told.\n"
    )
    with engine.connect() as connection:
        chats = connection.execute(text("SELECT chat_id FROM outbox ORDER BY chat_id")).all()
    assert [chat for (chat,) in chats] == [700, 800]
    for args, error in [
        (["TP01", "TP01", "--to", "2030-01-08"], "a leader cannot be their own acting approver"),
        (
            ["TP01", "GD01", "--from", "2030-01-10", "--to", "2030-01-12"],
            "TP01 already has an acting approver from 2030-01-07 to 2030-01-11 (delegation 1)",
        ),
        (["CV01", "GD01", "--to", "2030-01-12"], "CV01 is nobody's direct leader"),
        (["TP01", "XX", "--to", "2030-01-12"], "no employee with code 'XX'"),
        (["TP01", "GD01"], "name the LEADER, the DEPUTY and the last day"),
        (["--cancel", "9"], "no delegation 9"),
    ]:
        refused = kpibot("delegate", *args, env=env)
        assert refused.returncode == 2
        assert error in refused.stderr
    listed = kpibot("delegate", "--list", env=env)
    assert listed.stdout == "1\tTP01\tGD01\t2030-01-07\t2030-01-11\n"
    cancelled = kpibot("delegate", "--cancel", "1", env=env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert "Delegation 1 is cancelled" in cancelled.stdout
    again = kpibot("delegate", "--cancel", "1", env=env)
    assert again.returncode == 2 and "already over or cancelled" in again.stderr
    assert kpibot("delegate", "--list", env=env).stdout == "No delegation in force or to come.\n"
    with engine.connect() as connection:
        [(count,)] = connection.execute(text("SELECT count(*) FROM outbox")).all()
    engine.dispose()
    assert count == 4  # both told of the delegation, and of its cancellation
