"""Agencies: the accountability scorecard (DESIGN §4), worst first, as a sortable table and a chart,
with a drill-down to one agency's actions. Shown as at a past date when the sidebar's "As at" date
is set."""

from dataclasses import replace

import streamlit as st

from monitoring import charts, queries, reads
from monitoring.ui import data, queue, session, tiles, widgets

session.guard(__file__)

src = data.source()
as_at = src.as_at

st.title("Agencies")
# The scorecard is read from the per-review roll-ups (reads.scorecard); if this is the day's
# first view and most are stale, they are recounted first (once, as the overview does).
data.date_line(src, rollups=True)
scorecard = data.read(reads.scorecard, src)

if scorecard.empty:
    st.info("No actions match the filters.")
    st.stop()

table = scorecard.drop(columns="agency_id").copy()
table["last_update_on"] = [
    f"No update received since {widgets.uk_date(d)}" if d else "No update received"
    for d in scorecard["last_update_on"]
]
# The scorecard's figures fit a 1400 px window; the latest update's wording follows (scroll right).
table = table[[c for c in table.columns if c != "last_update_on"] + ["last_update_on"]]
Number = st.column_config.NumberColumn
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    placeholder=widgets.MISSING,
    column_config={
        "agency": st.column_config.TextColumn("Lead agency", width=175),
        "actions": Number("Actions", width=65),
        "open": Number("Open", width=60),
        "overdue": Number("Overdue", width=70),
        "overdue_90": Number("Overdue 90+", width=95, help="Overdue by more than 90 days"),
        "completed": Number("Completed", width=85, help="Completed or assured"),
        "on_time_pct": Number(
            "On time", format="%.0f%%", width=75, help="Completed by the original target date"
        ),
        "median_days_overdue": Number(
            "Median overdue", width=115, help="Median days overdue of the overdue actions"
        ),
        "date_changes": Number("Dates moved", width=90, help="Target dates moved (approved)"),
        "days_since_update": Number("Since update", width=100, help="Days since the latest update"),
        "last_update_on": st.column_config.TextColumn("Latest update", width="medium"),
    },
)
# every row a choice, "Lead agency not recorded" too (its id is queries.NO_AGENCY_ID, which the
# agency filter reads as "no lead agency"), so each row's table lists the actions it counts
names = {int(i): name for i, name in zip(scorecard["agency_id"], scorecard["agency"], strict=True)}
overdue = scorecard[scorecard["overdue"] > 0]
if overdue.empty:
    st.success("No overdue actions.")
else:
    tiles.clickable_chart(
        charts.agency_scorecard_chart(overdue),
        "agencies_chart",
        lambda: tiles.chart_picks("agencies_chart", "agency_detail", names),
        "Click an agency's bar to list its actions below, overdue first.",
    )

st.subheader("One agency's actions")
if st.session_state.pop(tiles.unnamed_pick_key("agency_detail"), False):
    st.info(
        "That bar stands for many agencies, not one: choose an agency in the list below.",
        icon=":material/info:",
    )
agency_id = st.selectbox("Lead agency", list(names), format_func=names.get, key="agency_detail")
st.caption(
    "The actions as they stood on the 'As at' date (filters apply)."
    if as_at
    else "The actions as they are now (filters apply)."
)
if agency_id == queries.NO_AGENCY_ID:
    st.caption(
        "These actions have no lead agency recorded (the source left it empty or redacted it): "
        "the board may wish to ask who leads them."
    )
chosen = replace(src, filters=replace(src.filters, agency_ids=(agency_id,)))
actions = data.read(reads.action_list, chosen, limit=queue.QUEUE_ROWS, worst_first=True)
total = data.read(reads.action_count, chosen)
if total > len(actions):
    st.caption(
        f"Showing {len(actions):,} of {total:,} actions, worst first: the Actions page finds the others."
    )
# the most overdue first (then by review, as read)
actions = actions.sort_values("days_overdue", ascending=False, kind="stable")
actions = actions.assign(
    RAG=widgets.rag_words(actions["rag"], due_on=actions["due_on"], statuses=actions["status"]),
    status=widgets.status_words(actions["status"]),
)
w = widgets.WIDTHS
widgets.action_table(
    actions[["review_ref", "number", "description", "due_on", "status", "RAG", "days_overdue"]],
    widths={"description": w["description"] + w["agency"] - w["count"] - 15},
)
