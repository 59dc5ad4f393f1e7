"""The board read models (scorecard, review register and drill-down, action list, themes) equal
independent SQL over the demo database."""

from datetime import date, timedelta
from statistics import median

import pandas as pd
import pytest
from sqlalchemy import text

from monitoring import queries, rules
from monitoring.queries import Filters
from tests.conftest import ANCHOR

OPEN = "status in ('not_started','in_progress')"
DONE = "status in ('completed','assured')"
DATES = [ANCHOR, date(2026, 2, 15)]


def rows(engine, sql, **params):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def scalar(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.mark.parametrize("today", DATES)
def test_scorecard_equals_sql(demo_engine, today):
    with demo_engine.connect() as conn:
        card = queries.agency_scorecard(conn, today)
    t = today.isoformat()
    t90 = (today - timedelta(days=90)).isoformat()
    expected = {
        agency_id: (name, n, open_n, overdue, overdue_90, done, changes, last)
        for agency_id, name, n, open_n, overdue, overdue_90, done, changes, last in rows(
            demo_engine,
            f"""select g.id, g.name, count(*),
                sum(case when a.{OPEN} then 1 else 0 end),
                sum(case when a.{OPEN} and a.due_on < :t then 1 else 0 end),
                sum(case when a.{OPEN} and a.due_on < :t90 then 1 else 0 end),
                sum(case when a.{DONE} then 1 else 0 end),
                (select count(*) from due_date_change c join action x on x.id = c.action_id
                  where x.lead_agency_id = g.id and c.decision = 'approved'),
                max(a.last_update_on)
            from action a join agency g on g.id = a.lead_agency_id group by g.id, g.name""",
            t=t,
            t90=t90,
        )
    }
    assert (
        len(card)
        == len(expected)
        == scalar(demo_engine, "select count(distinct lead_agency_id) from action")
    )
    for row in card.itertuples():
        name, n, open_n, overdue, overdue_90, done, changes, last = expected[row.agency_id]
        assert (row.agency, row.actions, row.open, row.overdue) == (name, n, open_n, overdue)
        assert (row.overdue_90, row.completed, row.date_changes) == (overdue_90, done, changes)
        assert row.last_update_on == date.fromisoformat(last)
        assert row.days_since_update == max(0, (today - date.fromisoformat(last)).days)
        pairs = rows(
            demo_engine,
            f"select completed_on, original_due_on from action where lead_agency_id = :a"
            f" and {DONE} and completed_on is not null and original_due_on is not null",
            a=row.agency_id,
        )
        on_time = sum(1 for c, o in pairs if c <= o)
        assert row.on_time_pct == (rules.percentage(on_time, len(pairs)) if pairs else None)
        dues = rows(
            demo_engine,
            f"select due_on from action where lead_agency_id = :a and {OPEN} and due_on < :t",
            a=row.agency_id,
            t=t,
        )
        days = [(today - date.fromisoformat(d)).days for (d,) in dues]
        assert row.median_days_overdue == (float(median(days)) if days else None)
    # worst first: overdue, then overdue > 90 days, then name
    keys = [(-r.overdue, -r.overdue_90, r.agency) for r in card.itertuples()]
    assert keys == sorted(keys)
    top = rows(
        demo_engine,
        f"""select lead_agency_id, count(*) from action where {OPEN} and due_on < :t
            group by lead_agency_id order by count(*) desc""",
        t=t,
    )
    assert card.iloc[0]["overdue"] == top[0][1] > 0


def test_scorecard_respects_filters(demo_engine):
    review_id = scalar(demo_engine, "select id from review where ref = 'NSCP-SCR-K'")
    with demo_engine.connect() as conn:
        card = queries.agency_scorecard(conn, ANCHOR, Filters(review_ids=(review_id,)))
    expected = dict(
        rows(
            demo_engine,
            "select lead_agency_id, count(*) from action where review_id = :r"
            " group by lead_agency_id",
            r=review_id,
        )
    )
    assert dict(zip(card["agency_id"], card["actions"], strict=True)) == expected


@pytest.mark.parametrize("today", DATES)
def test_review_register_equals_sql(demo_engine, today):
    with demo_engine.connect() as conn:
        register = queries.review_register(conn, today)
    expected = rows(
        demo_engine,
        f"""select r.id, r.ref, r.review_type, r.published_on,
            (select count(*) from recommendation m where m.review_id = r.id),
            (select count(*) from recommendation m where m.review_id = r.id
               and exists (select 1 from action a where a.recommendation_id = m.id)
               and not exists (select 1 from action a where a.recommendation_id = m.id
                               and a.{OPEN})),
            (select count(*) from recommendation m where m.review_id = r.id
               and m.assurance_status = 'assured'),
            (select count(*) from action a where a.review_id = r.id and a.{OPEN}
               and a.due_on < :t)
        from review r order by r.published_on desc""",
        t=today.isoformat(),
    )
    assert len(register) == len(expected) == 4
    for row, (rid, ref, rtype, published, recs, implemented, assured, overdue) in zip(
        register.itertuples(), expected, strict=True
    ):
        assert (row.review_id, row.ref, row.review_type) == (rid, ref, rtype)
        assert row.published_on == date.fromisoformat(published)
        assert row.recommendations == recs
        # whole numbers, halves rounded up (rules.percentage)
        assert row.pct_implemented == rules.percentage(implemented, recs)
        assert row.pct_assured == rules.percentage(assured, recs)
        assert row.overdue == overdue
    assert register["overdue"].sum() > 0


def test_review_register_type_filter(demo_engine):
    with demo_engine.connect() as conn:
        register = queries.review_register(conn, ANCHOR, Filters(review_types=("SAR", "DHR")))
    assert sorted(register["ref"]) == sorted(
        r for (r,) in rows(demo_engine, "select ref from review where review_type in ('SAR','DHR')")
    )


def test_review_detail_equals_sql(demo_engine):
    review_id = scalar(
        demo_engine, "select review_id from recommendation where response_status = 'awaiting'"
    )
    with demo_engine.connect() as conn:
        detail = queries.review_detail(conn, review_id, ANCHOR)
    n_actions = scalar(demo_engine, "select count(*) from action where review_id = :r", r=review_id)
    no_actions = scalar(
        demo_engine,
        "select count(*) from recommendation m where review_id = :r and not exists"
        " (select 1 from action a where a.recommendation_id = m.id)",
        r=review_id,
    )
    assert no_actions >= 1
    assert len(detail) == n_actions + no_actions
    empty = detail[detail["action_id"].isna()]
    assert len(empty) == no_actions
    assert set(empty["implementation"]) == {"no_actions"}
    for row in detail.dropna(subset=["action_id"]).itertuples():
        status, due_on, last_on, agency = rows(
            demo_engine,
            "select a.status, a.due_on, a.last_update_on, g.name from action a"
            " join agency g on g.id = a.lead_agency_id where a.id = :i",
            i=int(row.action_id),
        )[0]
        note = rows(
            demo_engine,
            "select progress_note from action_update where action_id = :i"
            " order by created_at desc, id desc",
            i=int(row.action_id),
        )
        assert (row.status, row.agency) == (status, agency)
        assert row.due_on == rules.parse_iso(due_on)
        assert row.last_update_on == rules.parse_iso(last_on)
        assert (None if pd.isna(row.last_update_note) else row.last_update_note) == (
            note[0][0] if note else None
        )
        assert row.rag == rules.computed_rag(
            status,
            rules.parse_iso(due_on),
            ANCHOR,
            due_date_changes=scalar(
                demo_engine,
                "select due_date_changes from action where id = :i",
                i=int(row.action_id),
            ),
        )
        siblings = rows(
            demo_engine,
            "select status, due_on from action where recommendation_id = :m",
            m=row.recommendation_id,
        )
        opened = [s for s, _ in siblings if s in ("not_started", "in_progress")]
        late = [
            d
            for s, d in siblings
            if s in ("not_started", "in_progress") and d and d < ANCHOR.isoformat()
        ]
        expected = "implemented" if not opened else "overdue" if late else "in_progress"
        assert row.implementation == expected


@pytest.mark.parametrize(
    "view, where",
    [
        ("all", "1 = 1"),
        ("overdue", f"{OPEN} and due_on < :t"),
        ("due_soon", f"{OPEN} and due_on >= :t and due_on <= :t30"),
        ("no_due_date", f"{OPEN} and due_on is null"),
        ("stale", f"{OPEN} and coalesce(last_update_on, substr(created_at, 1, 10)) < :t90"),
    ],
)
def test_action_list_views_equal_sql(demo_engine, view, where):
    params = {
        "t": ANCHOR.isoformat(),
        "t30": (ANCHOR + timedelta(days=30)).isoformat(),
        "t90": (ANCHOR - timedelta(days=90)).isoformat(),
    }
    with demo_engine.connect() as conn:
        frame = queries.action_list(conn, ANCHOR, view=view)
    expected = {i for (i,) in rows(demo_engine, f"select id from action where {where}", **params)}
    assert expected, view
    assert set(frame["action_id"]) == expected
    assert len(frame) == len(expected)
    if view == "overdue":
        for row in frame.itertuples():
            assert row.days_overdue == (ANCHOR - row.due_on).days > 0
            assert row.rag in ("red",) or row.rag != "blue"


def test_action_list_filters_by_rag_status_and_agency(demo_engine):
    police = scalar(demo_engine, "select id from agency where short_name = 'POL'")
    filters = Filters(agency_ids=(police,), statuses=("in_progress",), rag=("red",))
    with demo_engine.connect() as conn:
        frame = queries.action_list(conn, ANCHOR, filters)
    expected = {
        i
        for (i,) in rows(
            demo_engine,
            "select id from action where lead_agency_id = :a and status = 'in_progress'"
            " and due_on < :t and (rag_override is null or rag_override_reason is null)",
            a=police,
            t=ANCHOR.isoformat(),
        )
    }
    assert expected and set(frame["action_id"]) == expected
    with pytest.raises(ValueError, match="view must be one of"), demo_engine.connect() as conn:
        queries.action_list(conn, ANCHOR, view="late")


def test_theme_summary_equals_sql(demo_engine):
    with demo_engine.connect() as conn:
        themes = queries.theme_summary(conn, ANCHOR)
    expected = {
        tid: (name, n, reviews)
        for tid, name, n, reviews in rows(
            demo_engine,
            """select t.id, t.name, count(distinct m.id), count(distinct m.review_id)
               from theme t join recommendation_theme rt on rt.theme_id = t.id
               join recommendation m on m.id = rt.recommendation_id group by t.id, t.name""",
        )
    }
    assert len(themes) == len(expected)
    for row in themes.itertuples():
        assert (row.theme, row.recommendations, row.reviews) == expected[row.theme_id]
        assert row.repeat == (expected[row.theme_id][2] > 1)
        assert row.overdue == scalar(
            demo_engine,
            f"""select count(*) from action a join recommendation_theme rt
                on rt.recommendation_id = a.recommendation_id
                where rt.theme_id = :th and a.{OPEN} and a.due_on < :t""",
            th=row.theme_id,
            t=ANCHOR.isoformat(),
        )
    assert themes["repeat"].any() and not themes["repeat"].all()
    with demo_engine.connect() as conn:
        recs = queries.theme_recommendations(conn, int(themes.iloc[0]["theme_id"]))
    assert len(recs) == themes.iloc[0]["recommendations"]


def test_filter_options_list_every_review_agency_and_theme(demo_engine):
    with demo_engine.connect() as conn:
        options = queries.filter_options(conn)
    assert len(options["reviews"]) == scalar(demo_engine, "select count(*) from review")
    assert len(options["agencies"]) == scalar(demo_engine, "select count(*) from agency")
    assert len(options["themes"]) == scalar(demo_engine, "select count(*) from theme")
    assert {c for c, _ in options["review_types"]} == {
        t for (t,) in rows(demo_engine, "select distinct review_type from review")
    }


def test_a_viewer_is_offered_only_agencies_of_published_reviews(demo_engine):
    """A fresh user, as a viewer, was offered every agency in the Lead agency filter, including
    one named only in an unpublished review: a viewer is offered only the agencies leading an
    action in a review published by today (and the board every agency)."""
    from monitoring import reads
    from monitoring.db import agency
    from monitoring.source import Scope

    with demo_engine.begin() as conn:  # one unpublished review, with an agency only it names
        conn.execute(text("update review set published_on = null where id = 1"))
        conn.execute(
            agency.insert().values(
                name="Only Unpublished", short_name="OU", active=True, is_statutory_partner=False
            )
        )
        conn.execute(
            text(
                "update action set lead_agency_id = (select id from agency where name ="
                " 'Only Unpublished') where id = (select min(id) from action where review_id = 1)"
            )
        )
    expected = {
        name
        for (name,) in rows(
            demo_engine,
            "select distinct g.name from action a join review v on v.id = a.review_id"
            " join agency g on g.id = a.lead_agency_id"
            " where v.published_on is not null and v.published_on <= :t",
            t=ANCHOR.isoformat(),
        )
    }
    with demo_engine.connect() as conn:
        viewer = reads.filter_options(conn, Scope("viewer"), ANCHOR)
        board = reads.filter_options(conn, Scope("board"), ANCHOR)
    offered = {name for _id, name in viewer["agencies"]}
    assert offered == expected and "Only Unpublished" not in offered
    assert "Only Unpublished" in {name for _id, name in board["agencies"]}
