"""The overview's figures equal independent SQL over the demo database, as at two dates."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

from monitoring import queries, rules
from tests.conftest import ANCHOR, make_app

DATES = [ANCHOR, date(2026, 2, 15)]
OPEN = "status in ('not_started','in_progress')"


def scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.mark.parametrize("today", DATES)
def test_tiles_equal_sql(demo_engine, today):
    with demo_engine.connect() as conn:
        figures = queries.overview_figures(conn, today)
    t = today.isoformat()
    assert figures.overdue == scalar(
        demo_engine, f"select count(*) from action where {OPEN} and due_on < :t", t=t
    )
    assert figures.overdue > 0
    assert figures.open_actions == scalar(demo_engine, f"select count(*) from action where {OPEN}")
    assert figures.no_due_date == scalar(
        demo_engine, f"select count(*) from action where {OPEN} and due_on is null"
    )
    assert figures.no_due_date >= 1  # the national dependency
    assert figures.due_soon == scalar(
        demo_engine,
        f"select count(*) from action where {OPEN} and due_on >= :t and due_on <= :t30",
        t=t,
        t30=(today + timedelta(days=30)).isoformat(),
    )
    assert figures.reviews == scalar(demo_engine, "select count(*) from review") == 4
    assert figures.recommendations == scalar(demo_engine, "select count(*) from recommendation")
    assert figures.implemented == scalar(
        demo_engine,
        "select count(*) from recommendation r where exists (select 1 from action a where a.recommendation_id = r.id)"
        " and not exists (select 1 from action a where a.recommendation_id = r.id"
        " and a.status in ('not_started','in_progress'))",
    )
    assert figures.assured == scalar(
        demo_engine, "select count(*) from recommendation where assurance_status = 'assured'"
    )


def test_demo_has_the_shape_the_issue_asks_for(demo_engine):
    assert scalar(demo_engine, "select count(*) from agency") == 10
    assert 28 <= scalar(demo_engine, "select count(*) from recommendation") <= 35
    assert 70 <= scalar(demo_engine, "select count(*) from action") <= 110
    assert scalar(demo_engine, "select count(*) from action where due_date_changes > 0") >= 3
    assert scalar(demo_engine, "select count(*) from action where status = 'assured'") >= 3
    assert scalar(demo_engine, "select count(*) from recommendation where national_dependency") == 1
    with demo_engine.connect() as conn:
        first, last = conn.execute(
            text("select min(created_at), max(created_at) from action_update")
        ).one()
    span = datetime.fromisoformat(last) - datetime.fromisoformat(first)
    assert span.days >= 480  # about 18 months of dated updates
    moved = scalar(demo_engine, "select count(*) from action where due_on <> original_due_on")
    assert moved == scalar(demo_engine, "select count(distinct action_id) from due_date_change")


@pytest.mark.parametrize("today", DATES)
def test_sql_rag_equals_rule(demo_engine, today):
    from sqlalchemy import select

    from monitoring.db import action

    with demo_engine.connect() as conn:
        rows = (
            conn.execute(
                select(
                    action,
                    queries.rag_sql(today).label("sql_rag"),
                    queries.days_overdue_sql(today).label("days"),
                )
            )
            .mappings()
            .all()
        )
    for row in rows:
        due = rules.parse_iso(row["due_on"])
        expected = rules.rag(
            row["status"],
            due,
            today,
            due_date_changes=row["due_date_changes"],
            override=row["rag_override"],
            override_reason=row["rag_override_reason"],
        )
        assert row["sql_rag"] == expected.code, row["id"]
        assert row["days"] == rules.days_overdue(row["status"], due, today)


def test_overdue_by_agency_and_most_overdue(demo_engine):
    with demo_engine.connect() as conn:
        by_agency = queries.overdue_by_agency(conn, ANCHOR)
        top = queries.most_overdue_actions(conn, ANCHOR)
    expected = scalar(
        demo_engine,
        f"select count(*) from action where {OPEN} and due_on < :t and lead_agency_id = :a",
        t=ANCHOR.isoformat(),
        a=int(by_agency.iloc[0]["agency_id"]),
    )
    assert by_agency.iloc[0]["overdue"] == expected
    assert list(by_agency["overdue"]) == sorted(by_agency["overdue"], reverse=True)
    assert by_agency["overdue"].sum() == scalar(
        demo_engine,
        f"select count(*) from action where {OPEN} and due_on < :t",
        t=ANCHOR.isoformat(),
    )
    assert len(top) == min(10, by_agency["overdue"].sum())
    oldest = scalar(
        demo_engine,
        f"select min(due_on) from action where {OPEN} and due_on < :t",
        t=ANCHOR.isoformat(),
    )
    assert top.iloc[0]["due_on"].isoformat() == oldest
    assert top.iloc[0]["days_overdue"] == (ANCHOR - date.fromisoformat(oldest)).days


def test_overview_page_shows_the_sql_figures(demo_engine, app_env):
    at = make_app("board@northbridge.example")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    overdue = scalar(
        demo_engine,
        f"select count(*) from action where {OPEN} and due_on < :t",
        t=ANCHOR.isoformat(),
    )
    assert metrics["Overdue actions"] == str(overdue)
    assert metrics["Reviews"] == "4"
    assert metrics["Open with no target date"] == str(
        scalar(demo_engine, f"select count(*) from action where {OPEN} and due_on is null")
    )
    assert len(at.dataframe) == 1
    assert len(at.dataframe[0].value) == min(10, overdue)


def test_signed_out_sees_login_and_unknown_email_no_access(demo_engine, app_env):
    at = make_app(None)
    assert not at.exception
    assert at.title[0].value == "Safeguarding learning monitor"
    assert len(at.text_input) == 2
    at = make_app("stranger@elsewhere.example")
    assert at.title[0].value == "No access"
    assert not at.metric
