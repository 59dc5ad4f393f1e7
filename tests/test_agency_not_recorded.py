"""Actions with no lead agency ("Lead agency not recorded") are a choice like any agency: on the
real PFD file (recipients redacted in the source) the Agencies page's row, its table, a click on
its bar (Agencies and Overview charts) and the sidebar's Lead agency filter all list exactly the
actions the scorecard row counts. And a viewer's sidebar choices (every filter) come only from the
published reviews."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from monitoring import charts, importer, queries, reads, services, vocabulary
from monitoring.queries import NO_AGENCY_ID, Filters
from monitoring.source import Scope, Source
from monitoring.ui import queue, tiles
from tests.conftest import ANCHOR, REALDATA, make_app

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
BOARD = "board.member@example.org"
ADMIN = services.Actor(email="admin@example.org", role="admin")
NOT_RECORDED = vocabulary.NO_LEAD_AGENCY


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def scalar(engine, sql, **values):
    with engine.connect() as conn:
        return conn.execute(text(sql), values).scalar()


@pytest.fixture
def pfd_linked(engine):
    """The real PFD file imported as a fresh user did (``--preset pfd --create-agencies``), with
    a board member to sign in as."""
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True)
    services.create_user(engine, ADMIN, BOARD, "Board Member", "board")
    return engine


def _unled(engine) -> tuple[int, int]:
    """(actions with no lead agency, of them overdue on ANCHOR), by SQL over the tables."""
    total = scalar(engine, "select count(*) from action where lead_agency_id is null")
    overdue = scalar(
        engine,
        "select count(*) from action where lead_agency_id is null"
        " and status in ('not_started','in_progress') and due_on < :t",
        t=ANCHOR.isoformat(),
    )
    return total, overdue


def test_the_not_recorded_row_filters_to_exactly_the_actions_it_counts(pfd_linked, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())  # the meeting pack's "now"
    total, overdue = _unled(pfd_linked)
    assert total > 0 and overdue > 0  # the redacted recipients of the real file
    src = Source(today=ANCHOR)
    with pfd_linked.connect() as conn:
        card = reads.scorecard(conn, src)
        by_agency = reads.overdue_by_agency(conn, src)
        row = card[card["agency_id"] == NO_AGENCY_ID].iloc[0]
        chosen = replace(src, filters=Filters(agency_ids=(NO_AGENCY_ID,)))
        listed = reads.action_list(conn, chosen)
        counted = reads.action_count(conn, chosen)
        overdue_listed = reads.action_list(conn, chosen, "overdue")
        # as at a past date (the reconstruction) the same filter reads the same way
        past = replace(chosen, as_at=ANCHOR.replace(month=1))
        past_card = reads.scorecard(conn, replace(src, as_at=past.as_at))
        past_listed = reads.action_count(conn, past)
        options = reads.filter_options(conn, Scope("board"), ANCHOR)
        # a real agency beside "not recorded" keeps both
        other = int(card[card["agency_id"] != NO_AGENCY_ID].iloc[0]["agency_id"])
        both = reads.action_count(
            conn, replace(src, filters=Filters(agency_ids=(other, NO_AGENCY_ID)))
        )
        other_n = int(card[card["agency_id"] == other].iloc[0]["actions"])
        # the Overview's tile lists under the filter, and the meeting pack's per-agency tables
        tile_overdue = reads.tile_list(conn, chosen, "overdue")
        tile_open = reads.tile_list(conn, chosen, "open")
        pack = reads.meeting_pack(conn, src, annual=False)
    assert row["agency"] == NOT_RECORDED
    assert (int(row["actions"]), int(row["overdue"])) == (total, overdue)
    assert len(listed) == counted == total
    assert set(listed["agency"]) == {NOT_RECORDED}
    assert len(overdue_listed) == overdue
    no_row = by_agency[by_agency["agency_id"] == NO_AGENCY_ID]
    assert int(no_row["overdue"].iloc[0]) == overdue
    assert (NO_AGENCY_ID, NOT_RECORDED) in options["agencies"]
    assert both == other_n + total
    assert len(tile_overdue) == overdue
    assert set(tile_open["agency"]) <= {NOT_RECORDED} and len(tile_open) == scalar(
        pfd_linked,
        "select count(*) from action where lead_agency_id is null"
        " and status in ('not_started','in_progress')",
    )
    pack_row = pack.scorecard[pack.scorecard["agency"] == NOT_RECORDED].iloc[0]
    assert (int(pack_row["actions"]), int(pack_row["overdue"])) == (total, overdue)
    pack_overdue = pack.overdue_by_agency[pack.overdue_by_agency["agency"] == NOT_RECORDED]
    assert int(pack_overdue["overdue"].iloc[0]) == overdue
    past_row = past_card[past_card["agency_id"] == NO_AGENCY_ID]
    assert past_listed == (int(past_row["actions"].iloc[0]) if len(past_row) else 0)


def test_the_agencies_page_lists_the_not_recorded_actions(pfd_linked, app_env):
    total, overdue = _unled(pfd_linked)
    at = ok(make_app(BOARD, page="app_pages/agencies.py"))
    card = at.dataframe[0].value
    assert int(card.loc[card["agency"] == NOT_RECORDED, "actions"].iloc[0]) == total
    box = at.selectbox(key="agency_detail")
    assert NOT_RECORDED in box.options
    box.set_value(NO_AGENCY_ID)
    at.run()
    ok(at)
    assert at.selectbox(key="agency_detail").value == NO_AGENCY_ID  # not back to the first
    table = at.dataframe[1].value
    assert len(table) == min(total, queue.QUEUE_ROWS)
    assert int((table["days_overdue"] > 0).sum()) == overdue
    assert any("no lead agency recorded" in c.value for c in at.caption)


def test_a_click_on_the_not_recorded_bar_opens_its_list(pfd_linked, app_env):
    total, overdue = _unled(pfd_linked)
    with pfd_linked.connect() as conn:
        card = reads.scorecard(conn, Source(today=ANCHOR))
        by_agency = reads.overdue_by_agency(conn, Source(today=ANCHOR))
    # both charts carry the row's id on its bar
    fig = charts.agency_scorecard_chart(card[card["overdue"] > 0])
    assert NO_AGENCY_ID in list(fig.data[0].customdata)
    fig = charts.overdue_by_agency_chart(by_agency)
    assert NO_AGENCY_ID in list(fig.data[0].customdata)

    def click(customdata):
        return {"selection": {"points": [{"y": NOT_RECORDED, "customdata": customdata}]}}

    state = {"agencies_chart": click(NO_AGENCY_ID), "overview_agency_chart": click(NO_AGENCY_ID)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiles.st, "session_state", state)
        tiles.chart_picks("agencies_chart", "agency_detail", {int(i) for i in card["agency_id"]})
        tiles.chart_selection("overview_agency_chart", "overview_list", "agency")
        assert state["agency_detail"] == NO_AGENCY_ID
        assert state["overview_list"] == f"agency:{NO_AGENCY_ID}"
        # the "all others" bar (no id) still chooses nothing
        state["overview_agency_chart"] = click(None)
        tiles.chart_selection("overview_agency_chart", "overview_list", "agency")
        assert state["overview_list"] == f"agency:{NO_AGENCY_ID}"

    at = ok(make_app(BOARD, page="app_pages/overview.py"))
    at.session_state["overview_list"] = f"agency:{NO_AGENCY_ID}"
    at.run()
    ok(at)
    assert any(
        h.value.replace("\\", "") == f"Overdue actions of {NOT_RECORDED}: {overdue}"
        for h in at.subheader
    ), [h.value for h in at.subheader]
    assert len(at.dataframe[0].value) == overdue


def test_the_sidebar_lead_agency_filter_offers_not_recorded(pfd_linked, app_env):
    total, _overdue = _unled(pfd_linked)
    at = ok(
        make_app(BOARD, page="app_pages/agencies.py", query_params={"agency": str(NO_AGENCY_ID)})
    )
    assert at.multiselect(key="filter_agency_ids").value == [NO_AGENCY_ID]
    card = at.dataframe[0].value
    assert list(card["agency"]) == [NOT_RECORDED]
    assert int(card["actions"].iloc[0]) == total
    assert len(at.dataframe[1].value) == min(total, queue.QUEUE_ROWS)


def test_not_recorded_is_offered_only_when_an_action_has_no_lead_agency(demo_engine):
    with demo_engine.connect() as conn:
        before = reads.filter_options(conn, Scope("board"), ANCHOR)["agencies"]
    assert NO_AGENCY_ID not in {i for i, _ in before}
    first = scalar(demo_engine, "select min(id) from action")
    with demo_engine.begin() as conn:
        conn.execute(text("update action set lead_agency_id = null where id = :i"), {"i": first})
    with demo_engine.connect() as conn:
        after = reads.filter_options(conn, Scope("board"), ANCHOR)["agencies"]
        listed = reads.action_list(
            conn, Source(today=ANCHOR, filters=Filters(agency_ids=(NO_AGENCY_ID,)))
        )
    assert after[-1] == (NO_AGENCY_ID, NOT_RECORDED)
    assert list(listed["action_id"] if "action_id" in listed else listed["id"]) == [first]


# --- a viewer's choices come only from published reviews ------------------------------------------

PUBLISHED = "published_on is not null and published_on <= :t"


SECRET_THEME = "Theme of an unpublished review only"


def _theme_of_an_unpublished_review(engine) -> None:
    """One review made unpublished, and a theme whose only recommendation is of that review."""
    with engine.begin() as conn:
        rec, review_id = conn.execute(
            text("select id, review_id from recommendation order by id desc limit 1")
        ).one()
        conn.execute(text("update review set published_on = null where id = :i"), {"i": review_id})
        conn.execute(text("insert into theme (name) values (:n)"), {"n": SECRET_THEME})
        theme = conn.execute(text("select id from theme where name = :n"), {"n": SECRET_THEME})
        conn.execute(
            text("insert into recommendation_theme (recommendation_id, theme_id) values (:r, :t)"),
            {"r": rec, "t": theme.scalar()},
        )


def _sql_ids(engine, sql) -> set:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text(sql), {"t": ANCHOR.isoformat()}).all()}


@pytest.mark.parametrize("role", ["viewer", "board", "admin"])
def test_every_sidebar_choice_of_a_viewer_comes_from_published_reviews(role, demo_engine):
    _theme_of_an_unpublished_review(demo_engine)
    with demo_engine.connect() as conn:
        options = reads.filter_options(conn, Scope(role), ANCHOR)
    published_themes = _sql_ids(
        demo_engine,
        "select distinct rt.theme_id from recommendation_theme rt join recommendation r"
        f" on r.id = rt.recommendation_id join review v on v.id = r.review_id where v.{PUBLISHED}",
    )
    all_themes = _sql_ids(demo_engine, "select id from theme")
    assert published_themes < all_themes  # a theme only of an unpublished review
    published_reviews = _sql_ids(demo_engine, f"select id from review where {PUBLISHED}")
    published_agencies = _sql_ids(
        demo_engine,
        "select distinct a.lead_agency_id from action a join review v on v.id = a.review_id"
        f" where v.{PUBLISHED} and a.lead_agency_id is not null",
    )
    published_types = _sql_ids(demo_engine, f"select review_type from review where {PUBLISHED}")
    themes = {i for i, _ in options["themes"]}
    reviews = {i for i, _ in options["reviews"]}
    agencies = {i for i, _ in options["agencies"]}
    types = {c for c, _ in options["review_types"]}
    if role == "viewer":
        assert themes == published_themes
        assert reviews == published_reviews
        assert agencies == published_agencies
        assert types == published_types
    else:
        assert themes == all_themes
        assert reviews == _sql_ids(demo_engine, "select id from review")


def test_a_viewers_theme_filter_in_the_app_names_no_unpublished_theme(demo_engine, app_env):
    _theme_of_an_unpublished_review(demo_engine)
    at = ok(make_app("viewer@northbridge.example", page="app_pages/overview.py"))
    offered = set(at.multiselect(key="filter_theme_ids").options)
    with demo_engine.connect() as conn:
        names = {name for _i, name in queries.filter_options(conn)["themes"]}  # every theme
    published = _sql_ids(
        demo_engine,
        "select distinct t.name from theme t join recommendation_theme rt on rt.theme_id = t.id"
        " join recommendation r on r.id = rt.recommendation_id join review v on v.id = r.review_id"
        f" where v.{PUBLISHED}",
    )
    assert offered == published
    assert SECRET_THEME in names and SECRET_THEME not in offered
