"""The Agencies scorecard from the roll-ups (monitoring.rollups.agency_scorecard, used by
reads.scorecard for the records now) equals the live scorecard (queries.agency_scorecard, SQL
and Python) exactly, in one table of edge cases, on SQLite and PostgreSQL.

Each case starts from the demo data with every roll-up counted for the day, makes one kind of
write (or none), and then checks, for every filter set (none, each review type, one and two
reviews, a theme, an agency): the roll-up scorecard, the read path's scorecard and the live
query give the same DataFrame (figures, dtypes, order); the board's scorecard equals the rules
applied in Python to every action (tests.test_size3); the roll-up path was really taken (not
every review counted live) where a service wrote; every clean stored row equals a full recount;
a viewer, who may not read an unpublished review, gets the live figures of the published
reviews only; and "as at" a past date the read is the reconstruction from the dated history.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from monitoring import agencies, asat, db, queries, reads, rollups, services
from monitoring.importer import import_path
from monitoring.queries import NO_FILTERS, Filters
from monitoring.source import Scope, source
from tests.conftest import ANCHOR
from tests.test_rollups import assert_stored_equal_recount
from tests.test_size3 import _assert_scorecard_matches_rules

ADMIN = services.Actor.system("agency-rollup-test")


@pytest.fixture
def today(monkeypatch) -> date:
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    monkeypatch.delenv("MONITORING_DUE_SOON_DAYS", raising=False)
    monkeypatch.delenv("MONITORING_STALE_DAYS", raising=False)
    return ANCHOR


@pytest.fixture
def rolled(demo_engine: Engine, today: date) -> Engine:
    with demo_engine.begin() as conn:
        rollups.refresh(conn, today)
    return demo_engine


def _rows(engine: Engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def _open_action(engine: Engine, *, overdue: bool = True) -> dict:
    """The first open action with a target date (overdue on ANCHOR, or not)."""
    sign = "<" if overdue else ">="
    (row,) = _rows(
        engine,
        "SELECT id, review_id, lead_agency_id, due_on FROM action"
        " WHERE status IN ('not_started', 'in_progress') AND lead_agency_id IS NOT NULL"
        f" AND due_on IS NOT NULL AND due_on {sign} :t ORDER BY id LIMIT 1",
        t=ANCHOR.isoformat(),
    )
    return dict(zip(("id", "review_id", "lead_agency_id", "due_on"), row, strict=True))


def filter_sets(engine: Engine) -> list[Filters]:
    types = [t for (t,) in _rows(engine, "SELECT DISTINCT review_type FROM review ORDER BY 1")]
    reviews = [i for (i,) in _rows(engine, "SELECT id FROM review ORDER BY id")]
    (theme,) = _rows(engine, "SELECT min(theme_id) FROM recommendation_theme")[0]
    (agency_id,) = _rows(engine, "SELECT min(lead_agency_id) FROM action")[0]
    return [
        NO_FILTERS,
        *(Filters(review_types=(t,)) for t in types),
        Filters(review_ids=(reviews[0],)),
        Filters(review_ids=tuple(reviews[1:3])),
        Filters(theme_ids=(theme,)),  # not held by the roll-up: the live path
        Filters(agency_ids=(agency_id,)),  # likewise
    ]


def assert_scorecards_equal(engine: Engine, today: date, *, rolled_up: bool = True) -> None:
    """The checks of the module docstring, for the records now and as at 60 days before."""
    with db.read_connection(engine) as conn:
        if rolled_up:
            assert not rollups.coverage(conn, today).all_live
        for filters in filter_sets(engine):
            live = queries.agency_scorecard(conn, today, filters)
            assert not live.empty, filters
            pd.testing.assert_frame_equal(rollups.agency_scorecard(conn, today, filters), live)
            pd.testing.assert_frame_equal(
                reads.scorecard(conn, source(today, filters=filters)), reads.no_agency_ids(live)
            )
        assert_stored_equal_recount(conn, today)
        # A viewer reads only the reviews published by today: the live path, never the roll-up
        # (which holds every review).
        published = tuple(
            i
            for (i,) in conn.execute(
                text("SELECT id FROM review WHERE published_on IS NOT NULL AND published_on <= :t"),
                {"t": today.isoformat()},
            ).all()
        )
        viewer = reads.scorecard(conn, source(today, Scope("viewer")))
        if published:
            pd.testing.assert_frame_equal(
                viewer,
                reads.no_agency_ids(
                    queries.agency_scorecard(conn, today, Filters(review_ids=published))
                ),
            )
        else:
            assert viewer.empty
        # As at a past date: the reconstruction from the history, never the roll-up.
        past = today - timedelta(days=60)
        pd.testing.assert_frame_equal(
            reads.scorecard(conn, source(today, as_at=past)),
            reads.no_agency_ids(asat.agency_scorecard_as_at(conn, past)),
        )
    _assert_scorecard_matches_rules(engine, source(today))


# --- the edge cases: each one write (or none), then every check above ------------------------


def no_write(engine: Engine, today: date) -> bool:
    return True


def move_between_agencies_by_service(engine: Engine, today: date) -> bool:
    """An action moved to another lead agency (a bulk edit through the write core)."""
    row = _open_action(engine)
    (other,) = _rows(engine, "SELECT min(id) FROM agency WHERE id <> :a", a=row["lead_agency_id"])[
        0
    ]
    with db.write_transaction(engine) as conn:
        conn.execute(
            db.action.update().where(db.action.c.id == row["id"]).values(lead_agency_id=other)
        )
    return True


def move_between_agencies_by_plain_sql(engine: Engine, today: date) -> bool:
    """The same move by plain SQL: the review is marked dirty and counted live (a mixed read)."""
    row = _open_action(engine)
    (other,) = _rows(engine, "SELECT max(id) FROM agency WHERE id <> :a", a=row["lead_agency_id"])[
        0
    ]
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE action SET lead_agency_id = :o WHERE id = :i"),
            {"o": other, "i": row["id"]},
        )
    with db.read_connection(engine) as conn:
        assert rollups.coverage(conn, today).live == (row["review_id"],)
    return True


def no_lead_agency(engine: Engine, today: date) -> bool:
    """Two overdue actions lose their lead agency: the "No lead agency" row and its median."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE action SET lead_agency_id = NULL WHERE id IN (SELECT id FROM action"
                " WHERE status IN ('not_started', 'in_progress') AND due_on < :t"
                " ORDER BY id LIMIT 2)"
            ),
            {"t": today.isoformat()},
        )
    with db.write_transaction(engine):
        pass
    assert _rows(engine, "SELECT count(*) FROM action WHERE lead_agency_id IS NULL")[0][0] >= 2
    return True


def agency_merge_and_undo(engine: Engine, today: date) -> bool:
    """Two agencies merged (one row with the sums), checked, then the merge undone."""
    keep, merged = (
        a for (a,) in _rows(engine, "SELECT DISTINCT lead_agency_id FROM action ORDER BY 1")[:2]
    )
    result = agencies.merge_agencies(engine, ADMIN, keep, [merged])
    assert _rows(engine, "SELECT count(*) FROM action WHERE lead_agency_id = :m", m=merged) == [
        (0,)
    ]
    assert_scorecards_equal(engine, today)
    agencies.undo_merge(engine, ADMIN, result.merge_ids[0])
    return True


def completed_then_reopened(engine: Engine, today: date) -> bool:
    """An overdue action completed (the counts and the median move), checked, then returned."""
    row = _open_action(engine)
    services.mark_completed(engine, ADMIN, row["id"], version=None, note="Done.")
    assert_scorecards_equal(engine, today)
    services.return_action(engine, ADMIN, row["id"], "More evidence, please.", version=None)
    assert _rows(engine, "SELECT status FROM action WHERE id = :i", i=row["id"]) == [
        ("in_progress",)
    ]
    return True


def target_date_moved(engine: Engine, today: date) -> bool:
    """An overdue action's target date moved past today (approved): no longer overdue, one more
    date change, and a not-overdue one moved into the past."""
    row = _open_action(engine)
    change = services.request_due_date_change(
        engine, ADMIN, row["id"], today + timedelta(days=45), "Waiting for the audit.", version=None
    )
    services.decide_due_date_change(engine, ADMIN, change["id"], True)
    late = _open_action(engine, overdue=False)
    change = services.request_due_date_change(
        engine, ADMIN, late["id"], today - timedelta(days=120), "Agreed earlier date.", version=None
    )
    services.decide_due_date_change(engine, ADMIN, change["id"], True)
    return True


def no_target_date(engine: Engine, today: date) -> bool:
    """An overdue action's target date removed: open, not overdue, no median part."""
    row = _open_action(engine)
    with db.write_transaction(engine) as conn:
        conn.execute(db.action.update().where(db.action.c.id == row["id"]).values(due_on=None))
    return True


def review_unpublished(engine: Engine, today: date) -> bool:
    """A published review withdrawn: the viewer's figures lose it, the board's do not."""
    (review_id,) = _rows(
        engine,
        "SELECT min(id) FROM review WHERE published_on IS NOT NULL AND published_on <= :t",
        t=today.isoformat(),
    )[0]
    with db.read_connection(engine) as conn:
        board_before = reads.scorecard(conn, source(today))
    services.set_review_publication(engine, ADMIN, review_id, None)
    with db.read_connection(engine) as conn:
        pd.testing.assert_frame_equal(reads.scorecard(conn, source(today)), board_before)
        viewer = reads.scorecard(conn, source(today, Scope("viewer")))
    assert viewer["actions"].sum() < board_before["actions"].sum()
    return True


def tracker_imported(engine: Engine, today: date) -> bool:
    """A tracker imported (a new review, six actions over three agencies, one with no date)."""
    names = [n for (n,) in _rows(engine, "SELECT name FROM agency ORDER BY id")]
    path = engine.test_tmp / "tracker.csv"  # type: ignore[attr-defined]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Review", "Rec number", "Action number", "Action description", "Lead agency"]
            + ["Target date", "Status"]
        )
        for i in range(1, 7):
            due = "" if i == 6 else (today + timedelta(days=(i - 4) * 40)).isoformat()
            writer.writerow(
                ["AGENCY-ROLLUP-1", str((i + 1) // 2), f"{i}", f"Action {i} of the review"]
                + [names[i % 3], due, "In progress"]
            )
    summary = import_path(path, engine)
    assert summary.written and not summary.errors
    return True


def new_day_not_recounted(engine: Engine, today: date) -> bool:
    """Read the day after the roll-ups were counted: every row is stale, so the read is live."""
    return False


CASES: dict[str, Callable[[Engine, date], bool]] = {
    "no write": no_write,
    "action moved between agencies (write core)": move_between_agencies_by_service,
    "action moved between agencies (plain SQL, counted live)": move_between_agencies_by_plain_sql,
    "no lead agency": no_lead_agency,
    "agency merge and undo": agency_merge_and_undo,
    "action completed then reopened": completed_then_reopened,
    "target date moved": target_date_moved,
    "no target date": no_target_date,
    "review unpublished for a viewer": review_unpublished,
    "tracker imported": tracker_imported,
    "a new day before any recount": new_day_not_recounted,
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_scorecard_from_rollup_equals_live(rolled, today, tmp_path, monkeypatch, case):
    rolled.test_tmp = tmp_path  # type: ignore[attr-defined]
    rolled_up = CASES[case](rolled, today)
    if not rolled_up:
        today = today + timedelta(days=1)
        monkeypatch.setenv("MONITORING_TODAY", today.isoformat())
    assert_scorecards_equal(rolled, today, rolled_up=rolled_up)


def test_median_is_the_middle_of_the_overdue_actions(rolled, today):
    """An agency's overdue actions set to known dates: the median read through the index is the
    median of their days overdue, for an odd and an even count (ties included)."""
    (agency_id,) = _rows(rolled, "SELECT min(lead_agency_id) FROM action")[0]
    ids = [
        i
        for (i,) in _rows(
            rolled,
            "SELECT id FROM action WHERE lead_agency_id = :a ORDER BY id",
            a=agency_id,
        )
    ]
    assert len(ids) >= 4
    for days, median in (([3, 10, 10], 10), ([3, 10, 10, 41], 10), ([1, 5, 9, 40], 7)):
        with db.write_transaction(rolled) as conn:
            conn.execute(
                db.action.update()
                .where(db.action.c.id.in_(ids))
                .values(status="completed", completed_on=today.isoformat())
            )
            for action_id, d in zip(ids, days, strict=False):
                conn.execute(
                    db.action.update()
                    .where(db.action.c.id == action_id)
                    .values(status="in_progress", due_on=(today - timedelta(days=d)).isoformat())
                )
        with db.read_connection(rolled) as conn:
            assert not rollups.coverage(conn, today).live
            card = rollups.agency_scorecard(conn, today)
            pd.testing.assert_frame_equal(card, queries.agency_scorecard(conn, today))
        (row,) = card[card["agency_id"] == agency_id].to_dict("records")
        assert row["overdue"] == len(days)
        assert row["median_days_overdue"] == median
