"""Overview: how far the learning has got, what is overdue and where, at a glance.

Every figure comes from the one read path (:mod:`monitoring.reads`) for this run's records source
(:func:`monitoring.ui.data.source`): the records now (from the per-review roll-ups) or, with the
sidebar's "As at" date set, as they stood on that date; the sidebar's filters and the reader's
scope apply to all of it.
"""

import streamlit as st

from monitoring import charts, config, measures, reads
from monitoring.ui import data, session, widgets

session.guard(__file__)

src = data.source()
today = data.today()
limits = config.thresholds()
as_at = src.as_at

st.title("Overview")
if as_at:
    widgets.as_at_caption(as_at)
else:
    widgets.today_caption(today)
    data.keep_rollups_fresh(today, limits)

figures = data.read(reads.overview, src)
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
measure_counts = data.read(measures.overview_counts, as_at, src.filters, scope=src.scope)
# Measures are not read by viewers (published material only; the Measures page is not theirs).
if measure_counts.total and not src.scope.published_only:
    st.caption(
        f"Impact measures: {measure_counts.improving} improving, {measure_counts.concerning} "
        f"concerning, {measure_counts.no_change} no significant change (see Measures)."
    )

left, right = st.columns(2)
with left:
    chart = data.figure(charts.rag_by_review_chart, reads.rag_by_review, src)
    if chart is None:
        st.info("No actions match the filters.")
    else:
        st.plotly_chart(chart, width="stretch")
with right:
    chart = data.figure(charts.overdue_by_agency_chart, reads.overdue_by_agency, src)
    if chart is None:
        st.success("No overdue actions.")
    else:
        st.plotly_chart(chart, width="stretch")

st.subheader("The ten most overdue actions")
top = data.read(reads.most_overdue, src, limit=10)
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
