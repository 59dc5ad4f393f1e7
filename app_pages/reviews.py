"""Reviews: the register (how far each review has got) and a drill-down to one review's
recommendations and actions."""

import streamlit as st

from monitoring import charts, measures, reads, vocabulary
from monitoring.ui import data, navigation, session, tiles, widgets
from monitoring.ui.text import cell_text, md

session.guard(__file__)

src = data.source()

st.title("Reviews")
data.date_line(src)

register = data.read(reads.review_register, src)
if register.empty:
    st.info("No reviews match the filters.")
    st.stop()

tiles.clickable_chart(
    charts.review_progress_chart(register),
    "reviews_chart",
    lambda: tiles.chart_picks("reviews_chart", "review_detail", set(register["review_id"])),
)
if len(register) > charts.MAX_REVIEWS_CHARTED:
    st.caption(
        f"The chart draws the {charts.MAX_REVIEWS_CHARTED} reviews with the most overdue actions, "
        f"then the least implemented; the table below lists all {len(register):,}."
    )
Number = st.column_config.NumberColumn
st.dataframe(
    register.drop(columns="review_id"),
    hide_index=True,
    width="stretch",
    placeholder=widgets.MISSING,
    column_config={  # every column fits a 1400 px window
        "ref": st.column_config.TextColumn("Review", width=140),
        "title": st.column_config.TextColumn("Title", width=230),
        "review_type": st.column_config.TextColumn("Type", width=65),
        "published_on": st.column_config.DateColumn("Published", format="D MMM YYYY", width=100),
        "recommendations": Number("Recommendations", width=125),
        "pct_implemented": Number("% implemented", format="%.0f%%", width=110),
        "pct_assured": Number("% assured", format="%.0f%%", width=90),
        "overdue": Number("Overdue", width=70, help="Overdue actions"),
    },
)

st.subheader("One review in detail")
titles = dict(zip(register["review_id"], register["ref"] + " – " + register["title"], strict=True))
# A link such as /reviews?show_review=3&recommendation=12 (a search result's) opens that review with
# that recommendation open, once: the reader may then choose another review.
linked = navigation.linked_record(
    "show_review", lambda i: i in titles, "review (with these filters)"
)
linked_rec = navigation.parse_record_id(st.query_params.get("recommendation"))
if linked and st.session_state.get("review_link") != (linked, linked_rec):
    st.session_state["review_link"] = (linked, linked_rec)
    st.session_state["review_detail"] = linked
review_id = st.selectbox("Review", list(titles), format_func=titles.get, key="review_detail")
detail = data.read(reads.review_detail, src, int(review_id))
measure_rows = data.read(measures.summaries, src.as_at, scope=src.scope)
measure_rows = measure_rows[measure_rows["review_id"] == int(review_id)]
for _rec_id, rows in detail.groupby("recommendation_id", sort=False):
    first = rows.iloc[0]
    implementation = vocabulary.IMPLEMENTATION_LABELS[first["implementation"]]
    title = cell_text(first["recommendation_title"])  # none: NaN through pandas, not "nan"
    heading = f"{first['recommendation_number']}. {title}".rstrip(" ")
    opened = linked == int(review_id) and linked_rec == int(first["recommendation_id"])
    with st.expander(md(f"{heading} — {implementation}"), expanded=opened):
        st.markdown(
            f"**Response:** {widgets.code_word('response_status', first['response_status'])} · "
            f"**Assurance:** {widgets.code_word('assurance_status', first['assurance_status'])}"
            + (" · **National dependency** (escalated)" if first["national_dependency"] else "")
        )
        own = measure_rows[measure_rows["recommendation_id"] == first["recommendation_id"]]
        if not own.empty:  # measure names came from people: plain text
            shown = measures.display_table(own)
            st.text(
                "Measures (latest value; variation; assurance):\n"
                + "\n".join(
                    "{}: {}; {}; {}".format(*values)
                    for values in shown[
                        ["Measure", "Latest value", "Variation", "Assurance"]
                    ].itertuples(index=False)
                )
            )
        actions = rows.dropna(subset=["action_id"])
        if actions.empty:
            st.warning("No actions yet: this recommendation needs actions (a data-quality flag).")
            continue
        table = actions[["action_number", "description", "agency", "due_on"]].copy()
        table["Status"] = widgets.status_words(actions["status"])
        table["RAG"] = widgets.rag_words(
            actions["rag"],
            actions["rag_overridden"],
            due_on=actions["due_on"],
            statuses=actions["status"],
        )
        table["Last update"] = [widgets.uk_date(d) for d in actions["last_update_on"]]
        if "last_update_note" in actions:  # left out for a reader who may not read notes
            table["Latest note"] = actions["last_update_note"]
        # the board's columns fit a 1400 px window; the latest note follows
        widgets.action_table(
            table,
            widths={"RAG": widgets.WIDTHS["rag"] + 40},
            columns={
                "Last update": st.column_config.TextColumn(
                    "Last update", width=widgets.WIDTHS["date"]
                ),
                "Latest note": st.column_config.TextColumn("Latest note", width="large"),
            },
        )
