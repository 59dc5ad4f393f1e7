"""Readers: a tracker file (.xlsx or .csv) as a grid of cell values, within stated limits.

CSV is decoded as it is read (UTF-8, UTF-8 with BOM, UTF-16 with BOM, or Windows-1252; the
delimiter sniffed from ``,`` ``;`` tab ``|``). An .xlsx sheet is streamed by openpyxl's own
worksheet parser (the engine of its read-only mode): only the cells that hold values are read,
whatever the sheet's stated dimension says; a merged range's value is repeated into every cell it
covers (as Excel shows it); a formula's saved (cached) value is used, and a formula with none is
kept as a :class:`Formula` (an error value as an :class:`ExcelError`) for the plan to report by
cell; dates use the workbook's own date
system (1900 or 1904). Hidden sheets are never read unless named.

Limits (:data:`MAX_ROWS`, :data:`MAX_COLUMNS`, :data:`MAX_CELL_CHARS`): cells beyond the last
column are ignored and reported; more rows than the limit is a refusal naming it; a cell longer
than the limit is kept as a :class:`TooLong` for the plan to report by row and column.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from monitoring.services import MAX_NOTE_CHARS

MAX_ROWS = 250_000
"""Most rows holding values a tracker may have (a 200,000-row tracker imports; more is refused
with this limit named)."""
MAX_COLUMNS = 200
"""Columns read (A .. GR); values beyond are ignored and reported."""
MAX_CELL_CHARS = MAX_NOTE_CHARS
"""Longest text a cell may hold: the update form's limit for a progress note
(:data:`monitoring.services.MAX_NOTE_CHARS`), one limit for every way text comes in."""
MAX_CSV_FIELD = 1_000_000
"""A CSV field longer than this stops the read (the csv module's own limit, raised from 131,072
so that a long cell is reported by row and column instead)."""
MAX_SHARED_STRINGS_BYTES = 200_000_000
"""Largest uncompressed shared-strings part of an .xlsx accepted (it is held in memory)."""
PROGRESS_EVERY = 10_000
"""Rows between two progress reports."""

Progress = Callable[[int], None]
"""Called with the number of rows read so far."""


class ImportFileError(ValueError):
    """The file cannot be read as a tracker; the message says why and what was expected."""


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell with no saved value (a workbook written by a program, or saved without
    recalculation): ``text`` is the formula, e.g. ``=DATE(2026,3,31)``."""

    text: str

    def __str__(self) -> str:
        return ""


@dataclass(frozen=True, slots=True)
class ExcelError(Formula):
    """A cell whose saved value is an Excel error (``#REF!``, ``#DIV/0!``, ``#N/A``): ``text``
    is its formula (empty when none was kept), ``error`` the error shown."""

    error: str = ""


@dataclass(frozen=True, slots=True)
class TooLong:
    """A cell whose text is over :data:`MAX_CELL_CHARS`: only its length and start are kept."""

    length: int
    start: str

    def __str__(self) -> str:
        return self.start


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the reader ignored or could not read, for the import report.

    :ivar row: spreadsheet row (1-based) or None; ``column`` is a column index (0-based) or None.
    """

    level: str
    message: str
    row: int | None = None
    column: int | None = None


@dataclass
class Sheet:
    """A grid of cell values from one worksheet or CSV file.

    :ivar rows: list of rows; each a list of cell values (str for CSV; str, int, float,
        datetime, :class:`Formula`, :class:`TooLong` or None for .xlsx), trailing empty cells
        dropped. Row ``i`` is spreadsheet row ``i + 1``.
    :ivar name: the file name (and sheet name for .xlsx).
    :ivar encoding: the text encoding used for CSV.
    :ivar epoch: the workbook's date system (``1899-12-30`` or ``1904-01-01``) for serial
        numbers in General-format cells.
    :ivar notices: what was ignored (cells beyond the last column, hidden sheets).
    :ivar merged_rows: row numbers (1-based) holding a merged range across columns.
    """

    rows: list[list[object]]
    name: str
    encoding: str | None = None
    epoch: datetime | None = None
    notices: list[Notice] = field(default_factory=list)
    merged_rows: set[int] = field(default_factory=set)
    long_cells: bool = False
    """True when some cell is a :class:`TooLong` (the plan then looks for them)."""


def _cell_text(value: str) -> object:
    return value if len(value) <= MAX_CELL_CHARS else TooLong(len(value), value[:60])


def _trim(row: list[object]) -> list[object]:
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    del row[end:]
    return row


def _too_many_rows(name: str, row: int) -> ImportFileError:
    return ImportFileError(
        f"{name}: row {row:,} holds values past the limit of {MAX_ROWS:,} rows a tracker may "
        "have: split the file into smaller ones and import each (or delete what lies below row "
        f"{MAX_ROWS:,})"
    )


# --- CSV ----------------------------------------------------------------------------------------


def _valid(data: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(data[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(data: bytes) -> tuple[str, bool]:
    """The file's encoding and whether every byte decodes in it: a byte-order mark says UTF-8
    or UTF-16; otherwise UTF-8 when valid, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", _valid(data, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", _valid(data, "utf-16")
    if _valid(data, "utf-8"):
        return "utf-8", True
    return "cp1252", _valid(data, "cp1252")


def _looks_binary(data: bytes, encoding: str) -> bool:
    return encoding != "utf-16" and b"\x00" in data[:4096]


def read_csv_bytes(data: bytes, name: str, *, progress: Progress | None = None) -> Sheet:
    """Read CSV bytes (UTF-8, UTF-8 or UTF-16 with BOM, or Windows-1252; delimiter sniffed from
    the first line among ``,`` ``;`` tab ``|``), decoding as it goes.

    :raises ImportFileError: for an empty or binary file, more than :data:`MAX_ROWS` rows, or a
        field over :data:`MAX_CSV_FIELD` characters (named by line).
    """
    if not data.strip():
        raise ImportFileError(f"{name} is empty: expected a .csv or .xlsx file with a header row.")
    encoding, clean = _encoding(data)
    if _looks_binary(data, encoding):
        raise ImportFileError(
            f"{name} is not a spreadsheet: expected a .csv (text) or .xlsx (Excel) file."
        )
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    nul = encoding == "utf-16" or b"\x00" in data  # NUL is no text (PostgreSQL refuses it)
    try:
        first_line = stream.readline()
        stream.seek(0)
        delimiter = max((",", ";", "\t", "|"), key=first_line.count)  # ties keep the comma
        if csv.field_size_limit() < MAX_CSV_FIELD:
            csv.field_size_limit(MAX_CSV_FIELD)
        reader = csv.reader(stream, delimiter=delimiter)
        rows: list[list[object]] = []
        beyond: list[int] = []
        kept = 0
        long_cells = False
        try:
            for row in reader:
                values: list[object] = row if len(row) <= MAX_COLUMNS else row[:MAX_COLUMNS]
                if nul:
                    values = [v.replace("\x00", "") for v in values]
                if values and max(map(len, values)) > MAX_CELL_CHARS:
                    values = [_cell_text(v) for v in values]
                    long_cells = True
                if values and values[-1] == "":
                    _trim(values)
                if len(row) > MAX_COLUMNS and any(v.strip() for v in row[MAX_COLUMNS:]):
                    beyond.append(len(rows) + 1)
                if values:
                    kept += 1
                    if len(rows) >= MAX_ROWS:
                        raise _too_many_rows(name, len(rows) + 1)
                rows.append(values)
                if progress and len(rows) % PROGRESS_EVERY == 0:
                    progress(len(rows))
        except csv.Error as exc:
            raise ImportFileError(
                f"{name}, line {reader.line_num}: cannot be read as CSV ({exc}); a cell may hold at "
                f"most {MAX_CELL_CHARS:,} characters"
            ) from exc
    finally:
        stream.detach()
    sheet = Sheet(rows=rows, name=name, encoding=encoding, long_cells=long_cells)
    if not clean:
        sheet.notices.append(
            Notice(
                "warning",
                f"some bytes are not {encoding} text and were read as \ufffd: check the rows "
                "that show it (save the file as CSV UTF-8 to avoid this)",
            )
        )
    if beyond:
        listed = ", ".join(str(r) for r in beyond[:10]) + (", ..." if len(beyond) > 10 else "")
        sheet.notices.append(
            Notice(
                "warning",
                f"values beyond column {MAX_COLUMNS} ignored on {len(beyond)} row(s) ({listed}): "
                f"a tracker is read up to {MAX_COLUMNS} columns",
                beyond[0],
            )
        )
    return sheet


# --- .xlsx --------------------------------------------------------------------------------------


def _parser_class():
    """openpyxl's streaming worksheet parser (``openpyxl.worksheet._reader``, the engine of
    ``load_workbook(read_only=True)``), keeping a formula's text where it has no saved value."""
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["data_type"] == "e" and isinstance(cell["value"], str):
                formula = element.find(FORMULA_TAG)
                text = "=" + formula.text if formula is not None and formula.text else ""
                cell["value"] = ExcelError(text, cell["value"])
            elif cell["value"] is None:
                formula = element.find(FORMULA_TAG)
                if formula is not None and formula.text:
                    cell["value"] = Formula("=" + formula.text)
            return cell

    return Parser


@dataclass
class _Book:
    """An open workbook in read-only mode and what is needed to stream its sheets."""

    workbook: object
    name: str

    @property
    def sheets(self) -> list:
        return list(self.workbook.worksheets)

    def visible(self) -> list:
        return [ws for ws in self.sheets if getattr(ws, "sheet_state", "visible") == "visible"]

    def stream(self, ws) -> Iterator[tuple[int, list[dict]]]:
        """``(row number, [cell dicts])`` for the rows of ``ws`` that hold cells, in order."""
        parser = _parser_class()(
            ws._get_source(),
            ws._shared_strings,
            data_only=True,
            epoch=self.workbook.epoch,
            date_formats=self.workbook._date_formats,
            timedelta_formats=self.workbook._timedelta_formats,
        )
        self._parser = parser
        try:
            yield from parser.parse()
        finally:
            parser.source.close()

    def merged(self) -> list:
        """The merged ranges of the sheet last streamed (read at the end of its XML)."""
        found = getattr(self._parser, "merged_cells", None)
        return list(getattr(found, "mergeCell", None) or [])


def _open_book(data: bytes, name: str) -> _Book:
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        strings = [i for i in archive.infolist() if i.filename.endswith("sharedStrings.xml")]
        if any(i.file_size > MAX_SHARED_STRINGS_BYTES for i in strings):
            raise ImportFileError(
                f"{name}: its table of texts is over {MAX_SHARED_STRINGS_BYTES // 1_000_000} MB "
                "uncompressed: split the workbook into smaller files"
            )
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, AttributeError) as exc:
        raise ImportFileError(
            f"{name} is not an Excel workbook (.xlsx) that can be read: {exc}"
        ) from exc
    except Exception as exc:  # a damaged part: lxml/ElementTree parse errors and the like
        raise ImportFileError(
            f"{name} is not an Excel workbook (.xlsx) that can be read: {type(exc).__name__}"
        ) from exc
    return _Book(workbook, name)


def _header_rows(book: _Book, ws, count: int = 30) -> list[list[object]]:
    rows: list[list[object]] = []
    for rownum, cells in book.stream(ws):
        if rownum > count:
            break
        row: list[object] = [None] * min(MAX_COLUMNS, max((c["column"] for c in cells), default=0))
        for c in cells:
            if c["column"] <= MAX_COLUMNS:
                row[c["column"] - 1] = c["value"]
        rows.extend([] for _ in range(rownum - 1 - len(rows)))
        rows.append(row)
    return rows


def _chosen_active(book: _Book):
    """The workbook's active sheet when someone chose it (not the first visible sheet, which is
    active by default) and it is visible; else None."""
    try:
        sheet = book.sheets[book.workbook._active_sheet_index]  # bookViews' activeTab
    except (AttributeError, IndexError, TypeError):
        return None
    visible = book.visible()
    return sheet if sheet in visible and sheet is not visible[0] else None


def choose_sheet(
    book: _Book, sheet: str | None, overrides: Mapping[str, str] | None = None
) -> tuple[object, list[Notice]]:
    """The worksheet to import: the named one (hidden or not); else the one visible sheet, or
    the one visible sheet whose first 30 rows hold a header row; of several such, the active
    sheet when it was chosen (the sheet open when the file was saved, not the first visible one), with
    a warning naming the others.

    :raises ImportFileError: when the named sheet is missing, no visible sheet has a header row,
        or several do (the message lists the sheets and how to choose one).
    """
    from monitoring.importer.headers import find_header

    names = [ws.title for ws in book.sheets]
    notices: list[Notice] = []
    if sheet is not None:
        if sheet not in names:
            raise ImportFileError(
                f"{book.name} has no sheet {sheet!r}; its sheets are {', '.join(names)}."
            )
        return book.workbook[sheet], notices
    hidden = [ws.title for ws in book.sheets if ws not in book.visible()]
    if hidden:
        notices.append(
            Notice(
                "warning",
                f"hidden sheet(s) not read: {', '.join(repr(h) for h in hidden)} (name a sheet "
                'with "sheet" in a mapping file to import it)',
            )
        )
    visible = book.visible()
    how = (
        'choose one with "sheet" in a mapping file (--mapping), e.g. {"sheet": '
        f'"{visible[0].title if visible else names[0]}"}}'
    )
    if len(visible) == 1:
        return visible[0], notices
    if not visible:
        raise ImportFileError(
            f"{book.name} has no visible sheet; its sheets are {', '.join(names)}: {how}"
        )
    matching = [ws for ws in visible if find_header(_header_rows(book, ws), overrides) is not None]
    if len(matching) == 1:
        return matching[0], notices
    active = _chosen_active(book)
    if len(matching) > 1 and active is not None and active in matching:
        others = ", ".join(repr(ws.title) for ws in matching if ws is not active)
        notices.append(
            Notice(
                "warning",
                f"sheet {active.title!r} read: it was the open sheet when the workbook was "
                f"saved; {others} also look like trackers: {how} to read another",
            )
        )
        return active, notices
    listed = ", ".join(repr(ws.title) for ws in (matching or visible))
    if matching:
        raise ImportFileError(
            f"{book.name} has {len(matching)} sheets that could be the tracker ({listed}): {how}"
        )
    raise ImportFileError(
        f"{book.name}: no visible sheet has a header row in its first 30 rows (sheets: "
        f"{listed}): expected column headings such as 'Ref', 'Action', 'Lead', 'Due Date', "
        f"'Status'; or {how}"
    )


def read_xlsx_bytes(
    data: bytes,
    name: str,
    *,
    sheet: str | None = None,
    overrides: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Sheet:
    """Read the tracker sheet of an .xlsx workbook (see :func:`choose_sheet`), streaming only
    the cells that hold values.

    :raises ImportFileError: when the bytes are not an Excel workbook, the sheet cannot be
        chosen, or the sheet has more than :data:`MAX_ROWS` rows holding values.
    """
    if not data:
        raise ImportFileError(f"{name} is empty: expected a .csv or .xlsx file with a header row.")
    book = _open_book(data, name)
    try:
        worksheet, notices = choose_sheet(book, sheet, overrides)
        rows: list[list[object]] = []
        beyond: list[str] = []
        kept = 0
        long_cells = False
        try:
            for rownum, cells in book.stream(worksheet):
                values: dict[int, object] = {}
                for c in cells:
                    value = c["value"]
                    if value is None or value == "":
                        continue
                    if c["column"] > MAX_COLUMNS:
                        beyond.append(f"{_letter(c['column'])}{rownum}")
                        continue
                    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                        value = _cell_text(value)
                        long_cells = True
                    values[c["column"] - 1] = value
                if not values:
                    continue
                kept += 1
                if rownum > MAX_ROWS:  # checked before the gap above it is filled
                    raise _too_many_rows(name, rownum)
                row: list[object] = [None] * (max(values) + 1)
                for i, v in values.items():
                    row[i] = v
                rows.extend([] for _ in range(rownum - 1 - len(rows)))
                rows.append(row)
                if progress and kept % PROGRESS_EVERY == 0:
                    progress(kept)
            merged = book.merged()
        except ImportFileError:
            raise
        except Exception as exc:  # a damaged sheet part
            raise ImportFileError(
                f"{name} is not an Excel workbook (.xlsx) that can be read: {type(exc).__name__}: "
                f"{str(exc)[:200]}"
            ) from exc
        title = worksheet.title
        epoch = book.workbook.epoch
    finally:
        book.workbook.close()
    result = Sheet(
        rows=rows, name=f"{name} [{title}]", epoch=epoch, notices=notices, long_cells=long_cells
    )
    _fill_merged(result, merged)
    if beyond:
        listed = ", ".join(beyond[:5]) + (", ..." if len(beyond) > 5 else "")
        result.notices.append(
            Notice(
                "warning",
                f"{len(beyond)} cell(s) beyond column {MAX_COLUMNS} ({_letter(MAX_COLUMNS)}) "
                f"ignored: {listed}",
            )
        )
    return result


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(min(column, 18278))


def _fill_merged(sheet: Sheet, merged: list) -> None:
    """Repeat each merged range's top-left value into every cell it covers (within the rows
    read and :data:`MAX_COLUMNS`), as Excel shows it; rows merged across columns are noted."""
    from openpyxl.worksheet.cell_range import CellRange

    rows = sheet.rows
    for entry in merged:
        try:
            cr = CellRange(str(getattr(entry, "ref", entry)))
        except (TypeError, ValueError):
            continue
        if cr.min_row > len(rows):
            continue
        top_row = rows[cr.min_row - 1]
        top = top_row[cr.min_col - 1] if cr.min_col - 1 < len(top_row) else None
        if top is None:
            continue
        last_col = min(cr.max_col, MAX_COLUMNS)
        for r in range(cr.min_row - 1, min(cr.max_row, len(rows))):
            row = rows[r]
            if len(row) < last_col:
                row.extend([None] * (last_col - len(row)))
            for c in range(cr.min_col - 1, last_col):
                row[c] = top
            if last_col > cr.min_col:
                sheet.merged_rows.add(r + 1)


# --- either -------------------------------------------------------------------------------------


def read_bytes(
    data: bytes,
    name: str,
    *,
    sheet: str | None = None,
    overrides: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Sheet:
    """Read an uploaded or on-disk tracker: .xlsx by its content (a zip), otherwise CSV text.

    :param overrides: ``{field: header text}`` (a mapping file's columns) used to recognise the
        tracker sheet among several.
    :param progress: called with the number of rows read, every :data:`PROGRESS_EVERY` rows.
    :raises ImportFileError: empty, binary non-Excel, unreadable or over-limit files, with a
        clear message.
    """
    if not data or not data.strip():
        raise ImportFileError(f"{name} is empty: expected a .csv or .xlsx file with a header row.")
    if data[:4] == b"PK\x03\x04":
        return read_xlsx_bytes(data, name, sheet=sheet, overrides=overrides, progress=progress)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            f"{name} is an old Excel (.xls) file: save it as .xlsx or .csv and import that."
        )
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(f"{name} is not an Excel workbook (.xlsx) that can be read.")
    return read_csv_bytes(data, name, progress=progress)


def read_path(
    path: str | Path,
    *,
    sheet: str | None = None,
    overrides: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Sheet:
    """Read a tracker file from disk (see :func:`read_bytes`).

    :raises ImportFileError: when the file is missing, unreadable or not a spreadsheet.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return read_bytes(data, path.name, sheet=sheet, overrides=overrides, progress=progress)
