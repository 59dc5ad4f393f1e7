"""The rules of DESIGN §4 at their edges."""

from datetime import date, timedelta

import pytest

from monitoring import rules

TODAY = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("status", "due_on", "expected"),
    [
        ("in_progress", TODAY, False),  # due today is not overdue
        ("in_progress", TODAY - timedelta(days=1), True),
        ("not_started", TODAY - timedelta(days=400), True),
        ("in_progress", None, False),  # no due date is never overdue
        ("completed", TODAY - timedelta(days=10), False),  # closed statuses are never overdue
        ("assured", TODAY - timedelta(days=10), False),
        ("not_implemented", TODAY - timedelta(days=10), False),
        ("superseded", TODAY - timedelta(days=10), False),
    ],
)
def test_overdue(status, due_on, expected):
    assert rules.is_overdue(status, due_on, TODAY) is expected


def test_days_overdue():
    assert rules.days_overdue("in_progress", TODAY - timedelta(days=45), TODAY) == 45
    assert rules.days_overdue("in_progress", TODAY, TODAY) == 0
    assert rules.days_overdue("completed", TODAY - timedelta(days=45), TODAY) == 0


@pytest.mark.parametrize(
    ("due_on", "expected"),
    [
        (TODAY, True),
        (TODAY + timedelta(days=30), True),
        (TODAY + timedelta(days=31), False),
        (TODAY - timedelta(days=1), False),
        (None, False),
    ],
)
def test_due_soon(due_on, expected):
    assert rules.is_due_soon("in_progress", due_on, TODAY) is expected


def test_due_soon_window_is_a_setting():
    assert rules.is_due_soon("in_progress", TODAY + timedelta(days=40), TODAY, window_days=45)


def test_no_due_date_is_its_own_group():
    assert rules.has_no_due_date("not_started", None)
    assert not rules.has_no_due_date("completed", None)
    assert not rules.has_no_due_date("in_progress", TODAY)


@pytest.mark.parametrize(
    ("status", "last", "expected"),
    [
        ("in_progress", TODAY - timedelta(days=90), False),
        ("in_progress", TODAY - timedelta(days=91), True),
        ("in_progress", None, True),
        ("completed", TODAY - timedelta(days=400), False),
    ],
)
def test_stale(status, last, expected):
    assert rules.is_stale(status, last, TODAY) is expected


@pytest.mark.parametrize(
    ("status", "due_on", "changes", "expected"),
    [
        ("completed", TODAY - timedelta(days=5), 0, "blue"),
        ("assured", None, 0, "blue"),
        ("not_implemented", TODAY - timedelta(days=5), 0, "grey"),
        ("superseded", None, 0, "grey"),
        ("in_progress", TODAY - timedelta(days=1), 0, "red"),
        ("not_started", TODAY + timedelta(days=10), 0, "amber"),  # due soon and not started
        ("in_progress", TODAY + timedelta(days=10), 0, "green"),  # due soon but started
        ("in_progress", TODAY + timedelta(days=100), 2, "amber"),  # date moved more than once
        ("in_progress", TODAY + timedelta(days=100), 1, "green"),  # moved once only
        ("in_progress", TODAY - timedelta(days=3), 2, "red"),  # overdue beats moved
        ("not_started", None, 0, "green"),  # no due date
        ("not_started", TODAY, 0, "amber"),  # due today, not started
    ],
)
def test_computed_rag(status, due_on, changes, expected):
    assert rules.computed_rag(status, due_on, TODAY, due_date_changes=changes) == expected


def test_rag_override_needs_a_reason():
    overdue = TODAY - timedelta(days=20)
    with_reason = rules.rag(
        "in_progress", overdue, TODAY, override="amber", override_reason="Agreed at board"
    )
    assert (with_reason.code, with_reason.computed, with_reason.overridden) == (
        "amber",
        "red",
        True,
    )
    assert with_reason.label == "Amber (overridden)"
    without_reason = rules.rag(
        "in_progress", overdue, TODAY, override="amber", override_reason="  "
    )
    assert (without_reason.code, without_reason.overridden) == ("red", False)
    with pytest.raises(ValueError, match="RAG override"):
        rules.rag("in_progress", overdue, TODAY, override="purple", override_reason="x")


def test_rag_labels_are_configurable(monkeypatch):
    monkeypatch.setenv("MONITORING_RAG_LABELS", '{"blue": "Complete", "nonsense": "x"}')
    assert rules.rag_labels()["blue"] == "Complete"
    assert "nonsense" not in rules.rag_labels()
    assert rules.rag("completed", None, TODAY).label == "Complete"


def test_completed_late_after_date_moved_is_not_on_time():
    original, moved, completed = date(2026, 1, 31), date(2026, 4, 30), date(2026, 3, 15)
    assert completed <= moved  # met the moved date ...
    assert rules.is_on_time(completed, original) is False  # ... but not the original one
    assert rules.is_on_time(date(2026, 1, 31), original) is True
    assert rules.is_on_time(None, original) is None


def test_recommendation_implementation():
    A = rules.ActionState
    assert rules.recommendation_implementation([], TODAY) == "no_actions"
    assert (
        rules.recommendation_implementation([A("completed", None), A("superseded", None)], TODAY)
        == "implemented"
    )
    assert (
        rules.recommendation_implementation(
            [A("completed", None), A("in_progress", TODAY - timedelta(days=1))], TODAY
        )
        == "overdue"
    )
    assert rules.recommendation_implementation([A("in_progress", TODAY)], TODAY) == "in_progress"


def test_scorecard_maths():
    pairs = [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 3, 1), date(2026, 1, 31)),
        (None, date(2026, 1, 1)),
    ]
    assert rules.on_time_percentage(pairs) == 50.0
    assert rules.on_time_percentage([]) is None
    assert rules.median_days_overdue([10, 30, 0, 20]) == 20.0
    assert rules.median_days_overdue([]) is None
    assert rules.percentage(1, 3) == 33.0
    assert rules.percentage(1, 8) == 13.0  # 12.5: half up, the same on every page and export
    assert rules.percentage(5, 8) == 63.0  # 62.5
    assert rules.percentage(3, 8) == 38.0 and rules.percentage(2, 3) == 67.0
    assert rules.percentage(199, 200) == 99.0 and rules.percentage(200, 200) == 100.0
    assert rules.percentage(1, 201) == 1.0 and rules.percentage(0, 201) == 0.0
    assert rules.percentage(1, 0) is None
