"""An action is named with its recommendation's number ("2.1"), so that two actions numbered 1
under different recommendations of one review read apart (a fresh user saw "action 1" twice in
the Overview's ten most overdue and the pack's red items, from a board's tracker)."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest

from monitoring import db, exports, vocabulary
from monitoring.exports import layout
from monitoring.importer import import_path
from tests.conftest import ANCHOR, make_app


@pytest.mark.parametrize(
    ("rec", "number", "shown"),
    [
        ("2", "1", "2.1"),
        ("2", "2.1", "2.1"),
        ("2", "2.1a", "2.1a"),
        ("2", "2", "2.2"),
        ("10", "1", "10.1"),
        ("1", "10", "1.10"),
        (None, "3", "3"),
        ("", "3", "3"),
        ("4", None, "—"),
        ("3.", "1", "3.1"),
        ("3)", "1.", "3.1"),
        (".", "2", "2"),
    ],
)
def test_action_ref(rec, number, shown):
    assert vocabulary.action_ref(rec, number) == shown


@pytest.fixture
def two_action_ones(demo_engine, tmp_path):
    """A review whose recommendations 1 and 2 each have an action numbered 1, both overdue by
    far more than any demo action (so they head the ten most overdue)."""
    path = tmp_path / "tracker.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Review", "Rec number", "Action number", "Action description", "Target date"]
        )
        for rec, days in (("1", 2000), ("2", 1990)):
            due = ANCHOR - timedelta(days=days)
            writer.writerow(["REF-TWO", rec, "1", f"Action one of recommendation {rec}", due])
    summary = import_path(path, demo_engine, as_of=ANCHOR.isoformat())
    assert summary.written and not summary.errors
    return demo_engine


def test_the_overview_names_both_actions_apart(two_action_ones, app_env):
    at = make_app("board@northbridge.example", page="app_pages/overview.py")
    at.run()
    assert not at.exception
    top = next(frame.value for frame in at.dataframe if "days_overdue" in frame.value.columns)
    ours = top[top["review_ref"] == "REF-TWO"]
    assert list(ours["number"]) == ["1.1", "2.1"]


def test_the_pack_names_both_actions_apart(two_action_ones):
    with db.read_connection(two_action_ones) as conn:
        pack = exports.build_pack(conn, None)
    red = layout.red_items_table(pack)
    ours = [row[1] for row in red.rows if row[0] == "REF-TWO"]
    assert ours == ["1.1", "2.1"]
