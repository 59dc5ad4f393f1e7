"""Cell values from real trackers: dates, status words and refs.

Dates are tried in a fixed order (ISO first, then day-first forms, never month-first), because
``pd.to_datetime(format="mixed", dayfirst=True)`` reads ``2026-03-06`` as 3 June (DESIGN §7).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from monitoring import config

EXCEL_EPOCH = date(1899, 12, 30)
"""Day 0 of Excel's serial dates (the 1900 leap-year bug makes this the right origin after 1900-03-01)."""

MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DAY_FIRST = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$"
)
_DAY_MONTH = re.compile(
    rf"^(\d{{1,2}})(?:st|nd|rd|th)?[ \-]+({_MONTH_RE})\.?,?(?:[ \-]+(\d{{2}}|\d{{4}}))?$"
)
_MONTH_YEAR = re.compile(rf"^(?:end of |by |end )?({_MONTH_RE})\.?,?(?:[ \-/]+(\d{{2}}|\d{{4}}))?$")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")


class NotADate(ValueError):
    """The value is not a date in any form the importer reads; ``str(exc)`` says what was expected."""


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A date read from a cell.

    :ivar value: the date (a month-only date is that month's last day).
    :ivar approximate: True when the cell gave less than a full date (month only, or no year).
    """

    value: date
    approximate: bool = False


def _year(text: str | None, default_year: int) -> tuple[int, bool]:
    if text is None:
        return default_year, True
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year, False


def month_end(year: int, month: int) -> date:
    """The last day of ``month`` in ``year``."""
    return date(year, month, calendar.monthrange(year, month)[1])


def excel_serial_to_date(serial: float) -> date:
    """An Excel serial day number (days since 1899-12-30; the fraction is the time) as a date.

    :raises NotADate: outside 1 .. 2958465 (31 Dec 9999).
    """
    if not 1 <= serial <= 2958465:
        raise NotADate(f"{serial} is not an Excel date serial number")
    return EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(value: object, *, default_year: int | None = None) -> ParsedDate | None:
    """Read a date from a cell value.

    Accepted: ``date``/``datetime`` objects; Excel serial numbers (numbers, or 5-digit text);
    ISO ``YYYY-MM-DD``; day-first ``dd/mm/yyyy``, ``d.m.yy``, ``dd.mm.yyyy``, ``dd-mm-yyyy``;
    ``30 Sept``, ``30 September 2025``; ``June``, ``April 2017``, ``Sep-17``. A month without a
    day becomes the month's last day and is flagged approximate; a missing year is
    ``default_year`` (default this year), also flagged approximate.

    :returns: None for an empty cell.
    :raises NotADate: for text that is not a date (the caller keeps it as a note).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return ParsedDate(value.date())
    if isinstance(value, date):
        return ParsedDate(value)
    if isinstance(value, bool):
        raise NotADate(f"{value!r} is not a date")
    if isinstance(value, (int, float)):
        return ParsedDate(excel_serial_to_date(float(value)))
    text = " ".join(str(value).split()).strip()
    if not text:
        return None
    lowered = text.lower()
    if default_year is None:
        default_year = config.today().year
    try:
        if m := _ISO.match(lowered):
            return ParsedDate(date(int(m[1]), int(m[2]), int(m[3])))
        if m := _DAY_FIRST.match(lowered):
            year, _ = _year(m[3], default_year)
            return ParsedDate(date(year, int(m[2]), int(m[1])))
        if m := _DAY_MONTH.match(lowered):
            year, guessed = _year(m[3], default_year)
            return ParsedDate(date(year, MONTHS[m[2]], int(m[1])), approximate=guessed)
        if m := _MONTH_YEAR.match(lowered):
            year, _ = _year(m[2], default_year)
            return ParsedDate(month_end(year, MONTHS[m[1]]), approximate=True)
        if _SERIAL.match(lowered):
            return ParsedDate(excel_serial_to_date(float(lowered)))
    except ValueError as exc:  # e.g. 31/02/2026
        raise NotADate(f"{text!r} is not a real date ({exc})") from exc
    raise NotADate(
        f"{text!r} is not a date (expected e.g. 2026-03-31, 31/03/2026, 31.03.26, 31 March 2026, "
        "March 2026 or an Excel date)"
    )


# --- status words -----------------------------------------------------------------------------

DEFAULT_STATUS_WORDS: dict[str, str] = {
    # Blue / done. "Complete" is the agency's word: the board's assurance is a separate step.
    "complete": "completed",
    "completed": "completed",
    "closed": "completed",
    "close": "completed",
    "c": "completed",
    "done": "completed",
    "achieved": "completed",
    "fully achieved": "completed",
    "met": "completed",
    "blue": "completed",
    "b": "completed",
    "proposed for closure": "completed",
    "received": "completed",
    # Open. Green / on track means in progress, never completed.
    "green": "in_progress",
    "g": "in_progress",
    "on track": "in_progress",
    "in progress": "in_progress",
    "ongoing": "in_progress",
    "open": "in_progress",
    "o": "in_progress",
    "started": "in_progress",
    "partially achieved": "in_progress",
    "partially complete": "in_progress",
    "amber": "in_progress",
    "a": "in_progress",
    "red": "in_progress",
    "r": "in_progress",
    "at risk": "in_progress",
    "off track": "in_progress",
    "delayed": "in_progress",
    "behind": "in_progress",
    "overdue": "in_progress",
    "not started": "not_started",
    "not yet started": "not_started",
    "pending": "not_started",
    "not due": "not_started",
    "assured": "assured",
    "embedded": "assured",
    "not implemented": "not_implemented",
    "not achieved": "not_implemented",
    "superseded": "superseded",
}
"""Status words met in real trackers, normalised (lower case, single spaces), to action.status."""

NUMBERED_CATEGORY_KEY: dict[str, str] = {
    "1": "completed",  # fully achieved
    "2": "in_progress",  # partially achieved / progressing
    "3": "in_progress",  # limited progress
    "4": "not_started",  # not started / not achieved
}
"""The key of the numbered "Assessment of progress Categories 1 - 4" scale (1 = fully achieved),
as used in Stockton LSCB's 2017 progress report; overridable through a mapping file."""


def normalise_word(text: str) -> str:
    """Lower case, punctuation at the ends removed, single spaces."""
    return " ".join(str(text).replace("_", " ").lower().split()).strip(" .:;-–—")


def parse_status(value: object, vocabulary: Mapping[str, str]) -> str | None:
    """The ``action.status`` code for a status cell, or None when the word is not in ``vocabulary``.

    A number (``2``, ``2.0``, ``"2."``) is looked up as text; text such as ``Complete - see notes``
    matches by its leading word(s).
    """
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    word = normalise_word(str(value))
    if not word:
        return None
    if word in vocabulary:
        return vocabulary[word]
    # Leading words before a separator: "Complete - see notes", "Green (on track)".
    head = re.split(r"\s*[-–—:(/,]\s*|\.\s", word, maxsplit=1)[0].strip()
    if head and head != word and head in vocabulary and len(head) > 1:
        return vocabulary[head]
    return None


def clean_ref(value: object) -> str | None:
    """A ref or number as exact text: ``85.6`` and ``01.05`` stay as written.

    Text cells are kept exactly (trimmed); numbers from Excel become text without a trailing
    ``.0`` (an Excel cell typed as a number has already lost leading zeros: the caller warns).
    """
    if value is None:
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None
