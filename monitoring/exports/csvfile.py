"""The tracker as CSV: one row per action, every text cell neutralised against formulas.

UTF-8 with a byte-order mark (so Excel opens accented names correctly), dates as ISO
``YYYY-MM-DD``, RAG as the board's word, and a column saying what changed since the last meeting.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pandas as pd

from monitoring.exports import safe
from monitoring.exports.layout import kind_text, rag_text, status_text
from monitoring.exports.pack import MeetingPack

CSV_HEADERS = [
    "Review",
    "Review title",
    "Recommendation",
    "Action",
    "Action description",
    "Success measure",
    "Lead agency",
    "Lead officer",
    "Original target date",
    "Target date",
    "Status",
    "RAG",
    "Overdue",
    "Days overdue",
    "Completed on",
    "Last update",
    "Latest progress note",
    "Changed since last meeting",
]


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, date) else ""


def _text(value) -> str:
    """Text for a cell: missing values (None, pandas' NaN) as an empty string."""
    return "" if _missing(value) else str(value)


def _missing(value) -> bool:
    """None, NaN, NaT or pandas' NA (a new recommendation's change row has no action id)."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def tracker_rows(pack: MeetingPack) -> list[list]:
    """The CSV's rows (without the header), values neutralised with :func:`safe.neutralise`."""
    changed: dict[int, list[str]] = {}
    for c in pack.changes.itertuples():
        if not _missing(c.action_id):
            kinds = changed.setdefault(int(c.action_id), [])
            if kind_text(c.kind) not in kinds:
                kinds.append(kind_text(c.kind))
    rows = []
    for r in pack.tracker.itertuples():
        values = [
            r.review_ref,
            r.review_title,
            r.recommendation_number,
            r.number,
            r.description,
            _text(r.success_measure),
            r.agency,
            _text(r.lead_officer),
            _iso(r.original_due_on),
            _iso(r.due_on),
            status_text(r.status),
            rag_text(r.rag, r.rag_overridden, r.due_on, r.status),
            "Yes" if r.days_overdue > 0 else "No",
            r.days_overdue,
            _iso(r.completed_on),
            _iso(r.last_update_on),
            _text(r.progress_note),
            "; ".join(changed.get(int(r.action_id), [])),
        ]
        rows.append([safe.neutralise(v) for v in values])
    return rows


def write_csv(pack: MeetingPack, out: Path | str | io.BytesIO) -> None:
    """Write the tracker for ``pack`` as CSV (columns :data:`CSV_HEADERS`).

    :param out: a file path or a binary buffer.
    """
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(CSV_HEADERS)
    writer.writerows(tracker_rows(pack))
    data = text.getvalue().encode("utf-8-sig")
    if isinstance(out, io.BytesIO):
        out.write(data)
    else:
        Path(out).write_bytes(data)
