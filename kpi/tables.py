"""Table files (CSV, XLSX): read within limits, hostile files refused in one line, exports inert.

Every import (roster, deductions, ...) reads its file through `read_records`, and every export
writes through `write_table`, so the limits and the formula rule hold for all of them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TypeVar

from defusedxml import DefusedXmlException

MB = 1024 * 1024
MAX_FILE_BYTES = 10 * MB  # a CSV or XLSX file as it is on disk
MAX_ROWS = 100_000  # rows of a file, its header and blank rows included
MAX_COLUMNS = 50  # columns read; any after the 50th are ignored
MAX_UNPACKED_BYTES = 50 * MB  # an XLSX's parts unpacked; 100,000 real rows take about 30 MB
MAX_RATIO = 100  # unpacked:packed of one XLSX part; real sheets stay under 20
_RATIO_FREE = MB  # parts smaller than this unpacked are not ratio-checked
CHUNK = 500  # rows per bulk statement
FORMATS = ("csv", "xlsx")
# A spreadsheet takes a cell starting with one of these for a formula (or part of one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
_QUOTED = frozenset((*FORMULA_STARTS, _QUOTE))  # first characters a CSV cell is quoted for
SCORE_FORMAT = "0.00"  # how an XLSX shows a Decimal (scores, points)
_DATE_FORMAT = "yyyy-mm-dd"  # and a date
_MAX_TEXT = 32_767  # characters of an XLSX cell; a longer text is cut there
_MARGIN = 2  # characters of an XLSX column beyond its longest cell
_FILTER_BUTTON = 4  # the header's, which covers the end of the heading
_MAX_WIDTH = 60  # a longer text (a reason) is cut at the column's edge, not the page's

T = TypeVar("T")


class TableFileError(Exception):
    """The file as a whole cannot be read or written; the message names it, in one line."""


@dataclass(frozen=True)
class RowError:
    """Why one line of an imported file is wrong (English, e.g. "unknown leader 'x'")."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Record:
    """A non-blank row under the header: its line (or sheet row) and its raw text by column."""

    line: int
    cells: dict[str, str]  # every column asked for; "" when absent from the file or empty


# --- Reading -------------------------------------------------------------------------------------


def read_records(
    path: Path, *, columns: Sequence[str], required: Sequence[str]
) -> Iterator[Record]:
    """Stream the rows of a CSV file or an XLSX workbook's first sheet under its header row.

    The header names columns in any case and order; unknown ones are ignored. Raises
    TableFileError (while iterating) when the file is unreadable, hostile or over a limit.
    """
    rows = ((line, cells) for line, cells in _rows(path) if any(c.strip() for c in cells))
    first = next(rows, None)
    if first is None:
        raise TableFileError(f"{path.name} is empty: a header row is required")
    index = _column_index(path, *first, columns, required)
    for line, cells in rows:
        yield Record(line, {name: _at(cells, index.get(name)) for name in columns})


def table_format(path: Path) -> str:
    """The format a path's suffix names ("csv" or "xlsx"), or TableFileError."""
    suffix = path.suffix.lower().removeprefix(".")
    if suffix not in FORMATS:
        raise TableFileError(f"{path.name}: unknown file type, expected .csv or .xlsx")
    return suffix


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    reader = _csv_rows if table_format(path) == "csv" else _xlsx_rows
    for count, row in enumerate(reader(path), start=1):
        if count > MAX_ROWS:
            # Stopping here keeps a million-row file from being read, let alone held.
            raise TableFileError(
                f"{path.name} has more than {MAX_ROWS:,} rows; split it into smaller files"
            )
        yield row


def _at(cells: list[str], at: int | None) -> str:
    return cells[at] if at is not None and at < len(cells) else ""


def _column_index(
    path: Path, line: int, header: list[str], columns: Sequence[str], required: Sequence[str]
) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, cell in enumerate(header):
        name = cell.strip().lower()
        if name in index:
            raise TableFileError(
                f"{path.name} line {line}: column '{name}' appears twice in the header"
            )
        if name in columns:
            index[name] = position
    missing = [name for name in required if name not in index]
    if missing:
        raise TableFileError(
            f"{path.name} line {line}: missing required column(s) {', '.join(missing)}"
            f" (the header names {', '.join(columns)})"
        )
    return index


def _checked_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise TableFileError(f"cannot read {path}: {exc.strerror}") from exc
    if size > MAX_FILE_BYTES:
        raise TableFileError(_too_large(path))


def _too_large(path: Path) -> str:
    return f"{path.name} is larger than {MAX_FILE_BYTES // MB} MB; split it into smaller files"


# --- CSV -----------------------------------------------------------------------------------------


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    text = _csv_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    start = 1
    try:
        for cells in reader:
            # A quoted cell may span lines: a record is numbered by the line where it starts.
            yield start, [_unquoted(cell) for cell in cells[:MAX_COLUMNS]]
            start = reader.line_num + 1
    except csv.Error as exc:
        raise TableFileError(f"{path.name} line {reader.line_num}: {exc}") from exc


def _csv_text(path: Path) -> str:
    _checked_size(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)  # a file growing, or a device, stops here
    except OSError as exc:
        raise TableFileError(f"cannot read {path}: {exc.strerror}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise TableFileError(_too_large(path))
    try:
        text = data.decode("utf-8-sig")  # with or without BOM
    except UnicodeDecodeError as exc:
        raise TableFileError(
            f"{path.name} is not UTF-8 text (bad byte at offset {exc.start}); save it as CSV UTF-8"
        ) from exc
    if "\0" in text:  # a binary or UTF-16 file that happens to decode
        line = text.count("\n", 0, text.index("\0")) + 1
        raise TableFileError(
            f"{path.name} line {line}: a NUL character, so not a text file; save it as CSV UTF-8"
        )
    return text


def _delimiter(text: str) -> str:
    # Excel under Vietnamese regional settings saves "CSV" with semicolons (the comma is decimal).
    header = text.partition("\n")[0]
    return max((",", ";", "\t"), key=header.count)


# --- XLSX ----------------------------------------------------------------------------------------


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    import openpyxl  # with numpy and PIL under it, 29 MB: loaded when a workbook is read

    _checked_size(path)
    _checked_archive(path)
    if not openpyxl.DEFUSEDXML:
        # openpyxl parses with defusedxml only when it is installed and not switched off.
        raise TableFileError(
            f"{path.name}: XLSX files are not read without defusedxml"
            " (install it, and do not set OPENPYXL_DEFUSEDXML=False)"
        )
    try:
        stream = path.open("rb")  # ours to close: openpyxl leaves its own open when it fails
    except OSError as exc:
        raise TableFileError(f"cannot read {path}: {exc.strerror}") from exc
    with stream:
        yield from _sheet_rows(path, stream)


def _sheet_rows(path: Path, stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a sheet's stated size may lie: read the rows it has
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        # The sheet is parsed only now, row by row: its errors come while iterating.
        for line, values in enumerate(rows, start=1):
            yield line, [_cell_text(value) for value in values]
    except Exception as exc:  # noqa: BLE001  (a malformed workbook raises many kinds)
        raise _unreadable(path, exc) from exc


def _checked_archive(path: Path) -> None:
    """Refuse a zip bomb from the sizes its archive declares, before anything is inflated."""
    # Python's zipfile never inflates a part past its declared size, so these bound the work.
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except OSError as exc:
        raise TableFileError(f"cannot read {path}: {exc.strerror}") from exc
    except zipfile.BadZipFile as exc:
        raise _unreadable(path, exc) from exc
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNPACKED_BYTES:
        raise TableFileError(
            f"{path.name} is refused: it unpacks to {unpacked // MB:,} MB, more than"
            f" {MAX_UNPACKED_BYTES // MB} MB (a zip bomb?)"
        )
    for part in parts:
        if part.file_size > _RATIO_FREE and part.file_size > MAX_RATIO * part.compress_size:
            ratio = part.file_size // max(part.compress_size, 1)
            raise TableFileError(
                f"{path.name} is refused: its part {part.filename} unpacks to {ratio:,} times"
                f" its size (a zip bomb?)"
            )


def _unreadable(path: Path, exc: BaseException) -> TableFileError:
    # openpyxl wraps what its parser raised in a ValueError of its own.
    if isinstance(exc, DefusedXmlException) or isinstance(exc.__cause__, DefusedXmlException):
        return TableFileError(
            f"{path.name} is refused: its XML declares entities or external references,"
            " as an XML bomb does"
        )
    return TableFileError(f"cannot read {path.name} as an XLSX workbook")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number: 1001, not 1001.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


# --- Writing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One table of an export: a sheet of the workbook, or a CSV file of its own."""

    sheet: str
    header: Sequence[str]
    rows: Iterable[Sequence[object]]
    slug: str = ""  # a CSV table after the first goes to <name>-<slug>.csv next to the first


def write_table(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    file_format: str,
    sheet: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write a header and rows as CSV (UTF-8 with BOM) or XLSX; the row count."""
    return write_tables(
        path, [Table(sheet, header, rows)], file_format=file_format, progress=progress
    )


def write_tables(
    path: Path,
    tables: Sequence[Table],
    *,
    file_format: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write tables as CSV files (UTF-8 with BOM; see `csv_path`) or as sheets of one XLSX
    workbook, ready to print and filter; the first table's row count.

    No text cell can run as a formula (see `formula_like`); numbers stay numbers, a Decimal
    shown with two decimals. `progress(n)` is told of every `CHUNK` rows of the first table
    written, then of the rest.
    """
    count = 0

    def counted(rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
        nonlocal count
        for count, row in enumerate(rows, start=1):
            yield row
            if progress and count % CHUNK == 0:
                progress(CHUNK)

    first, *rest = tables
    tables = [replace(first, rows=counted(first.rows)), *rest]
    try:
        if file_format == "csv":
            for table in tables:
                slug = "" if table is first else table.slug
                _write_csv(csv_path(path, slug), table.header, table.rows)
        else:
            _write_xlsx(path, tables)
    except OSError as exc:
        raise TableFileError(f"cannot write {path}: {exc.strerror}") from exc
    if progress:
        progress(count % CHUNK)
    return count


def csv_path(path: Path, slug: str) -> Path:
    """Where a CSV table goes: the first at `path`, another at <name>-<slug>.csv beside it."""
    return path.with_name(f"{path.stem}-{slug}{path.suffix}") if slug else path


def formula_like(value: object) -> bool:
    """Whether a spreadsheet would take this cell for a formula: text starting = + - @ TAB CR."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    # The BOM makes Excel read the file as UTF-8, so Vietnamese displays correctly.
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(map(_csv_row, rows))


def _csv_row(row: Sequence[object]) -> list[object]:
    # A leading quote makes a spreadsheet show the text as it is; a text that already starts
    # with one gets another, so that reading the file back drops exactly the one added here.
    # One expression per cell, no call: a report has millions of cells.
    return [
        f"{_QUOTE}{value}"
        if isinstance(value, str) and value[:1] in _QUOTED
        else ("" if value is None else value)
        for value in row
    ]


def _csv_cell(value: object) -> object:
    return _csv_row([value])[0]


def _unquoted(cell: str) -> str:
    """A CSV cell as it was before `_csv_cell` quoted it."""
    rest = cell[1:]
    return rest if cell.startswith(_QUOTE) and _csv_cell(rest) == cell else cell


def _write_xlsx(path: Path, tables: Sequence[Table]) -> None:
    # rust_xlsxwriter (through rustpy-xlsxwriter) builds the cells natively and streams each
    # sheet to disk, several times faster than a writer in Python; a sheet's rows are held to
    # fit its column widths first. It takes rows as mappings by heading: headings must differ.
    from rustpy_xlsxwriter import FastExcel  # noqa: PLC0415  (only an XLSX export needs it)

    book = FastExcel(str(path)).format(float_format=SCORE_FORMAT, datetime_format=_DATE_FORMAT)
    for table in tables:
        header = [str(name) for name in table.header]
        twice = next((name for name in header if header.count(name) > 1), None)
        if twice is not None:
            raise TableFileError(f"{path.name}: two columns are headed '{twice}'")
        rows, widths = _prepared(header, table.rows)
        book.freeze(row=1, sheet=table.sheet).sheet(
            table.sheet,
            # With no row, the header alone: the writer takes its headings from the first row.
            _records(header, rows or [(None,) * len(header)]),
            column_widths=widths,
            autofilter=True,
        )
    book.save()


def _prepared(
    header: Sequence[str], rows: Iterable[Sequence[object]]
) -> tuple[list[tuple[object, ...]], list[float]]:
    """The rows with their cells as the writer takes them (`_xlsx_cell`), and each column's
    width. Column by column, each distinct value once: a report has millions of cells, but
    its columns repeat their values."""
    columns: list[Sequence[object]] = list(zip(*rows, strict=True)) or [() for _ in header]
    widths: list[float] = []
    for index, (name, column) in enumerate(zip(header, columns, strict=True)):
        distinct = set(column)
        changed = {value: _xlsx_cell(value) for value in distinct if type(value) not in _AS_IS}
        if changed:
            columns[index] = [changed.get(value, value) for value in column]
            distinct = {changed.get(value, value) for value in distinct}
        longest = max((len(_shown(value)) + _MARGIN for value in distinct), default=0)
        widths.append(min(max(len(name) + _FILTER_BUTTON, longest), _MAX_WIDTH))
    return list(zip(*columns, strict=True)), widths


def _records(header: list[str], rows: list[tuple[object, ...]]) -> Iterator[dict[str, object]]:
    """The rows as the writer takes them, made one at a time as it writes."""
    for row in rows:
        yield dict(zip(header, row, strict=True))


# Cells the XLSX writer takes as they are; any other is made one of these by `_xlsx_cell`.
_AS_IS = frozenset({int, float, bool, Decimal, date, type(None)})


def _xlsx_cell(value: object) -> object:
    """A cell as the XLSX writer takes it: text always as text (never a formula) and at most
    Excel's 32,767 characters, numbers as numbers, a date as a date, a time as its text."""
    if isinstance(value, str):
        if "\r" in value:  # XML reads a CR back as a LF: write the LF
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value[:_MAX_TEXT]
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if value is None or isinstance(value, int | float | Decimal | date):
        return value
    return str(value)[:_MAX_TEXT]


def _shown(value: object) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in slices of `CHUNK`, for bulk statements of a bounded size."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
