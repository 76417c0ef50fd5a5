"""Hostile table files, built for real: XML and zip bombs, oversized, endless and binary files."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import openpyxl

from kpi.tables import MAX_FILE_BYTES

SHEET = "xl/worksheets/sheet1.xml"
WORKBOOK = "xl/workbook.xml"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# Ten entities, each ten times the one before: lol9 stands for a billion "lol"s.
_LAUGHS = '<!ENTITY lol0 "lol">' + "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
)
# Where each part takes the bomb: a cell's text, the sheet's name.
_BOMB_AT = {SHEET: (">code<", ">&lol9;<"), WORKBOOK: ('name="Sheet"', 'name="&lol9;"')}


def workbook(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    """A plain XLSX with these rows on its first sheet, saved as Excel would (shared strings)."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    book.save(path)
    return path


def with_part(path: Path, name: str, chunks: Iterable[bytes]) -> Path:
    """Replace one part of the XLSX at `path` by `chunks`, streamed (never held whole)."""
    original = path.with_suffix(".orig")
    path.rename(original)
    with (
        zipfile.ZipFile(original) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info))
        with target.open(name, "w", force_zip64=True) as part:
            for chunk in chunks:
                part.write(chunk)
    original.unlink()
    return path


def billion_laughs(path: Path, part: str = SHEET) -> Path:
    """An XLSX whose `part` uses nested entities: ten levels expand to a billion "lol"s."""
    book = workbook(path, [["code"], ["x"]])
    with zipfile.ZipFile(book) as archive:
        xml = archive.read(part).decode()
    root = xml.split(None, 1)[0].removeprefix("<")
    old, new = _BOMB_AT[part]
    return with_part(book, part, [f"<!DOCTYPE {root} [{_LAUGHS}]>{xml.replace(old, new)}".encode()])


def zip_bomb(path: Path, megabytes: int) -> Path:
    """An XLSX whose sheet inflates from a few kilobytes to `megabytes` of blank space."""
    head = f'<?xml version="1.0"?><worksheet xmlns="{_MAIN}"><sheetData>'.encode()
    blank = b" " * (1024 * 1024)
    chunks = [head, *(blank for _ in range(megabytes)), b"</sheetData></worksheet>"]
    return with_part(workbook(path, [["code"]]), SHEET, chunks)


def far_row(path: Path, header: Sequence[str], row: int) -> Path:
    """An XLSX with a header and one row at sheet row `row`: the rows before it count too."""
    book = workbook(path, [header, ["x"] * len(header)])
    with zipfile.ZipFile(book) as archive:
        xml = archive.read(SHEET).decode()
    return with_part(book, SHEET, [xml.replace('<row r="2">', f'<row r="{row}">').encode()])


def oversized(path: Path) -> Path:
    """A file one byte over the size limit (sparse: nothing is written but its last byte)."""
    with path.open("wb") as stream:
        stream.seek(MAX_FILE_BYTES)
        stream.write(b"\n")
    return path


def many_rows(path: Path, header: str, rows: int) -> Path:
    """A CSV file of `header` and `rows` short rows."""
    path.write_bytes(f"{header}\n".encode() + b"x\n" * rows)
    return path
