"""Table files: reading CSV/XLSX under a header, limits, hostile files, and inert exports."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import tempfile
import tracemalloc
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kpi.tables
from kpi.tables import (
    MAX_ROWS,
    Record,
    Table,
    TableFileError,
    chunks,
    formula_like,
    read_records,
    write_table,
    write_tables,
)
from tests import hostile

COLUMNS = ("code", "name", "note")
REQUIRED = ("code", "name")


def read(path: Path) -> list[Record]:
    return list(read_records(path, columns=COLUMNS, required=REQUIRED))


def table(path: Path, rows: list[list[str]]) -> Path:
    """Write `rows` as a plain CSV file or XLSX workbook, by the path's suffix."""
    if path.suffix == ".xlsx":
        return hostile.workbook(path, rows)
    path.write_text("".join(",".join(row) + "\n" for row in rows), encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(TableFileError) as caught:
        read(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- Reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_csv_with_or_without_bom(tmp_path: Path, bom: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"{bom}code,name,note\nNV01,Nguyễn Văn An,\n", encoding="utf-8")
    assert read(path) == [Record(2, {"code": "NV01", "name": "Nguyễn Văn An", "note": ""})]


def test_header_in_any_case_and_order_unknown_and_missing_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(" Name ,extra,CODE\n Bình ,x,NV02\n", encoding="utf-8")
    assert read(path) == [Record(2, {"code": "NV02", "name": " Bình ", "note": ""})]


def test_csv_lines_are_numbered_as_in_the_file(tmp_path: Path) -> None:
    # A quoted cell spanning two lines, then a blank line: later rows keep their file line.
    path = tmp_path / "t.csv"
    path.write_text('code,name\nNV01,"Nguyễn\nVăn An"\n\n,\nNV02,Lê Chi\n', encoding="utf-8")
    assert [(r.line, r.cells["name"]) for r in read(path)] == [(2, "Nguyễn\nVăn An"), (6, "Lê Chi")]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_with_semicolons_or_tabs_as_excel_saves_them(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"code{delimiter}name\nNV01{delimiter}An, Bình\n", encoding="utf-8")
    assert [r.cells["name"] for r in read(path)] == ["An, Bình"]


def test_xlsx_first_sheet_with_sheet_row_numbers_numbers_and_dates(tmp_path: Path) -> None:
    rows = [["Code", "Name", "Note"], [1001, "Phạm Văn Dũng", date(2026, 9, 30)], []]
    rows.append(["NV2", 2.5, datetime(2026, 9, 30, 8, 30)])
    book = openpyxl.load_workbook(hostile.workbook(tmp_path / "t.xlsx", rows))
    book.create_sheet("ignored").append(["not", "read"])
    book.save(tmp_path / "t.xlsx")
    assert read(tmp_path / "t.xlsx") == [
        Record(2, {"code": "1001", "name": "Phạm Văn Dũng", "note": "2026-09-30T00:00:00"}),
        Record(4, {"code": "NV2", "name": "2.5", "note": "2026-09-30T08:30:00"}),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.txt", b"code,name\n", "t.txt: unknown file type, expected .csv or .xlsx"),
        ("t.csv", b"Code,Note\nA,B\n", "t.csv line 1: missing required column(s) name"),
        ("t.csv", b"\n\ncode,code,name\n", "t.csv line 3: column 'code' appears twice"),
        ("t.csv", b"code,name\nA,Nguy\xe1n\n", "t.csv is not UTF-8 text (bad byte at offset 16)"),
        ("t.csv", b"\xff\xfec\x00o\x00", "t.csv is not UTF-8 text"),  # UTF-16
        ("t.csv", b"code,name\nA,B\x00\n", "t.csv line 2: a NUL character, so not a text file"),
        ("t.csv", b"code,name\nA," + b"x" * 200_000, "t.csv line 2: field larger than field limit"),
        ("t.csv", b"\xef\xbb\xbf\n \n", "t.csv is empty: a header row is required"),
        ("t.xlsx", b"not a zip file", "cannot read t.xlsx as an XLSX workbook"),
    ],
)
def test_unreadable_files_are_refused_in_one_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    assert refusal(tmp_path / name).startswith(message)


def test_a_missing_file(tmp_path: Path) -> None:
    message = refusal(tmp_path / "nope.csv")
    assert re.fullmatch(r"cannot read .*nope\.csv: No such file or directory", message)


def test_a_malformed_sheet_is_refused_not_a_traceback(tmp_path: Path) -> None:
    book = hostile.workbook(tmp_path / "t.xlsx", [["code", "name"]])
    hostile.with_part(book, hostile.SHEET, [b"<worksheet><sheetData><row>"])
    assert refusal(book) == "cannot read t.xlsx as an XLSX workbook"


# --- Hostile files ---------------------------------------------------------------------------


@pytest.mark.parametrize("part", [hostile.SHEET, hostile.WORKBOOK])
def test_a_billion_laughs_workbook_is_refused(tmp_path: Path, part: str) -> None:
    path = hostile.billion_laughs(tmp_path / "t.xlsx", part)
    assert refusal(path) == (
        "t.xlsx is refused: its XML declares entities or external references, as an XML bomb does"
    )


def test_xlsx_is_not_read_without_defusedxml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert openpyxl.DEFUSEDXML  # installed and active: openpyxl parses with it
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    path = hostile.workbook(tmp_path / "t.xlsx", [["code", "name"]])
    assert refusal(path).startswith("t.xlsx: XLSX files are not read without defusedxml")


def test_a_zip_bomb_is_refused_by_its_unpacked_size(tmp_path: Path) -> None:
    path = hostile.zip_bomb(tmp_path / "t.xlsx", megabytes=60)
    assert path.stat().st_size < 200_000
    assert refusal(path) == "t.xlsx is refused: it unpacks to 60 MB, more than 50 MB (a zip bomb?)"


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    path = hostile.zip_bomb(tmp_path / "t.xlsx", megabytes=5)
    assert re.fullmatch(
        r"t\.xlsx is refused: its part xl/worksheets/sheet1\.xml unpacks to [0-9,]+ times its"
        r" size \(a zip bomb\?\)",
        refusal(path),
    )


@pytest.mark.parametrize("name", ["t.csv", "t.xlsx"])
def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path, name: str) -> None:
    path = hostile.oversized(tmp_path / name)
    assert refusal(path) == f"{name} is larger than 10 MB; split it into smaller files"


def test_a_million_rows_are_refused_at_the_limit_without_being_held(tmp_path: Path) -> None:
    path = hostile.many_rows(tmp_path / "t.csv", "code,name", 1_000_000)
    tracemalloc.start()
    try:
        message = refusal(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == "t.csv has more than 100,000 rows; split it into smaller files"
    assert peak < 100 * 1024 * 1024  # the file is 2 MB; a million rows held took 900 MB


def test_a_sheet_row_a_million_rows_down_is_refused(tmp_path: Path) -> None:
    path = hostile.far_row(tmp_path / "t.xlsx", ["code", "name"], 1_000_000)
    assert refusal(path) == "t.xlsx has more than 100,000 rows; split it into smaller files"


@pytest.mark.parametrize("name", ["t.csv", "t.xlsx"])
def test_the_row_limit_counts_the_header_and_blank_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setattr(kpi.tables, "MAX_ROWS", 4)
    rows = [["code", "name"], ["A", "An"], [], ["B", "Bình"]]
    assert [r.line for r in read(table(tmp_path / name, rows))] == [2, 4]
    longer = table(tmp_path / f"longer{Path(name).suffix}", [*rows, ["C", "Chi"]])
    assert refusal(longer) == f"{longer.name} has more than 4 rows; split it into smaller files"


@pytest.mark.parametrize("name", ["t.csv", "t.xlsx"])
def test_columns_past_the_limit_are_ignored(tmp_path: Path, name: str) -> None:
    past = ["x"] * kpi.tables.MAX_COLUMNS
    path = table(tmp_path / name, [[*past, "code", "name"], [*past, "NV1", "An"]])
    assert refusal(path) == (
        f"{name} line 1: missing required column(s) code, name (the header names code, name, note)"
    )


def test_max_rows_is_documented() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"{MAX_ROWS:,} rows" in readme and "10 MB" in readme


# --- Writing ---------------------------------------------------------------------------------

FORMULAS = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")']
PLAIN = ["An", "1-2", " =x", "Nguyễn", ""]


@pytest.mark.parametrize("text", FORMULAS + PLAIN)
def test_formula_like_text(text: str) -> None:
    assert formula_like(text) == (text in FORMULAS)


@pytest.mark.parametrize("value", [-5, Decimal("-2.50"), -1.5, None])
def test_numbers_are_never_formula_like(value: object) -> None:
    assert not formula_like(value)


ROWS = [[text, Decimal("-2.50"), -3] for text in FORMULAS + PLAIN + ["'quoted", "'=x"]]


def test_csv_export_quotes_formula_like_text_and_keeps_numbers(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_table(path, ["text", "score", "count"], ROWS, file_format="csv", sheet="s") == 14
    with path.open(encoding="utf-8-sig", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    assert header == ["text", "score", "count"]
    assert [row[0] for row in rows] == [
        *(f"'{text}" for text in FORMULAS),
        *PLAIN,
        "''quoted",
        "''=x",
    ]
    assert {(row[1], row[2]) for row in rows} == {("-2.50", "-3")}


def test_xlsx_export_writes_formula_like_text_as_string_cells(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_table(path, ["text", "score", "count"], ROWS, file_format="xlsx", sheet="KPI")
    sheet = openpyxl.load_workbook(path)["KPI"]
    cells = list(sheet.iter_rows(min_row=2))
    texts = [text.replace("\r", "\n") for text in FORMULAS]  # XML reads a CR back as a LF
    assert [row[0].value for row in cells] == [*texts, *PLAIN[:-1], None, "'quoted", "'=x"]
    assert {row[0].data_type for row in cells if row[0].value is not None} == {"s"}
    assert {(row[1].value, row[1].data_type, row[2].value) for row in cells} == {(-2.5, "n", -3)}


def test_xlsx_export_has_fitted_widths_a_frozen_header_and_a_filter(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    rows = [["Nguyễn Văn An", Decimal("97.25"), date(2026, 9, 30)], ["x" * 80, None, None]]
    write_tables(path, [Table("KPI", ["name", "score", "day"], rows)], file_format="xlsx")
    sheet = openpyxl.load_workbook(path)["KPI"]
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A2", "A1:C3")
    widths = [int(sheet.column_dimensions[letter].width) for letter in "ABC"]
    assert widths == [60, 9, 12]  # the longest cell and a margin, at most 60; the filter button
    assert sheet["C2"].value == datetime(2026, 9, 30) and sheet["C2"].number_format == "yyyy-mm-dd"


def test_an_empty_xlsx_table_keeps_its_header(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    tables = [Table("KPI", ["a"], [[1]]), Table("Empty", ["b", "c"], [])]
    write_tables(path, tables, file_format="xlsx")
    sheet = openpyxl.load_workbook(path)["Empty"]
    assert list(sheet.iter_rows(values_only=True)) == [("b", "c")]


def test_xlsx_headings_must_differ(tmp_path: Path) -> None:
    with pytest.raises(TableFileError, match="two columns are headed 'a'"):
        write_table(
            tmp_path / "o.xlsx", ["a", "b", "a"], [[1, 2, 3]], file_format="xlsx", sheet="s"
        )


def test_an_xlsx_cell_keeps_at_most_excels_32767_characters(tmp_path: Path) -> None:
    path = tmp_path / "o.xlsx"
    write_table(path, ["reason"], [["x" * 40_000]], file_format="xlsx", sheet="s")
    assert openpyxl.load_workbook(path)["s"]["A2"].value == "x" * 32_767


def test_a_spreadsheet_program_reads_the_export_as_written(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        reason = "no LibreOffice on this machine: apt-get install libreoffice-calc-nogui"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the spreadsheet test, but {reason}")
        pytest.skip(f"{reason}; CI installs it")
    path = tmp_path / "kpi.xlsx"
    scores = [
        ["=SUM(1,2)", Decimal("-2.50"), 3, date(2026, 9, 30)],
        ["Nguyễn Văn An", None, 0, None],
    ]
    tables = [Table("KPI", ["text", "score", "count", "day"], scores), Table("Trừ điểm", ["a"], [])]
    write_tables(path, tables, file_format="xlsx")
    # Every sheet as CSV, UTF-8, cells as shown: what a user sees in the spreadsheet.
    options = "44,34,76,1,,0,false,true,true,false,false,-1"
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):{options}",
            "--outdir",
            str(tmp_path / "shown"),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    shown = {
        sheet: (tmp_path / "shown" / f"kpi-{sheet}.csv").read_text(encoding="utf-8").splitlines()
        for sheet in ("KPI", "Trừ điểm")
    }
    assert shown == {
        "KPI": ["text,score,count,day", '"=SUM(1,2)",-2.50,3,2026-09-30', "Nguyễn Văn An,,0,"],
        "Trừ điểm": ["a"],
    }


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(st.sampled_from("=+-@'\t\rxá ,;\"\n"), max_size=6), max_size=5))
def test_any_text_exported_as_csv_reads_back_the_same(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "t.csv")
        write_table(path, ["code", "name"], [["x", t] for t in texts], file_format="csv", sheet="")
        assert [r.cells["name"] for r in read(path)] == texts


def test_write_refuses_an_unwritable_path(tmp_path: Path) -> None:
    with pytest.raises(TableFileError, match="cannot write .*out.csv"):
        write_table(tmp_path / "no" / "out.csv", ["a"], [], file_format="csv", sheet="s")


def test_progress_is_told_of_every_chunk_then_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kpi.tables, "CHUNK", 2)
    told: list[int] = []
    rows = [["x"]] * 5
    write_table(tmp_path / "o.csv", ["a"], rows, file_format="csv", sheet="s", progress=told.append)
    assert told == [2, 2, 1]


def test_chunks() -> None:
    assert [list(c) for c in chunks(list(range(1201)))] == [
        list(range(500)),
        list(range(500, 1000)),
        list(range(1000, 1201)),
    ]
