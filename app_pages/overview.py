"""Overview: how far the learning has got, what is overdue and where, at a glance.

Every figure comes from the one read path (:mod:`monitoring.reads`) for this run's records source
(:func:`monitoring.ui.data.source`): the records now (from the per-review roll-ups) or, with the
sidebar's "As at" date set, as they stood on that date; the sidebar's filters and the reader's
scope apply to all of it.
"""

from dataclasses import replace

import streamlit as st

from monitoring import charts, config, measures, reads, rollups, vocabulary
from monitoring.ui import data, session, text, tiles, widgets

session.guard(__file__)

src = data.source()
today = data.today()
limits = config.thresholds()
as_at = src.as_at

st.title("Overview")
data.date_line(src, rollups=True)

figures = data.read(reads.overview, src)
# The board tiles' counts and the overdue-by-agency chart's frame (both cached: read once a run)
board = data.read(reads.tile_counts, src)
by_agency = data.read(reads.overdue_by_agency, src)
# What to look at first, in words, from the very figures the tiles and the chart below show
text.show(
    vocabulary.overview_summary(
        figures,
        board["escalated"],
        by_agency,
        as_at=as_at,
        board_days=rollups.board_days_of(rollups.escalation_days()),
    )
)
LIST = "overview_list"  # which list the reader opened: a tile's kind, or "review:ID"/"agency:ID"
tile_rows = st.container(key="tiles_overview")  # two tiles a row on a phone (APP_CSS)
row1 = tile_rows.columns(4)
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
if src.filters.rag or src.filters.statuses:
    st.caption(
        "The RAG rating and action status filters choose actions: the action figures below count "
        "only those; the reviews, recommendations and shares above count every recommendation "
        "the other filters keep."
    )
# Every tile that counts something opens its list: (label, figure, list kind, help).
# The board's figures are counts over their lists' own selects (equal to the lists' lengths);
# a list is read only when the reader opens its tile (the counts are read above).
counting_rows = [
    [
        ("Open actions", figures.open_actions, "open", None),
        ("Overdue actions", figures.overdue, "overdue", "Open and past their target date."),
        (f"Due in the next {limits.due_soon_days} days", figures.due_soon, "due_soon", None),
        ("Open with no target date", figures.no_due_date, "no_due_date", None),
    ],
    # What the board is asked to act on: each figure is its list's length (the pack's lists).
    [
        (
            "Decisions needed",
            board["decisions"],
            "decisions",
            "Target dates to approve, escalated actions, recommendations to assure, responses to "
            "chase (as in the meeting pack).",
        ),
        (
            "Escalated to the board",
            board["escalated"],
            "escalated",
            "Overdue actions that reached the board's level of the reminder ladder.",
        ),
        (
            "Items awaiting assurance",
            board["for_assurance"],
            "for_assurance",
            "Actions reported completed and recommendations ready for assurance.",
        ),
        (
            "Recommendations completed, not assured",
            board["completed_not_assured"],
            "completed_not_assured",
            "Recommendations whose actions are all closed, at least one completed, that the "
            "board has not assured.",
        ),
        (
            f"No update for {limits.stale_days}+ days",
            figures.stale,
            "stale",
            f"Open actions with no progress update for more than {limits.stale_days} days.",
        ),
    ],
]
for row in counting_rows:
    for column, (label, figure, list_kind, explained) in zip(
        tile_rows.columns(len(row)), row, strict=True
    ):
        tiles.counting_tile(column, label, figure, list_kind, state_key=LIST, help=explained)
measure_counts = data.read(measures.overview_counts, as_at, src.filters, scope=src.scope)
# Measures are not read by viewers (published material only; the Measures page is not theirs).
if measure_counts.total and not src.scope.published_only:
    st.caption(
        f"Impact measures: {measure_counts.improving} improving, {measure_counts.concerning} "
        f"concerning, {measure_counts.no_change} no significant change (see Measures)."
    )

by_review = data.read(reads.rag_by_review, src)
kind, record = tiles.parse_choice(tiles.chosen(LIST))
if kind in reads.TILE_LISTS:
    tiles.list_table(
        reads.TILE_LISTS[kind],
        data.read(reads.tile_list, src, kind),
        state_key=LIST,
        empty="None, with these filters and this date.",
    )
elif kind == "review" and record in set(by_review["review_id"]):
    ref = by_review.loc[by_review["review_id"] == record, "ref"].iloc[0]
    tiles.list_table(
        f"Actions of review {ref}",
        data.read(
            reads.action_list, replace(src, filters=replace(src.filters, review_ids=(record,)))
        ),
        state_key=LIST,
        empty="No actions match the filters.",
    )
elif kind == "agency" and record in set(by_agency["agency_id"].dropna().astype(int)):
    name = by_agency.loc[by_agency["agency_id"] == record, "agency"].iloc[0]
    tiles.list_table(
        f"Overdue actions of {name}",
        data.read(
            reads.action_list,
            replace(src, filters=replace(src.filters, agency_ids=(record,))),
            "overdue",
        ),
        state_key=LIST,
        empty="No overdue actions.",
    )

# The two charts: (builder, read, what shows when empty, key, list kind a bar opens, caption)
CHARTS = (
    (
        charts.rag_by_review_chart,
        reads.rag_by_review,
        lambda: st.info("No actions match the filters."),
        "overview_rag_chart",
        "review",
        "Click a review's bar to list its actions.",
    ),
    (
        charts.overdue_by_agency_chart,
        reads.overdue_by_agency,
        lambda: st.success("No overdue actions."),
        "overview_agency_chart",
        "agency",
        "Click an agency's bar to list its overdue actions.",
    ),
)
for column, (builder, read, empty, key, kind, caption) in zip(st.columns(2), CHARTS, strict=True):
    with column:
        chart = data.figure(builder, read, src)
        if chart is None:
            empty()
        else:
            tiles.clickable_chart(
                chart,
                key,
                lambda key=key, kind=kind: tiles.chart_selection(key, LIST, kind),
                caption,
            )

top = data.read(reads.most_overdue, src, limit=10)
st.subheader(
    "The ten most overdue actions"
    if figures.overdue > 10
    else f"All {figures.overdue} overdue actions, most overdue first"
    if figures.overdue > 1
    else "The overdue action"
    if figures.overdue == 1
    else "Overdue actions"
)
if top.empty:
    st.success("No overdue actions.")
else:
    st.dataframe(
        # the key columns first: a phone (390 px) shows them without scrolling sideways
        top.assign(
            number=[
                vocabulary.action_ref(rec, number)
                for rec, number in zip(top["recommendation_number"], top["number"], strict=True)
            ]
        )[["review_ref", "number", "days_overdue", "description", "agency", "due_on"]],
        hide_index=True,
        width="stretch",
        # fixed widths for the key columns, so that on a 390 px phone "Days overdue" is whole
        # in view (a long review reference is cut: hover shows it)
        column_config={
            "review_ref": st.column_config.TextColumn("Review", width=widgets.WIDTHS["ref"]),
            "number": st.column_config.TextColumn("Action", width=widgets.WIDTHS["number"]),
            "description": st.column_config.TextColumn("Action description", width="large"),
            "agency": "Lead agency",
            "due_on": st.column_config.DateColumn("Target date", format="D MMM YYYY"),
            "days_overdue": st.column_config.NumberColumn(
                "Days overdue", width=widgets.WIDTHS["count"] + 25
            ),
        },
    )
