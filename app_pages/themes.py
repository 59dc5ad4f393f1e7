"""Themes and search: recommendations by theme across reviews (repeat learning flagged) and
full-text search over recommendation and action text."""

import streamlit as st

from monitoring import charts, reads, rules, vocabulary
from monitoring.ui import data, navigation, session, widgets
from monitoring.ui.text import md

session.guard(__file__)

src = data.source()

st.title("Themes and search")
if src.as_at:
    widgets.as_at_caption(src.as_at)
themes = data.read(reads.themes, src)
if themes.empty:
    st.info("No themed recommendations match the filters.")
else:
    repeats = themes[themes["repeat"]]
    if not repeats.empty:
        st.warning(
            "Repeat learning: "
            + "; ".join(
                f"{md(t)} ({n} reviews, {vocabulary.percent(p)})"
                for t, n, p in repeats[["theme", "reviews", "share_of_reviews"]].values
            )
        )
    st.caption(
        f"How repeat learning is flagged: {rules.repeat_learning_rule()}. "
        f"{vocabulary.count_words(len(repeats), 'theme')} of {len(themes)} flagged."
    )
    st.plotly_chart(charts.theme_chart(themes), width="stretch")
    st.dataframe(
        themes.drop(columns="theme_id").assign(
            repeat=["Yes: repeat learning" if r else "No" for r in themes["repeat"]],
            share_of_reviews=[vocabulary.percent(p) for p in themes["share_of_reviews"]],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "theme": "Theme",
            "recommendations": "Recommendations",
            "reviews": "Reviews",
            "share_of_reviews": st.column_config.TextColumn(
                "Share of reviews", help="Reviews with this theme, of the reviews shown"
            ),
            "review_refs": st.column_config.TextColumn("In reviews", width="large"),
            "repeat": "Repeat learning",
            "open_actions": "Open actions",
            "overdue": "Overdue actions",
        },
    )
    names = dict(zip(themes["theme_id"], themes["theme"], strict=True))
    theme_id = st.selectbox("Recommendations for theme", list(names), format_func=names.get)
    chosen = data.read(reads.theme_recommendations, src, int(theme_id))
    st.dataframe(
        chosen.drop(columns="recommendation_id").assign(
            response_status=[
                widgets.code_word("response_status", c) for c in chosen["response_status"]
            ],
            assurance_status=[
                widgets.code_word("assurance_status", c) for c in chosen["assurance_status"]
            ],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "review_ref": "Review",
            "number": "Recommendation",
            "title": st.column_config.TextColumn("Title", width="large"),
            "response_status": "Response",
            "assurance_status": "Assurance",
        },
    )

st.subheader("Search recommendations and actions")
query = st.text_input("Words to find", key="search_text", placeholder="e.g. online grooming")
if query.strip():
    hits = data.read(reads.search, src, query)
    st.caption(
        f"{vocabulary.count_words(len(hits), 'match', 'matches')} for “{md(query.strip())}”."
    )
    if not hits.empty:
        event = st.dataframe(
            hits.drop(columns=["item_id", "rank"]),
            hide_index=True,
            width="stretch",
            column_config={
                "kind": "Found in",
                "review_ref": "Review",
                "recommendation_number": "Recommendation",
                "number": "Number",
                "text": st.column_config.TextColumn("Text", width="large"),
            },
            key=f"search_hits_{query.strip().lower()}",
            on_select="rerun",
            selection_mode="single-row",
        )
        # a chosen result links to its item (issue 19)
        navigation.search_result_links(hits, event.selection.rows, src)
if not src.as_at:
    widgets.today_caption(src.today)
