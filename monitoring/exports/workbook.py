"""The tracker as an Excel workbook (XlsxWriter): a handful of sheets whatever the size of the data
(a sheet per review made 776 sheets of the real PFD data): Summary, Tracker (every action, one row
each, with its review), Overdue by agency, Decisions, Changes since last meeting, Reviews,
Agencies and Measures.

Every sheet is one table: a bold header row that stays frozen, an autofilter over the table, real
Excel dates (shown ``d mmm yyyy``), numbers as numbers, RAG as the board's word on the RAG colour
(WCAG 2.2: the word carries the meaning, the colour repeats it).

Text is only ever written as text (``write_string``; the workbook's ``strings_to_formulas``,
``strings_to_urls`` and ``strings_to_numbers`` are off as well), so a note such as
``=HYPERLINK(...)``, ``http://...`` or ``0123`` stays the text that was typed. Text a spreadsheet
could run as a formula (:func:`monitoring.exports.safe.is_risky`) also carries the quote-prefix
style, so Excel and LibreOffice keep it literal when the cell is edited.

The sheets are streamed row by row (XlsxWriter's ``constant_memory`` mode, each sheet's rows in a
temporary file of an owner-only temporary folder, removed whatever happens): the 100,000-action
tracker is 1.7 million cells (BENCHMARKS.md, 6j and 7a).
"""

from __future__ import annotations

import io
import numbers
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
from openpyxl.styles import PatternFill
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from monitoring import rules, vocabulary
from monitoring.exports import safe
from monitoring.exports.layout import kind_text, rag_text, status_text
from monitoring.exports.pack import TRACKER_COLUMNS, MeetingPack, figure_rows, uk_date
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
WRAP_OVER = 40
"""Text longer than this many characters is wrapped (top-aligned)."""
HEADER_FILL = PatternFill("solid", fgColor="FF1F4E96")
RAG_FILLS = {
    code: PatternFill("solid", fgColor="FF" + colour.lstrip("#").upper())
    for code, colour in vocabulary.RAG_COLOURS.items()
}
"""The header's and each RAG code's fill as written (and as openpyxl reads it back: an opaque
ARGB colour); the RAG colours are :data:`monitoring.vocabulary.RAG_COLOURS`."""
WHITE = "#FFFFFF"
INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
"""XlsxWriter's options: rows streamed to disk, and no text ever turned into a formula, a link or
a number (issue 14, case 15), even by a generic ``write``."""

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

TRACKER_CHUNK = 5000
"""Rows of the tracker turned into Python values at a time (:func:`_tracker_rows`)."""


def _colour(fill: PatternFill) -> str:
    """``"#RRGGBB"`` of a fill's ARGB colour."""
    return "#" + fill.fgColor.rgb[-6:]


class _Cells:
    """Writes values to the cells of one workbook's sheets, each with the formats its value calls
    for: text as text, with the quote prefix when risky (:func:`safe.is_risky`) and wrapped when
    over :data:`WRAP_OVER` characters; dates as Excel dates in :data:`DATE_FORMAT`; numbers as
    numbers; the RAG cell bold white on its RAG colour. ``None``, ``""`` and pandas' missing values
    (``NaN``, ``NaT``, ``NA``) leave the cell empty.

    Each combination of formats is one XlsxWriter format, made when first needed and shared by
    every cell that has it (a format per cell would be a style record per cell)."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.formats: dict[tuple, Format | None] = {(False, False, False, None): None}
        self.header = book.add_format(
            {
                "bold": True,
                "font_color": WHITE,
                "pattern": 1,
                "bg_color": _colour(HEADER_FILL),
                "text_wrap": True,
                "valign": "top",
            }
        )

    def format(self, risky: bool, dated: bool, wrapped: bool, rag: str | None) -> Format | None:
        """The format of a cell with quote prefix (``risky``), date format (``dated``), wrapped
        text and the colour of RAG code ``rag``; None when it has none of them."""
        key = (risky, dated, wrapped, rag)
        if key not in self.formats:
            properties: dict[str, object] = {}
            if risky:
                properties["quote_prefix"] = True
            if dated:
                properties["num_format"] = DATE_FORMAT
            if wrapped:
                properties.update(text_wrap=True, valign="top")
            if rag:
                properties.update(
                    pattern=1, bg_color=_colour(RAG_FILLS[rag]), bold=True, font_color=WHITE
                )
            self.formats[key] = self.book.add_format(properties)
        return self.formats[key]

    def write_row(
        self,
        ws: Worksheet,
        row: int,
        values: Sequence,
        *,
        rag: str | None = None,
        rag_column: int | None = None,
    ) -> None:
        """Write ``values`` to row ``row`` (0-based) of ``ws`` from column A; the cell in
        ``rag_column`` (0-based) takes the colour of RAG code ``rag``.

        :raises TypeError: for a value that is not text, a number, a date, a truth value or
            missing (naming the sheet, row and column).
        """
        formats = self.formats
        write_string, write_number = ws.write_string, ws.write_number
        for column, value in enumerate(values):
            if type(value) not in _PLAIN_TYPES:
                value = _plain(value, ws, row, column)
            if value is None:
                continue
            kind = type(value)
            colour = rag if column == rag_column and rag else None
            if kind is str:
                if not value:
                    continue
                key = (safe.is_risky(value), False, len(value) > WRAP_OVER, colour)
                fmt = formats[key] if key in formats else self.format(*key)
                write_string(row, column, value, fmt)
            elif kind is int or kind is float:
                if value != value:  # NaN: pandas' missing number
                    continue
                key = (False, False, False, colour)
                fmt = formats[key] if key in formats else self.format(*key)
                write_number(row, column, value, fmt)
            elif kind is bool:
                ws.write_boolean(row, column, value, self.format(False, False, False, colour))
            else:  # a date or a date and time
                ws.write_datetime(row, column, value, self.format(False, True, False, colour))


_PLAIN_TYPES = frozenset({str, int, float, date, datetime, pd.Timestamp, type(None)})
"""The types :meth:`_Cells.write_row` writes as they are (others go through :func:`_plain`)."""


def _plain(value, ws: Worksheet, row: int, column: int):
    """``value`` as one of :data:`_PLAIN_TYPES` or ``bool``: ``None`` for pandas' missing values
    (``NaN``, ``NaT``, ``NA``), ``str`` for text types, ``float`` for other numbers (NumPy's,
    ``Decimal``); ``bool`` and dates as they are.

    :raises TypeError: for anything else, naming the sheet, row and column (1-based).
    """
    if isinstance(value, bool | date):
        return None if value is pd.NaT else value
    if isinstance(value, str):
        return str(value)
    if _missing(value):
        return None
    if isinstance(value, numbers.Real | Decimal):
        return float(value)
    raise TypeError(
        f"Sheet {ws.name!r}, row {row + 1}, column {column + 1}: cannot write"
        f" {type(value).__name__} to Excel (expected text, a number or a date)"
    )


def _missing(value) -> bool:
    """True for pandas' missing values (``NaN``, ``NaT``, ``NA``)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _table(
    ws: Worksheet,
    cells: _Cells,
    headers: Sequence[tuple[str, float]],
    rows: Iterable[Sequence],
    *,
    rag: Sequence[str] | None = None,
    rag_column: int | None = None,
) -> None:
    """Write a header and rows from A1 (rows streamed, not held), set the column widths, freeze
    the header and add an autofilter over the table. ``rag``: the RAG code of each row, whose
    colour the cell in ``rag_column`` (0-based) takes."""
    for column, (title, width) in enumerate(headers):
        ws.set_column(column, column, width)
        ws.write_string(0, column, title, cells.header)
    ws.freeze_panes(1, 0)
    count = 0
    write_row = cells.write_row
    codes = iter(rag) if rag is not None and rag_column is not None else None
    for count, values in enumerate(rows, start=1):
        code = next(codes, None) if codes is not None else None
        write_row(ws, count, values, rag=code, rag_column=rag_column)
    ws.autofilter(0, 0, count, len(headers) - 1)


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
    """``None`` for pandas' missing values (an empty cell)."""
    try:
        import pandas as pd

        return None if value is None or pd.isna(value) else value
    except (TypeError, ValueError):
        return value


def _tracker_rows(tracker: pd.DataFrame) -> Iterator[list]:
    """The Tracker sheet's rows, in :data:`ACTION_HEADERS`' order, one per row of ``tracker``
    (:attr:`MeetingPack.tracker`): status and RAG in the board's words (the RAG word with
    "(overridden)" or "(no target date)" as the pack says it), days overdue empty when none.
    Missing values are left for :meth:`_Cells.write_row` to leave empty. Read column by column,
    :data:`TRACKER_CHUNK` rows at a time (a row tuple per action was 1.4 s of CPU at 100,000
    actions; whole columns as lists about 50 MB more memory)."""
    # the pack's tracker columns but its two ids, in the order the loop below unpacks them
    names = [name for name in TRACKER_COLUMNS if name not in ("action_id", "review_id")]
    statuses: dict[str, str] = {}
    for start in range(0, len(tracker), TRACKER_CHUNK):
        chunk = tracker.iloc[start : start + TRACKER_CHUNK]
        yield from _tracker_chunk([chunk[name].tolist() for name in names], statuses)


def _tracker_chunk(columns: list[list], statuses: dict[str, str]) -> Iterator[list]:
    """:func:`_tracker_rows` of one chunk's columns; ``statuses`` caches the status words."""
    for row in zip(*columns, strict=True):
        # row[:10]: review_ref ... original_due_on, as the sheet has them; row[15:]: completed_on,
        # last_update_on, progress_note; between, the five fields the sheet words
        due_on, status, rag, rag_overridden, days_overdue = row[10:15]
        if status not in statuses:
            statuses[status] = status_text(status)
        yield [
            *row[:10],
            due_on,
            statuses[status],
            rag_text(rag, rag_overridden, due_on, status),
            int(days_overdue) or None,
            *row[15:],
        ]


def write_xlsx(pack: MeetingPack, out: Path | str | io.BytesIO) -> None:
    """Write the tracker for ``pack``: sheets "Summary", "Tracker" (every action with its review,
    in the Actions page's order), "Overdue by agency", "Decisions", "Changes since last meeting",
    "Reviews", "Agencies" (the scorecard) and "Measures" (the Measures page's table as at the
    meeting, worst first): the same eight sheets at any size.

    :param out: a file path or a binary buffer.
    """
    with tempfile.TemporaryDirectory(prefix="monitoring-xlsx-") as tmpdir:
        target = str(out) if isinstance(out, str | Path) else out
        book = Workbook(target, {**WORKBOOK_OPTIONS, "tmpdir": tmpdir})
        book.set_properties({"title": f"{pack.title}: tracker", "author": pack.board})
        _write_sheets(book, pack)
        book.close()


def _write_sheets(book: Workbook, pack: MeetingPack) -> None:
    """The eight sheets of :func:`write_xlsx`, in their order."""
    cells = _Cells(book)
    taken: set[str] = set()

    ws = book.add_worksheet(sheet_title("Summary", taken))
    baseline = f"At {uk_date(pack.baseline.held_on)}" if pack.baseline else "At last meeting"
    _table(
        ws,
        cells,
        [("Figure", 40), (f"At {uk_date(pack.today)}", 16), (baseline, 16)],
        [[label, now, then] for label, now, then in figure_rows(pack)],
    )

    ws = book.add_worksheet(sheet_title("Tracker", taken))
    ws.set_tab_color(_colour(HEADER_FILL))
    _table(
        ws,
        cells,
        ACTION_HEADERS,
        _tracker_rows(pack.tracker),
        rag=pack.tracker["rag"].tolist(),
        rag_column=ACTION_HEADERS.index(("RAG", 12)),
    )

    ws = book.add_worksheet(sheet_title("Overdue by agency", taken))
    _table(
        ws,
        cells,
        [("Lead agency", 50), ("Overdue actions", 16)],
        [[r.agency, int(r.overdue)] for r in pack.overdue_by_agency.itertuples()],
    )

    ws = book.add_worksheet(sheet_title("Decisions", taken))
    _table(
        ws,
        cells,
        [("Decision", 34), ("Review", 16), ("Item", 16), ("Description", 50), ("Detail", 50)],
        [
            [r.decision, _na(r.review_ref), r.item, _na(r.description), _na(r.detail)]
            for r in pack.decisions.itertuples()
        ],
    )

    ws = book.add_worksheet(sheet_title("Changes since last meeting", taken))
    _table(
        ws,
        cells,
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

    ws = book.add_worksheet(sheet_title("Reviews", taken))
    _table(
        ws,
        cells,
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

    ws = book.add_worksheet(sheet_title("Agencies", taken))
    _table(
        ws,
        cells,
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

    ws = book.add_worksheet(sheet_title("Measures", taken))
    frame = pack.measures
    _table(
        ws,
        cells,
        [(name, MEASURE_WIDTHS.get(name, 14)) for name in DISPLAY_COLUMNS],
        [] if frame is None else (list(r) for r in frame[DISPLAY_COLUMNS].itertuples(False)),
    )
