"""Issue 17, read side: a review's first import is its baseline, not a change; later re-imports
are changes dated by when they happened (``effective_on``), not when they were recorded. Real
files from ``../shared/realdata`` (the PFD data set, the Stockton tracker), on both backends."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import func, select, text

from monitoring import changes, config, db, importer, services
from monitoring.exports import pack
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
