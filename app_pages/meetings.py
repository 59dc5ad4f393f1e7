"""Meetings: record board meeting dates, and what changed between the last meeting and the next
(actions newly completed or overdue, target dates moved, status changes, new recommendations)."""

import streamlit as st

from monitoring import changes, reads, services
from monitoring.ui import data, session, tiles, widgets
from monitoring.ui.text import md

session.guard(__file__)

src = data.source()
today = data.today()
user = st.session_state["user"]
actor = services.Actor.from_user(user)

st.title("Meetings")
meetings = data.read(changes.meetings)

if services.can(actor, "record_meeting"):
    with st.form("new_meeting", clear_on_submit=True):
        st.subheader("Record a meeting")
        st.caption(changes.MEETING_DAY_NOTE)
        held_on = st.date_input("Meeting date", value=today, format="DD/MM/YYYY")
        title = st.text_input("Title", value="Partnership board")
        if st.form_submit_button("Record meeting", type="primary"):
            try:
                services.create_meeting(data.engine(), actor, held_on, title)
            except services.ServiceError as error:
                st.error(md(error))
            else:
                st.success(f"Meeting on {widgets.uk_date(held_on)} recorded.")
                meetings = data.read(changes.meetings)

if meetings.empty:
    st.info("No meetings recorded yet.")
    st.stop()

st.dataframe(
    meetings[["held_on", "title", "baseline_on"]],
    hide_index=True,
    width="stretch",
    column_config={
        "held_on": st.column_config.DateColumn("Held on", format="D MMM YYYY"),
        "title": "Meeting",
        "baseline_on": st.column_config.DateColumn("Previous meeting", format="D MMM YYYY"),
    },
)

st.subheader("Changes since the last meeting")
if src.as_at:
    st.caption(f"Up to the sidebar's 'As at' date, {widgets.uk_date(src.as_at)}.")
last = src.day  # the records read: today, or the 'As at' date
dates = sorted(d for d in meetings["held_on"] if d < last) or sorted(meetings["held_on"])
since = st.selectbox(
    "Since the meeting of", dates[::-1], format_func=widgets.uk_date, key="changes_since"
)
later = [d for d in dates if d > since]
options = [*later, *([last] if last > since and last not in later else [])]
until = st.selectbox("Up to", options or [since], format_func=widgets.uk_date, key="changes_until")
found = data.read(reads.changes_between, src, since, until)
st.caption(
    f"{len(found)} changes after {widgets.uk_date(since)} up to and including "
    f"{widgets.uk_date(until)}"
    + (
        "."
        if src.filters.is_empty()
        else ", of the actions and recommendations matching the filters."
    )
)
saved_after = changes.saved_after_warning(data.read(reads.saved_after_meeting, src, since), since)
if saved_after:
    st.warning(saved_after, icon=":material/schedule:")
if found.empty:
    st.info("Nothing changed between these dates.")
    st.stop()
counts = found["kind"].value_counts()
LIST = "meetings_list"  # the kind of change whose list the reader opened (None: every change)
columns = st.container(key="tiles_meetings").columns(len(changes.CHANGE_KINDS))
for column, kind in zip(columns, changes.CHANGE_KINDS, strict=True):
    tiles.counting_tile(
        column, changes.KIND_LABELS[kind], int(counts.get(kind, 0)), kind, state_key=LIST
    )
chosen = tiles.chosen(LIST)
if chosen in changes.KIND_LABELS:
    shown = found[found["kind"] == chosen]
    st.subheader(md(f"{changes.KIND_LABELS[chosen]}: {len(shown)}"))
    st.button(
        "Show every change",
        key=f"{LIST}_close",
        icon=":material/close:",
        on_click=tiles.choose,
        args=(LIST, None),
    )
else:
    shown = found
if shown.empty:
    st.info("No change of this kind between these dates.")
    st.stop()
st.dataframe(
    shown.drop(columns=["action_id", "recommendation_id"]).assign(
        kind=[changes.KIND_LABELS[k] for k in shown["kind"]]
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "kind": "Change",
        "review_ref": "Review",
        "number": "Number",
        "description": st.column_config.TextColumn("Action or recommendation", width="large"),
        "agency": "Lead agency",
        "detail": st.column_config.TextColumn("What changed", width="large"),
        "at": st.column_config.DateColumn("Date", format="D MMM YYYY"),
    },
)
