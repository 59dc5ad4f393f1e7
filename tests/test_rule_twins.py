"""Each rule once (issue 19): one table of edge cases proves each Python rule in monitoring.rules
equal to its SQL twin in monitoring.queries, on the backend under test (SQLite or PostgreSQL).

Each case is one action's fields; the SQL twins are evaluated over that row as a one-row
selectable (the same expressions the read models apply to the ``action`` table and to the "as at"
reconstructions)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Integer, String, literal, select

from monitoring import queries, rules

TODAY = date(2026, 6, 30)
D = timedelta(days=1)

CASES = {
    # name: (status, due_on, due_date_changes, rag_override, override_reason, last_update_on,
    #        created_at)
    "due today, not started": ("not_started", TODAY, 0, None, None, TODAY, None),
    "due today, in progress": ("in_progress", TODAY, 0, None, None, TODAY, None),
    "due yesterday": ("in_progress", TODAY - D, 0, None, None, TODAY, None),
    "edge of the window": ("not_started", TODAY + 30 * D, 0, None, None, TODAY, None),
    "just past the window": ("not_started", TODAY + 31 * D, 0, None, None, TODAY, None),
    "no target date": ("in_progress", None, 0, None, None, TODAY, None),
    "no target date, not started": ("not_started", None, 0, None, None, None, "2026-06-01"),
    "completed after its date": ("completed", TODAY - 10 * D, 0, None, None, TODAY, None),
    "assured": ("assured", TODAY - 10 * D, 0, None, None, TODAY, None),
    "superseded, past its date": ("superseded", TODAY - 10 * D, 0, None, None, None, None),
    "not implemented": ("not_implemented", TODAY - 200 * D, 0, None, None, None, None),
    "override with blank reason": ("in_progress", TODAY - D, 0, "green", "   ", TODAY, None),
    "override with no reason": ("in_progress", TODAY - D, 0, "green", None, TODAY, None),
    "override with a reason": ("in_progress", TODAY - D, 0, "green", "Agreed", TODAY, None),
    "override on a closed action": ("completed", None, 0, "red", "Reopened", TODAY, None),
    "date moved once": ("in_progress", TODAY + 60 * D, 1, None, None, TODAY, None),
    "date moved twice": ("in_progress", TODAY + 60 * D, 2, None, None, TODAY, None),
    "moved twice and overdue": ("in_progress", TODAY - 5 * D, 2, None, None, TODAY, None),
    "90 days overdue exactly": ("in_progress", TODAY - 90 * D, 0, None, None, TODAY, None),
    "91 days overdue": ("in_progress", TODAY - 91 * D, 0, None, None, TODAY, None),
    "update exactly 90 days ago": ("in_progress", None, 0, None, None, TODAY - 90 * D, None),
    "update 91 days ago": ("in_progress", None, 0, None, None, TODAY - 91 * D, None),
    "no update, created long ago": ("in_progress", None, 0, None, None, None, "2025-01-01"),
    "no update, no creation date": ("in_progress", None, 0, None, None, None, None),
    "stale but closed": ("completed", None, 0, None, None, TODAY - 400 * D, None),
}


def _row(case):
    status, due_on, changes, override, reason, last, created = case

    def text(value):
        return literal(value.isoformat() if isinstance(value, date) else value, String)

    return select(
        literal(status, String).label("status"),
        text(due_on).label("due_on"),
        literal(changes, Integer).label("due_date_changes"),
        text(override).label("rag_override"),
        text(reason).label("rag_override_reason"),
        text(last).label("last_update_on"),
        text(created).label("created_at"),
    ).subquery("one_action")


@pytest.mark.parametrize("name", list(CASES))
def test_python_rule_equals_its_sql_twin(name, engine):
    case = CASES[name]
    status, due_on, changes, override, reason, last, created = case
    a = _row(case)
    with engine.connect() as conn:
        sql = conn.execute(
            select(
                queries.is_open_sql(a),
                queries.is_overdue_sql(TODAY, a),
                queries.is_due_soon_sql(TODAY, 30, a),
                queries.no_due_date_sql(a),
                queries.is_stale_sql(TODAY, 90, a),
                queries.rag_sql(TODAY, 30, a),
                queries.days_overdue_sql(TODAY, a),
            ).select_from(a)
        ).one()
    activity = last or (date.fromisoformat(created) if created else None)
    python = (
        rules.is_open(status),
        rules.is_overdue(status, due_on, TODAY),
        rules.is_due_soon(status, due_on, TODAY, 30),
        rules.has_no_due_date(status, due_on),
        rules.is_stale(status, activity, TODAY, 90),
        rules.rag(
            status,
            due_on,
            TODAY,
            due_date_changes=changes,
            override=override,
            override_reason=reason,
        ).code,
        rules.days_overdue(status, due_on, TODAY),
    )
    names = ("open", "overdue", "due soon", "no date", "stale", "RAG", "days overdue")
    got = {n: (bool(v) if i < 5 else v) for i, (n, v) in enumerate(zip(names, sql, strict=True))}
    assert got == dict(zip(names, python, strict=True)), name


def test_the_table_covers_each_outcome():
    """The edge cases reach every RAG code and both sides of each date rule."""
    seen = {
        rules.rag(
            c[0], c[1], TODAY, due_date_changes=c[2], override=c[3], override_reason=c[4]
        ).code
        for c in CASES.values()
    }
    assert seen == set(rules.RAG_CODES)
    assert {rules.is_due_soon(c[0], c[1], TODAY) for c in CASES.values()} == {True, False}
    assert {rules.days_overdue(c[0], c[1], TODAY) for c in CASES.values()} >= {0, 1, 90, 91}
