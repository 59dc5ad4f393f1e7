"""Presets: known public layouts read into an import plan.

``pfd``: the Preventable Deaths Tracker's recipient statuses
(``../shared/realdata/pfd/pfd_recipient_statuses.csv``), one row per report × recipient.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from monitoring import config
from monitoring.importer.agencies import is_redacted
from monitoring.importer.plan import (
    ActionPlan,
    ImportPlan,
    Problem,
    RecommendationPlan,
    ReviewPlan,
)
from monitoring.importer.readers import Sheet
from monitoring.importer.values import NotADate, parse_date

PFD_RESPONSE_DAYS = 56
"""A PFD recipient must respond within 56 days of the report (Coroners (Investigations)
Regulations 2013, reg. 29)."""

PFD_COLUMNS = ("ref", "date_of_report", "coroner_area", "category", "sent_to", "status")
PFD_STATUS = {"received": "completed", "overdue": "not_started", "pending": "not_started"}
_REPLY_DATE = re.compile(
    r"^(?=.*\b(?:repl(?:y|ies|ied)|respon(?:se|ses|ded))\b)(?=.*\b(?:date|dated|on|received)\b)"
    r"(?!.*\bstatus\b)"
)
"""A column giving when a recipient replied ("date_of_response", "reply date", "responded on");
not "response status". The real tracker export has none."""
UNDATED_REPLIES = (
    "recipients' statuses dated at the import's as-of date (--as-of, else the day of the "
    "import), not at the report's date: the file gives no reply date"
)
"""The import report's notice when a PFD file has no reply-date column."""


def reply_date_column(header: list[str]) -> int | None:
    """The index of the column holding each recipient's reply date, or None (then a status is
    dated at the import's effective date, never at the report's)."""
    for i, name in enumerate(header):
        if _REPLY_DATE.match(" ".join(re.split(r"[\s_.\-]+", name))):
            return i
    return None


def pfd_title(ref: str, category: str, area: str) -> str:
    """A PFD report's review title from its reference, category and coroner area only, e.g.
    ``PFD report 2026-0045: Hospital Death (...) related deaths; Northamptonshire``. Never a
    person's name: the tracker names reports after the deceased, so nothing else is used. A
    category written ``a | b`` reads ``a, b``."""
    themes = ", ".join(t.strip() for t in category.split("|") if t.strip())
    detail = "; ".join(part for part in (themes, area.strip()) if part)
    return f"PFD report {ref}: {detail}" if detail else f"PFD report {ref}"


def plan_pfd(sheet: Sheet, **_options: object) -> ImportPlan:
    """Plan the PFD recipient-status file.

    One review (type ``PFD``) per report ref, titled by :func:`pfd_title` (reference, category
    and coroner area, never a person's name), published on its report date; one recommendation
    ("1") per report, themed by its category (``a | b`` gives two themes); one action per row,
    "Respond to the report", numbered 1, 2, ... in file order within the report, lead agency = the
    recipient (``REDACTED`` recipients get no agency and a warning), target date = the row's report
    date + 56 days, status ``completed`` when the recipient's status is ``received``, otherwise
    ``not_started``. Each status is dated (``effective_on``) at the best date the file gives for
    it: a reply-date column when the file has one (:func:`reply_date_column`; also the
    ``completed_on`` of a received reply), else the import's effective date (``--as-of``, else
    the import day), and never before the report's date; the report's date dates only the
    record's creation. So "as at" a date before the reply is known the recipient is still
    awaited. The real export has no reply date: ``completed_on`` stays empty. Rows without a
    report date import with no target date and are listed as warnings. Unmatched recipients are
    created as agencies unless the caller says otherwise (they are the accountable bodies).
    A recipient listed more than once for one report (the same ``sent_to`` text, spaces and case
    aside) still gives one action per row, as the file asks, and is warned about once per report
    and recipient, naming every row (kind :data:`Problem.DUPLICATE`).

    :returns: the plan; a missing column is an error naming it.
    """
    plan = ImportPlan(source=sheet.name, create_agencies=True)
    if not sheet.rows:
        plan.error("the file has no header row")
        return plan
    header = [str(c).strip().lower() if c is not None else "" for c in sheet.rows[0]]
    plan.header_row = 1
    missing = [c for c in PFD_COLUMNS if c not in header]
    if missing:
        plan.error(
            f"not the PFD recipient-status layout: missing column(s) {', '.join(missing)} "
            f"(expected {', '.join(PFD_COLUMNS)})",
            1,
        )
        return plan
    idx = {name: header.index(name) for name in header if name}
    plan.mapping = {
        "review_ref": "ref",
        "lead_agency": "sent_to",
        "due_on": "date_of_report + 56 days",
        "status": "status",
    }
    i_ref, i_date, i_area = idx["ref"], idx["date_of_report"], idx["coroner_area"]
    i_cat, i_to, i_status = idx["category"], idx["sent_to"], idx["status"]
    i_reply = reply_date_column(header)
    if i_reply is not None:
        plan.mapping["status_dated"] = header[i_reply]
    due_cache: dict[str, tuple[str | None, str | None]] = {}
    counters: dict[str, int] = {}
    report_dates: dict[str, str | None] = {}
    recipient_rows: dict[tuple[str, str], list[int]] = {}
    actions = plan.actions
    for index in range(1, len(sheet.rows)):
        row = sheet.rows[index]
        rownum = index + 1
        if not any(str(c).strip() for c in row if c is not None):
            continue
        plan.rows_read += 1
        if len(row) < len(header):
            row = list(row) + [""] * (len(header) - len(row))
        ref = str(row[i_ref]).strip()
        if not ref:
            plan.error("no report ref", rownum, "ref")
            continue
        raw_date = str(row[i_date] or "").strip()
        if raw_date not in due_cache:
            try:
                parsed = parse_date(raw_date)
            except NotADate as exc:
                plan.error(str(exc), rownum, "date_of_report")
                continue
            if parsed is None:
                due_cache[raw_date] = (None, None)
            else:
                due_cache[raw_date] = (
                    parsed.value.isoformat(),
                    (parsed.value + timedelta(days=PFD_RESPONSE_DAYS)).isoformat(),
                )
        report_on, due_on = due_cache[raw_date]
        if report_on is None:
            plan.warn("no report date: imported with no target date", rownum, "date_of_report")
        category = str(row[i_cat] or "").strip()
        area = str(row[i_area] or "").strip()
        review = plan.reviews.get(ref)
        if review is None:
            plan.reviews[ref] = ReviewPlan(
                ref=ref,
                title=pfd_title(ref, category, area),
                review_type="PFD",
                # The report date is when the report began, not our publication: only an
                # administrator publishes (case 13).
                dated_on=report_on,
                board=area or None,
                summary=category or None,
            )
            plan.recommendations[(ref, "1")] = RecommendationPlan(
                review_ref=ref,
                number="1",
                title=f"Concerns raised by the coroner: {category}"
                if category
                else "Concerns raised by the coroner",
                text=None,
                themes=tuple(t.strip() for t in category.split("|") if t.strip()),
                response_due_on=due_on,
            )
            report_dates[ref] = report_on
        elif report_dates.get(ref) != report_on or (area and review.board != area):
            plan.warn(
                f"report {ref} appears with a different report date or coroner area "
                f"({report_on or 'none'}, {area}); the review keeps the first, this action's target "
                "date uses this row's report date",
                rownum,
                "date_of_report",
            )
            rec = plan.recommendations[(ref, "1")]
            extra = tuple(
                t.strip() for t in category.split("|") if t.strip() and t.strip() not in rec.themes
            )
            rec.themes = rec.themes + extra
        recipient = " ".join(str(row[i_to] or "").split())
        if recipient and is_redacted(recipient):
            plan.warn("recipient name redacted: action has no lead agency", rownum, "sent_to")
            lead = None
        elif not recipient:
            plan.warn("no recipient: action has no lead agency", rownum, "sent_to")
            lead = None
        else:
            lead = recipient
        raw_status = str(row[i_status] or "").strip().lower()
        status = PFD_STATUS.get(raw_status)
        if status is None:
            plan.error(
                f"status {raw_status!r} is not one of {', '.join(PFD_STATUS)}", rownum, "status"
            )
            continue
        replied_on = None
        if i_reply is not None and status == "completed":
            replied_on = _reply_date(plan, row[i_reply], report_on, rownum, header[i_reply])
        recipient_rows.setdefault((ref, recipient.casefold()), []).append(rownum)
        counters[ref] = number = counters.get(ref, 0) + 1
        actions.append(
            ActionPlan(
                row=rownum,
                review_ref=ref,
                rec_number="1",
                number=str(number),
                description="Respond to the report",
                lead_name=lead,
                original_due_on=due_on,
                due_on=due_on,
                status=status,
                completed_on=replied_on,
                progress_note=f"Tracker status: {raw_status}",
                status_dated=replied_on,
                status_from=report_on,
            )
        )
    _warn_repeated_recipients(plan, sheet, i_to, recipient_rows)
    if actions and i_reply is None:
        plan.warn(UNDATED_REPLIES)  # the file's dates are the report's and the tracker's
    if not actions and not plan.errors:
        plan.error("no rows to import below the header row", 1)
    return plan


def _reply_date(
    plan: ImportPlan, value: object, report_on: str | None, rownum: int, column: str
) -> str | None:
    """A received reply's date (ISO), or None with a warning when the cell is not a date, is
    before the report or after today (then the status is dated at the import's effective
    date)."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        parsed = parse_date(text)
    except NotADate as exc:
        plan.warn(f"{exc}: the reply is dated at the import's date", rownum, column)
        return None
    if parsed is None:
        return None
    day = parsed.value.isoformat()
    if day > config.today().isoformat():
        plan.warn(
            f"reply date {day} is after today: the reply is dated at the import's date",
            rownum,
            column,
        )
        return None
    if report_on is not None and day < report_on:
        plan.warn(
            f"reply date {day} is before the report's date {report_on}: the reply is dated at "
            "the import's date",
            rownum,
            column,
        )
        return None
    return day


def _warn_repeated_recipients(
    plan: ImportPlan, sheet: Sheet, i_to: int, recipient_rows: dict[tuple[str, str], list[int]]
) -> None:
    """One warning per (report, recipient) listed on more than one row, naming the rows."""
    for (ref, _key), rows in recipient_rows.items():
        if len(rows) < 2:
            continue
        name = " ".join(str(sheet.rows[rows[0] - 1][i_to] or "").split()) or "(none)"
        listed = ", ".join(str(r) for r in rows[:-1]) + f" and {rows[-1]}"
        plan.warn(
            f"report {ref} lists recipient {name!r} {len(rows)} times (rows {listed}): each row "
            f"is imported as its own action ({len(rows)} actions); check whether the tracker "
            "lists it twice by mistake",
            rows[1],
            "sent_to",
            Problem.DUPLICATE,
        )


PRESETS: dict[str, Callable[..., ImportPlan]] = {"pfd": plan_pfd}
"""Preset name → planner ``(sheet) -> ImportPlan``."""

PRESET_COLUMNS: dict[str, tuple[str, ...]] = {"pfd": PFD_COLUMNS}
"""Preset name → the header cells (lower case) a file of that layout always has: a file whose
first row holds every one of them is recognised as that layout (:func:`detect_preset`)."""

PRESET_DESCRIPTIONS: dict[str, str] = {
    "pfd": "the coroners' PFD data set (the Preventable Deaths Tracker's recipient statuses)"
}
"""Preset name → what the layout is, as the import page and command say it."""


def detect_preset(header: list[object]) -> str | None:
    """The preset whose columns (:data:`PRESET_COLUMNS`) all appear in ``header`` (a file's
    first row; case and surrounding spaces aside), or None for a board's own tracker."""
    cells = {str(c).strip().lower() for c in header if c is not None}
    for name, columns in PRESET_COLUMNS.items():
        if set(columns) <= cells:
            return name
    return None


def sniff_preset(data: bytes, name: str) -> str | None:
    """:func:`detect_preset` on the first row of an uploaded file (a .csv's first line, or the
    first row of an .xlsx's first visible sheet), read without reading the whole file; None when
    the file cannot be read (reading it properly then says why)."""
    import csv
    import io

    from monitoring.importer import readers

    try:
        if data[:4] == b"PK\x03\x04":
            book = readers._open_book(data, name)
            visible = book.visible()
            rows = readers._header_rows(book, visible[0], 1) if visible else []
            return detect_preset(rows[0]) if rows else None
        head = data[: 1 << 16]
        encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
        line = head.decode(encoding, errors="replace").splitlines()[0] if head.strip() else ""
        delimiter = max((",", ";", "\t", "|"), key=line.count)
        return detect_preset(next(csv.reader(io.StringIO(line), delimiter=delimiter), []))
    except Exception:  # noqa: BLE001  (any unreadable file: the real read reports it)
        return None
