"""Agencies: the accountability scorecard (DESIGN §4), worst first, as a sortable table and a chart,
with a drill-down to one agency's actions. Shown as at a past date when the sidebar's "As at" date
is set."""

from dataclasses import replace

import streamlit as st

from monitoring import asat, charts, queries
from monitoring.ui import data, filters, session, widgets

session.guard(__file__)

today = data.today()
current = filters.current()
as_at = current.as_at

st.title("Agencies")
if as_at:
    widgets.as_at_caption(as_at)
    scorecard = data.read(asat.agency_scorecard_as_at, as_at, current)
else:
    widgets.today_caption(today)
    scorecard = data.read(queries.agency_scorecard, today, current)

if scorecard.empty:
    st.info("No actions match the filters.")
    st.stop()

table = scorecard.drop(columns="agency_id").copy()
table["last_update_on"] = [
    f"No update received since {widgets.uk_date(d)}" if d else "No update received"
    for d in scorecard["last_update_on"]
]
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "agency": st.column_config.TextColumn("Lead agency", width="medium"),
        "actions": "Actions",
        "open": "Open",
        "overdue": "Overdue",
        "overdue_90": "Overdue > 90 days",
        "completed": "Completed or assured",
        "on_time_pct": st.column_config.NumberColumn("On time %", format="%.0f%%"),
        "median_days_overdue": st.column_config.NumberColumn("Median days overdue"),
        "date_changes": "Target dates moved",
        "last_update_on": st.column_config.TextColumn("Latest update", width="medium"),
        "days_since_update": st.column_config.NumberColumn("Days since update"),
    },
)
overdue = scorecard[scorecard["overdue"] > 0]
if overdue.empty:
    st.success("No overdue actions.")
else:
    st.plotly_chart(charts.agency_scorecard_chart(overdue), width="stretch")

st.subheader("One agency's actions")
names = dict(zip(scorecard["agency_id"], scorecard["agency"], strict=True))
agency_id = st.selectbox("Lead agency", list(names), format_func=names.get, key="agency_detail")
st.caption("The actions as they are now (filters apply).")
chosen = replace(current, agency_ids=(agency_id,), as_at=None)
actions = data.read(queries.action_list, today, chosen)
actions = actions.assign(
    RAG=widgets.rag_words(actions["rag"]), status=widgets.status_words(actions["status"])
)
st.dataframe(
    widgets.rag_styled(
        actions[["review_ref", "number", "description", "due_on", "status", "RAG", "days_overdue"]]
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "review_ref": "Review",
        "number": "Action",
        "description": st.column_config.TextColumn("Action description", width="large"),
        "due_on": st.column_config.DateColumn("Target date", format="D MMM YYYY"),
        "status": "Status",
        "days_overdue": "Days overdue",
    },
)
