"""Shared display pieces: RAG badges (word plus colour), tiles, styled tables, downloads and the
audit trail's words. The words for stored codes and the date and percent formats live in
:mod:`monitoring.vocabulary` (imported here under their old names)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from monitoring import vocabulary
from monitoring.vocabulary import (  # noqa: F401 (the pages' names for the shared words)
    DATE_FIELDS,
    DECISION_LABELS,
    ENTITY_LABELS,
    FIELD_LABELS,
    MISSING,
    NO_TARGET_DATE,
    code_labels,
    code_word,
    effective_words,
    is_missing,
    originally,
    percent,
    rag_word,
    rag_words,
    status_words,
    target_date_words,
    text_or_dash,
    uk_date,
    uk_date_time,
    value_word,
)


def rag_badge(code: str, overridden: bool = False, *, due_on=None, status=None) -> str:
    """Markdown for a RAG badge: the board's word on its colour (never colour alone); given the
    action's ``due_on`` and ``status``, "Green (no target date)" for an open action with none."""
    label = (
        vocabulary.rag_with_date_words(code, due_on, status, overridden)
        if status is not None
        else vocabulary.rag_word(code, overridden)
    )
    colour = {"red": "red", "amber": "orange", "green": "green", "blue": "blue", "grey": "gray"}[
        code
    ]
    return f":{colour}-background[{label}]"


HIDDEN_AUDIT_FIELDS = vocabulary.HIDDEN_AUDIT_FIELDS
"""Audited fields kept in the log but not shown (:data:`monitoring.vocabulary.HIDDEN_AUDIT_FIELDS`)."""


def audit_display(trail: pd.DataFrame) -> pd.DataFrame:
    """The audit trail as shown: columns ``When (UK time), Who, Record, What, Was, Now``, all text,
    codes in words, dates as ``d MMM yyyy``, "—" for no value; without the
    :data:`HIDDEN_AUDIT_FIELDS` rows.

    :param trail: ``at, actor, entity, field, old_value, new_value`` (monitoring.worklists
        .audit_trail).
    """
    trail = trail[~trail["field"].isin(HIDDEN_AUDIT_FIELDS)]
    fields = trail["field"].tolist()
    return pd.DataFrame(
        {
            # the day it counts from and, where another, when it was recorded (UK time)
            "When (UK time)": [
                effective_words(e, v, with_time=True)
                for e, v in zip(
                    trail["effective_on"] if "effective_on" in trail else [None] * len(trail),
                    trail["at"],
                    strict=True,
                )
            ],
            "Who": [text_or_dash(v) for v in trail["actor"]],
            "Record": [
                ENTITY_LABELS.get(e, str(e).replace("_", " ").capitalize()) for e in trail["entity"]
            ],
            "What": [vocabulary.field_word(f) for f in fields],
            "Was": [value_word(f, v) for f, v in zip(fields, trail["old_value"], strict=True)],
            "Now": [value_word(f, v) for f, v in zip(fields, trail["new_value"], strict=True)],
        }
    )


def changes_display(changes) -> pd.DataFrame:
    """Changes made to a record since a version (a conflict) as shown: ``When (UK time), Who,
    What, Was, Now``, in words (:func:`audit_display` without the record column).

    :param changes: mappings or a DataFrame with ``at, actor, field, old_value, new_value``
        (:func:`monitoring.services.changes_since`).
    """
    frame = pd.DataFrame(
        changes, columns=["at", "actor", "entity", "field", "old_value", "new_value"]
    )
    frame["entity"] = frame["entity"].astype("object").fillna("action")
    return audit_display(frame).drop(columns=["Record"])


def date_changes_display(changes: pd.DataFrame) -> pd.DataFrame:
    """Target-date change requests as shown: ``Asked (UK time), From, To, Reason, Asked by,
    Decision, Decided by, Decided (UK time)``, dates as ``d MMM yyyy``, decisions in words, "—" for
    none (a pending request has no decider yet).

    :param changes: monitoring.worklists.date_change_requests.
    """
    return pd.DataFrame(
        {
            "Asked (UK time)": [uk_date_time(v) for v in changes["requested_at"]],
            "From": [uk_date(v) or MISSING for v in changes["old_due_on"]],
            "To": [uk_date(v) or MISSING for v in changes["new_due_on"]],
            "Reason": [text_or_dash(v) for v in changes["reason"]],
            "Asked by": [text_or_dash(v) for v in changes["requested_by"]],
            "Decision": [code_word("decision", v) for v in changes["decision"]],
            "Decided by": [text_or_dash(v) for v in changes["decided_by"]],
            "Decided (UK time)": [uk_date_time(v) for v in changes["decided_at"]],
        }
    )


GRID_WIDTH = 938
"""Width in pixels of a full-width table in the main area of a 1400 px wide window with the
sidebar open (measured with Playwright in Chromium; 906 inside a tab or an expander)."""

WIDTHS = {
    "ref": 95,
    "number": 55,
    "description": 225,
    "agency": 185,
    "date": 100,
    "status": 180,
    "rag": 85,
    "count": 75,
}
"""Column widths in pixels for the columns a board reads (review ref, action number, action
description, lead agency, target date, status, RAG): together they fit :data:`GRID_WIDTH`, and
the longest status ("Completed (agency reports)") and date fit whole; a longer description or
agency name is cut with an ellipsis and shown whole on hover."""


def tile(column, label: str, value, help: str | None = None) -> None:
    """One bordered metric tile in ``column``."""
    column.metric(label, value, help=help, border=True)


def today_caption(today: date) -> None:
    """A caption saying which date the figures are calculated for."""
    st.caption(f"Figures as at {uk_date(today)}.")


STYLED_ROWS_MAX = 1000
"""Above this many rows :func:`rag_styled` leaves the table unstyled: Streamlit marshals a pandas
Styler cell by cell on every run (3.7 s for 10,000 rows of 8 columns; the Actions page's rerun
took 2.6 s on the real PFD data and 7.9 s at 10,000 actions, BENCHMARKS.md section 6)."""


def rag_styled(frame, column: str = "RAG"):
    """A pandas Styler giving the RAG word column its colour (white text on the RAG colour):
    the word carries the meaning, the colour repeats it (WCAG 1.4.1). A frame of more than
    :data:`STYLED_ROWS_MAX` rows is returned as it is (the word alone, no colour)."""
    if len(frame) > STYLED_ROWS_MAX:
        return frame
    by_word = {}
    for code, word in vocabulary.rag_labels().items():
        by_word[word] = vocabulary.RAG_COLOURS[code]
        by_word[word + vocabulary.OVERRIDDEN] = vocabulary.RAG_COLOURS[code]
        for suffix in (
            vocabulary.NO_DATE_SUFFIX,
            vocabulary.OVERRIDDEN + vocabulary.NO_DATE_SUFFIX,
        ):
            by_word[word + suffix] = vocabulary.RAG_COLOURS[code]

    def colour(value):
        hex_colour = by_word.get(value)
        return f"background-color: {hex_colour}; color: #ffffff" if hex_colour else ""

    return frame.style.map(colour, subset=[column])


def action_table(frame, *, widths: dict | None = None, columns: dict | None = None) -> None:
    """Draw ``frame`` (one row per action, status and RAG already words) as the pages' action
    table: RAG coloured (:func:`rag_styled`), no index, empty cells as :data:`MISSING`, and the
    board's columns named and sized alike on every page. Known columns: ``review_ref``,
    ``number`` / ``action_number``, ``description``, ``agency``, ``due_on``, ``status`` /
    ``Status``, ``RAG``, ``days_overdue``.

    :param widths: pixel widths for known columns, over the :data:`WIDTHS` defaults.
    :param columns: further ``column_config`` entries (other columns, or a known one redone).
    """
    w = WIDTHS
    sized = {
        "review_ref": w["ref"],
        "number": w["number"],
        "action_number": w["number"],
        "description": w["description"],
        "agency": w["agency"],
        "due_on": w["date"],
        "status": w["status"],
        "Status": w["status"],
        "RAG": w["rag"],
        "days_overdue": w["count"] + 25,
    } | (widths or {})
    text = {
        "review_ref": "Review",
        "number": "Action",
        "action_number": "Action",
        "description": "Action description",
        "agency": "Lead agency",
        "status": "Status",
        "Status": "Status",
        "RAG": "RAG",
    }
    config = {
        name: st.column_config.TextColumn(label, width=sized[name]) for name, label in text.items()
    }
    config["due_on"] = st.column_config.DateColumn(
        "Target date", format="D MMM YYYY", width=sized["due_on"]
    )
    config["days_overdue"] = st.column_config.NumberColumn(
        "Days overdue", width=sized["days_overdue"]
    )
    config = {name: value for name, value in config.items() if name in frame.columns}
    st.dataframe(
        rag_styled(frame),
        hide_index=True,
        width="stretch",
        placeholder=MISSING,
        column_config=config | (columns or {}),
    )


def downloads(frame, name: str, key: str) -> None:
    """CSV and XLSX download buttons for exactly the rows and columns of ``frame`` (text cells
    that a spreadsheet could run as formulas are neutralised, :mod:`monitoring.tabular`).

    :param frame: a DataFrame, or a function of no arguments returning one, called only when a
        button is clicked (every row of a long list, where the page shows only the first few
        hundred: building it on every run would cost the page its speed).
    """
    from monitoring import tabular

    def contents(convert):
        if callable(frame):
            return lambda: convert(frame())
        return convert(frame)

    left, right = st.columns(2)
    left.download_button(
        "Download CSV",
        contents(tabular.to_csv_bytes),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
    )
    right.download_button(
        "Download Excel (XLSX)",
        contents(tabular.to_xlsx_bytes),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
    )


def as_at_caption(as_at: date) -> None:
    """A warning-style caption for a view reconstructed as at a past date."""
    st.info(
        f"Showing the records as they stood on {uk_date(as_at)}, reconstructed from dated "
        "history (status updates and approved target-date changes). Clear the sidebar's "
        "'As at' date to see the records now."
    )


def upload_limit_words() -> str:
    """Every upload's limit as the pages, the service and the README state it (case 22):
    ``"10 MB (10,000,000 bytes)"`` (:data:`monitoring.services.MAX_EVIDENCE_BYTES`)."""
    from monitoring import services

    return f"{services.MAX_EVIDENCE_MB} MB ({services.MAX_EVIDENCE_BYTES:,} bytes)"


UPLOAD_LIMIT = upload_limit_words()
"""``"10 MB (10,000,000 bytes)"``: see :func:`upload_limit_words`."""


def evidence_download(evidence) -> None:
    """A download button for a stored evidence file (case 17) whose bytes are read only when the
    signed-in reader clicks it, checked again then against the database
    (:func:`monitoring.files.read_evidence`: still active, allowed to see this action's
    evidence). Nothing is placed at a ``/media`` address when the page is drawn; Streamlit keeps
    the file it serves after the click until it next clears unused files (at the end of the
    second page run of any session after the click, or when the tab closes).

    :param evidence: an ``evidence`` row (``id``, ``title``, ``file_path``, ``content_type``).
    """
    from monitoring import files, services
    from monitoring.ui import data
    from monitoring.ui.text import md

    if is_missing(evidence.get("file_path")):
        return
    user = st.session_state.get("user") or {}
    engine = data.engine()
    email = user.get("email", "")
    evidence_id = int(evidence["id"])
    name = str(evidence["file_path"]).rsplit("/", 1)[-1].split("-", 1)[-1]
    kind = services.EVIDENCE_TYPES.get(name.rsplit(".", 1)[-1].lower())
    st.download_button(
        f"Download {md(evidence['title'])}",
        data=lambda: files.read_evidence(engine, email, evidence_id),
        file_name=name,
        mime=kind[0] if kind else "application/octet-stream",
        key=f"download_{evidence_id}",
        on_click="ignore",
    )
