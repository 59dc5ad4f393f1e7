"""Actions: the actions matching the sidebar filters, by view (overdue, due soon, no target date,
stale), worst first: at most :data:`monitoring.ui.queue.QUEUE_ROWS` rows are sent to the browser
(cut in SQL), a Find box reaches the others, a caption says how many of how many are shown;
downloads of exactly the rows shown as CSV and Excel."""

import streamlit as st

from monitoring import config, reads, vocabulary
from monitoring.ui import data, queue, session, widgets

session.guard(__file__)

src = data.source()
today = src.day
limits = config.thresholds()

VIEWS = {
    "all": "All actions",
    "overdue": "Overdue",
    "due_soon": f"Due in the next {limits.due_soon_days} days",
    "no_due_date": "No target date",
    "stale": f"No update for more than {limits.stale_days} days",
}

st.title("Actions")
data.date_line(src)
view = st.radio("Show", list(VIEWS), format_func=VIEWS.get, horizontal=True, key="action_view")
find = st.text_input(
    "Find actions",
    key="actions_find",
    placeholder="Review, action number, description or agency",
).strip()
total = data.read(reads.action_count, src, view, find=find or None)
frame = data.read(
    reads.action_list, src, view, find=find or None, limit=queue.QUEUE_ROWS, worst_first=True
)
if frame.empty:
    st.info(
        "No actions match the filters and this view" + (f" and contain {find!r}." if find else ".")
    )
    st.stop()
if total > len(frame):
    st.caption(
        f"Showing {len(frame):,} of {total:,} actions, worst first (most days overdue): "
        "type in Find to reach the others."
    )
else:
    st.caption(f"{vocabulary.count_words(total, 'action')}.")
    st.caption("Worst first: most days overdue at the top.")

# The columns a board reads first (the key ones leftmost, in view on a 390 px phone), sized to
# fit a 1400 px window; the rest follow (scroll right).
BOARD = ["review_ref", "number", "RAG", "days_overdue", "description", "agency", "due_on", "status"]


def in_words(actions):
    """The list as the table shows it and the download holds it: codes as words, the board's
    columns first."""
    words = actions.drop(columns=["action_id", "rag"]).assign(
        status=widgets.status_words(actions["status"]),
        RAG=widgets.rag_words(actions["rag"], due_on=actions["due_on"], statuses=actions["status"]),
    )
    return words[[*BOARD, *(c for c in words.columns if c not in BOARD)]]


table = in_words(frame)
w = widgets.WIDTHS
widgets.action_table(
    table,
    # narrower than elsewhere to leave room for "Days overdue" (hover shows the whole text)
    widths={"description": w["description"] - 75, "agency": w["agency"] - 25},
    columns={
        "recommendation_number": "Recommendation",
        "lead_officer": "Lead officer",
        "original_due_on": st.column_config.DateColumn("Original target", format="D MMM YYYY"),
        "last_update_on": st.column_config.DateColumn("Last update", format="D MMM YYYY"),
    },
)
DOWNLOAD_NAMES = {
    "review_ref": "Review",
    "recommendation_number": "Recommendation",
    "number": "Action",
    "description": "Action description",
    "agency": "Lead agency",
    "lead_officer": "Lead officer",
    "original_due_on": "Original target date",
    "due_on": "Target date",
    "status": "Status",
    "days_overdue": "Days overdue",
    "last_update_on": "Last update",
}


def every_row():
    """The download: every action of the view and the Find text (the table shows the first
    few hundred), read when a button is clicked."""
    actions = data.read_uncached(reads.action_list, src, view, find=find or None, worst_first=True)
    return in_words(actions).rename(columns=DOWNLOAD_NAMES)


if total > len(frame):
    st.caption(f"The downloads hold all {total:,} actions, not only those shown.")
widgets.downloads(every_row, f"actions-{view}-{today.isoformat()}", key="actions")
