"""The "as at" reconstruction equals independent SQL over the dated history, and follows changes
made through the services."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from monitoring import asat, config, queries, services
from monitoring.queries import Filters
from tests.conftest import ANCHOR

PAST = [date(2026, 2, 15), date(2025, 9, 30)]

# Each action as it stood at :end (the start of the day after the "as at" date), in plain SQL.
STATE = """
with s as (
  select a.id, a.review_id, a.recommendation_id, a.lead_agency_id, a.created_at,
    coalesce(
      (select u.status from action_update u where u.action_id = a.id and u.status is not null
         and u.created_at < :end order by u.created_at desc, u.id desc limit 1),
      case when exists (select 1 from action_update u where u.action_id = a.id
                        and u.status is not null) then 'not_started' else a.status end
    ) as status,
    coalesce(
      (select c.new_due_on from due_date_change c where c.action_id = a.id
         and c.decision = 'approved' and c.decided_at < :end
         order by c.decided_at desc, c.id desc limit 1),
      case when exists (select 1 from due_date_change c where c.action_id = a.id
                        and c.decision = 'approved') then a.original_due_on else a.due_on end
    ) as due_on,
    (select max(substr(u.created_at, 1, 10)) from action_update u
      where u.action_id = a.id and u.created_at < :end) as last_on
  from action a where a.created_at < :end
)
"""
OPEN = "status in ('not_started','in_progress')"


def params(day: date) -> dict:
    return {
        "end": (day + timedelta(days=1)).isoformat(),
        "d": day.isoformat(),
        "d30": (day + timedelta(days=30)).isoformat(),
        "d90": (day - timedelta(days=90)).isoformat(),
    }


def one(engine, sql, **values):
    with engine.connect() as conn:
        return tuple(conn.execute(text(sql), values).one())


def all_rows(engine, sql, **values):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), values).all()]


@pytest.mark.parametrize("day", PAST)
def test_overview_as_at_equals_sql(demo_engine, day):
    with demo_engine.connect() as conn:
        figures = asat.overview_as_at(conn, day)
        now = queries.overview_figures(conn, day)
    actions, open_n, overdue, due_soon, no_due, stale = one(
        demo_engine,
        STATE
        + f"""select count(*),
            sum(case when {OPEN} then 1 else 0 end),
            sum(case when {OPEN} and due_on < :d then 1 else 0 end),
            sum(case when {OPEN} and due_on >= :d and due_on <= :d30 then 1 else 0 end),
            sum(case when {OPEN} and due_on is null then 1 else 0 end),
            sum(case when {OPEN} and coalesce(last_on, substr(created_at, 1, 10)) < :d90
                then 1 else 0 end)
          from s""",
        **params(day),
    )
    assert (figures.actions, figures.open_actions, figures.overdue) == (actions, open_n, overdue)
    assert (figures.due_soon, figures.no_due_date, figures.stale) == (due_soon, no_due, stale)
    recs, implemented, assured = one(
        demo_engine,
        STATE
        + f"""select count(*),
            sum(case when exists (select 1 from s where s.recommendation_id = m.id)
                 and not exists (select 1 from s where s.recommendation_id = m.id and s.{OPEN})
                 then 1 else 0 end),
            sum(case when m.assurance_status = 'assured' then 1 else 0 end)
          from recommendation m where m.created_at < :end""",
        **params(day),
    )
    assert (figures.recommendations, figures.implemented, figures.assured) == (
        recs,
        implemented,
        assured,
    )
    assert (
        figures.reviews
        == one(demo_engine, "select count(*) from review where created_at < :end", **params(day))[0]
    )
    # the reconstruction is not the records now seen with another "today"
    assert (figures.open_actions, figures.actions) != (now.open_actions, now.actions)
    assert figures.actions < now.actions or figures.recommendations < now.recommendations


@pytest.mark.parametrize("day", PAST)
def test_scorecard_as_at_equals_sql(demo_engine, day):
    with demo_engine.connect() as conn:
        card = asat.agency_scorecard_as_at(conn, day)
    expected = {
        agency: (n, open_n, overdue)
        for agency, n, open_n, overdue in all_rows(
            demo_engine,
            STATE
            + f"""select lead_agency_id, count(*), sum(case when {OPEN} then 1 else 0 end),
                sum(case when {OPEN} and due_on < :d then 1 else 0 end)
              from s group by lead_agency_id""",
            **params(day),
        )
    }
    assert {r.agency_id: (r.actions, r.open, r.overdue) for r in card.itertuples()} == expected
    top = max(v[2] for v in expected.values())
    assert card.iloc[0]["overdue"] == top > 0


def test_trend_points_equal_sql(demo_engine):
    start = date(2025, 10, 1)
    with demo_engine.connect() as conn:
        frame = asat.trend(conn, start, ANCHOR)
    points = sorted(set(frame["as_at"]))
    assert points == asat.month_ends(start, ANCHOR)
    assert points[0] == date(2025, 10, 31) and points[-1] == ANCHOR
    for day in (points[0], points[3]):
        per_review = {
            ref: (o, late, done)
            for ref, o, late, done in all_rows(
                demo_engine,
                STATE
                + f"""select r.ref, sum(case when s.{OPEN} then 1 else 0 end),
                    sum(case when s.{OPEN} and s.due_on < :d then 1 else 0 end),
                    sum(case when s.status in ('completed','assured') then 1 else 0 end)
                  from s join review r on r.id = s.review_id group by r.ref""",
                **params(day),
            )
        }
        at_day = frame[frame["as_at"] == day]
        got = {
            r.ref: (r.open, r.overdue, r.completed)
            for r in at_day.itertuples()
            if r.ref != asat.ALL_REVIEWS
        }
        assert got == per_review
        total = at_day[at_day["ref"] == asat.ALL_REVIEWS].iloc[0]
        assert total["open"] == sum(v[0] for v in per_review.values())
        assert total["overdue"] == sum(v[1] for v in per_review.values())


def test_filters_apply_as_at(demo_engine):
    review_id = one(demo_engine, "select id from review where ref = 'NSCP-SCR-K'")[0]
    day = PAST[0]
    with demo_engine.connect() as conn:
        figures = asat.overview_as_at(conn, day, Filters(review_ids=(review_id,)))
    expected = one(
        demo_engine,
        STATE + f"select count(*), sum(case when {OPEN} then 1 else 0 end) from s"
        " where review_id = :r",
        r=review_id,
        **params(day),
    )
    assert (figures.actions, figures.open_actions) == expected


def test_changes_through_services_show_from_their_date(demo_engine):
    """A status change, a RAG override and a recommendation's assurance made today appear as at
    today and not as at yesterday."""
    today = date.fromisoformat(config.utc_now_iso()[:10])
    yesterday = today - timedelta(days=1)
    admin = services.Actor.system("admin@northbridge.example")
    action_id, rec_id = one(
        demo_engine,
        "select id, recommendation_id from action where status = 'in_progress'"
        " and due_on is not null order by id limit 1",
    )
    before = {}
    with demo_engine.connect() as conn:
        for day in (yesterday, today):
            before[day] = asat.overview_as_at(conn, day)
    services.change_status(demo_engine, admin, action_id, "completed", version=None, note="Done")
    services.override_rag(demo_engine, admin, action_id, "amber", "Evidence is thin", version=None)
    services.assure_recommendation(demo_engine, admin, rec_id, "assured", version=None)
    with demo_engine.connect() as conn:
        after_yesterday = asat.overview_as_at(conn, yesterday)
        after_today = asat.overview_as_at(conn, today)
        y = asat.actions_as_at(yesterday)
        t = asat.actions_as_at(today)
        old = conn.execute(y.select().where(y.c.id == action_id)).mappings().one()
        new = conn.execute(t.select().where(t.c.id == action_id)).mappings().one()
    assert after_yesterday == before[yesterday]
    assert after_today.open_actions == before[today].open_actions - 1
    assert after_today.assured == before[today].assured + 1
    assert (old["status"], old["rag_override"]) == ("in_progress", None)
    assert (new["status"], new["rag_override"], new["rag_override_reason"]) == (
        "completed",
        "amber",
        "Evidence is thin",
    )


def _state(conn, day, action_id):
    a = asat.actions_as_at(day)
    return conn.execute(a.select().where(a.c.id == action_id)).mappings().one()


def test_status_without_history_before_the_date_comes_from_the_audit_log(demo_engine):
    """An action whose status history starts after the date (e.g. imported before history was
    kept) had on that date the status a later service write found, not ``not_started``."""
    today = date.fromisoformat(config.utc_now_iso()[:10])
    yesterday = today - timedelta(days=1)
    admin = services.Actor.system("admin@northbridge.example")
    noted, completed = [
        r[0]
        for r in all_rows(
            demo_engine,
            "select id from action where status = 'in_progress' and due_on is not null"
            " order by id limit 2",
        )
    ]
    # the records as an older tool left them: a status, but no dated status history
    with demo_engine.begin() as conn:
        conn.execute(
            text("delete from action_update where action_id in (:a, :b)"),
            {"a": noted, "b": completed},
        )
    with demo_engine.connect() as conn:
        assert _state(conn, yesterday, noted)["status"] == "in_progress"
        assert _state(conn, yesterday, completed)["status"] == "in_progress"
    services.add_progress_update(demo_engine, admin, noted, "Still going.", version=None)
    services.change_status(demo_engine, admin, completed, "completed", version=None)
    with demo_engine.connect() as conn:
        # a note keeps the status it carries; a status change's audit row gives the old status
        assert _state(conn, yesterday, noted)["status"] == "in_progress"
        assert _state(conn, yesterday, completed)["status"] == "in_progress"
        assert _state(conn, yesterday, completed)["completed_on"] is None
        assert _state(conn, today, noted)["status"] == "in_progress"
        now = _state(conn, today, completed)
    assert now["status"] == "completed"
    assert (
        now["completed_on"]
        == one(demo_engine, "select completed_on from action where id = :i", i=completed)[0]
    )


def test_target_date_before_a_later_approved_change_is_its_old_date(demo_engine):
    today = date.fromisoformat(config.utc_now_iso()[:10])
    yesterday = today - timedelta(days=1)
    admin = services.Actor.system("admin@northbridge.example")
    action_id, due_on = one(
        demo_engine,
        f"select id, due_on from action where {OPEN} and due_on is not null"
        " and due_date_changes = 0 order by id limit 1",
    )
    new_due = date.fromisoformat(due_on) + timedelta(days=60)
    change = services.request_due_date_change(
        demo_engine, admin, action_id, new_due, "More time", version=None
    )
    services.decide_due_date_change(demo_engine, admin, change["id"], True)
    with demo_engine.connect() as conn:
        then, now = _state(conn, yesterday, action_id), _state(conn, today, action_id)
    assert (then["due_on"], then["due_date_changes"]) == (due_on, 0)
    assert (now["due_on"], now["due_date_changes"]) == (new_due.isoformat(), 1)


@pytest.mark.parametrize("day", PAST)
def test_recommendations_as_at_equal_sql(demo_engine, day):
    r = asat.recommendations_as_at(day)
    with demo_engine.connect() as conn:
        got = {
            row.id: (row.response_status, row.assurance_status)
            for row in conn.execute(r.select()).all()
        }
    expected = {
        i: (response, assurance)
        for i, response, assurance in all_rows(
            demo_engine,
            "select id, case when responded_on > :d then 'awaiting' else response_status end,"
            " assurance_status from recommendation where created_at < :end",
            **params(day),
        )
    }
    assert got == expected
    awaiting = sum(v[0] == "awaiting" for v in got.values())
    assert (
        awaiting
        == one(
            demo_engine,
            "select count(*) from recommendation where created_at < :end"
            " and (responded_on > :d or response_status = 'awaiting')",
            **params(day),
        )[0]
    )
