"""Work queues: one sortable, searchable table of records, worst first, whose selected row drives
one detail panel (Assurance, My actions, History).

A page draws a fixed number of widgets whatever the number of records: a "Find" box, one
``st.dataframe`` of at most :data:`QUEUE_ROWS` rows (the rest are reached by searching) and the
detail panel of the one record chosen. Selections are by position in the table shown; the record's
``id`` is what the page gets back.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from monitoring.ui import widgets
from monitoring.ui.text import md

QUEUE_ROWS = 500
"""Rows a queue table shows at most (worst first); searching reaches every record."""


def matching(frame: pd.DataFrame, text: str, columns: list[str]) -> pd.DataFrame:
    """The rows of ``frame`` where any of ``columns`` contains ``text`` (case-insensitive, as
    plain text, not a pattern); every row when ``text`` is blank."""
    words = (text or "").strip().lower()
    if not words or frame.empty:
        return frame
    found = pd.Series(False, index=frame.index)
    for column in columns:
        found |= frame[column].astype("string").str.lower().str.contains(words, regex=False)
    return frame[found.fillna(False)]


def pick(
    frame: pd.DataFrame,
    display: pd.DataFrame,
    *,
    key: str,
    noun: str,
    search_columns: list[str],
    column_config: dict | None = None,
    total: int | None = None,
) -> dict | None:
    """Draw a queue: a "Find" box, the table of ``display`` (row for row ``frame``, worst
    first), and return the chosen record (a row of ``frame`` as a dict with None for missing
    values), or None when nothing is chosen.

    The first row is chosen when the table is first drawn; a row clicked in the table is chosen
    after that. Only the first :data:`QUEUE_ROWS` rows that match the search are shown.

    :param frame: the records, with an ``id`` column, in the order to show (worst first).
    :param display: the columns to show, same index and order as ``frame``.
    :param noun: what a row is, plural, for captions (e.g. "actions").
    :param search_columns: columns of ``frame`` the Find box searches.
    :param total: how many records there are when ``frame`` holds only the first of them (at
        least :data:`QUEUE_ROWS`), read so because the Find box is blank (:func:`find_text`);
        None: ``frame`` holds every record.
    """
    if frame.empty:
        return None
    text = st.text_input(
        f"Find {noun}",
        key=f"{key}_find",
        placeholder="Review, action number, description or agency",
    )
    found = matching(frame, text, search_columns)
    if found.empty:
        st.info(f"No {noun} match {md(repr(text.strip()))}.")
        return None
    shown = found.head(QUEUE_ROWS)
    count = len(found) if total is None or text.strip() else total
    if count > len(shown):
        st.caption(
            f"Showing the first {len(shown):,} of {count:,} {noun}, worst first: type in "
            "Find to reach the others."
        )
    else:
        st.caption(f"{count:,} {noun}, worst first. Choose a row to see it below.")
    # The table's key follows the search, so a new search starts from its first row.
    event = st.dataframe(
        display.loc[shown.index],
        key=f"{key}_table_{text.strip().lower()}",
        on_select="rerun",
        selection_mode="single-row",
        selection_default={"selection": {"rows": [0]}},
        hide_index=True,
        width="stretch",
        column_config=column_config,
        placeholder="—",
    )
    rows = event.selection.rows
    if not rows or rows[0] >= len(shown):
        st.info(f"Choose one of the {noun} in the table to see it here.")
        return None
    record = shown.iloc[[rows[0]]]
    return record.astype(object).where(record.notna(), None).to_dict("records")[0]


def find_text(key: str) -> str:
    """What the reader typed in the Find box of the queue ``key`` (blank before they type): a
    page reads only the first :data:`QUEUE_ROWS` records while it is blank, every record (to
    search) once it is not."""
    return str(st.session_state.get(f"{key}_find") or "").strip()


def _dates(values) -> pd.Series:
    """ISO date (or timestamp) texts as dates, for a date column that sorts as dates."""
    return pd.to_datetime(pd.Series(values, dtype="object").str[:10], format="ISO8601").dt.date


def _date_column(label: str, width=None):
    return st.column_config.DateColumn(label, format="D MMM YYYY", width=width)


@dataclass(frozen=True)
class Column:
    """One column of a queue's table: its ``key`` in the table shown, its ``label``, its
    ``kind`` (``text``; ``date``: ISO text shown as a date that sorts as one; ``count``: a whole
    number; ``rag`` and ``status``: the code shown as its word), its ``width`` (pixels, a key of
    :data:`monitoring.ui.widgets.WIDTHS` or Streamlit's ``"large"``, or such a key and pixels
    more) and the ``source``
    column of the records it shows (default ``key``)."""

    key: str
    label: str
    kind: str = "text"
    width: int | str | tuple[str, int] | None = None
    source: str | None = None

    def values(self, frame: pd.DataFrame):
        """This column's values in the table shown, from the records ``frame``."""
        values = frame[self.source or self.key]
        if self.kind == "date":
            return _dates(values).values
        if self.kind == "count":
            return values if isinstance(values.dtype, pd.Int64Dtype) else values.astype(int)
        if self.kind == "rag":
            # an open action with no target date: "Green (no target date)" (issue 19)
            if "due_on" in frame and "status" in frame:
                return widgets.rag_words(values, due_on=frame["due_on"], statuses=frame["status"])
            return widgets.rag_words(values)
        if self.kind == "status":
            return widgets.status_words(values)
        return values

    def config(self):
        """Streamlit's column configuration of this column."""
        width = self.width
        if isinstance(width, str):
            width = widgets.WIDTHS.get(width, width)  # or Streamlit's "small", "large"
        elif isinstance(width, tuple):
            width = widgets.WIDTHS[width[0]] + width[1]
        if self.kind == "date":
            return _date_column(self.label, width)
        if self.kind == "count":
            return st.column_config.NumberColumn(self.label, width=width)
        return st.column_config.TextColumn(self.label, width=width)


@dataclass(frozen=True)
class Queue:
    """A work queue's table (``id`` hidden, then ``columns``), what a row is (``noun``, plural)
    and the record columns its Find box searches."""

    columns: tuple[Column, ...]
    noun: str
    search_columns: tuple[str, ...]

    def table(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The records ``frame`` as shown: ``id`` then :attr:`columns`, row for row."""
        shown = {"id": frame["id"]} | {c.key: c.values(frame) for c in self.columns}
        return pd.DataFrame(shown, index=frame.index)

    def column_config(self) -> dict:
        """Column labels and widths of :meth:`table` (``id`` hidden)."""
        return {"id": None} | {c.key: c.config() for c in self.columns}

    def pick(self, frame: pd.DataFrame, *, key: str, total: int | None = None) -> dict | None:
        """:func:`pick` on this queue's table of ``frame`` (``total``: see :func:`pick`)."""
        return pick(
            frame,
            self.table(frame),
            key=key,
            noun=self.noun,
            search_columns=list(self.search_columns),
            column_config=self.column_config(),
            total=total,
        )


_REVIEW = Column("review_ref", "Review", width="ref")
_ACTION = Column("number", "Action", width="number")
_DESCRIPTION = Column("description", "Action description", width="description")
_AGENCY = Column("agency", "Lead agency", width="agency")
_FOUND_BY = ("review_ref", "number", "description", "agency")

ACTIONS = Queue(
    (
        Column("RAG", "RAG", "rag", "rag", source="rag"),
        _REVIEW,
        _ACTION,
        Column("description", "Action description", width=200),
        Column("agency", "Lead agency", width=("agency", -40)),
        Column("due_on", "Target date", "date", "date"),
        Column("status", "Status", "status", "status"),
        Column("days_overdue", "Days overdue", "count", ("count", 20)),
        Column("pending_due_on", "New date asked for", "date", ("date", 30)),
        Column("last_update_on", "Last update", "date", "date"),
    ),
    "actions",
    (*_FOUND_BY, "lead_officer"),
)
"""My actions' queue (:func:`monitoring.worklists.my_actions`): RAG word, review, action number,
description, lead agency, target date, status word (these fit a 1400 px window), then days
overdue, a pending new date and the last update."""

ASSURANCE = Queue(
    (
        _REVIEW,
        _ACTION,
        _DESCRIPTION,
        _AGENCY,
        Column("completed_on", "Completed", "date", "date"),
        Column("waiting", "Days waiting", "count", ("count", 20)),
        Column("evidence_count", "Evidence items", "count", ("count", 30)),
    ),
    "completed actions",
    _FOUND_BY,
)
"""The assurance queue (:func:`monitoring.worklists.assurance_queue`, longest waiting first, with
``waiting`` added by :func:`assurance_table`): review, action, description, lead agency,
completed on, days waiting, evidence items."""

DATE_CHANGES = Queue(
    (
        _REVIEW,
        _ACTION,
        _AGENCY,
        Column("old_due_on", "From", "date", "date"),
        Column("new_due_on", "To", "date", "date"),
        Column("requested_at", "Asked on", "date", "date"),
        Column("requested_by", "Asked by", width=150),
        Column("reason", "Reason", width="large"),
    ),
    "target-date changes",
    (*_FOUND_BY, "requested_by"),
)
"""Pending target-date changes (:func:`monitoring.worklists.date_change_requests`, oldest
first): review, action, lead agency, from, to, asked on, asked by, reason."""

RECORDS = Queue(
    (
        _REVIEW,
        Column("recommendation_number", "Rec.", width="number"),
        _ACTION,
        _DESCRIPTION,
        _AGENCY,
        Column("status", "Status", "status", "status"),
        Column("updated_at", "Last changed", "date", "date"),
    ),
    "actions",
    _FOUND_BY,
)
"""The History page's records (:func:`monitoring.worklists.history_index`): review,
recommendation, action, description, lead agency, status word, last changed."""


def with_waiting(frame: pd.DataFrame, today) -> pd.DataFrame:
    """The assurance queue's records with ``waiting``: whole days since ``completed_on`` (None
    when not known)."""
    waiting = [None if pd.isna(d) else (today - d).days for d in _dates(frame["completed_on"])]
    return frame.assign(waiting=pd.array(waiting, dtype="Int64"))


def action_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:data:`ACTIONS`' table of ``frame`` (:func:`monitoring.worklists.my_actions`)."""
    return ACTIONS.table(frame)


def action_columns() -> dict:
    """Column labels and widths of :func:`action_table`."""
    return ACTIONS.column_config()


def assurance_table(frame: pd.DataFrame, today) -> pd.DataFrame:
    """:data:`ASSURANCE`' table of ``frame`` (:func:`monitoring.worklists.assurance_queue`), days
    waiting counted to ``today``."""
    return ASSURANCE.table(with_waiting(frame, today))


def assurance_columns() -> dict:
    """Column labels and widths of :func:`assurance_table`."""
    return ASSURANCE.column_config()


def date_change_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:data:`DATE_CHANGES`' table of ``frame``."""
    return DATE_CHANGES.table(frame)


def date_change_columns() -> dict:
    """Column labels and widths of :func:`date_change_table`."""
    return DATE_CHANGES.column_config()


def record_table(frame: pd.DataFrame) -> pd.DataFrame:
    """:data:`RECORDS`' table of ``frame`` (:func:`monitoring.worklists.history_index`)."""
    return RECORDS.table(frame)


def record_columns() -> dict:
    """Column labels and widths of :func:`record_table`."""
    return RECORDS.column_config()


def action_panel(row: dict) -> None:
    """The chosen action's facts above its form: what it is (as plain text: it came from a
    person or a file), target date, RAG, last update, success measure, a pending date change."""
    st.subheader("The action chosen")
    st.text(f"{row['review_ref']} action {row['number']}")
    st.text(widgets.text_or_dash(row["description"]))
    st.markdown(
        f"**Target date** {widgets.target_date_words(row['due_on'])}"
        + widgets.originally(row["due_on"], row["original_due_on"])
        + f" · **RAG** {widgets.rag_badge(row['rag'], due_on=row['due_on'], status=row['status'])}"
        + " · **Status** "
        + widgets.code_word("status", row["status"])
        + f" · **Last update** {widgets.uk_date(row['last_update_on']) or 'never'}"
    )
    if not widgets.is_missing(row.get("success_measure")):
        st.text(f"Success measure: {row['success_measure']}")
    if row.get("pending_due_on"):
        st.info(
            f"A new target date of {widgets.uk_date(row['pending_due_on'])} is waiting for the "
            "board's decision."
        )
    if row["status"] == "completed":
        st.info("Reported completed: waiting for the board to assure it or return it.")
