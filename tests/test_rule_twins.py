"""Each rule once (issue 19): one table of edge cases proves each Python rule in monitoring.rules
equal to its SQL twin in monitoring.queries, on the backend under test (SQLite or PostgreSQL).

Each case is one action's fields; the SQL twins are evaluated over that row as a one-row
selectable (the same expressions the read models apply to the ``action`` table and to the "as at"
reconstructions)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Integer, String, func, literal, select, union_all

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
    "89 days overdue": ("in_progress", TODAY - 89 * D, 0, None, None, TODAY, None),
    "30 days overdue exactly": ("not_started", TODAY - 30 * D, 0, None, None, TODAY, None),
    "29 days overdue": ("in_progress", TODAY - 29 * D, 0, None, None, TODAY, None),
    "421 days overdue, overridden green": (
        "in_progress",
        TODAY - 421 * D,
        0,
        "green",
        "Agreed at the board",
        TODAY,
        None,
    ),
    "completed 400 days after its date": ("completed", TODAY - 400 * D, 0, None, None, None, None),
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
                queries.escalation_level_sql(TODAY, rules.DEFAULT_ESCALATION_DAYS, a),
                queries.is_escalated_to_board_sql(TODAY, rules.DEFAULT_ESCALATION_DAYS, a),
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
        rules.escalation_level(status, due_on, TODAY),
        rules.is_escalated_to_board(status, due_on, TODAY),
    )
    names = (
        "open",
        "overdue",
        "due soon",
        "no date",
        "stale",
        "RAG",
        "days overdue",
        "escalation level",
        "escalated to the board",
    )
    flags = {0, 1, 2, 3, 4, 8}
    got = {
        n: (bool(v) if i in flags else v) for i, (n, v) in enumerate(zip(names, sql, strict=True))
    }
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
    assert {rules.escalation_level(c[0], c[1], TODAY) for c in CASES.values()} == {0, 1, 2, 3}


def test_escalation_is_the_ladder_at_its_edges():
    """Escalation is computed when read from days overdue (issue 19: the pack once said "no
    action has been escalated" while 5 actions were 99-421 days overdue): 90 days exactly reaches
    the board; 89 does not; an override of the RAG does not stop the count."""
    levels = {
        name: rules.escalation_level(CASES[name][0], CASES[name][1], TODAY)
        for name in (
            "due yesterday",
            "29 days overdue",
            "30 days overdue exactly",
            "89 days overdue",
            "90 days overdue exactly",
            "421 days overdue, overridden green",
            "no target date",
            "completed 400 days after its date",
        )
    }
    assert levels == {
        "due yesterday": 1,
        "29 days overdue": 1,
        "30 days overdue exactly": 2,
        "89 days overdue": 2,
        "90 days overdue exactly": 3,
        "421 days overdue, overridden green": 3,
        "no target date": 0,
        "completed 400 days after its date": 0,
    }
    assert rules.escalation_level("in_progress", TODAY - 60 * D, TODAY, (1, 14, 60)) == 3


# --- recommendations: never assured nor ready for assurance when not delivered -----------------

RECOMMENDATION_CASES = {
    # name: (response_status, assurance_status, action statuses)
    "assured, every action assured": ("accepted", "assured", ("assured", "assured")),
    "assured, one action not implemented": ("accepted", "assured", ("assured", "not_implemented")),
    "assured, every action superseded": ("accepted", "assured", ("superseded", "superseded")),
    "assured, actions not implemented or superseded": (
        "accepted",
        "assured",
        ("not_implemented", "superseded"),
    ),
    "assured, not accepted": ("not_accepted", "assured", ("assured",)),
    "assured, no actions": ("accepted", "assured", ()),
    "assured, no response recorded": (None, "assured", ("completed",)),
    "ready, every action completed": ("accepted", "ready_for_assessment", ("completed",)),
    "ready, every action not implemented": (
        "partially_accepted",
        "ready_for_assessment",
        ("not_implemented",),
    ),
    "ready, not accepted": ("not_accepted", "ready_for_assessment", ("completed",)),
    "ready, one action open": ("accepted", "ready_for_assessment", ("completed", "in_progress")),
    "superseded recommendation": ("accepted", "superseded", ("completed",)),
    "closed as unacceptable": ("accepted", "closed_unacceptable", ("completed",)),
    "not assessed, every action superseded": ("awaiting", "not_assessed", ("superseded",)),
    "no assurance status recorded": ("accepted", None, ("completed",)),
}


def _recommendation_rows(case):
    """(recommendation-shaped, action-shaped) one-recommendation selectables for ``case``."""
    response, assurance, statuses = case
    r = select(
        literal(1, Integer).label("id"),
        literal(response, String).label("response_status"),
        literal(assurance, String).label("assurance_status"),
    ).subquery("one_recommendation")
    rows = [
        select(literal(1, Integer).label("recommendation_id"), literal(s, String).label("status"))
        for s in statuses
    ] or [
        select(
            literal(1, Integer).label("recommendation_id"), literal("x", String).label("status")
        ).where(literal(1, Integer) == 0)
    ]
    a = union_all(*rows).subquery("its_actions") if len(rows) > 1 else rows[0].subquery("its")
    return r, a


@pytest.mark.parametrize("name", list(RECOMMENDATION_CASES))
def test_recommendation_rule_equals_its_sql_twin(name, engine):
    case = RECOMMENDATION_CASES[name]
    r, a = _recommendation_rows(case)
    with engine.connect() as conn:
        sql = conn.execute(
            select(
                queries.recommendation_not_delivered_sql(r, a),
                queries.counts_as_assured_sql(r, a),
                queries.is_ready_for_assurance_sql(r, a),
            ).select_from(r)
        ).one()
    # the same rule over per-recommendation counts (as the register and "as at" figures use)
    per = (
        select(
            a.c.recommendation_id,
            func.count().label("n"),
            queries.live_count_sql(a).label("live_n"),
        )
        .group_by(a.c.recommendation_id)
        .subquery("per_recommendation")
    )
    counts = (per.c.n, per.c.live_n)
    with engine.connect() as conn:
        by_counts = conn.execute(
            select(
                queries.recommendation_not_delivered_sql(r, counts=counts),
                queries.counts_as_assured_sql(r, counts=counts),
                queries.is_ready_for_assurance_sql(r, counts=counts),
            ).select_from(r.outerjoin(per, per.c.recommendation_id == r.c.id))
        ).one()
    python = (
        rules.recommendation_not_delivered(*case),
        rules.counts_as_assured(*case),
        rules.is_ready_for_assurance(*case),
    )
    assert tuple(bool(v) for v in sql) == python, name
    assert tuple(bool(v) for v in by_counts) == python, name


def test_a_recommendation_not_delivered_is_never_assured_nor_ready():
    """The invariant over the table, and the table reaches each outcome."""
    outcomes = set()
    for case in RECOMMENDATION_CASES.values():
        withdrawn = rules.recommendation_not_delivered(*case)
        assured = rules.counts_as_assured(*case)
        ready = rules.is_ready_for_assurance(*case)
        assert not (withdrawn and (assured or ready)), case
        assert not (assured and ready), case
        outcomes.add((withdrawn, assured, ready))
    assert outcomes == {
        (True, False, False),
        (False, True, False),
        (False, False, True),
        (False, False, False),
    }
    assert rules.recommendation_not_delivered(
        *RECOMMENDATION_CASES["assured, every action superseded"]
    )
    assert not rules.recommendation_not_delivered(
        *RECOMMENDATION_CASES["assured, one action not implemented"]
    )
