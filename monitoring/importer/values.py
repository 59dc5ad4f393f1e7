"""Cell values from real trackers: dates, status words and refs.

Dates are tried in a fixed order (ISO first, then day-first forms, never month-first), because
``pd.to_datetime(format="mixed", dayfirst=True)`` reads ``2026-03-06`` as 3 June (DESIGN §7).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

EXCEL_EPOCH = date(1899, 12, 30)
"""Day 0 of Excel's serial dates in the 1900 date system (the 1900 leap-year bug makes this the
right origin after 1900-03-01); a 1904-system workbook counts from 1904-01-01."""

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
    rf"^(\d{{1,2}})(?:st|nd|rd|th)?(?:[ \-]+of)?[ \-]+({_MONTH_RE})\.?,?(?:[ \-]+(\d{{2}}|\d{{4}}))?$"
)
_MONTH_DAY = re.compile(rf"^({_MONTH_RE})\.?[ ]+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?[ ]+(\d{{4}}))?$")
"""``March 12``, ``Mar 12th``, ``March 12, 2026``: a day after the month, separated by a space
(``Sep-17`` and ``Sep '17`` are a month and a year)."""
_MONTH_YEAR = re.compile(rf"^({_MONTH_RE})\.?,?(?:(?:[ \-/]+|[ \-/]*['’])(\d{{2}}|\d{{4}}))?$")
_DAY_MONTH_NUMBERS = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})$")
"""``12/03``: day and month (UK day first), no year."""
_MONTH_SLASH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
"""``03/2019``: a month and a four-digit year."""
_LEAD_WORDS = re.compile(
    r"^(?:(?:w/?c|w/?b|wk\s+comm(?:encing)?|week\s+(?:commencing|beginning|starting)|"
    r"by|due|on|before|end\s+of|end|(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
    r"(?:day|sday|nesday|urday)?)\.?:?,?\s+)+"
)
"""Words written before a date and not part of it: ``w/c 5 Jan`` (week commencing), ``by``,
``end of``, a weekday (``Mon 12 March``)."""
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
PLAUSIBLE_YEARS = (1950, 2199)
"""A number in a date column is read as an Excel serial date only when it falls in these years
(serial 18,264 .. 109,573 in the 1900 date system): ``12`` or ``3.5`` is not 1900's January."""


class NotADate(ValueError):
    """The value is not a date in any form the importer reads; ``str(exc)`` says what was expected."""


class YearUnknown(NotADate):
    """A date written without a year (``15 Oct``) and no year to give it: the caller finds one in
    the document (see :mod:`monitoring.importer.plan`) or asks the user; never this year."""


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A date read from a cell.

    :ivar value: the date (a month-only date is that month's last day).
    :ivar approximate: True when the cell gave less than a full date (month only, or no year).
    """

    value: date
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class YearlessDate:
    """A day and month (or a month alone) written without a year: ``15 Oct``, ``30 Sept``,
    ``June``. :meth:`in_year` gives the date once a year is known; it is always approximate.

    :ivar day: the day of the month, or None for a month alone (read as the month's last day).
    """

    month: int
    day: int | None
    text: str

    def in_year(self, year: int) -> date:
        """This day and month in ``year`` (29 February in a common year is the 28th).

        :raises ValueError: for a day the month never has (31 April).
        """
        if self.day is None:
            return month_end(year, self.month)
        if self.month == 2 and self.day == 29 and not calendar.isleap(year):
            return date(year, 2, 28)
        return date(year, self.month, self.day)

    def on_or_after(self, start: date) -> date:
        """The first such date on or after ``start`` (a section's month: ``15 Oct`` under
        "March 2019" is 15 October 2019, ``15 Feb`` under it 15 February 2020)."""
        day = self.in_year(start.year)
        return day if day >= start else self.in_year(start.year + 1)

    def nearest(self, anchor: date) -> date:
        """The such date nearest to ``anchor`` (its year, the year before or the year after)."""
        options = [self.in_year(anchor.year + k) for k in (-1, 0, 1)]
        return min(options, key=lambda d: (abs((d - anchor).days), d))


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def month_end(year: int, month: int) -> date:
    """The last day of ``month`` in ``year``."""
    return date(year, month, calendar.monthrange(year, month)[1])


def excel_serial_to_date(serial: float, epoch: datetime | date | None = None) -> date:
    """An Excel serial day number as a date, in the workbook's date system (openpyxl's
    ``from_excel``): the 1900 system counts from 1899-12-30 (with Excel's 1900 leap-year bug
    below serial 61), the 1904 system (old Mac workbooks, ``workbook.epoch``) from 1904-01-01.
    The fraction (the time of day) is dropped.

    :raises NotADate: outside 1 .. 2958465 (31 Dec 9999).
    """
    from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel

    if not 1 <= serial <= 2958465:
        raise NotADate(f"{serial} is not an Excel date serial number")
    if epoch is None:
        epoch = WINDOWS_EPOCH
    if not isinstance(epoch, datetime):
        epoch = datetime(epoch.year, epoch.month, epoch.day)
    try:
        value = from_excel(int(serial), epoch)
    except (OverflowError, ValueError) as exc:
        raise NotADate(f"{serial} is not an Excel date serial number") from exc
    return value.date() if isinstance(value, datetime) else value


def read_date(
    value: object, *, epoch: datetime | date | None = None
) -> ParsedDate | YearlessDate | None:
    """Read a date from a cell value, leaving a missing year unknown.

    Accepted: ``date``/``datetime`` objects (Excel date cells and formulas' cached dates);
    Excel serial numbers (General-format numbers, or 5-digit text) in the workbook's date
    system ``epoch``; ISO ``YYYY-MM-DD``; day-first ``dd/mm/yyyy``, ``d.m.yy``, ``dd.mm.yyyy``,
    ``dd-mm-yyyy``; ``30 Sept``, ``12th March``, ``12-Mar``, ``March 12``, ``30 September
    2025``; ``12/03`` (day first, no year); ``June``, ``April 2017``, ``Sep-17``, ``03/2019``;
    with words before the date that are not part of it (``w/c 5 Jan``, ``by``, ``end of``, a
    weekday); other written forms with a year (``Tuesday 15th October 2019``, ``Oct 15, 2019``) through
    python-dateutil, day first. ISO is tried first and numeric forms are never read month-first:
    ``pd.to_datetime(format="mixed", dayfirst=True)`` and dateutil's ``dayfirst`` both read
    ``2026-03-06`` as 3 June (DESIGN §7). A month without a day is the month's last day, flagged
    approximate. A number is a serial date only within :data:`PLAUSIBLE_YEARS`.

    :returns: None for an empty cell; a :class:`YearlessDate` when no year is written.
    :raises NotADate: for text that is not a date, or a number outside :data:`PLAUSIBLE_YEARS`
        (the caller keeps it as a note).
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
        return ParsedDate(_serial_date(float(value), epoch))
    text = " ".join(str(value).split()).strip()
    if not text:
        return None
    lowered = _LEAD_WORDS.sub("", text.lower()) or text.lower()
    try:
        if m := _ISO.match(lowered):
            return ParsedDate(date(int(m[1]), int(m[2]), int(m[3])))
        if m := _DAY_FIRST.match(lowered):
            return ParsedDate(date(_year(m[3]), int(m[2]), int(m[1])))
        if m := _DAY_MONTH.match(lowered):
            return _day_month(text, int(m[1]), MONTHS[m[2]], _year(m[3]))
        if m := _MONTH_DAY.match(lowered):
            return _day_month(text, int(m[2]), MONTHS[m[1]], _year(m[3]))
        if m := _MONTH_YEAR.match(lowered):
            year = _year(m[2])
            if year is None:
                return YearlessDate(MONTHS[m[1]], None, text)
            return ParsedDate(month_end(year, MONTHS[m[1]]), approximate=True)
        if m := _DAY_MONTH_NUMBERS.match(lowered):
            return _day_month(text, int(m[1]), int(m[2]), None)
        if m := _MONTH_SLASH_YEAR.match(lowered):
            return ParsedDate(month_end(int(m[2]), int(m[1])), approximate=True)
        if _SERIAL.match(lowered):
            return ParsedDate(_serial_date(float(lowered), epoch))
    except ValueError as exc:  # e.g. 31/02/2026
        if isinstance(exc, NotADate):
            raise
        raise NotADate(f"{text!r} is not a real date ({exc})") from exc
    written = _written_date(text)
    if written is not None:
        return ParsedDate(written)
    raise NotADate(
        f"{text!r} is not a date (expected e.g. 2026-03-31, 31/03/2026, 31.03.26, 31 March 2026, "
        "March 2026 or an Excel date)"
    )


def _day_month(text: str, day: int, month: int, year: int | None) -> ParsedDate | YearlessDate:
    """A day and month read from ``text``, with its year or waiting for one.

    :raises ValueError: for a day the month never has (31 April; 29 February is kept: a leap
        year may come).
    """
    if year is not None:
        return ParsedDate(date(year, month, day))
    found = YearlessDate(month, day, text)
    found.in_year(2024)  # a leap year: 31 April is refused here, 29 Feb is not
    return found


def _serial_date(serial: float, epoch: datetime | date | None) -> date:
    """An Excel serial number as a date, refused outside :data:`PLAUSIBLE_YEARS`.

    :raises NotADate: for a number that is no date a tracker would hold (``12``, ``3.5``).
    """
    value = excel_serial_to_date(serial, epoch)
    low, high = PLAUSIBLE_YEARS
    if not low <= value.year <= high:
        shown = int(serial) if float(serial).is_integer() else serial
        raise NotADate(
            f"{shown} is a number, not a date (as an Excel date serial number it would be "
            f"{value.isoformat()}; dates from {low} to {high} are read)"
        )
    return value


_WORDY = re.compile(rf"\b({_MONTH_RE})\b", re.IGNORECASE)
_FOUR_DIGIT_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")


def _written_date(text: str) -> date | None:
    """A date written out in words with a four-digit year and a day (``Tuesday 15th October
    2019``, ``Oct 15, 2019``), read by python-dateutil day first; None otherwise (dateutil
    fills missing parts from a default, so a part it did not find is detected by reading twice
    with two defaults)."""
    from dateutil import parser

    if len(text) > 60 or not _WORDY.search(text) or not _FOUR_DIGIT_YEAR.search(text):
        return None
    try:
        first = parser.parse(text, dayfirst=True, default=datetime(2000, 1, 1))
        second = parser.parse(text, dayfirst=True, default=datetime(2001, 2, 2))
    except (ValueError, OverflowError, parser.ParserError):
        return None
    if first.date() != second.date():  # no day or no year written
        return None
    return first.date()


def parse_date(
    value: object, *, default_year: int | None = None, epoch: datetime | date | None = None
) -> ParsedDate | None:
    """Read a date from a cell value (see :func:`read_date` for the forms).

    A date written without a year takes ``default_year`` and is flagged approximate; without a
    ``default_year`` it is refused (:class:`YearUnknown`): the year is never taken from today.

    :returns: None for an empty cell.
    :raises NotADate: for text that is not a date (the caller keeps it as a note).
    """
    found = read_date(value, epoch=epoch)
    if isinstance(found, YearlessDate):
        if default_year is None:
            raise YearUnknown(
                f"{found.text!r} has no year and none is known: write the date with its year "
                "(e.g. 31/03/2026)"
            )
        try:
            return ParsedDate(found.in_year(default_year), approximate=True)
        except ValueError as exc:
            raise NotADate(f"{found.text!r} is not a real date ({exc})") from exc
    return found


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
    "not yet due": "not_started",
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
