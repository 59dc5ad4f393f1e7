"""Lists for every tile that counts something (issue 19): a click on a counting tile of the
Overview opens its list, read through the one read path with the same records source, so the
list's length is the tile's figure, on the demo now and as at a past date, with and without an
agency filter; a click on a chart bar (simulated through the selection the chart would report)
opens the matching list."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from monitoring import changes, charts, reads
from monitoring.exports import pack
from monitoring.queries import Filters
from monitoring.source import Source
from monitoring.ui import tiles
from tests.conftest import ANCHOR, make_app

BOARD = "board@northbridge.example"
PAST = date(2026, 3, 30)  # the demo's March 2026 meeting

TILES = {  # tile label on the Overview -> the list it opens
    "Open actions": "open",
    "Overdue actions": "overdue",
    "Due in the next 30 days": "due_soon",
    "Open with no target date": "no_due_date",
    "No update for 90+ days": "stale",
    "Decisions needed": "decisions",
    "Escalated to the board": "escalated",
    "Items awaiting assurance": "for_assurance",
    "Recommendations completed, not assured": "completed_not_assured",
}


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(markdown: str) -> str:
    """A heading's words (the page escapes markdown: ``\\:``)."""
    return markdown.replace("\\", "")


def police(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("select id from agency where short_name = 'POL'")).scalar()


@pytest.mark.parametrize("as_at", [None, PAST], ids=["today", "as-at"])
@pytest.mark.parametrize("agency", [False, True], ids=["all", "police"])
def test_every_tile_opens_a_list_as_long_as_its_figure(as_at, agency, demo_engine, app_env):
    query = {}
    if agency:
        query["agency"] = str(police(demo_engine))
    if as_at:
        query["as_at"] = as_at.isoformat()
    at = ok(make_app(BOARD, page="app_pages/overview.py", query_params=query))
    figures = {m.label: m.value for m in at.metric}
    assert set(TILES) <= set(figures)
    seen_rows = 0
    for label, kind in TILES.items():
        at.button(key=f"overview_list_{kind}").click().run()
        ok(at)
        figure = int(figures[label])
        heading = f"{reads.TILE_LISTS[kind]}: {figure}"
        assert any(plain(h.value) == heading for h in at.subheader), (label, heading)
        if figure:
            (table,) = at.dataframe[:1]
            assert len(table.value) == figure, label
            seen_rows += figure
        else:
            assert any("None, with these filters" in i.value for i in at.info)
    assert seen_rows > 0
    # the overdue list is the overdue actions, each with its days overdue
    at.button(key="overview_list_overdue").click().run()
    overdue = at.dataframe[0].value
    assert (overdue["days_overdue"] > 0).all()
    at.button(key="overview_list_close").click().run()
    ok(at)
    assert not any(plain(h.value).startswith("Overdue actions:") for h in at.subheader)


@pytest.mark.parametrize("as_at", [None, PAST], ids=["today", "as-at"])
def test_tile_lists_equal_the_figures_and_the_pack(as_at, demo_engine, monkeypatch):
    # the live pack reads "today" from the settings: the same day as the tiles' source
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    filters_cases = [Filters(), Filters(agency_ids=(police(demo_engine),))]
    with demo_engine.connect() as conn:
        for filters in filters_cases:
            src = Source(today=ANCHOR, filters=filters, as_at=as_at)
            figures = reads.overview(conn, src)
            for kind in reads.ACTION_TILES:
                frame = reads.tile_list(conn, src, kind)
                expected = figures.open_actions if kind == "open" else getattr(figures, kind)
                assert len(frame) == expected, (kind, filters)
            # the board's lists are the meeting pack's lists of the same date
            if as_at:
                the_pack = pack.build_pack(conn, as_at, filters, annual=False)
            else:
                the_pack = pack.build_pack(conn, None, filters, annual=False)
            assert len(reads.tile_list(conn, src, "decisions")) == len(the_pack.decisions)
            assert len(reads.tile_list(conn, src, "escalated")) == len(the_pack.escalations)
            assert len(reads.tile_list(conn, src, "for_assurance")) == len(the_pack.for_assurance)
        # completed, not assured: independent SQL on the records now, no filter
        if as_at is None:
            expected = conn.execute(
                text(
                    "select count(*) from recommendation r where r.assurance_status in"
                    " ('not_assessed','ready_for_assessment')"
                    " and exists (select 1 from action a where a.recommendation_id = r.id"
                    "  and a.status in ('completed','assured'))"
                    " and not exists (select 1 from action a where a.recommendation_id = r.id"
                    "  and a.status in ('not_started','in_progress'))"
                    " and coalesce(r.response_status, '') <> 'not_accepted'"
                )
            ).scalar()
            listed = reads.tile_list(conn, Source(today=ANCHOR), "completed_not_assured")
            assert len(listed) == expected > 0


def test_a_recommendation_not_accepted_is_not_waiting_for_assurance(demo_engine):
    """Issue 19's invariant: a recommendation that is not being implemented (here its response
    was not accepted) is never listed as completed and waiting for assurance."""
    src = Source(today=ANCHOR)
    with demo_engine.connect() as conn:
        before = reads.tile_list(conn, src, "completed_not_assured")
    assert not before.empty
    first = int(before["recommendation_id"].iloc[0])
    with demo_engine.begin() as conn:
        # no service records a response; the test sets it as an import of a tracker would
        conn.execute(
            text("update recommendation set response_status = 'not_accepted' where id = :id"),
            {"id": first},
        )
    with demo_engine.connect() as conn:
        after = reads.tile_list(conn, src, "completed_not_assured")
    assert first not in set(after["recommendation_id"])
    assert len(after) == len(before) - 1


def test_unknown_tile_list_is_an_error(demo_engine):
    with demo_engine.connect() as conn, pytest.raises(ValueError, match="kind must be one of"):
        reads.tile_list(conn, Source(today=ANCHOR), "everything")


# --- chart bars -----------------------------------------------------------------------------


def event(*points) -> dict:
    return {"selection": {"points": list(points), "point_indices": [], "box": [], "lasso": []}}


def test_selected_id_reads_the_clicked_bar():
    assert charts.selected_id(event({"y": "R1", "customdata": 7})) == 7
    assert charts.selected_id(event({"y": "R1", "customdata": [7]})) == 7
    # an "all others" bar, or actions with no lead agency, name no record
    assert charts.selected_id(event({"y": "All other 3 agencies", "customdata": None})) is None
    assert charts.selected_id(event()) is None
    assert charts.selected_id(None) is None
    assert charts.selected_id({"selection": {}}) is None
    assert charts.selected_id(event({"customdata": "x"}, {"customdata": 4})) == 4


def test_chart_bars_carry_their_record_ids(demo_engine):
    src = Source(today=ANCHOR)
    with demo_engine.connect() as conn:
        by_review = reads.rag_by_review(conn, src)
        by_agency = reads.overdue_by_agency(conn, src)
    fig = charts.rag_by_review_chart(by_review)
    ids = dict(zip(by_review["ref"], by_review["review_id"], strict=True))
    for trace in fig.data:
        assert [ids[ref] for ref in trace.y] == list(trace.customdata)
    fig = charts.overdue_by_agency_chart(by_agency)
    assert list(fig.data[0].customdata) == [int(i) for i in by_agency["agency_id"]]


def test_parse_choice():
    assert tiles.parse_choice("review:3") == ("review", 3)
    assert tiles.parse_choice("overdue") == ("overdue", None)
    assert tiles.parse_choice("agency:x") == ("agency", None)
    assert tiles.parse_choice(None) == (None, None)


@pytest.mark.parametrize("as_at", [None, PAST], ids=["today", "as-at"])
def test_a_bar_click_lists_its_review_or_agency(as_at, demo_engine, app_env):
    query = {"as_at": as_at.isoformat()} if as_at else {}
    src = Source(today=ANCHOR, as_at=as_at)
    with demo_engine.connect() as conn:
        by_review = reads.rag_by_review(conn, src)
        by_agency = reads.overdue_by_agency(conn, src)
    review_id = int(by_review["review_id"].iloc[0])
    ref = by_review["ref"].iloc[0]
    review_actions = int(by_review.loc[by_review["review_id"] == review_id, "actions"].sum())
    # the chart's on_select callback turns the click Streamlit reports into the list's choice
    state = {"overview_rag_chart": event({"y": ref, "customdata": review_id})}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiles.st, "session_state", state)
        tiles.chart_selection("overview_rag_chart", "overview_list", "review")
        assert state["overview_list"] == f"review:{review_id}"
        state["overview_agency_chart"] = event({"y": "All other 2 agencies", "customdata": None})
        tiles.chart_selection("overview_agency_chart", "overview_list", "agency")
        assert state["overview_list"] == f"review:{review_id}"  # "all others": no change

    at = ok(make_app(BOARD, page="app_pages/overview.py", query_params=query))
    at.session_state["overview_list"] = f"review:{review_id}"
    at.run()
    ok(at)
    assert any(
        plain(h.value) == f"Actions of review {ref}: {review_actions}" for h in at.subheader
    ), [h.value for h in at.subheader]
    assert len(at.dataframe[0].value) == review_actions
    assert set(at.dataframe[0].value["review_ref"]) == {ref}

    top = by_agency.iloc[0]
    at.session_state["overview_list"] = f"agency:{int(top['agency_id'])}"
    at.run()
    ok(at)
    listed = at.dataframe[0].value
    assert len(listed) == int(top["overdue"])
    assert any(
        plain(h.value) == f"Overdue actions of {top['agency']}: {top['overdue']}"
        for h in at.subheader
    )


def test_a_bar_click_on_the_agencies_and_reviews_charts_chooses_the_record(demo_engine, app_env):
    with demo_engine.connect() as conn:
        card = reads.scorecard(conn, Source(today=ANCHOR))
        register = reads.review_register(conn, Source(today=ANCHOR))
    worst = card[card["overdue"] > 0].iloc[-1]  # not the first: the box starts on the first
    fig = charts.agency_scorecard_chart(card[card["overdue"] > 0])
    assert worst["agency_id"] in set(fig.data[0].customdata)
    state = {"agencies_chart": event({"y": worst["agency"], "customdata": int(worst["agency_id"])})}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiles.st, "session_state", state)
        tiles.chart_picks("agencies_chart", "agency_detail", set(card["agency_id"]))
        assert state["agency_detail"] == int(worst["agency_id"])
        state["agencies_chart"] = event({"customdata": 999999})  # not one of the choices
        tiles.chart_picks("agencies_chart", "agency_detail", set(card["agency_id"]))
        assert state["agency_detail"] == int(worst["agency_id"])
        assert tiles.unnamed_pick_key("agency_detail") not in state
        # the "All other N agencies" bar names no one agency: the page is told to say so
        state["agencies_chart"] = event({"y": "All other 3 agencies", "customdata": None})
        tiles.chart_picks("agencies_chart", "agency_detail", set(card["agency_id"]))
        assert state["agency_detail"] == int(worst["agency_id"])
        assert state[tiles.unnamed_pick_key("agency_detail")] is True

    at = ok(make_app(BOARD, page="app_pages/agencies.py"))
    at.session_state[tiles.unnamed_pick_key("agency_detail")] = True
    at.run()
    ok(at)
    assert any("stands for many agencies" in i.value for i in at.info)
    at.run()  # said once: the next run does not repeat it
    assert not any("stands for many agencies" in i.value for i in at.info)

    at = ok(make_app(BOARD, page="app_pages/agencies.py"))
    at.session_state["agency_detail"] = int(worst["agency_id"])
    at.run()
    ok(at)
    listed = at.dataframe[-1].value
    assert len(listed) == int(worst["actions"])
    assert int((listed["days_overdue"] > 0).sum()) == int(worst["overdue"])
    assert list(listed["days_overdue"]) == sorted(listed["days_overdue"], reverse=True)

    fig = charts.review_progress_chart(register)
    assert list(fig.data[0].customdata) == [int(i) for i in register["review_id"]]


def test_meetings_tiles_open_the_changes_of_their_kind(demo_engine, app_env):
    at = ok(make_app(BOARD, page="app_pages/meetings.py"))
    figures = {m.label: int(m.value) for m in at.metric}
    everything = len(at.dataframe[-1].value)
    assert sum(figures.values()) == everything > 0

    for kind, label in changes.KIND_LABELS.items():
        at.button(key=f"meetings_list_{kind}").click().run()
        ok(at)
        assert any(plain(h.value) == f"{label}: {figures[label]}" for h in at.subheader)
        if figures[label]:
            assert len(at.dataframe[-1].value) == figures[label]
            assert set(at.dataframe[-1].value["kind"]) == {label}
        else:
            assert any("No change of this kind" in i.value for i in at.info)
    at.button(key="meetings_list_close").click().run()
    ok(at)
    assert len(at.dataframe[-1].value) == everything


@pytest.mark.parametrize("meeting", ["next", "30 Mar 2026"])
def test_meeting_pack_tiles_open_the_packs_lists(demo_engine, app_env, meeting):
    at = ok(make_app(BOARD, page="app_pages/meeting_pack.py"))
    if meeting != "next":
        chooser = at.selectbox[0]
        index = next(i for i, o in enumerate(chooser.options) if o.startswith(meeting))
        chooser.select_index(index).run()
        ok(at)
    figures = {m.label: int(m.value) for m in at.metric}
    kinds = {
        "Overdue actions": "overdue",
        "Red items": "red",
        "Changes since the baseline": "changes",
        "Decisions needed": "decisions",
    }
    assert figures["Overdue actions"] > 0 and figures["Decisions needed"] > 0
    for label, kind in kinds.items():
        at.button(key=f"pack_list_{kind}").click().run()
        ok(at)
        assert any(plain(h.value) == f"{label}: {figures[label]}" for h in at.subheader)
        if figures[label]:
            listed = at.dataframe[0].value  # the list, above the summary figures
            assert len(listed) == figures[label], label
            if kind == "changes":  # words, not codes
                assert not set(listed["kind"]) & set(changes.CHANGE_KINDS)
