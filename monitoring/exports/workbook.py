"""The tracker as an Excel workbook (openpyxl): a handful of sheets whatever the size of the data
(a sheet per review made 776 sheets of the real PFD data): Summary, Tracker (every action, one row
each, with its review), Overdue by agency, Decisions, Changes since last meeting, Reviews,
Agencies and Measures.

Every sheet is one table: a bold header row that stays frozen, an autofilter over the table, real
Excel dates (shown ``d mmm yyyy``), RAG as the board's word on the RAG colour. Text that a
spreadsheet could run as a formula is stored as explicit text with the quote-prefix style
(:mod:`monitoring.exports.safe`), so a note such as ``=HYPERLINK(...)`` stays a note.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from copy import copy
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from monitoring import rules, vocabulary
from monitoring.exports import safe
from monitoring.exports.layout import kind_text, rag_text, status_text
from monitoring.exports.pack import MeetingPack, figure_rows, uk_date
from monitoring.measures import DISPLAY_COLUMNS

MEASURE_WIDTHS = {
    "Measure": 44,
    "Variation": 30,
    "Assurance": 30,
    "Owner": 30,
    "Recommendation or theme": 44,
    "Values": 9,
}
"""Column widths of the Measures sheet (others 14)."""

DATE_FORMAT = "d mmm yyyy"
HEADER_FILL = PatternFill("solid", fgColor="1F4E96")
HEADER_FONT = Font(bold=True, color="FFFFFF")
RAG_FONT = Font(bold=True, color="FFFFFF")
INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
WRAP = Alignment(wrap_text=True, vertical="top")
RAG_FILLS = {
    code: PatternFill("solid", fgColor=colour.lstrip("#"))
    for code, colour in vocabulary.RAG_COLOURS.items()
}
"""One style object each, shared by every cell (openpyxl hashes a style on every assignment; a
new object per cell made the 23,000-cell tracker of the real PFD data twice as slow)."""

ACTION_HEADERS = [
    ("Review", 16),
    ("Review title", 30),
    ("Recommendation", 9),
    ("Recommendation title", 30),
    ("Action", 8),
    ("Action description", 50),
    ("Success measure", 36),
    ("Lead agency", 30),
    ("Lead officer", 18),
    ("Original target date", 12),
    ("Target date", 12),
    ("Status", 20),
    ("RAG", 12),
    ("Days overdue", 9),
    ("Completed on", 12),
    ("Last update", 12),
    ("Latest progress note", 60),
]


def set_text(cell, value) -> None:
    """Put ``value`` in ``cell``; risky text (see :func:`safe.is_risky`) is stored as plain text.

    openpyxl treats any text starting with ``=`` as a formula; here such text gets the string
    type and the quote-prefix style, so Excel and LibreOffice show it and never evaluate it.
    """
    cell.value = value
    if safe.is_risky(value):
        cell.data_type = "s"
        cell.quotePrefix = True


class _Cells:
    """The cells of one write-only sheet. Each combination of formats (quote prefix, date,
    wrapped, RAG colour) is set once, through openpyxl's style attributes, on the first cell that
    has it; later cells of that combination take a copy of its style record (the indices into
    the workbook's style tables), as openpyxl's own named-style assignment does. Setting
    ``alignment``, ``fill`` or ``font`` hashes the style object on every assignment: for the
    100,000-action tracker's million formatted cells that was about a quarter of the workbook's
    time. The cells and the workbook's style tables are the same as when each cell's formats are
    set one by one (a combination is added to the tables by the first cell that has it)."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self.styles: dict[tuple, object] = {}

    def cell(self, value, *, rag: str | None = None):
        """``value`` as written to the sheet: as is when it needs no format, else a cell with its
        format (risky text as plain text, see :func:`set_text`; dates; text over 40 characters
        wrapped; ``rag``: the RAG colour of that code, bold white)."""
        risky = safe.is_risky(value)
        dated = isinstance(value, date)
        wrapped = isinstance(value, str) and len(value) > 40
        if not (risky or wrapped or dated or rag):
            return value
        cell = WriteOnlyCell(self.ws, value=value)
        if risky:
            cell.data_type = "s"
        key = (risky, dated, wrapped, rag)
        style = self.styles.get(key)
        if style is not None:
            cell._style = copy(style)
            return cell
        if risky:
            cell.quotePrefix = True
        if dated:
            cell.number_format = DATE_FORMAT
        if wrapped:
            cell.alignment = WRAP
        if rag:
            cell.fill = RAG_FILLS[rag]
            cell.font = RAG_FONT
        self.styles[key] = copy(cell._style)
        return cell


def _table(
    ws: Worksheet,
    headers: Sequence[tuple[str, float]],
    rows: Iterable[Sequence],
    *,
    rag: Sequence[str] | None = None,
    rag_column: int | None = None,
) -> None:
    """Write a header and rows from A1 to a write-only sheet (rows streamed, not held: the
    100k-action tracker took 1.1 GB and 30 s CPU as ordinary cells), freeze the header, add an
    autofilter and formats."""
    for column, (_, width) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = "A2"
    header = []
    for title, _ in headers:
        cell = WriteOnlyCell(ws, value=title)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = WRAP
        header.append(cell)
    ws.append(header)
    count = 0
    make = _Cells(ws).cell
    for count, values in enumerate(rows, start=1):
        row = [make(value) for value in values]
        if rag is not None and rag_column is not None and count - 1 < len(rag):
            row[rag_column] = make(values[rag_column], rag=rag[count - 1])
        ws.append(row)
    last = f"{get_column_letter(len(headers))}{count + 1}"
    ws.auto_filter.ref = f"A1:{last}"


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, no ``[]:*?/\\``) from ``name``."""
    base = INVALID_SHEET_CHARS.sub("-", name).strip("'") or "Sheet"
    title = base[:31]
    n = 2
    while title.lower() in {t.lower() for t in taken}:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title)
    return title


def _na(value):
    """``None`` for pandas' missing values, so openpyxl writes an empty cell."""
    try:
        import pandas as pd

        return None if value is None or pd.isna(value) else value
    except (TypeError, ValueError):
        return value


def write_xlsx(pack: MeetingPack, out: Path | str | io.BytesIO) -> None:
    """Write the tracker for ``pack``: sheets "Summary", "Tracker" (every action with its review,
    in the Actions page's order), "Overdue by agency", "Decisions", "Changes since last meeting",
    "Reviews", "Agencies" (the scorecard) and "Measures" (the Measures page's table as at the
    meeting, worst first): the same eight sheets at any size.

    :param out: a file path or a binary buffer.
    """
    wb = Workbook(write_only=True)
    wb.properties.title = f"{pack.title}: tracker"
    wb.properties.creator = pack.board
    taken: set[str] = set()

    ws = wb.create_sheet(sheet_title("Summary", taken))
    baseline = f"At {uk_date(pack.baseline.held_on)}" if pack.baseline else "At last meeting"
    _table(
        ws,
        [("Figure", 40), (f"At {uk_date(pack.today)}", 16), (baseline, 16)],
        [[label, now, then] for label, now, then in figure_rows(pack)],
    )

    ws = wb.create_sheet(sheet_title("Overdue by agency", taken))
    _table(
        ws,
        [("Lead agency", 50), ("Overdue actions", 16)],
        [[r.agency, int(r.overdue)] for r in pack.overdue_by_agency.itertuples()],
    )

    ws = wb.create_sheet(sheet_title("Changes since last meeting", taken))
    _table(
        ws,
        [
            ("Date", 12),
            ("Review", 16),
            ("Item", 9),
            ("Change", 24),
            ("Description", 50),
            ("Detail", 50),
            ("Lead agency", 30),
        ],
        [
            [
                _na(c.at),
                _na(c.review_ref),
                _na(c.number),
                kind_text(c.kind),
                _na(c.description),
                _na(c.detail),
                _na(c.agency),
            ]
            for c in pack.changes.itertuples()
        ],
    )

    ws = wb.create_sheet(sheet_title("Reviews", taken))
    _table(
        ws,
        [
            ("Review", 16),
            ("Title", 44),
            ("Type", 10),
            ("Published", 12),
            ("Recommendations", 10),
            ("% implemented", 10),
            ("% assured", 10),
            ("Overdue actions", 10),
        ],
        [
            [
                r.ref,
                r.title,
                r.review_type,
                rules.parse_iso(r.published_on) if _na(r.published_on) else None,
                _na(r.recommendations),
                _na(r.pct_implemented),
                _na(r.pct_assured),
                _na(r.overdue),
            ]
            for r in pack.reviews.itertuples()
        ],
    )

    ws = wb.create_sheet(sheet_title("Tracker", taken), 1)
    ws.sheet_properties.tabColor = "1F4E96"
    tracker = pack.tracker
    _table(
        ws,
        ACTION_HEADERS,
        (
            [
                r.review_ref,
                _na(r.review_title),
                r.recommendation_number,
                _na(r.recommendation_title),
                r.number,
                r.description,
                _na(r.success_measure),
                r.agency,
                _na(r.lead_officer),
                r.original_due_on,
                r.due_on,
                status_text(r.status),
                rag_text(r.rag, r.rag_overridden, r.due_on, r.status),
                int(r.days_overdue) or None,
                r.completed_on,
                r.last_update_on,
                _na(r.progress_note),
            ]
            for r in tracker.itertuples()
        ),
        rag=list(tracker["rag"]),
        rag_column=12,
    )

    ws = wb.create_sheet(sheet_title("Decisions", taken), 3)
    _table(
        ws,
        [("Decision", 34), ("Review", 16), ("Item", 16), ("Description", 50), ("Detail", 50)],
        [
            [r.decision, _na(r.review_ref), r.item, _na(r.description), _na(r.detail)]
            for r in pack.decisions.itertuples()
        ],
    )

    ws = wb.create_sheet(sheet_title("Agencies", taken))
    _table(
        ws,
        [
            ("Lead agency", 44),
            ("Actions", 9),
            ("Open", 9),
            ("Overdue", 9),
            ("Overdue over 90 days", 10),
            ("Completed", 10),
            ("% on time", 9),
            ("Median days overdue", 10),
            ("Target dates moved", 10),
            ("Days since update", 10),
        ],
        [
            [
                r.agency,
                _na(r.actions),
                _na(r.open),
                _na(r.overdue),
                _na(r.overdue_90),
                _na(r.completed),
                _na(r.on_time_pct),
                _na(r.median_days_overdue),
                _na(r.date_changes),
                _na(r.days_since_update),
            ]
            for r in pack.scorecard.itertuples()
        ],
    )

    ws = wb.create_sheet(sheet_title("Measures", taken))
    frame = pack.measures
    _table(
        ws,
        [(name, MEASURE_WIDTHS.get(name, 14)) for name in DISPLAY_COLUMNS],
        [] if frame is None else (list(r) for r in frame[DISPLAY_COLUMNS].itertuples(False)),
    )
    wb.save(out)
