"""Overview: how far the learning has got, what is overdue and where, at a glance.

The figures come from the per-review roll-ups (:mod:`monitoring.rollups`), which every write keeps
up to date. With the sidebar's "As at" date set, the tiles and the overdue-by-agency chart show the records as
they stood on that date (reconstructed from dated history by :mod:`monitoring.asat`).
"""

import streamlit as st

from monitoring import asat, charts, config, measures, queries, rollups
from monitoring.ui import data, filters, session, widgets

session.guard(__file__)

today = data.today()
current = filters.current()
limits = config.thresholds()
as_at = current.as_at

st.title("Overview")
if as_at:
    widgets.as_at_caption(as_at)
else:
    widgets.today_caption(today)

if not as_at:
    data.keep_rollups_fresh(today, limits)
figures = data.read(
    asat.overview_as_at if as_at else rollups.overview_figures,
    as_at or today,
    current,
    window_days=limits.due_soon_days,
    stale_days=limits.stale_days,
)
row1 = st.columns(4)
widgets.tile(row1[0], "Reviews", figures.reviews)
widgets.tile(row1[1], "Recommendations", figures.recommendations)
widgets.tile(
    row1[2],
    "Implemented",
    widgets.percent(figures.pct_implemented),
    help="Share of recommendations whose actions are all closed.",
)
widgets.tile(
    row1[3],
    "Assured",
    widgets.percent(figures.pct_assured),
    help="Share of recommendations the board has seen evidence for (practice changed).",
)
row2 = st.columns(4)
widgets.tile(row2[0], "Open actions", figures.open_actions)
widgets.tile(row2[1], "Overdue actions", figures.overdue, help="Open and past their target date.")
widgets.tile(row2[2], f"Due in the next {limits.due_soon_days} days", figures.due_soon)
widgets.tile(row2[3], "Open with no target date", figures.no_due_date)
measure_counts = data.read(measures.overview_counts, as_at, current)
if measure_counts.total:
    st.caption(
        f"Impact measures: {measure_counts.improving} improving, {measure_counts.concerning} "
        f"concerning, {measure_counts.no_change} no significant change (see Measures)."
    )

if as_at:
    frame = data.read(asat.agency_scorecard_as_at, as_at, current)
    frame = frame[frame["overdue"] > 0]
    if frame.empty:
        st.success("No overdue actions on that date.")
    else:
        title = f"Overdue actions by lead agency on {widgets.uk_date(as_at)}"
        st.plotly_chart(charts.overdue_by_agency_chart(frame, title), width="stretch")
    st.stop()

left, right = st.columns(2)
with left:
    chart = data.figure(
        charts.rag_by_review_chart,
        rollups.rag_by_review,
        today,
        current,
        window_days=limits.due_soon_days,
    )
    if chart is None:
        st.info("No actions match the filters.")
    else:
        st.plotly_chart(chart, width="stretch")
with right:
    chart = data.figure(charts.overdue_by_agency_chart, rollups.overdue_by_agency, today, current)
    if chart is None:
        st.success("No overdue actions.")
    else:
        st.plotly_chart(chart, width="stretch")

st.subheader("The ten most overdue actions")
top = data.read(queries.most_overdue_actions, today, current, limit=10)
if top.empty:
    st.success("No overdue actions.")
else:
    st.dataframe(
        top[["review_ref", "number", "description", "agency", "due_on", "days_overdue"]],
        hide_index=True,
        width="stretch",
        column_config={
            "review_ref": "Review",
            "number": "Action",
            "description": st.column_config.TextColumn("Action description", width="large"),
            "agency": "Lead agency",
            "due_on": st.column_config.DateColumn("Target date", format="D MMM YYYY"),
            "days_overdue": st.column_config.NumberColumn("Days overdue"),
        },
    )
