"""Counting tiles that open their list, and charts whose bars open theirs (issue 19).

A page draws a tile with :func:`counting_tile`: the figure, and under it a "Show the list" button;
a click (or a click on a chart bar, :func:`chart_selection`) records which list to show in the
page's session-state key, and :func:`chosen` reads it back on the rerun. The page reads the list
through the one read path with the same records source as the tile
(:func:`monitoring.reads.tile_list`), so the list's length is the tile's figure, and shows it with
:func:`list_table`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from monitoring import charts, queries
from monitoring.ui import widgets
from monitoring.ui.text import md


def counting_tile(column, label: str, value, choice: str, *, state_key: str, help=None) -> None:
    """A bordered metric tile in ``column`` and, under it, a button that opens its list (sets
    ``st.session_state[state_key] = choice``)."""
    column.metric(label, value, help=help, border=True)
    column.button(
        "Show the list",
        key=f"{state_key}_{choice}",
        type="tertiary",
        icon=":material/list:",
        help=f"{label}: show the list below the tiles",
        on_click=choose,
        args=(state_key, choice),
    )


def choose(state_key: str, choice: str | None) -> None:
    """Show the list ``choice`` (None: no list) on the page that keeps it in ``state_key``."""
    st.session_state[state_key] = choice


def chosen(state_key: str) -> str | None:
    """The list the reader asked for on this page, or None."""
    value = st.session_state.get(state_key)
    return value if isinstance(value, str) and value else None


def chart_selection(chart_key: str, state_key: str, prefix: str) -> None:
    """The ``on_select`` callback of a chart whose bars carry record ids (:func:`charts.selected_id`):
    a click on a bar shows the list ``"{prefix}:{id}"`` (e.g. ``review:3``); a click on a bar
    that names no record (an "all others" bar) changes nothing."""
    record_id = _picked_id(st.session_state.get(chart_key))
    if record_id is not None:
        st.session_state[state_key] = f"{prefix}:{record_id}"


def clickable_chart(chart, key: str, on_select, caption: str | None = None) -> None:
    """Draw the plotly ``chart`` full width with the pages' chart settings; a click on a bar calls
    ``on_select`` (e.g. :func:`chart_selection`, :func:`chart_picks`); ``caption`` says so."""
    st.plotly_chart(
        chart,
        width="stretch",
        key=key,
        on_select=on_select,
        selection_mode="points",
        config=charts.PAGE_CONFIG,
    )
    if caption:
        st.caption(caption)


def chart_picks(chart_key: str, widget_key: str, allowed) -> None:
    """The ``on_select`` callback of a chart whose bars carry record ids, beside a select box
    (``widget_key``) of those records: a click on a bar chooses its record in the box when it is
    one of ``allowed``."""
    event = st.session_state.get(chart_key)
    record_id = _picked_id(event)
    if record_id is not None and record_id in allowed:
        st.session_state[widget_key] = record_id
        st.session_state.pop(unnamed_pick_key(widget_key), None)
    elif record_id is None and (event or {}).get("selection", {}).get("points"):
        # a bar that names no one record ("All other N agencies"): say so, rather than leave
        # the previous choice standing as if it were the answer
        st.session_state[unnamed_pick_key(widget_key)] = True


def _picked_id(event) -> int | None:
    """:func:`charts.selected_id`, or :data:`queries.NO_AGENCY_ID` for the "Lead agency not
    recorded" bar (whose id the read models give as that number, which selected_id passes over)."""
    record_id = charts.selected_id(event)
    if record_id is not None:
        return record_id
    try:
        points = event["selection"]["points"] or ()
    except (KeyError, TypeError):
        return None
    for point in points:
        value = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and value == queries.NO_AGENCY_ID
        ):
            return queries.NO_AGENCY_ID
    return None


def unnamed_pick_key(widget_key: str) -> str:
    """Session key set when the last bar clicked for ``widget_key`` names no one record (an "all
    others" bar): the page says to choose one in the list, and clears it (pop) when shown."""
    return f"{widget_key}_unnamed_pick"


def parse_choice(choice: str | None) -> tuple[str | None, int | None]:
    """``"review:3"`` → ``("review", 3)``; ``"overdue"`` → ``("overdue", None)``; None →
    ``(None, None)``; a malformed id gives ``(kind, None)``."""
    if not choice:
        return None, None
    kind, _, raw = choice.partition(":")
    if not raw:
        return kind, None
    return kind, int(raw) if raw.isascii() and raw.isdigit() else None


LABELS = {
    "review_ref": ("Review", 95),
    "recommendation_number": ("Recommendation", 60),
    "number": ("Number", 65),
    "item": ("Item", 120),
    "decision": ("Decision needed", 220),
    "kind": ("What", 200),
    "title": ("Title", 300),
    "description": ("Description", 280),
    "agency": ("Lead agency", 150),
    "due_on": ("Target date", 100),
    "status": ("Status", 100),
    "RAG": ("RAG", 90),
    "days_overdue": ("Days overdue", 95),
    "level_name": ("Escalation", 200),
    "reached_on": ("Escalated on", 100),
    "since": ("Completed on", 100),
    "detail": ("Detail", 260),
    "assurance_status": ("Assurance", 150),
    "actions": ("Actions", 70),
}
"""The columns a tile's list shows, in this order, with their headings and widths (px); the key
columns (review, number, title or description, RAG, days overdue) come first, so a phone keeps
them."""

_ORDER = [
    "review_ref",
    "number",
    "item",
    "RAG",
    "days_overdue",
    "decision",
    "kind",
    "title",
    "description",
    "agency",
    "due_on",
    "status",
    "level_name",
    "reached_on",
    "since",
    "detail",
    "assurance_status",
    "actions",
]


def display(frame: pd.DataFrame) -> pd.DataFrame:
    """A tile's list in words: status, RAG and assurance codes as the board's words, the columns
    of :data:`LABELS` that it has in their order (ids and other columns left out)."""
    shown = frame.copy()
    if "rag" in shown:
        shown["RAG"] = widgets.rag_words(shown["rag"])
    if "status" in shown:
        shown["status"] = widgets.status_words(shown["status"])
    if "assurance_status" in shown:
        shown["assurance_status"] = [
            widgets.code_word("assurance_status", c) for c in shown["assurance_status"]
        ]
    return shown[[c for c in _ORDER if c in shown]]


def list_table(title: str, frame: pd.DataFrame, *, state_key: str, empty: str) -> None:
    """Show a tile's (or a bar's) list under ``title`` (plain text: it may hold a name from a
    file) with its row count, or ``empty`` when it has none, and a button that closes it."""
    st.subheader(md(f"{title}: {len(frame)}"))
    st.button(
        "Close the list",
        key=f"{state_key}_close",
        icon=":material/close:",
        on_click=choose,
        args=(state_key, None),
    )
    if frame.empty:
        st.info(empty)
        return
    shown = display(frame)
    styled = widgets.rag_styled(shown) if "RAG" in shown else shown
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        placeholder=widgets.MISSING,
        column_config={
            column: (
                st.column_config.DateColumn(LABELS[column][0], format="D MMM YYYY", width=w)
                if column in ("due_on", "reached_on", "since")
                else st.column_config.NumberColumn(LABELS[column][0], width=w)
                if column in ("days_overdue", "actions")
                else st.column_config.TextColumn(LABELS[column][0], width=w)
            )
            for column in shown.columns
            for w in [LABELS[column][1]]
        },
    )
