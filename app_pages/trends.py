"""Trends: open, overdue and completed actions at each month end, overall and per review,
reconstructed from dated history in one pass (:func:`monitoring.reads.trend`,
:mod:`monitoring.trends`)."""

import pandas as pd
import streamlit as st

from monitoring import asat, charts, reads
from monitoring.ui import data, session, widgets

session.guard(__file__)

src = data.source()

st.title("Trends")
if src.as_at:
    widgets.as_at_caption(src.as_at)
months = st.select_slider("Months shown", options=[6, 12, 18, 24], value=12, key="trend_months")
frame = data.read(reads.trend, src, months)
totals = frame[frame["ref"] == asat.ALL_REVIEWS]
st.plotly_chart(
    charts.trend_chart(totals, "Actions over time, all reviews matching the filters"),
    width="stretch",
)
refs = [r for r in dict.fromkeys(frame["ref"]) if r != asat.ALL_REVIEWS]
ref = st.selectbox("One review", refs, key="trend_review") if refs else None
if ref:
    one = frame[frame["ref"] == ref]
    st.plotly_chart(
        charts.trend_chart(one, f"Actions over time, {charts.chart_text(ref)}"), width="stretch"
    )

st.subheader("The figures")
COUNTS = ("open", "overdue", "completed")
# points before anything was recorded read "—" (then the column is text), never 0
gaps = frame[list(COUNTS)].isna().any().any()
not_recorded = {
    c: ["—" if pd.isna(v) else f"{v:,}" for v in frame[c]] if gaps else frame[c].astype(int)
    for c in COUNTS
}
st.dataframe(
    frame.drop(columns="review_id").assign(
        as_at=[widgets.uk_date(d) for d in frame["as_at"]], **not_recorded
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "as_at": "Month end",
        "ref": "Review",
        "open": "Open",
        "overdue": "Overdue",
        "completed": "Completed or assured",
    },
)
st.caption(
    "A review appears from its first known record (its report date, or the first dated entry "
    "of its tracker); before that it is not recorded. — : nothing recorded by that date."
)
if not src.as_at:
    widgets.today_caption(src.today)
