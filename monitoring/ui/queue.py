"""Work queues: one sortable, searchable table of records, worst first, whose selected row drives
one detail panel (Assurance, My actions, History).

A page draws a fixed number of widgets whatever the number of records: a "Find" box, one
``st.dataframe`` of at most :data:`QUEUE_ROWS` rows (the rest are reached by searching) and the
detail panel of the one record chosen. Selections are by position in the table shown; the record's
``id`` is what the page gets back.
"""

from __future__ import annotations

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
    if len(found) > len(shown):
        st.caption(
            f"Showing the first {len(shown):,} of {len(found):,} {noun}, worst first: type in "
            "Find to reach the others."
        )
    else:
        st.caption(f"{len(found):,} {noun}, worst first. Choose a row to see it below.")
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


def _dates(values) -> pd.Series:
    """ISO date (or timestamp) texts as dates, for a date column that sorts as dates."""
    return pd.to_datetime(pd.Series(values, dtype="object").str[:10], format="ISO8601").dt.date


def _date_column(label: str, width=None):
    return st.column_config.DateColumn(label, format="D MMM YYYY", width=width)


def action_table(frame: pd.DataFrame) -> pd.DataFrame:
    """My actions' queue as shown: ``id`` (hidden), RAG word, review, action number, description,
    lead agency, target date, status word (these fit a 1400 px window), then days overdue, a
    pending new date and the last update.

    :param frame: :func:`monitoring.worklists.my_actions`.
    """
    return pd.DataFrame(
        {
            "id": frame["id"],
            "RAG": widgets.rag_words(frame["rag"]),
            "review_ref": frame["review_ref"],
            "number": frame["number"],
            "description": frame["description"],
            "agency": frame["agency"],
            "due_on": _dates(frame["due_on"]).values,
            "status": widgets.status_words(frame["status"]),
            "days_overdue": frame["days_overdue"].astype(int),
            "pending_due_on": _dates(frame["pending_due_on"]).values,
            "last_update_on": _dates(frame["last_update_on"]).values,
        },
        index=frame.index,
    )


def action_columns() -> dict:
    """Column labels and widths of :func:`action_table` (the board's columns fit a 1400 px
    window; the rest follow)."""
    w = widgets.WIDTHS
    return {
        "id": None,
        "RAG": st.column_config.TextColumn("RAG", width=w["rag"]),
        "review_ref": st.column_config.TextColumn("Review", width=w["ref"]),
        "number": st.column_config.TextColumn("Action", width=w["number"]),
        "description": st.column_config.TextColumn("Action description", width=200),
        "agency": st.column_config.TextColumn("Lead agency", width=w["agency"] - 40),
        "due_on": _date_column("Target date", w["date"]),
        "status": st.column_config.TextColumn("Status", width=w["status"]),
        "days_overdue": st.column_config.NumberColumn("Days overdue", width=w["count"] + 20),
        "pending_due_on": _date_column("New date asked for", w["date"] + 30),
        "last_update_on": _date_column("Last update", w["date"]),
    }


def action_panel(row: dict) -> None:
    """The chosen action's facts above its form: what it is (as plain text: it came from a
    person or a file), target date, RAG, last update, success measure, a pending date change."""
    st.subheader("The action chosen")
    st.text(f"{row['review_ref']} action {row['number']}")
    st.text(widgets.text_or_dash(row["description"]))
    st.markdown(
        f"**Target date** {widgets.uk_date(row['due_on']) or 'none'}"
        + widgets.originally(row["due_on"], row["original_due_on"])
        + f" · **RAG** {widgets.rag_badge(row['rag'])} · **Status** "
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


def assurance_table(frame: pd.DataFrame, today) -> pd.DataFrame:
    """The assurance queue as shown: ``id`` (hidden), review, action, description, lead agency,
    completed on, days waiting, evidence items.

    :param frame: :func:`monitoring.worklists.assurance_queue` (longest waiting first).
    """
    completed = _dates(frame["completed_on"])
    waiting = [None if pd.isna(d) else (today - d).days for d in completed]
    return pd.DataFrame(
        {
            "id": frame["id"],
            "review_ref": frame["review_ref"],
            "number": frame["number"],
            "description": frame["description"],
            "agency": frame["agency"],
            "completed_on": completed.values,
            "waiting": pd.array(waiting, dtype="Int64"),
            "evidence_count": frame["evidence_count"].astype(int),
        },
        index=frame.index,
    )


def assurance_columns() -> dict:
    """Column labels and widths of :func:`assurance_table`."""
    w = widgets.WIDTHS
    return {
        "id": None,
        "review_ref": st.column_config.TextColumn("Review", width=w["ref"]),
        "number": st.column_config.TextColumn("Action", width=w["number"]),
        "description": st.column_config.TextColumn("Action description", width=w["description"]),
        "agency": st.column_config.TextColumn("Lead agency", width=w["agency"]),
        "completed_on": _date_column("Completed", w["date"]),
        "waiting": st.column_config.NumberColumn("Days waiting", width=w["count"] + 20),
        "evidence_count": st.column_config.NumberColumn("Evidence items", width=w["count"] + 30),
    }


def date_change_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Pending target-date changes as shown: ``id`` (hidden), review, action, lead agency, from,
    to, asked on, asked by, reason.

    :param frame: :func:`monitoring.worklists.date_change_requests` (oldest first).
    """
    return pd.DataFrame(
        {
            "id": frame["id"],
            "review_ref": frame["review_ref"],
            "number": frame["number"],
            "agency": frame["agency"],
            "old_due_on": _dates(frame["old_due_on"]).values,
            "new_due_on": _dates(frame["new_due_on"]).values,
            "requested_at": _dates(frame["requested_at"]).values,
            "requested_by": frame["requested_by"],
            "reason": frame["reason"],
        },
        index=frame.index,
    )


def date_change_columns() -> dict:
    """Column labels and widths of :func:`date_change_table`."""
    w = widgets.WIDTHS
    return {
        "id": None,
        "review_ref": st.column_config.TextColumn("Review", width=w["ref"]),
        "number": st.column_config.TextColumn("Action", width=w["number"]),
        "agency": st.column_config.TextColumn("Lead agency", width=w["agency"]),
        "old_due_on": _date_column("From", w["date"]),
        "new_due_on": _date_column("To", w["date"]),
        "requested_at": _date_column("Asked on", w["date"]),
        "requested_by": st.column_config.TextColumn("Asked by", width=150),
        "reason": st.column_config.TextColumn("Reason", width="large"),
    }


def record_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The History page's records as shown: ``id`` (hidden), review, recommendation, action,
    description, lead agency, status word, last changed.

    :param frame: :func:`monitoring.worklists.history_index`.
    """
    return pd.DataFrame(
        {
            "id": frame["id"],
            "review_ref": frame["review_ref"],
            "recommendation_number": frame["recommendation_number"],
            "number": frame["number"],
            "description": frame["description"],
            "agency": frame["agency"],
            "status": widgets.status_words(frame["status"]),
            "updated_at": _dates(frame["updated_at"]).values,
        },
        index=frame.index,
    )


def record_columns() -> dict:
    """Column labels and widths of :func:`record_table`."""
    w = widgets.WIDTHS
    return {
        "id": None,
        "review_ref": st.column_config.TextColumn("Review", width=w["ref"]),
        "recommendation_number": st.column_config.TextColumn("Rec.", width=w["number"]),
        "number": st.column_config.TextColumn("Action", width=w["number"]),
        "description": st.column_config.TextColumn("Action description", width=w["description"]),
        "agency": st.column_config.TextColumn("Lead agency", width=w["agency"]),
        "status": st.column_config.TextColumn("Status", width=w["status"]),
        "updated_at": _date_column("Last changed", w["date"]),
    }
