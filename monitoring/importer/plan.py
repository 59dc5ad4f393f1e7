"""The import plan: what a tracker file says, row by row, before anything is written.

:func:`plan_tracker` turns a :class:`~monitoring.importer.readers.Sheet` into an
:class:`ImportPlan`: reviews, recommendations and actions keyed by their refs, plus every problem
found (errors stop the import; warnings are reported and the row is still imported).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from monitoring import config
from monitoring.importer import headers as hdr
from monitoring.importer.readers import MAX_CELL_CHARS, ExcelError, Formula, Sheet, TooLong
from monitoring.importer.values import (
    DEFAULT_STATUS_WORDS,
    NUMBERED_CATEGORY_KEY,
    NotADate,
    ParsedDate,
    YearlessDate,
    clean_ref,
    normalise_word,
    parse_date,
    parse_status,
    read_date,
)
from monitoring.vocabulary import STATUS_LABELS


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing the importer could not read as given.

    :ivar row: spreadsheet row number (1-based, as the user sees it), or None for the whole file.
    :ivar column: the column's header text, or None.
    :ivar level: ``error`` (nothing is written) or ``warning`` (the row is imported as described).
    """

    DUPLICATE = "duplicate"
    """``kind`` of a warning that one thing appears on several rows (each imported)."""
    SECTION_ROW = "section_row"
    """``kind`` of a warning that a layout row (banner, sub-heading, totals, "continued", a
    repeated header) was skipped: it is not a record."""
    APPROXIMATE_DATE = "approximate_date"
    """``kind`` of a warning that a date was read as approximate (no day, or no year written)."""
    FORMULA = "formula"
    """``kind`` of a warning that a formula cell had no saved value."""
    STATUS_WORD = "status_word"
    """``kind`` of a warning saying how a status word was read: which column's word set the
    status of how many rows, and as which status (one per distinct word and column)."""
    NO_YEAR = "no_year"
    """``kind`` of an error that a date is written without a year and the file gives none: the
    fix is a year given with the import (the page's "Year for dates written without one", the
    command's ``--year`` or ``--as-of``), not a change to the file."""

    level: str
    message: str
    row: int | None = None
    column: str | None = None
    kind: str | None = None
    """What sort of problem, for a report to pick out (e.g. :data:`DUPLICATE`); None: other."""

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        """``{level, row, column, message}`` for JSON output and tables."""
        return {
            "level": self.level,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass(slots=True)
class ReviewPlan:
    """A review to find by ``ref`` or create.

    ``published_on`` puts the review in the public register, so only an administrator's explicit
    choice sets it (``import --published-on``, the import page; never a preset: case 13).
    ``dated_on`` is when the review's record began in the world (a PFD report's date): the
    ``effective_on`` of its creation when the file gives no other date; it is not stored.
    """

    ref: str
    title: str
    review_type: str = "other"
    published_on: str | None = None
    board: str | None = None
    summary: str | None = None
    dated_on: str | None = None


@dataclass(slots=True)
class RecommendationPlan:
    """A recommendation to find by (review ref, number) or create; ``themes`` are theme names."""

    review_ref: str
    number: str
    title: str | None
    text: str | None
    themes: tuple[str, ...] = ()
    response_due_on: str | None = None


@dataclass(slots=True)
class ActionPlan:
    """One imported row: an action found by (review ref, recommendation number, number) or created.

    Dates are ISO text. ``lead_name`` is the raw agency text; ``progress_note`` becomes the
    action's ``action_update`` note.
    """

    row: int
    review_ref: str
    rec_number: str
    number: str
    description: str
    lead_name: str | None = None
    lead_officer: str | None = None
    original_due_on: str | None = None
    due_on: str | None = None
    due_on_approximate: bool = False
    status: str | None = None
    """None when the file gives no status: a new action starts ``not_started``, an existing one
    keeps its status."""
    completed_on: str | None = None
    progress_note: str | None = None
    success_measure: str | None = None
    updated_on: str | None = None
    """The date of the row's progress note (the tracker's update-date column, or a date in the
    progress column's heading); None: the note is dated on import."""
    section: str | None = None
    """The text of the section row (banner) the row sits under, e.g. "June 2025" or "Actions
    from the meeting held on 12 March 2019"; None above the first one."""
    status_dated: str | None = None
    """The date the file gives for the status itself (a completion date for a completed status,
    a PFD recipient's reply date); None: the file gives none."""
    status_from: str | None = None
    """The earliest date the status can have held (a PFD report's date: no reply comes before
    the report); None: no such bound."""

    def status_on(self, as_of: str | None) -> str | None:
        """The ``effective_on`` (ISO date) of the row's imported status and note: the row's
        update date (:attr:`updated_on`), else the status's own date (:attr:`status_dated`, at
        the latest ``as_of``: the file says the status held by then), else ``as_of`` (the
        import's effective date: ``--as-of``, else the import day); never before
        :attr:`status_from`. A status is never dated earlier than a date the file gives for it,
        so "as at" a date before it the action shows as not started (``monitoring.asat``)."""
        day = self.updated_on
        if day is None:
            day = self.status_dated or as_of
            if self.status_dated and as_of and as_of < self.status_dated:
                day = as_of
        if day is not None and self.status_from is not None and day < self.status_from:
            return self.status_from
        return day


@dataclass
class ImportPlan:
    """Everything a file asks for, validated, before any write.

    :ivar rows_read: data rows after the header (blank rows not counted).
    :ivar rows_skipped: section rows, rows with no text, and recommendation rows whose actions follow
        on the rows below; each is also listed as a warning.
    """

    source: str
    reviews: dict[str, ReviewPlan] = field(default_factory=dict)
    recommendations: dict[tuple[str, str], RecommendationPlan] = field(default_factory=dict)
    actions: list[ActionPlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0
    header_row: int | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    create_agencies: bool | set[str] = False
    """True: create every unmatched agency; a set: create these (normalised names) only."""
    refused_matches: set[str] = field(default_factory=set)
    """Normalised names whose match to a registered agency through an alias or short name an
    administrator refused on the preview (:func:`monitoring.importer.agencies.loose_matches`):
    imported as agencies not in the register."""
    as_of: date | None = None
    """The date the file speaks as at (``--as-of``): the ``effective_on`` of what it brings in
    that has no date of its own (the writer's fallback; None: "date not known")."""

    @property
    def errors(self) -> list[Problem]:
        """Problems that stop the import."""
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems reported while the rows are still imported."""
        return [p for p in self.problems if p.level == "warning"]

    def error(self, message: str, row: int | None = None, column: str | None = None) -> None:
        """Record an error."""
        self.problems.append(Problem("error", message, row, column))

    def warn(
        self,
        message: str,
        row: int | None = None,
        column: str | None = None,
        kind: str | None = None,
    ) -> None:
        """Record a warning (``kind``: e.g. :data:`Problem.DUPLICATE`)."""
        self.problems.append(Problem("warning", message, row, column, kind))

    @property
    def duplicates(self) -> list[Problem]:
        """Warnings that something appears on several rows (:data:`Problem.DUPLICATE`)."""
        return [p for p in self.problems if p.kind == Problem.DUPLICATE]

    @property
    def section_rows(self) -> list[Problem]:
        """Layout rows skipped (:data:`Problem.SECTION_ROW`), one per row."""
        return [p for p in self.problems if p.kind == Problem.SECTION_ROW]

    @property
    def approximate_dates(self) -> list[Problem]:
        """Dates read as approximate (:data:`Problem.APPROXIMATE_DATE`), one per cell."""
        return [p for p in self.problems if p.kind == Problem.APPROXIMATE_DATE]

    @property
    def status_words_read(self) -> list[Problem]:
        """How status words were read (:data:`Problem.STATUS_WORD`), one per word and column."""
        return [p for p in self.problems if p.kind == Problem.STATUS_WORD]


def _self_evident(word: str, status: str) -> bool:
    """Whether ``word`` is the status's own name (``Completed``, ``In progress``, or its label):
    no need to say how it was read."""
    return normalise_word(word) in (
        normalise_word(status),
        normalise_word(STATUS_LABELS.get(status, status)),
    )


def _report_status_words(plan: ImportPlan, read: dict[tuple[str, str, str], list]) -> None:
    """One :data:`Problem.STATUS_WORD` warning per distinct status word (as first written), the
    column it came from and the status it was read as, with the number of rows it set, e.g.
    "Status 'Proposed for Closure' (column 'RAG status') read as Completed (agency reports): 2
    rows." A word that is the status's own name is not reported."""
    for (_word, where, status), (written, rows) in read.items():
        if _self_evident(written, status):
            continue
        shown = written if len(written) <= 60 else written[:60] + "..."
        plan.warn(
            f"Status '{shown}' ({where}) read as {STATUS_LABELS.get(status, status)}: "
            f"{rows} row{'' if rows == 1 else 's'}.",
            kind=Problem.STATUS_WORD,
        )


@dataclass
class TrackerOptions:
    """How to read a generic tracker.

    :ivar review_ref: the review every row belongs to (default: named after the file) unless the
        sheet has a review column.
    :ivar mapping: ``{field: header text}`` overrides (page widgets or a mapping file).
    :ivar status_words: extra ``{word: action.status}`` entries (override the defaults).
    :ivar category_key: ``{number: action.status}`` for numbered progress categories.
    :ivar default_year: the year for every date written without one (``30 Sept``): the
        command's ``--year``; it overrides what the document says.
    :ivar as_of: the date the tracker speaks as at (the command's ``--as-of``): a year-less
        date the document gives no year for is the such date nearest to it.
    """

    review_ref: str | None = None
    review_title: str | None = None
    review_type: str = "other"
    mapping: Mapping[str, str] = field(default_factory=dict)
    status_words: Mapping[str, str] = field(default_factory=dict)
    category_key: Mapping[str, str] = field(default_factory=dict)
    default_year: int | None = None
    as_of: date | None = None


_MONTH_ONLY = re.compile(
    r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(\s+\d{2,4})?$", re.IGNORECASE
)
_SECTION_PREFIXES = ("actions held over", "held over", "section", "part ")


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def review_ref_from_name(name: str) -> str:
    """A review ref from a file name: the stem without its extension or sheet suffix."""
    base = name.split(" [", 1)[0]
    return base.rsplit(".", 1)[0] if "." in base else base


UNDATED_NOTES = "progress notes dated on import: no update-date column"
"""The import report's notice when nothing in the file dates its progress notes."""

_DATE_IN_TEXT = re.compile(
    r"(\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|"
    r"(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4})",
    re.IGNORECASE,
)


def date_in_heading(heading: str | None) -> str | None:
    """An ISO date written in a column heading (e.g. "Progress presented to Committee Dec 2017"
    gives 2017-12-31, a month's last day as :func:`parse_date` reads a month), or None."""
    if not heading:
        return None
    for found in _DATE_IN_TEXT.finditer(heading):
        try:
            parsed = parse_date(found.group(0))
        except NotADate:
            continue
        if parsed is not None:
            return parsed.value.isoformat()
    return None


def date_progress_notes(plan: ImportPlan, updated_column: str | None, progress_heading) -> None:
    """Say in the plan's report how its progress notes are dated, and keep every date on or
    before today: the update-date column's (rows without one are dated on import, and listed);
    else a date in the progress column's heading, for every row; else the import's date, with
    the notice :data:`UNDATED_NOTES`."""
    noted = [a for a in plan.actions if a.progress_note]
    if not noted:
        return
    today = config.today().isoformat()
    if updated_column is None:
        heading_date = date_in_heading(progress_heading)
        if heading_date is None:
            plan.warn(UNDATED_NOTES)
            return
        for a in noted:
            a.updated_on = heading_date
        plan.warn(
            f"progress notes dated {heading_date} from the heading {progress_heading!r} (a "
            "month alone is read as its last day): no update-date column"
        )
    for a in noted:
        if a.updated_on is None:
            plan.warn("no update date: progress note dated on import", a.row, updated_column)
        elif a.updated_on > today:
            plan.warn(
                f"update date {a.updated_on} is after today: progress note dated today",
                a.row,
                updated_column,
            )
            a.updated_on = today


_LAYOUT_TEXT = re.compile(
    r"^(?:\(?\s*(?:continued|cont['’]?d|cont\.)(?:\s+(?:overleaf|on next page|on the next page|"
    r"from (?:the )?previous page|below|above))?\s*\)?[.:]?"
    r"|(?:sub[- ]?|grand\s+)?totals?\b[^\n]{0,40}"
    r"|[^\n]{0,60}\bcontinued (?:overleaf|on (?:the )?next page|from (?:the )?previous page)\b"
    r"[^\n]{0,20})$",
    re.IGNORECASE,
)
"""Rows that are part of the layout whatever else they hold: "continued overleaf", totals."""
_TOTALS = re.compile(r"^(?:sub[- ]?|grand\s+)?totals?\b", re.IGNORECASE)
_NUMBER = re.compile(r"^[£$€]?-?[\d,]*\.?\d+%?$")
_NOTE_TEXT = re.compile(
    r"^(?:(?:key|legend|notes?|nb|n\.b\.|source|please note|footnote)\s*[:\-–=]"
    r"|(?:last\s+(?:updated|reviewed|revised|saved)|date\s+(?:of\s+)?(?:last\s+)?"
    r"(?:update|review)|updated|reviewed|prepared by|version)\b\s*(?:on|by)?\s*[:\-–=]?\s*"
    r"(?:$|\d|[a-z]+\s+\d|[a-z]+\s*$)"
    r"|[a-z]{1,2}\s*=\s*[a-z]+\b)",
    re.IGNORECASE,
)
"""A note about the table, not a record: "Key: R = red", "R = red, A = amber", "Notes:",
"Source: ...", "Last updated 01/02/2026", "Prepared by the board office"."""
NOT_SECTIONS = frozenset({"a repeated header row", "a layout row (totals or continued)", "a note"})
"""Layout reasons whose row's text is not kept as the section of the rows below."""
_SECTION_TEXT = re.compile(
    r"^(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:\s+\d{2,4})?"
    r"|(?:(?:actions?|items?|minutes?)\s+(?:from|of|held|arising|agreed|carried)"
    r"|(?:board\s+)?meeting|actions?\s+held over|held over)\b.*"
    r"|(?:section|part)\s+\w+[:.\-–]?(?:\s+\S+){0,4}"
    r"|(?:closed|completed|open|outstanding|new|ongoing)\s+(?:actions|items)(?:\s+\S+){0,3})$",
    re.IGNORECASE,
)
"""A lone text that is a heading, not an action: a month, "Actions from the meeting held on 12
March 2019" (with a date), "Section 2", "Closed actions"."""
_DATED_HEADING = re.compile(
    r"^(?:(?:actions?|items?|minutes?)\s+(?:from|of|held|arising|agreed|carried)"
    r"|(?:board\s+)?meeting|actions?\s+held over|held over)\b",
    re.IGNORECASE,
)


_CARRIED = re.compile(
    r"^(?:(?:open\s+|outstanding\s+)?(?:actions?|items?)\s+(?:carried|brought)\s+forward"
    r"|(?:actions?\s+)?held\s+over)(?:\s+\S+){0,5}$",
    re.IGNORECASE,
)
"""A heading needing no date: "Actions carried forward", "Items brought forward from 2024"."""


def _is_heading(text: str) -> bool:
    """True for a lone text in a description column that is a heading (see
    :data:`_SECTION_TEXT`); a heading naming a meeting must also name its date, so that an
    action such as "Meeting with schools to agree the protocol" is never taken for one."""
    text = text.strip()
    if _CARRIED.match(text):
        return True
    if not _SECTION_TEXT.match(text) or len(text.split()) > 14:
        return False
    if not _DATED_HEADING.match(text) or date_in_heading(text) is not None:
        return True
    # "Meeting 9 January": a day and month without a year, in a short heading
    return len(text.split()) <= 6 and _YEARLESS_IN_TEXT.search(text) is not None


_STATUS_LINE = re.compile(r"(?:^|\n)[ \t]*status[ \t]*[:\-–—][ \t]*([^\n]*?)\s*$", re.IGNORECASE)
"""A last line "Status: complete" in an action's text."""


def _norm(value: object) -> str:
    return " ".join(str(value).split()).casefold()


def layout_row(
    row: list[object],
    mapping: Mapping[str, int],
    header_texts: Mapping[int, str],
    header_norms: frozenset[str] = frozenset(),
) -> str | None:
    """Why ``row`` is a layout row (never a record), or None for a row to read.

    A banner merged across the row (a merged cell's value is repeated into every cell it covers,
    so all its filled cells hold the same text; in a CSV the banner sits in one cell);
    "continued overleaf"; totals; a header row repeated on a new page; a lone heading outside
    the description columns ("June 2025" in the ref column), or a lone heading such as a month or
    "Actions from the meeting held on ..." in them. A lone text in the recommendation column of a
    layout with actions below each recommendation is a recommendation, not a layout row.

    :param header_norms: the header's texts as :func:`_norm` gives them (a row starting with
        one of them is checked for being the header repeated).
    """
    filled = [
        (i, v)
        for i, v in enumerate(row)
        if v is not None and (v.strip() if isinstance(v, str) else _text(v))
    ]
    if not filled:
        return None
    first_value = filled[0][1]
    if len(filled) >= 2 and _norm(first_value) in header_norms:
        texts = [_norm(v) for _i, v in filled]
        if all(
            t == _norm(header_texts.get(i, "")) for (i, _v), t in zip(filled, texts, strict=True)
        ) or hdr.map_header(row) == dict(mapping):
            return "a repeated header row"
    if len(filled) >= 2 and all(v == first_value for _i, v in filled[1:]):
        same = True
    elif len(filled) >= 2 and isinstance(first_value, str):
        first_norm = _norm(first_value)
        same = all(isinstance(v, str) and _norm(v) == first_norm for _i, v in filled[1:])
    else:
        same = False
    if same and any(ch.isalpha() for ch in str(first_value)):
        return "a banner across the row"
    first = _text(filled[0][1]) or ""
    if len(filled) <= 3 and _LAYOUT_TEXT.match(first.strip()):
        return "a layout row (totals or continued)"
    if _TOTALS.match(first.strip()) and all(
        isinstance(v, (int, float)) or _NUMBER.match(str(v).strip()) for _i, v in filled[1:]
    ):
        return "a layout row (totals or continued)"
    if len(filled) <= 3 and isinstance(filled[0][1], str) and _NOTE_TEXT.match(first.strip()):
        return "a note"
    if len(filled) != 1:
        return None
    index, value = filled[0]
    described = {mapping.get("action"), mapping.get("recommendation")} - {None}
    if index in described:
        if mapping.get("recommendation") == index and "action" in mapping:
            return None  # a recommendation whose actions follow below
        return "a heading" if _is_heading(first) else None
    if any(ch.isalpha() for ch in first) and (" " in first.strip() or _is_heading(first)):
        return "a heading"
    return None


_YEARLESS_IN_TEXT = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b",
    re.IGNORECASE,
)


def _section_start(text: str, previous: date | None = None) -> date | None:
    """The first day of the month a section row names ("March 2019", "Meeting 14 January 2019",
    "Actions from the meeting held on 12 March 2019"), or ``previous``: year-less dates below it
    fall on or after it. A banner naming a month without a year ("December") follows the section
    before it (the first such month on or after its start: "December" then "January" is the turn
    of the year); without one it gives no start."""
    found = date_in_heading(text)
    if found is not None:
        return date.fromisoformat(found).replace(day=1)
    try:
        written = read_date(text)
    except NotADate:
        inside = _YEARLESS_IN_TEXT.search(text)  # "Meeting 14 January": a day and month
        try:
            written = read_date(inside.group(0)) if inside else None
        except NotADate:
            written = None
    if isinstance(written, YearlessDate) and previous is not None:
        try:
            return written.on_or_after(previous).replace(day=1)
        except ValueError:
            return previous
    return previous


def _title_date(rows: list[list[object]]) -> tuple[date | None, str | None]:
    """A date with a year written in the rows above the header (a title such as "Updated for
    the board, June 2026"), and the title's text when it names a meeting ("Meeting 14 January
    2019", "Actions from the board held on ..."): year-less dates below such a title fall on or
    after its month, as under a section banner. ``(None, None)`` when there is none."""
    for row in rows:
        for value in row:
            if isinstance(value, datetime):
                return value.date(), None
            if isinstance(value, date):
                return value, None
            text = _text(value)
            if text and not _PLAIN_NUMBER.match(text):
                found = date_in_heading(text)
                if found:
                    return date.fromisoformat(found), (text if _DATED_HEADING.match(text) else None)
    return None, None


@functools.lru_cache(maxsize=50_000)
def _read_text_date(text: str, epoch) -> ParsedDate | YearlessDate | None:
    """:func:`read_date` of a text cell, remembered (trackers repeat the same few dates)."""
    return read_date(text, epoch=epoch)


UNKNOWN_ROW = "this row is skipped: nothing of it is imported"
"""The end of the report's message for a cell whose value is not known (see :func:`unknown_cell`)."""


def unknown_cell(value: object) -> str | None:
    """Why a cell's value is not known, or None when it is. A formula with no saved value (a
    workbook written by a program, or saved without recalculation) and a saved Excel error
    (``#REF!``, ``#DIV/0!``) are unknown. One rule for every mapped column: the row is skipped
    and reported by cell, never imported with the value read as empty (an empty target date
    counts as "no target date", an empty status as not started, an empty action turns the row
    into a recommendation with no action: each a wrong figure, or a false change on re-import)."""
    if type(value) is ExcelError:
        shown = f"{value.text[:200]} gives {value.error}" if value.text else value.error
        return (
            f"an Excel error value ({shown}); correct the formula in Excel, or type the value, "
            f"then import again; {UNKNOWN_ROW}"
        )
    if type(value) is Formula:
        return (
            f"a formula with no saved value ({value.text[:200]}); open and save the file in "
            f"Excel, then import again; {UNKNOWN_ROW}"
        )
    return None


@dataclass
class _Yearless:
    """A year-less date waiting for a year from the document (resolved after every row)."""

    token: str
    found: YearlessDate
    row: int
    column: str | None
    column_index: int = -1
    action: ActionPlan | None = None


def plan_tracker(
    sheet: Sheet,
    options: TrackerOptions | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Read a board's tracker: find the header, map columns, parse every row.

    Rows are actions. Without an action column each row's action is its recommendation
    ("deliver the recommendation"); without a recommendation column each row is its own
    recommendation, numbered by the row's ref. A blank recommendation cell under a filled one
    (merged cells) is filled down. Layout rows (:func:`layout_row`: banners, headings, totals,
    "continued") are skipped and reported (:data:`Problem.SECTION_ROW`); a section row's text is
    kept as the rows' :attr:`ActionPlan.section` and its month dates the year-less dates below
    it. A year-less date (``15 Oct``) takes its year from ``options.default_year``, else the
    section above it (the first such date on or after the section's month), else a title date
    above the header, else the nearest full date in the document, else ``options.as_of``; it is
    flagged approximate, and with none of these it is an error asking for a year (never this
    year). A last line "Status: ..." in the action text is read as the status and removed from
    the description. A mapped cell whose value is not known (a formula with no saved value, an Excel
    error: :func:`unknown_cell`) is reported by row, column and cell address and its row is
    skipped, nothing of it written; a cell over
    :data:`~monitoring.importer.readers.MAX_CELL_CHARS` is an error naming row and column.

    :param progress: called with the number of rows checked, every 10,000 rows.
    :returns: the plan; file-level problems (no header row) are errors in ``plan.problems``.
    """
    options = options or TrackerOptions()
    plan = ImportPlan(source=sheet.name)
    found = hdr.find_header(sheet.rows, options.mapping or None)
    for notice in sheet.notices:
        plan.problems.append(Problem(notice.level, notice.message, notice.row, None))
    if found is None:
        seen = [str(c) for row in sheet.rows[: hdr.HEADER_SCAN_ROWS] for c in row if _text(c)][:8]
        plan.error(
            "no header row found in the first 30 rows: expected column headings such as "
            "'Ref', 'Recommendation', 'Action', 'Lead', 'Due Date', 'Status'"
            + (f" (saw {', '.join(repr(s[:30]) for s in seen)})" if seen else "")
        )
        return plan
    header_index, mapping = found
    header = sheet.rows[header_index]
    plan.header_row = header_index + 1
    plan.mapping = {f: str(header[i]).strip() for f, i in mapping.items()}
    header_texts = {i: str(c) for i, c in enumerate(header) if _text(c)}
    header_norms = frozenset(_norm(t) for t in header_texts.values()) | {
        _norm(h) for h in hdr._LOOKUP
    }
    for i, cell in enumerate(header):
        if _text(cell) and i not in mapping.values():
            plan.warn("column not imported (no matching field)", plan.header_row, str(cell).strip())
    if "action" not in mapping and "recommendation" not in mapping:
        plan.error(
            "no action or recommendation column: expected a heading such as 'Action' or "
            "'Recommendation'",
            plan.header_row,
        )
        return plan

    vocabulary = dict(DEFAULT_STATUS_WORDS)
    vocabulary.update({normalise_word(k): v for k, v in options.status_words.items()})
    status_header = normalise_word(plan.mapping.get("status", ""))
    if "categor" in status_header or options.category_key:
        vocabulary.update(NUMBERED_CATEGORY_KEY)
        vocabulary.update({normalise_word(k): v for k, v in options.category_key.items()})

    title_date, meeting_title = _title_date(sheet.rows[:header_index])
    sheet_ref = options.review_ref or review_ref_from_name(sheet.name)
    col = {f: plan.mapping[f] for f in mapping}

    mapped = tuple(mapping.items())
    current: dict[str, object] = {}

    def read_cells(row: list[object]) -> tuple[dict[str, object], bool]:
        """The row's mapped cells by field, and whether every one is known. A cell whose value
        is not known (:func:`unknown_cell`) is reported by its row, column and cell address and
        read as empty; the caller skips the row (one rule for every column)."""
        n = len(row)
        values = {name: (row[i] if i < n else None) for name, i in mapped}
        known = True
        for name, value in values.items():
            why = unknown_cell(value)
            if why is not None:
                address = f"{_column_letter(mapping[name])}{rownum}"
                plan.warn(f"cell {address}: {why}", rownum, col.get(name), Problem.FORMULA)
                values[name] = None
                known = False
        return values, known

    last_rec_text: str | None = None
    last_rec_number: str | None = None
    rec_numbers_by_text: dict[tuple[str, str], str] = {}
    rec_count: dict[str, int] = {}
    seen_actions: dict[tuple[str, str, str], int] = {}
    counters: dict[tuple[str, str], int] = {}
    has_action = "action" in mapping
    has_rec = "recommendation" in mapping
    section: str | None = None
    section_start: date | None = None
    pending: list[_Yearless] = []
    status_words_read: dict[tuple[str, str, str], list] = {}
    """(normalised word, where it was written, status) → [the word as first written, rows]."""
    blank_rows: list[int] = []
    unknown_rows: list[int] = []
    last_filled = 0
    full_dates: list[tuple[int, int, date]] = []
    """(row, column index, date) of each date read with its year, for year-less dates."""

    def date_cell(name: str, notes: list[str]) -> tuple[str, bool] | None:
        value = current.get(name)
        if value is None or value == "":
            return None
        column = col.get(name)
        if value is None or value == "":
            return None
        try:
            if isinstance(value, str):
                found = _read_text_date(value, sheet.epoch)
            else:
                found = read_date(value, epoch=sheet.epoch)
        except NotADate:
            text = _text(value) or ""
            notes.append(f"{column or 'Date'}: {text}")
            plan.warn(f"{text[:80]!r} is not a date: kept as a note, no date set", rownum, column)
            return None
        if found is None:
            return None
        if isinstance(found, ParsedDate):
            if found.approximate:
                plan.warn(
                    f"{_text(value)!r} read as {found.value.isoformat()} (approximate: no day "
                    "written)",
                    rownum,
                    column,
                    Problem.APPROXIMATE_DATE,
                )
            full_dates.append((rownum, mapping[name], found.value))
            return found.value.isoformat(), found.approximate
        resolved = _year_from(
            found,
            options.default_year,
            "--year",
            section_start,
            section,
            title_date,
            meeting_title,
        )
        if resolved is not None:
            day, source = resolved
            _warn_yearless(plan, found, day, source, rownum, column)
            return day.isoformat(), True
        token = f"?{len(pending)}"
        pending.append(_Yearless(token, found, rownum, column, mapping[name]))
        return token, True

    for index in range(header_index + 1, len(sheet.rows)):
        row = sheet.rows[index]
        rownum = index + 1
        if progress and (index - header_index) % 10_000 == 0:
            progress(index - header_index)
        if not any(
            c is not None
            and (c.strip() if isinstance(c, str) else _text(c) or isinstance(c, Formula))
            for c in row
        ):
            blank_rows.append(rownum)
            continue
        last_filled = rownum
        plan.rows_read += 1
        why = layout_row(row, mapping, header_texts, header_norms)
        if why:
            text = next(_text(c) for c in row if _text(c))
            plan.rows_skipped += 1
            plan.warn(
                f"section row {text[:80]!r} skipped ({why}, not an action)",
                rownum,
                kind=Problem.SECTION_ROW,
            )
            if why not in NOT_SECTIONS:
                section = text[:300]
                section_start = _section_start(text, section_start)
            continue
        too_big = sheet.long_cells and [
            (f, mapping[f])
            for f in mapping
            if mapping[f] < len(row) and isinstance(row[mapping[f]], TooLong)
        ]
        if too_big:
            for f, i in too_big:
                length = row[i].length
                capped = (
                    f" (Excel's cap for a cell is {EXCEL_CELL_CHARS:,}: the text may have been "
                    "cut when the file was saved)"
                    if length >= EXCEL_CELL_CHARS and sheet.encoding is None
                    else ""
                )
                plan.error(
                    f"cell {_column_letter(i)}{rownum} holds {length:,} characters{capped}: a "
                    f"cell may hold at most {MAX_CELL_CHARS:,} (the limit of a progress note in "
                    "the update form); shorten it",
                    rownum,
                    col.get(f),
                )
            continue

        current, known = read_cells(row)
        if not known:
            plan.rows_skipped += 1
            unknown_rows.append(rownum)
            continue
        review_ref = clean_ref(current.get("review_ref")) or sheet_ref
        if review_ref not in plan.reviews:
            plan.reviews[review_ref] = ReviewPlan(
                ref=review_ref,
                title=options.review_title or review_ref,
                review_type=options.review_type,
            )
        number = clean_ref(current.get("number"))
        if type(current.get("number")) is float:
            plan.warn(
                f"ref {number} was stored by Excel as a number; leading or trailing zeros may have "
                "been lost (format the column as text to keep them)",
                rownum,
                col.get("number"),
            )
        rec_text = _text(current.get("recommendation"))
        action_text = _text(current.get("action"))
        rec_number = clean_ref(current.get("rec_number"))
        if has_rec and has_action:
            if rec_text is None and (rec_number is None or rec_number == last_rec_number):
                rec_text, rec_number = last_rec_text, rec_number or last_rec_number  # merged cells
            if rec_number is None and rec_text is not None:
                key = (review_ref, rec_text)
                if key not in rec_numbers_by_text:
                    rec_count[review_ref] = rec_count.get(review_ref, 0) + 1
                    rec_numbers_by_text[key] = str(rec_count[review_ref])
                rec_number = rec_numbers_by_text[key]
            if action_text is None and rec_text is not None and rec_number is not None:
                # A recommendation row whose actions follow on the next rows.
                last_rec_text, last_rec_number = rec_text, rec_number
                plan.recommendations.setdefault(
                    (review_ref, rec_number),
                    RecommendationPlan(review_ref, rec_number, rec_text[:500], rec_text),
                )
                plan.rows_skipped += 1
                plan.warn(
                    f"recommendation {rec_number} has no action on this row: recommendation "
                    "recorded, its actions are read from the rows below",
                    rownum,
                    col.get("action"),
                )
                continue
        elif has_rec:  # each row is a recommendation, delivered by one action
            action_text = rec_text
            rec_number = rec_number or number
            number = "1"
        else:  # each row is an action and its own recommendation
            rec_text = rec_text or action_text
            rec_number = rec_number or number
        if not action_text:
            plan.rows_skipped += 1
            plan.warn(
                "no action or recommendation text: row skipped",
                rownum,
                col.get("action") or col.get("recommendation"),
            )
            continue
        text_status: str | None = None
        word = ""
        if "status" in action_text.lower() and (m := _STATUS_LINE.search(action_text)):
            word = m.group(1).strip()
            text_status = parse_status(word, vocabulary)
            if text_status is None:
                plan.warn(
                    f"status {word[:60]!r} written in the action text is not a status word (add "
                    "it to the status vocabulary); kept in the description",
                    rownum,
                    col.get("action") or col.get("recommendation"),
                )
            else:
                stripped = action_text[: m.start()].rstrip()
                if stripped:
                    if rec_text == action_text:
                        rec_text = stripped
                    action_text = stripped
                else:
                    text_status = None
        if rec_number is None:
            counters[(review_ref, "")] = counters.get((review_ref, ""), 0) + 1
            rec_number = str(counters[(review_ref, "")])
        last_rec_text, last_rec_number = rec_text, rec_number
        if number is None:
            counters[(review_ref, rec_number)] = counters.get((review_ref, rec_number), 0) + 1
            number = str(counters[(review_ref, rec_number)])
        key = (review_ref, rec_number, number)
        if key in seen_actions:
            plan.error(
                f"ref {number!r} appears again (first at row {seen_actions[key]}): each row needs "
                "its own ref so that a re-import can find it",
                rownum,
                col.get("number"),
            )
            continue
        seen_actions[key] = rownum
        too_long = [
            (what, value, limit, column)
            for what, value, limit, column in (
                ("review ref", review_ref, 100, col.get("review_ref")),
                ("recommendation number", rec_number, 50, col.get("rec_number")),
                ("ref", number, 50, col.get("number")),
                (
                    "lead officer",
                    _text(current.get("lead_officer")) or "",
                    200,
                    col.get("lead_officer"),
                ),
            )
            if len(value) > limit
        ]
        if too_long:
            for what, value, limit, column in too_long:
                plan.error(
                    f"{what} {value[:60]!r}... is {len(value)} characters long: at most {limit} "
                    "expected (is the column mapped right?)",
                    rownum,
                    column,
                )
            continue
        if (review_ref, rec_number) not in plan.recommendations:
            plan.recommendations[(review_ref, rec_number)] = RecommendationPlan(
                review_ref=review_ref,
                number=rec_number,
                title=(rec_text or "")[:500] or None,
                text=rec_text,
            )

        notes: list[str] = []
        first_pending = len(pending)
        due = date_cell("due_on", notes)
        revised = date_cell("revised_due_on", notes)
        completed = date_cell("completed_on", notes)
        updated = date_cell("updated_on", notes)

        status_cell = current.get("status")
        progress_text = _text(current.get("progress"))
        status = parse_status(status_cell, vocabulary)
        status_text = _text(status_cell)
        status_word = (status_text, f"column '{col.get('status')}'") if status else None
        if status_text and status is None:
            if progress_text is None and "progress" not in mapping:
                progress_text = status_text
                plan.warn(
                    f"status {status_text[:60]!r} is not a status word: kept as the progress note",
                    rownum,
                    col.get("status"),
                )
            else:
                plan.warn(
                    f"status {status_text[:60]!r} not recognised (add it to the status "
                    "vocabulary); kept in the progress note",
                    rownum,
                    col.get("status"),
                )
                notes.append(f"Status: {status_text}")
        if text_status is not None:
            if status is None:
                status = text_status
                status_word = (
                    word,
                    f"a 'Status:' line in column '{col.get('action') or col.get('recommendation')}'",
                )
            elif status != text_status:
                plan.warn(
                    f"the action text ends 'Status: ...' ({text_status}) but the status column "
                    f"says {status}: the status column is used",
                    rownum,
                    col.get("status"),
                )
        open_close = current.get("open_close")
        oc_status = parse_status(open_close, vocabulary)
        if _text(open_close) and oc_status is None:
            plan.warn(
                f"open/close value {_text(open_close)!r} not recognised",
                rownum,
                col.get("open_close"),
            )
        if oc_status is not None and (status is None or oc_status == "completed"):
            status = oc_status
            status_word = (_text(open_close), f"column '{col.get('open_close')}'")
        note_parts = [p for p in (progress_text, *notes) if p]
        action = ActionPlan(
            row=rownum,
            review_ref=review_ref,
            rec_number=rec_number,
            number=number,
            description=action_text,
            lead_name=_text(current.get("lead_agency")),
            lead_officer=_text(current.get("lead_officer")),
            original_due_on=due[0] if due else (revised[0] if revised else None),
            due_on=revised[0] if revised else (due[0] if due else None),
            due_on_approximate=bool((revised or due or (None, False))[1]),
            status=status,
            completed_on=completed[0] if completed and status in ("completed", "assured") else None,
            status_dated=completed[0] if completed and status in ("completed", "assured") else None,
            progress_note="\n".join(note_parts) or None,
            success_measure=_text(current.get("success_measure")),
            updated_on=updated[0] if updated else None,
            section=section,
        )
        for waiting in pending[first_pending:]:
            waiting.action = action
        plan.actions.append(action)
        if status_word is not None:
            written, where = status_word
            tally = status_words_read.setdefault(
                (normalise_word(written), where, status), [written, 0]
            )
            tally[1] += 1
    _read_text_date.cache_clear()  # the dates it remembers are this file's
    separators = [r for r in blank_rows if r < last_filled]
    if separators:
        listed = ", ".join(map(str, separators[:10])) + (", ..." if len(separators) > 10 else "")
        plan.warn(
            f"{len(separators)} blank row(s) skipped (separators in the layout, not records): "
            f"row(s) {listed}"
        )
    if pending:
        _resolve_yearless(plan, pending, full_dates, options.as_of, sheet, header_texts)
    _report_status_words(plan, status_words_read)
    if not plan.actions and not plan.errors:
        plan.error(
            "no rows to import below the header row"
            + (
                f" ({len(unknown_rows)} row(s) skipped for cells with no saved value: open and "
                "save the file in Excel, then import again)"
                if unknown_rows
                else ""
            ),
            plan.header_row,
        )
    date_progress_notes(plan, col.get("updated_on"), col.get("progress"))
    return plan


def _year_from(
    found: YearlessDate,
    year: int | None,
    year_source: str,
    section_start: date | None,
    section: str | None,
    title_date: date | None,
    meeting_title: str | None = None,
) -> tuple[date, str] | None:
    """The date a year-less date stands for and where its year came from, or None when neither
    the given year, the section above nor a title date gives one."""
    try:
        if year is not None:
            return found.in_year(year), f"the year given ({year_source} {year})"
        if section_start is not None:
            return found.on_or_after(section_start), f"the section {section[:60]!r}"
        if title_date is not None and meeting_title is not None:
            start = title_date.replace(day=1)
            return found.on_or_after(start), f"the title {meeting_title[:60]!r}"
        if title_date is not None:
            return found.nearest(title_date), f"the title date {title_date.isoformat()}"
    except ValueError:
        return None
    return None


def _warn_yearless(plan, found: YearlessDate, day: date, source: str, rownum, column) -> None:
    what = "no day or year" if found.day is None else "no year"
    plan.warn(
        f"{found.text!r} has {what} written: read as {day.isoformat()} (approximate; the year "
        f"from {source})",
        rownum,
        column,
        Problem.APPROXIMATE_DATE,
    )


def _resolve_yearless(
    plan: ImportPlan,
    pending: list[_Yearless],
    full_dates: list[tuple[int, int, date]],
    as_of: date | None,
    sheet: Sheet,
    header_texts: Mapping[int, str],
) -> None:
    """Give each waiting year-less date a year from the document's other dates, else from
    ``as_of``; with neither, an error asking for a year (never today's year).

    In order: the full dates above and below it in its own column when that column runs in
    date order (at least two full dates, none earlier than the one above: a run of year-less
    dates follows on from the date above it, so "Dec" then "Jan" crosses into the next year,
    and stays on or before the date below); a date written elsewhere in its row (any column,
    imported or not); the nearest full date in its column; the nearest date anywhere in the
    file by row (any cell, a banner, a footer, a note); ``as_of``. Each is the such date
    nearest the anchor except in a column in date order.
    """
    import bisect

    by_column: dict[int, list[tuple[int, date]]] = {}
    for row, column, day in full_dates:  # in row order
        by_column.setdefault(column, []).append((row, day))
    column_rows = {column: [r for r, _d in found] for column, found in by_column.items()}
    in_order = {
        column: len(found) >= 2
        and all(a[1] <= b[1] for a, b in zip(found, found[1:], strict=False))
        for column, found in by_column.items()
    }
    chain: dict[int, tuple[int, date]] = {}  # column -> the last date placed above, and its row
    document: list[tuple[int, date, str]] | None = None  # every dated cell, read when needed
    document_rows: list[int] = []

    def nearest_row(rows: list[int], row: int) -> int:
        """The index in sorted ``rows`` of the one nearest ``row`` (the one above on a tie)."""
        at = bisect.bisect_left(rows, row)
        near = [i for i in (at - 1, at) if 0 <= i < len(rows)]
        return min(near, key=lambda i: (abs(rows[i] - row), rows[i]))

    for waiting in sorted(pending, key=lambda w: (w.row, w.column_index)):
        column_dates = by_column.get(waiting.column_index, [])
        rows = column_rows.get(waiting.column_index, [])
        split = bisect.bisect_left(rows, waiting.row)
        above = column_dates[split - 1] if split > 0 else None
        after = bisect.bisect_right(rows, waiting.row)
        below = column_dates[after] if after < len(rows) else None
        day: date | None = None
        source = ""
        try:
            if in_order.get(waiting.column_index) and (above or below):
                last = chain.get(waiting.column_index)
                base = max([x for x in (above, last) if x], default=None)
                if base is not None:
                    day = waiting.found.on_or_after(base[1])
                    source = (
                        f"the date above it in its column ({base[1].isoformat()}, row {base[0]})"
                    )
                if below is not None and (day is None or day > below[1]):
                    day = waiting.found.in_year(below[1].year)
                    if day > below[1]:
                        day = waiting.found.in_year(below[1].year - 1)
                    source = (
                        f"the date below it in its column ({below[1].isoformat()}, row {below[0]})"
                    )
            if day is None:
                same_row = _row_dates(sheet, waiting.row, waiting.column_index)
                if same_row:
                    column, anchor = same_row[0]
                    name = header_texts.get(column) or _column_letter(column)
                    day = waiting.found.nearest(anchor)
                    source = f"a date in the same row ({anchor.isoformat()}, column {name!r})"
            if day is None and column_dates:
                r, anchor = column_dates[nearest_row(rows, waiting.row)]
                day = waiting.found.nearest(anchor)
                source = f"the nearest full date in its column ({anchor.isoformat()}, row {r})"
            if day is None:
                if document is None:
                    document = sorted(
                        _document_dates(sheet, full_dates, header_texts), key=lambda x: x[0]
                    )
                    document_rows = [r for r, _d, _w in document]
                if document:
                    _r, anchor, where = document[nearest_row(document_rows, waiting.row)]
                    day = waiting.found.nearest(anchor)
                    source = f"the nearest date in the file ({anchor.isoformat()}, {where})"
            if day is None and as_of is not None:
                day = waiting.found.nearest(as_of)
                source = f"the as-of date {as_of.isoformat()}"
        except ValueError:  # 29 February with no leap year near, or a year out of range
            day = None
        if day is None:
            plan.problems.append(
                Problem(
                    "error",
                    f"{waiting.found.text!r} has no year and the file gives none (no section, "
                    "title or other date with a year): give one with --year YYYY or --as-of "
                    "YYYY-MM-DD (on the page: 'Year for dates written without one')",
                    waiting.row,
                    waiting.column,
                    kind=Problem.NO_YEAR,
                )
            )
            value = None
        else:
            chain[waiting.column_index] = (waiting.row, day)
            _warn_yearless(plan, waiting.found, day, source, waiting.row, waiting.column)
            value = day.isoformat()
        action = waiting.action
        if action is None:
            continue
        for name in ("original_due_on", "due_on", "completed_on", "updated_on", "status_dated"):
            if getattr(action, name) == waiting.token:
                setattr(action, name, value)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


EXCEL_CELL_CHARS = 32_767
"""The most characters Excel keeps in a cell (openpyxl cuts a longer text to it when saving)."""
_PLAIN_NUMBER = re.compile(r"^\s*[\d.,]+\s*$")
_MAX_DATE_TEXT = 2_000
"""Longer texts are not searched for a date (a year-less date's anchor)."""


def _cell_date(value: object) -> date | None:
    """A date with its year held by a cell of any column: a date cell, or text that is a date
    or holds one ("Last reviewed 01/02/2026"); numbers are not read as dates here."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_DATE_TEXT:
        return None
    if _PLAIN_NUMBER.match(value):  # a ref or a count, not a serial date outside a date column
        return None
    if len(value) <= 40:
        try:
            found = _read_text_date(value, None)
        except NotADate:
            found = None
        if isinstance(found, ParsedDate):
            return found.value
    written = date_in_heading(value)
    return date.fromisoformat(written) if written else None


def _row_dates(sheet: Sheet, rownum: int, skip: int) -> list[tuple[int, date]]:
    """``(column index, date)`` of each dated cell in row ``rownum`` but column ``skip``."""
    if not 0 < rownum <= len(sheet.rows):
        return []
    found = []
    for i, value in enumerate(sheet.rows[rownum - 1]):
        if i != skip and (day := _cell_date(value)) is not None:
            found.append((i, day))
    return found


def _document_dates(
    sheet: Sheet, full_dates: list[tuple[int, int, date]], header_texts: Mapping[int, str]
) -> list[tuple[int, date, str]]:
    """``(row, date, where)`` of every date with its year in the file: the imported date cells
    and any other cell, row or banner holding one."""
    seen = {(r, c) for r, c, _d in full_dates}
    found = [(r, d, f"row {r}") for r, _c, d in full_dates]
    for index, row in enumerate(sheet.rows):
        for i, value in enumerate(row):
            if (index + 1, i) in seen:
                continue
            day = _cell_date(value)
            if day is not None:
                name = header_texts.get(i) or _column_letter(i)
                found.append((index + 1, day, f"row {index + 1}, column {name!r}"))
    return found
