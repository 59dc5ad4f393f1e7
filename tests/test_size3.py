"""The agency scorecard at size (issue 18): counted per agency in one pass and the median days
overdue picked in SQL (the middle one or two overdue actions per agency). Proved equal to the
rules of :mod:`monitoring.rules` applied in Python to every action, now and as at a past date, on
the demo data, on generated benchmark data and on a table of edge cases, on both backends."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from monitoring import bench_data, db, queries, reads, rules
from monitoring.copy import copy_database
from monitoring.db import agency
from monitoring.source import source
from monitoring.ui import queue
from tests.conftest import ANCHOR, make_app


def _scorecard_by_rules(conn, src) -> dict:
    """Every scorecard figure per agency, from each action's row and the rules in Python."""
    a = src.records().a
    names = dict(conn.execute(select(agency.c.id, agency.c.name)).all())
    rows = conn.execute(
        select(
            a.c.lead_agency_id,
            a.c.status,
            a.c.due_on,
            a.c.completed_on,
            a.c.original_due_on,
            a.c.due_date_changes,
            a.c.last_update_on,
        )
    ).all()
    today = src.day
    by_agency: dict = {}
    for agency_id, status, due_raw, completed_raw, original_raw, changes, last_raw in rows:
        due_on = rules.parse_iso(due_raw)
        completed_on = rules.parse_iso(completed_raw)
        original_due_on = rules.parse_iso(original_raw)
        row = by_agency.setdefault(
            agency_id,
            {
                "agency": names.get(agency_id) or queries.NO_AGENCY,
                "actions": 0,
                "open": 0,
                "overdue": 0,
                "overdue_90": 0,
                "completed": 0,
                "timed": 0,
                "on_time": 0,
                "date_changes": 0,
                "last": None,
                "days": [],
            },
        )
        row["actions"] += 1
        row["open"] += rules.is_open(status)
        if rules.is_overdue(status, due_on, today):
            row["overdue"] += 1
            row["overdue_90"] += due_on < today - timedelta(days=90)
            row["days"].append(rules.days_overdue(status, due_on, today))
        done = status in rules.DONE_STATUSES
        row["completed"] += done
        if done and completed_on is not None and original_due_on is not None:
            row["timed"] += 1
            row["on_time"] += completed_on <= original_due_on
        row["date_changes"] += changes or 0
        last = rules.parse_iso(last_raw)
        if last is not None and (row["last"] is None or last > row["last"]):
            row["last"] = last
    return {
        agency_id: {
            "agency": r["agency"],
            "actions": r["actions"],
            "open": r["open"],
            "overdue": r["overdue"],
            "overdue_90": r["overdue_90"],
            "completed": r["completed"],
            "on_time_pct": rules.percentage(r["on_time"], r["timed"]),
            "median_days_overdue": rules.median_days_overdue(r["days"]),
            "date_changes": r["date_changes"],
            "last_update_on": r["last"],
            "days_since_update": max(0, (today - r["last"]).days) if r["last"] else None,
        }
        for agency_id, r in by_agency.items()
    }


def _assert_scorecard_matches_rules(engine, src) -> int:
    with engine.connect() as conn:
        frame = reads.scorecard(conn, src)
        expected = _scorecard_by_rules(conn, src)
    got = {
        # "Lead agency not recorded" is the row reads give queries.NO_AGENCY_ID (the filter's id)
        (None if row["agency_id"] == queries.NO_AGENCY_ID else int(row["agency_id"])): {
            k: v for k, v in row.items() if k != "agency_id"
        }
        for row in frame.to_dict("records")
    }
    assert list(frame.columns) == queries.SCORECARD_COLUMNS
    assert got == expected
    # worst first: most overdue, then most overdue beyond 90 days, then by name
    keys = [(-r["overdue"], -r["overdue_90"], r["agency"]) for r in frame.to_dict("records")]
    assert keys == sorted(keys)
    return sum(r["overdue"] for r in expected.values())


@pytest.mark.parametrize("offset_days", [0, 1, -1, 90, 400])
def test_scorecard_equals_the_rules_on_the_demo_data(demo_engine, offset_days):
    today = ANCHOR + timedelta(days=offset_days)
    overdue = _assert_scorecard_matches_rules(demo_engine, source(today))
    assert overdue > 0
    # as at a past date (the reconstruction from the history) the same way
    _assert_scorecard_matches_rules(demo_engine, source(today, as_at=ANCHOR - timedelta(days=60)))


def test_scorecard_equals_the_rules_on_generated_data(engine, tmp_path):
    path = tmp_path / "bench.db"
    bench_data.generate(path, 600)
    if engine.dialect.name == "sqlite":
        engine = db.make_engine(f"sqlite:///{path}")
    else:
        copy_database(f"sqlite:///{path}", engine.url.render_as_string(hide_password=False))
    today = bench_data.BENCH_TODAY
    for src in (
        source(today),
        source(today - timedelta(days=1)),
        source(today, as_at=date(2025, 12, 31)),
    ):
        assert _assert_scorecard_matches_rules(engine, src) > 0


# Days overdue of one agency's open actions (target date = today - days; 0 is due today, not
# overdue; a negative number is due later), and the median the board is shown.
EDGE_CASES = [
    ([], None),
    ([0, -5], None),
    ([7], 7.0),
    ([7, 3], 5.0),
    ([1, 2, 100], 2.0),
    ([10, 10, 4, 4], 7.0),
    ([5, 5, 5, 5, 5], 5.0),
    ([1, 2, 3, 4, 0, -1], 2.5),
    ([91, 90, 89, 1], 89.5),
]


@pytest.mark.parametrize(("days", "median"), EDGE_CASES)
def test_scorecard_median_days_overdue_edge_cases(demo_engine, days, median):
    today = ANCHOR
    with demo_engine.begin() as conn:
        agency_id, *_ = conn.execute(
            text(
                "select lead_agency_id from action where lead_agency_id is not null"
                " group by lead_agency_id order by count(*) desc, lead_agency_id limit 1"
            )
        ).one()
        ids = [
            r[0]
            for r in conn.execute(
                text("select id from action where lead_agency_id = :a order by id"),
                {"a": agency_id},
            )
        ]
        assert len(ids) > len(days)
        # the agency's other actions are closed; the first len(days) open with the dates given
        conn.execute(
            text("update action set status = 'completed' where lead_agency_id = :a"),
            {"a": agency_id},
        )
        for action_id, d in zip(ids, days, strict=False):
            conn.execute(
                text("update action set status = 'in_progress', due_on = :due where id = :id"),
                {"due": (today - timedelta(days=d)).isoformat(), "id": action_id},
            )
        # and one of its closed actions moved to no lead agency (its own scorecard row)
        conn.execute(
            text("update action set lead_agency_id = null where id = :id"), {"id": ids[-1]}
        )
    assert median == (
        float(statistics.median([d for d in days if d > 0])) if any(d > 0 for d in days) else None
    )
    _assert_scorecard_matches_rules(demo_engine, source(today))
    with demo_engine.connect() as conn:
        frame = reads.scorecard(conn, source(today)).set_index("agency_id")
    assert frame.loc[agency_id, "median_days_overdue"] == median
    assert frame.loc[agency_id, "overdue"] == sum(d > 0 for d in days)
    assert frame.loc[agency_id, "overdue_90"] == sum(d > 90 for d in days)


def test_agencies_page_sends_at_most_the_queue_rows_of_one_agency(
    demo_engine, app_env, monkeypatch
):
    monkeypatch.setattr(queue, "QUEUE_ROWS", 3)
    at = make_app("board@northbridge.example", page="app_pages/agencies.py").run()
    assert not at.exception
    agency_id = at.selectbox(key="agency_detail").value
    with demo_engine.connect() as conn:
        total = conn.execute(
            text("select count(*) from action where lead_agency_id = :a"), {"a": agency_id}
        ).scalar_one()
        worst = sorted(
            (
                rules.days_overdue(status, rules.parse_iso(due), ANCHOR)
                for status, due in conn.execute(
                    text("select status, due_on from action where lead_agency_id = :a"),
                    {"a": agency_id},
                )
            ),
            reverse=True,
        )[:3]
    assert total > 3
    shown = at.dataframe[1].value
    assert len(shown) == 3
    assert [int(d or 0) for d in shown["days_overdue"]] == worst
    captions = [c.value for c in at.caption]
    assert (
        f"Showing 3 of {total:,} actions, worst first: the Actions page finds the others."
        in captions
    )
