"""Readers: a tracker file (.xlsx or .csv) as a grid of cell values.

CSV is read with the csv module (UTF-8, UTF-8 with BOM, or Windows-1252); .xlsx with openpyxl
(read-only for large files). Multi-line cells are kept; merged cells get the top-left value.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

LARGE_XLSX_BYTES = 8_000_000
"""Above this size .xlsx files are read in openpyxl's read-only (streaming) mode."""


class ImportFileError(ValueError):
    """The file cannot be read as a tracker; the message says why and what was expected."""


@dataclass
class Sheet:
    """A grid of cell values from one worksheet or CSV file.

    :ivar rows: list of rows; each a list of cell values (str for CSV; str, int, float,
        datetime or None for .xlsx). Row ``i`` is spreadsheet row ``i + 1``.
    :ivar name: the file name (and sheet name for .xlsx).
    :ivar encoding: the text encoding used for CSV.
    """

    rows: list[list[object]]
    name: str
    encoding: str | None = None


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:4096]


def read_csv_bytes(data: bytes, name: str) -> Sheet:
    """Read CSV bytes (UTF-8, UTF-8 with BOM or Windows-1252; delimiter sniffed from , ; tab).

    :raises ImportFileError: for an empty or binary file.
    """
    if not data.strip():
        raise ImportFileError(f"{name} is empty: expected a .csv or .xlsx file with a header row.")
    if _looks_binary(data):
        raise ImportFileError(
            f"{name} is not a spreadsheet: expected a .csv (text) or .xlsx (Excel) file."
        )
    text, encoding = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)  # ties keep the comma
    rows = [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return Sheet(rows=rows, name=name, encoding=encoding)


def read_xlsx_bytes(data: bytes, name: str, *, sheet: str | None = None) -> Sheet:
    """Read the first (or the named) worksheet of an .xlsx workbook.

    Merged ranges are filled with their top-left value (in read-only mode, used for large files,
    merged cells are blank and the tracker reader fills recommendation columns down instead).

    :raises ImportFileError: when the bytes are not an Excel workbook or the sheet is missing.
    """
    import openpyxl

    if not data:
        raise ImportFileError(f"{name} is empty: expected a .csv or .xlsx file with a header row.")
    read_only = len(data) > LARGE_XLSX_BYTES
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(
            f"{name} is not an Excel workbook (.xlsx) that can be read: {exc}"
        ) from exc
    try:
        if sheet is not None:
            if sheet not in workbook.sheetnames:
                raise ImportFileError(
                    f"{name} has no sheet {sheet!r}; its sheets are {', '.join(workbook.sheetnames)}."
                )
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        rows = [list(row) for row in worksheet.iter_rows(values_only=True)]
        if not read_only:
            for merged in list(worksheet.merged_cells.ranges):
                top = rows[merged.min_row - 1][merged.min_col - 1]
                for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
                    for c in range(merged.min_col - 1, merged.max_col):
                        if c < len(rows[r]):
                            rows[r][c] = top
        title = worksheet.title
    finally:
        workbook.close()
    return Sheet(rows=rows, name=f"{name} [{title}]")


def read_bytes(data: bytes, name: str, *, sheet: str | None = None) -> Sheet:
    """Read an uploaded or on-disk tracker: .xlsx by its content (a zip), otherwise CSV text.

    :raises ImportFileError: empty, binary non-Excel, or unreadable files, with a clear message.
    """
    if not data or not data.strip():
        raise ImportFileError(f"{name} is empty: expected a .csv or .xlsx file with a header row.")
    if data[:4] == b"PK\x03\x04":
        return read_xlsx_bytes(data, name, sheet=sheet)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            f"{name} is an old Excel (.xls) file: save it as .xlsx or .csv and import that."
        )
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(f"{name} is not an Excel workbook (.xlsx) that can be read.")
    return read_csv_bytes(data, name)


def read_path(path: str | Path, *, sheet: str | None = None) -> Sheet:
    """Read a tracker file from disk (see :func:`read_bytes`).

    :raises ImportFileError: when the file is missing, unreadable or not a spreadsheet.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return read_bytes(data, path.name, sheet=sheet)
