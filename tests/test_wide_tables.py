"""The columns a board reads (review ref, action, description, lead agency, target date, status,
RAG) come first in the wide tables and fit a 1400 px window (widgets.GRID_WIDTH, measured with
Playwright in Chromium: the main area's table is 938 px wide, 906 px inside a tab or expander);
other columns follow and scroll. A new user found them cut off at 1400 px."""

from __future__ import annotations

import json

from monitoring import rules
from monitoring.ui import widgets
from tests.conftest import make_app

BOARD = "board@northbridge.example"
LEAD = "police.lead@northbridge.example"
IN_A_TAB = widgets.GRID_WIDTH - 32
"""A tab or an expander's padding (906 px measured at 1400 px)."""


def shown(element) -> list[tuple[str, int | None]]:
    """(label, width) of each visible column, in the order drawn."""
    config = json.loads(element.proto.columns)
    order = list(element.proto.column_order) or list(element.value.columns)
    columns = []
    for name in order:
        conf = config.get(name, {})
        if conf.get("hidden"):
            continue
        columns.append((conf.get("label", name), conf.get("width")))
    return columns


def assert_fits(element, labels: list[str], width: int) -> None:
    columns = shown(element)
    first = columns[: len(labels)]
    assert [label for label, _ in first] == labels, columns
    assert all(isinstance(w, int) for _, w in first), first
    assert sum(w for _, w in first) <= width, first


def test_actions_table_fits(demo_engine, app_env):
    at = make_app(BOARD, page="app_pages/actions.py")
    assert not at.exception
    # the key columns first (a phone shows these without scrolling sideways), then the rest
    key = ["Review", "Action", "RAG", "Days overdue"]
    board = ["Action description", "Lead agency", "Target date", "Status"]
    assert_fits(at.dataframe[0], [*key, *board], widgets.GRID_WIDTH)
    # the id and code columns are not shown; every other column still is, after these
    labels = [label for label, _ in shown(at.dataframe[0])]
    assert "action_id" not in labels and "rag" not in labels
    assert {"Recommendation", "Lead officer", "Original target", "Last update"} <= set(labels)


def test_agencies_tables_fit(demo_engine, app_env):
    at = make_app(BOARD, page="app_pages/agencies.py")
    assert not at.exception
    scorecard, drill = at.dataframe[0], at.dataframe[1]
    assert_fits(
        scorecard,
        [
            "Lead agency",
            "Actions",
            "Open",
            "Overdue",
            "Overdue 90+",
            "Completed",
            "On time",
            "Median overdue",
            "Dates moved",
            "Since update",
        ],
        widgets.GRID_WIDTH,
    )
    assert "agency_id" not in [label for label, _ in shown(scorecard)]
    assert_fits(
        drill,
        ["Review", "Action", "Action description", "Target date", "Status", "RAG", "Days overdue"],
        widgets.GRID_WIDTH,
    )


def test_reviews_tables_fit(demo_engine, app_env):
    at = make_app(BOARD, page="app_pages/reviews.py")
    assert not at.exception
    register = at.dataframe[0]
    assert len(shown(register)) == 8  # every column, and no review_id
    assert_fits(register, [label for label, _ in shown(register)], widgets.GRID_WIDTH)
    for detail in at.dataframe[1:]:
        assert_fits(
            detail,
            ["Action", "Action description", "Lead agency", "Target date", "Status", "RAG"],
            IN_A_TAB,
        )


def test_my_actions_bulk_table_fits_and_shows_status_words(demo_engine, app_env):
    at = make_app(LEAD, page="app_pages/my_actions.py")
    assert not at.exception
    (editor,) = [d for d in at.dataframe if d.editing_mode != "read_only"]
    labels = [label for label, _ in shown(editor)]
    assert labels == [
        "Review",
        "Action",
        "Action description",
        "Target date",
        "Status",
        "New progress note",
    ]
    assert_fits(editor, labels, IN_A_TAB)
    status = json.loads(editor.proto.columns)["status"]["type_config"]["options"]
    assert [o["label"] for o in status] == [rules.STATUS_LABELS[o["value"]] for o in status]


def test_work_queues_fit_a_tab(demo_engine, app_env):
    board = ["Review", "Action", "Action description", "Lead agency"]
    at = make_app(LEAD, page="app_pages/my_actions.py")
    assert not at.exception
    assert_fits(
        at.dataframe(key="my_actions_table_"),
        ["RAG", *board, "Target date", "Status"],
        IN_A_TAB,
    )
    at = make_app(BOARD, page="app_pages/assurance.py")
    assert not at.exception
    assert_fits(at.dataframe(key="assurance_table_"), [*board, "Completed"], IN_A_TAB)
    at = make_app(BOARD, page="app_pages/history.py")
    assert not at.exception
    assert_fits(
        at.dataframe(key="history_table_"),
        ["Review", "Rec.", "Action", "Action description", "Lead agency", "Status"],
        IN_A_TAB,
    )
