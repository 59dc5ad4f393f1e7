"""Shared display pieces: RAG badges (word plus colour), tiles, date formats, and the words shown
for stored codes (statuses, assurance, decisions), with "—" for a missing value."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from monitoring import rules


def rag_badge(code: str, overridden: bool = False) -> str:
    """Markdown for a RAG badge: the board's word on its colour (never colour alone)."""
    label = rules.rag_labels().get(code, code)
    if overridden:
        label += " (overridden)"
    colour = {"red": "red", "amber": "orange", "green": "green", "blue": "blue", "grey": "gray"}[
        code
    ]
    return f":{colour}-background[{label}]"


def rag_word(code: str) -> str:
    """The board's word for a RAG code, for tables."""
    return rules.rag_labels().get(code, code)


def uk_date(value: date | str | None) -> str:
    """A date as ``d MMM yyyy`` (e.g. ``3 Jun 2026``); an empty string for none. A stored UTC
    timestamp is shown as its Europe/London date (:func:`monitoring.rules.london_day`, case 09)."""
    if value is None or (not isinstance(value, (str, date)) and pd.isna(value)) or not value:
        return ""
    if isinstance(value, str):
        value = rules.london_day(value)
    return f"{value.day} {value:%b %Y}"


MISSING = "—"
"""Shown for a missing value (never "None" or "nan")."""


def originally(due_on: date | str | None, original_due_on: date | str | None) -> str:
    """`` (originally 9 Jul 2026)`` after a target date that has moved from its original; an
    empty string when the dates are the same or there was no original date."""
    then = uk_date(original_due_on)
    return f" (originally {then})" if then and then != uk_date(due_on) else ""


def is_missing(value) -> bool:
    """True for None, NaN/NA and blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def text_or_dash(value) -> str:
    """``value`` as text, or :data:`MISSING` when it is missing."""
    return MISSING if is_missing(value) else str(value)


def uk_date_time(value: str | None) -> str:
    """A stored UTC ISO timestamp as UK time, ``d MMM yyyy HH:MM`` (e.g. ``3 Jun 2026 15:05``
    for ``2026-06-03T14:05:00+00:00``, British Summer Time); "—" for none (case 09)."""
    if is_missing(value):
        return MISSING
    text = str(value)
    if len(text) <= 10:
        return uk_date(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=rules.UTC)
    moment = moment.astimezone(rules.LONDON)
    return f"{uk_date(moment.date())} {moment:%H:%M}"


DECISION_LABELS = {
    "pending": "Waiting for a decision",
    "approved": "Approved",
    "rejected": "Rejected",
}
"""Words for ``due_date_change.decision``."""


def code_labels() -> dict[str, dict[str, str]]:
    """The words for each stored code, by field: action ``status`` (rules.STATUS_LABELS),
    ``assurance_status`` and ``response_status`` (the public register's words,
    monitoring.exports.public), ``rag`` / ``rag_override`` (the board's RAG words) and a target-date
    change's ``decision``."""
    from monitoring.exports.public import ASSURANCE_LABELS, RESPONSE_LABELS

    rag = rules.rag_labels()
    return {
        "status": rules.STATUS_LABELS,
        "assurance_status": ASSURANCE_LABELS,
        "response_status": RESPONSE_LABELS,
        "rag": rag,
        "rag_override": rag,
        "decision": DECISION_LABELS,
        "implementation": rules.IMPLEMENTATION_LABELS,
    }


def code_word(field: str, code) -> str:
    """The word shown for a stored ``code`` of ``field`` (e.g. ``status``, ``in_progress`` →
    "In progress"); "—" when missing; an unknown code is shown with spaces for underscores."""
    if is_missing(code):
        return MISSING
    words = code_labels().get(field, {})
    return words.get(str(code), str(code).replace("_", " "))


ENTITY_LABELS = {
    "action": "Action",
    "recommendation": "Recommendation",
    "review": "Review",
    "evidence": "Evidence",
    "due_date_change": "Target-date change",
    "meeting_decision": "Meeting decision",
    "agency": "Agency",
    "app_user": "Account",
    "agency_alias": "Agency name (merged or alias)",
    "meeting": "Meeting",
    "measure": "Measure",
    "measure_observation": "Measure value",
    "feedback": "Feedback from children and families",
}
"""Words for ``audit_log.entity``."""

FIELD_LABELS = {
    "status": "Status",
    "assurance_status": "Assurance",
    "response_status": "Response",
    "assurance_note": "Assurance note",
    "progress_note": "Progress note",
    "due_on": "Target date",
    "original_due_on": "Original target date",
    "requested_due_on": "Requested target date",
    "old_due_on": "Target date from",
    "new_due_on": "Target date to",
    "due_date_changes": "Target-date changes approved",
    "completed_on": "Completed on",
    "closure_reason": "Reason for closing",
    "decision": "Decision",
    "decided_by": "Decided by",
    "reason": "Reason",
    "evidence": "Evidence",
    "title": "Title",
    "url": "Link",
    "action_id": "Action",
    "version": "Record version",
    "rag_override": "RAG (overridden)",
    "lead_agency_id": "Lead agency",
    "description": "Description",
    "success_measure": "Success measure",
    "via": "Received as",
    "merged": "Agencies merged",
    "merge_undone": "Merge undone",
    "assured_on_measure": "Assured on the measure",
}
"""Words for ``audit_log.field``; other fields are shown with spaces for underscores."""

DATE_FIELDS = frozenset(
    {"due_on", "original_due_on", "requested_due_on", "old_due_on", "new_due_on", "completed_on"}
)
"""Audited fields holding an ISO date, shown as ``d MMM yyyy``."""


def value_word(field: str, value) -> str:
    """An audited value as a user reads it: a code's word, a date as ``d MMM yyyy``, "—" when
    missing (the audit log stores text, None for "no value")."""
    if is_missing(value):
        return MISSING
    if field in code_labels():
        return code_word(field, value)
    if field in DATE_FIELDS:
        try:
            return uk_date(str(value))
        except ValueError:
            return str(value)
    return str(value)


HIDDEN_AUDIT_FIELDS = frozenset({"version"})
"""Audited fields kept in the log but not shown: the record version is the edit-conflict check's
counter, not something a board member or lead changed."""


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
            "When (UK time)": [uk_date_time(v) for v in trail["at"]],
            "Who": [text_or_dash(v) for v in trail["actor"]],
            "Record": [ENTITY_LABELS.get(e, str(e).replace("_", " ")) for e in trail["entity"]],
            "What": [FIELD_LABELS.get(f, str(f).replace("_", " ").capitalize()) for f in fields],
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


def percent(value: float | None) -> str:
    """A percentage for a tile: ``"42.5%"``, or an em dash when there is nothing to divide."""
    return "—" if value is None else f"{value:.0f}%"


def tile(column, label: str, value, help: str | None = None) -> None:
    """One bordered metric tile in ``column``."""
    column.metric(label, value, help=help, border=True)


def today_caption(today: date) -> None:
    """A caption saying which date the figures are calculated for."""
    st.caption(f"Figures as at {uk_date(today)}.")


def rag_words(codes, overridden=None) -> list[str]:
    """The board's RAG words for a column of codes ("Red (overridden)" where ``overridden``)."""
    labels = rules.rag_labels()
    flags = list(overridden) if overridden is not None else [False] * len(list(codes))
    return [
        "" if not isinstance(c, str) else labels.get(c, c) + (" (overridden)" if f is True else "")
        for c, f in zip(codes, flags, strict=False)
    ]


def status_words(codes) -> list[str]:
    """Action status labels for a column of status codes."""
    return [rules.STATUS_LABELS.get(c, c) if isinstance(c, str) else "" for c in codes]


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
    for code, word in rules.rag_labels().items():
        by_word[word] = rules.RAG_COLOURS[code]
        by_word[f"{word} (overridden)"] = rules.RAG_COLOURS[code]

    def colour(value):
        hex_colour = by_word.get(value)
        return f"background-color: {hex_colour}; color: #ffffff" if hex_colour else ""

    return frame.style.map(colour, subset=[column])


def downloads(frame, name: str, key: str) -> None:
    """CSV and XLSX download buttons for exactly the rows and columns of ``frame`` (text cells
    that a spreadsheet could run as formulas are neutralised, :mod:`monitoring.tabular`)."""
    from monitoring import tabular

    left, right = st.columns(2)
    left.download_button(
        "Download CSV",
        tabular.to_csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
    )
    right.download_button(
        "Download Excel (XLSX)",
        tabular.to_xlsx_bytes(frame),
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
