"""Issue 17, read side: a review's first import is its baseline, not a change; later re-imports
are changes dated by when they happened (``effective_on``), not when they were recorded. Real
files from ``../shared/realdata`` (the PFD data set, the Stockton tracker), on both backends."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select, text

from monitoring import asat, changes, charts, config, db, importer, queries, reads, services
from monitoring.exports import pack
from monitoring.queries import Filters
from monitoring.source import Source
from tests.conftest import REALDATA

pytestmark = pytest.mark.usefixtures("shared_data")

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
STOCKTON = REALDATA / "trackers" / "stockton_lscb_review_progress_2017-12.csv"
BOARD = services.Actor(email="board@example.org", role="board")
AS_OF = date(2026, 1, 31)


def _count(conn, table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar())


@pytest.fixture
def pfd_engine(engine):
    """The PFD data set imported once, ``--as-of 2026-01-31``, then two meetings recorded."""
    importer.import_path(PFD, engine, preset="pfd", as_of=AS_OF)
    return engine


def test_pfd_baseline_is_one_line_and_nothing_after_it(pfd_engine):
    later = date(2026, 9, 30)
    today = max(config.today(), later)
    services.create_meeting(pfd_engine, BOARD, later, "Board after the import")
    with pfd_engine.connect() as conn:
        since_later = changes.changes_between(conn, later, today)
        live_pack = pack.build_pack(conn, annual=False)
    # nothing happened after the import's as-of date: 0 changes (issue 17: were 1,612)
    assert since_later.empty, since_later.head()
    assert live_pack.baseline is not None and live_pack.baseline.held_on == later
    assert live_pack.changes.empty

    earlier = date(2025, 6, 30)
    services.create_meeting(pfd_engine, BOARD, earlier, "Board before the import")
    with pfd_engine.connect() as conn:
        found = changes.changes_between(conn, earlier, later)
        reviews = _count(conn, db.review)
        recs = _count(conn, db.recommendation)
        actions = _count(conn, db.action)
        past_pack = pack.build_pack(conn, later, annual=False)
    kinds = found["kind"].value_counts().to_dict()
    assert kinds.get("baseline") == 1
    assert kinds.get("newly_completed", 0) == 0
    assert kinds.get("new_recommendation", 0) == 0
    assert kinds.get("status_change", 0) == 0
    assert kinds.get("date_moved", 0) == 0
    line = found[found["kind"] == "baseline"].iloc[0]
    assert line["at"] == AS_OF  # dated by the source (the export's as-of date)
    assert line["review_ref"] == f"{reviews:,} reviews"
    total = reviews + recs + actions
    assert f": {total:,} records ({reviews:,} reviews, {recs:,} recommendations, " in line["detail"]
    assert f"{actions:,} actions)" in line["detail"]
    assert line["detail"].startswith("Brought in from a tracker on ")
    assert "(records as at 31 Jan 2026)" in line["detail"]
    # the meeting pack of the later meeting lists the same changes
    assert past_pack.baseline is not None and past_pack.baseline.held_on == earlier
    assert past_pack.changes["kind"].value_counts().to_dict() == kinds
    summary = pack.changes_summary(past_pack).set_index("kind")["changes"].to_dict()
    assert summary[changes.KIND_LABELS["baseline"]] == 1
    assert changes.KIND_LABELS["newly_completed"] not in summary

    # filtered to one agency (the read path): the baseline line counts that agency's reports
    with pfd_engine.connect() as conn:
        agency_id, n_reviews = conn.execute(
            text(
                "select lead_agency_id, count(distinct review_id) from action"
                " where lead_agency_id is not null group by lead_agency_id"
                " order by count(distinct review_id) desc limit 1"
            )
        ).one()
        src = Source(today=today, filters=Filters(agency_ids=(agency_id,)))
        one = reads.changes_between(conn, src, earlier, later)
    assert 1 < n_reviews < reviews
    line = one[one["kind"] == "baseline"]
    assert len(line) == 1 and line.iloc[0]["review_ref"] == f"{n_reviews:,} reviews"
    assert (one["kind"] != "newly_completed").all()


def _stockton_copy(tmp_path, heading: str, first_category: str):
    """The Stockton tracker re-presented: its progress heading and row 1's category changed
    (same file name, so the same review)."""
    with STOCKTON.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][4] == "Progress presented to Committee Dec 2017"
    assert rows[1][0] == "1." and rows[1][-1] == "2"
    rows[0][4] = f"Progress presented to {heading}"
    rows[1][-1] = first_category
    folder = tmp_path / "next"
    folder.mkdir()
    target = folder / STOCKTON.name
    with target.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return target


def test_stockton_first_import_is_baseline_and_reimport_is_dated_by_its_heading(engine, tmp_path):
    importer.import_path(STOCKTON, engine)
    with engine.connect() as conn:
        dated = conn.execute(text("select distinct effective_on from action_update")).scalars()
        dated = sorted(dated)
        actions = _count(conn, db.action)
        recs = _count(conn, db.recommendation)
        around = changes.changes_between(conn, date(2017, 11, 30), date(2018, 1, 31))
        before = changes.changes_between(conn, date(2016, 1, 1), date(2017, 11, 30))
        since_import = changes.changes_between(conn, date(2018, 1, 31), config.today())
    # its progress notes are dated December 2017 (from the heading), not the import day
    assert dated and all(d.startswith("2017-12") for d in dated), dated
    assert before.empty and since_import.empty
    assert list(around["kind"]) == ["baseline"]
    line = around.iloc[0]
    assert line["at"] == date(2017, 12, 31)
    assert line["review_ref"] == STOCKTON.stem
    assert f": {1 + recs + actions} records (1 review, {recs} recommendations, " in line["detail"]

    # the board's next report: row 1 now category 1 (completed), presented in March 2018
    importer.import_path(_stockton_copy(tmp_path, "Committee Mar 2018", "1"), engine)
    with engine.connect() as conn:
        march = changes.changes_between(conn, date(2018, 1, 31), date(2018, 3, 31))
        again = changes.changes_between(conn, date(2017, 11, 30), date(2018, 1, 31))
        since_import = changes.changes_between(conn, date(2018, 3, 31), config.today())
    assert list(march["kind"]) == ["newly_completed"]
    assert march.iloc[0]["at"] == date(2018, 3, 31)  # when it happened, not when recorded
    assert march.iloc[0]["number"] == "1"
    assert "to Completed" in march.iloc[0]["detail"]
    assert list(again["kind"]) == ["baseline"]  # the baseline stays one line
    assert since_import.empty


def test_pfd_as_at_and_trends_start_at_the_report_date(pfd_engine):
    earlier = date(2025, 6, 30)
    with pfd_engine.connect() as conn:
        # the report dates (review.published_on is its publication here, case 13)
        published = conn.execute(
            text(
                "select r.id, r.ref, l.effective_on as published_on from review r join audit_log l"
                " on l.entity = 'review' and l.field = 'created' and l.entity_id = r.id"
            )
        ).all()
        undated = {r.ref for r in published if r.published_on == AS_OF.isoformat()}
        published = [r for r in published if r.ref not in undated]
        known = sum(1 for r in published if r.published_on <= earlier.isoformat())
        then = asat.overview_as_at(conn, earlier)
        # one report published in a month inside the window, not on a month end
        report = next(
            r
            for r in sorted(published, key=lambda r: r.published_on, reverse=True)
            if r.published_on[8:] not in ("28", "29", "30", "31")
        )
        day = date.fromisoformat(report.published_on)
        frame = asat.trend(conn, day - relativedelta(months=4), day + relativedelta(months=3))
        gone = asat.trend(conn, date(1990, 1, 1), date(1990, 3, 1))
    # the records as at a meeting before the import: the reports made by then (were 0)
    assert 0 < known < len(published)
    assert then.reviews == known
    # the report's line starts at the first month end on or after its report date: no 0 before
    rows = frame[frame["review_id"] == report.id]
    first_point = date(day.year, day.month, 1) + relativedelta(months=1) - timedelta(days=1)
    assert min(rows["as_at"]) == first_point
    assert sorted(rows["as_at"]) == [
        p for p in asat.month_ends(*frame["as_at"].agg(["min", "max"])) if p >= first_point
    ]
    assert rows["open"].notna().all()
    # before any report: the totals are not recorded (<NA>), never 0
    totals = gone[gone["ref"] == asat.ALL_REVIEWS]
    assert len(totals) == 3 and totals["open"].isna().all()
    assert len(gone) == 3
    chart = charts.trend_chart(totals)
    assert all(y is None for trace in chart.data for y in trace.y)


def test_pfd_scorecard_since_update_counts_from_the_as_of_date(pfd_engine):
    today = config.today()
    with pfd_engine.connect() as conn:
        card = queries.agency_scorecard(conn, today)
    # every status came from the export as at 31 Jan 2026: not "0 days" (the import day)
    assert len(card) > 100
    assert set(card["last_update_on"]) == {AS_OF}
    assert set(card["days_since_update"]) == {(today - AS_OF).days}


def test_stockton_as_at_before_its_first_record_is_not_recorded(engine):
    importer.import_path(STOCKTON, engine)
    with engine.connect() as conn:
        ref = conn.execute(text("select ref from review")).scalar()
        before = asat.counts_by_review_as_at(conn, date(2017, 1, 1))
        reviews_then = conn.execute(select(asat.reviews_as_at(date(2017, 1, 1)))).all()
        figures_then = asat.overview_as_at(conn, date(2017, 1, 1))
        december = asat.counts_by_review_as_at(conn, date(2017, 12, 31))
        statuses = conn.execute(
            text("select status, count(*) from action group by status order by status")
        ).all()
    assert before.empty and reviews_then == []  # 1 January 2017: not recorded
    assert (figures_then.reviews, figures_then.actions) == (0, 0)
    # from its heading's date (December 2017) it is there, with the tracker's statuses
    assert list(december["ref"]) == [ref]
    done = sum(n for s, n in statuses if s in ("completed", "assured"))
    assert int(december.iloc[0]["completed"]) == done
    assert int(december.iloc[0]["open"]) == sum(n for _s, n in statuses) - done


def test_pack_baseline_column_leaves_out_reviews_an_import_brought_in_after_the_meeting(
    demo_engine,
):
    """A fresh user imported the PFD file (as of the import day) after the board's last meeting:
    the pack's "at last meeting" column, rebuilt as at that meeting, read every PFD reply as
    awaited then and done now (828 replies "arriving" between two meetings). The baseline
    column is what the board's records held at that meeting; the reviews brought in since are
    counted now and said apart, as the changes list says one "Brought in" line."""
    today = config.today()
    with demo_engine.connect() as conn:
        before = pack.build_pack(conn, annual=False)
        demo_reviews, demo_actions = _count(conn, db.review), _count(conn, db.action)
    assert before.baseline is not None and before.baseline.held_on < today
    assert before.brought_in is None

    importer.import_path(PFD, demo_engine, preset="pfd", as_of=today)
    with demo_engine.connect() as conn:
        after = pack.build_pack(conn, annual=False)
        now = reads.overview(conn, Source(today=today))
        pfd_reviews = _count(conn, db.review) - demo_reviews
        pfd_actions = _count(conn, db.action) - demo_actions
        kinds = after.changes["kind"].value_counts().to_dict()
    assert pfd_reviews > 700 and pfd_actions > 1300
    assert after.baseline == before.baseline
    # the last meeting's figures are what they were before the import
    assert after.baseline_figures == before.baseline_figures
    # the figures now hold everything, as the Overview does
    assert after.figures == now
    assert after.figures.reviews == before.figures.reviews + pfd_reviews
    assert after.brought_in is not None
    assert (after.brought_in.reviews, after.brought_in.actions) == (pfd_reviews, pfd_actions)
    # the changes since the meeting: the demo's own, and one "Brought in" line (not progress)
    before_kinds = before.changes["kind"].value_counts().to_dict()
    assert kinds == {**before_kinds, "baseline": before_kinds.get("baseline", 0) + 1}
    label, value, then = exports_row = pack.figure_rows(after)[-1]
    assert label.startswith(
        f"Of these, brought in by an import since {before.baseline.held_on:%-d %b %Y}"
    )
    assert value == f"{pfd_reviews:,} reviews, {pfd_actions:,} actions" and then is None, (
        exports_row
    )
    # one agency's figures: the reviews brought in count only where that agency acts
    with demo_engine.connect() as conn:
        pol = conn.execute(text("select id from agency where short_name = 'POL'")).scalar()
    police = Filters(agency_ids=(pol,))
    with demo_engine.connect() as conn:
        filtered = pack.build_pack(conn, None, police, annual=False)
        filtered_before = reads.overview(
            conn, Source(today=today, filters=police, as_at=before.baseline.held_on)
        )
    assert filtered.brought_in is None  # no PFD action has the demo's police as lead agency
    assert filtered.baseline_figures == filtered_before


def test_an_import_dated_before_the_meeting_is_in_its_figures(pfd_engine):
    later = date(2026, 9, 30)
    services.create_meeting(pfd_engine, BOARD, later, "Board after the import")
    with pfd_engine.connect() as conn:
        live_pack = pack.build_pack(conn, annual=False)
        reviews = _count(conn, db.review)
    assert live_pack.brought_in is None
    assert live_pack.baseline_figures.reviews == reviews
