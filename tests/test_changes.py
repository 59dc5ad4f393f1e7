""" "Changes since the last meeting": every change made through the services between two meeting
dates appears exactly once, and nothing else does; the demo history's changes equal SQL."""

from collections import Counter
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import text

from monitoring import changes, config, services
from tests.conftest import ANCHOR

ADMIN = services.Actor.system("admin@northbridge.example")
BOARD = services.Actor(email="board@northbridge.example", role="board")
OPEN = "status in ('not_started','in_progress')"


def rows(engine, sql, **values):
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), values).all()]


def first_ids(engine, where, n):
    return [i for (i,) in rows(engine, f"select id from action where {where} order by id")][:n]


def test_changes_through_services_appear_exactly_once(demo_engine):
    today = date.fromisoformat(config.utc_now_iso()[:10])
    yesterday = today - timedelta(days=1)
    first = services.create_meeting(demo_engine, BOARD, yesterday, "Board (yesterday)")
    second = services.create_meeting(demo_engine, BOARD, today, "Board (today)")
    with demo_engine.connect() as conn:
        meetings = changes.meetings(conn).set_index("meeting_id")
    assert meetings.loc[second, "baseline_meeting_id"] == first
    since, until = meetings.loc[second, "baseline_on"], meetings.loc[second, "held_on"]
    assert (since, until) == (yesterday, today)

    in_progress = first_ids(demo_engine, "status = 'in_progress' and due_on is not null", 3)
    not_started = first_ids(demo_engine, "status = 'not_started'", 1)
    completed = first_ids(demo_engine, "status = 'completed'", 2)
    done, noted, moved = in_progress
    started, (returned, assured) = not_started[0], completed

    services.mark_completed(demo_engine, ADMIN, done, version=None, note="All delivered")
    services.change_status(demo_engine, ADMIN, started, "in_progress", version=None)
    services.add_progress_update(demo_engine, ADMIN, noted, "Half way", version=None)
    services.return_action(demo_engine, BOARD, returned, "Need the audit", version=None)
    services.assure_action(demo_engine, BOARD, assured, version=None)
    change = services.request_due_date_change(
        demo_engine, ADMIN, moved, yesterday, "Supplier delay", version=None
    )
    services.decide_due_date_change(demo_engine, BOARD, change["id"], True)
    refused = services.request_due_date_change(
        demo_engine, ADMIN, noted, today + timedelta(days=200), "More time", version=None
    )
    services.decide_due_date_change(demo_engine, BOARD, refused["id"], False)
    services.override_rag(demo_engine, BOARD, noted, "amber", "At risk", version=None)

    with demo_engine.connect() as conn:
        found = changes.changes_between(conn, since, until)
        before = changes.changes_between(conn, yesterday - timedelta(days=10), yesterday)
    # newly overdue: open today, target date from yesterday (inclusive) to today (exclusive)
    overdue = {
        i
        for (i,) in rows(
            demo_engine,
            f"select id from action where {OPEN} and due_on >= :s and due_on < :u",
            s=since.isoformat(),
            u=until.isoformat(),
        )
    }
    assert moved in overdue
    expected = Counter(
        [
            ("newly_completed", done),
            ("status_change", started),
            ("status_change", returned),
            ("status_change", assured),
            ("date_moved", moved),
            *[("newly_overdue", i) for i in overdue],
        ]
    )
    assert Counter(zip(found["kind"], found["action_id"], strict=True)) == expected
    assert found["at"].between(since + timedelta(days=1), until).all()
    assert set(before["action_id"].dropna()).isdisjoint(
        {done, started, returned, assured, moved, noted}
    )
    detail = found.set_index(["kind", "action_id"]).loc[("date_moved", moved), "detail"]
    assert "Supplier delay" in detail


def transitions(engine, start: str, end: str) -> Counter:
    """Status changes in plain SQL and Python: each update whose status differs from the one
    before it (not_started before the first)."""
    updates = rows(
        engine,
        "select action_id, created_at, status from action_update where status is not null"
        " order by action_id, created_at, id",
    )
    found: Counter = Counter()
    previous: dict[int, str] = {}
    for action_id, at, status in updates:
        old = previous.get(action_id, "not_started")
        previous[action_id] = status
        if start <= at < end and status != old:
            done = status in ("completed", "assured") and old not in ("completed", "assured")
            found["newly_completed" if done else "status_change"] += 1
    return found


@pytest.mark.parametrize("months", [(6, 3), (3, 0)])
def test_demo_history_changes_equal_sql(demo_engine, months):
    since = ANCHOR - relativedelta(months=months[0])
    until = ANCHOR - relativedelta(months=months[1])
    start = (since + timedelta(days=1)).isoformat()
    end = (until + timedelta(days=1)).isoformat()
    with demo_engine.connect() as conn:
        found = changes.changes_between(conn, since, until)
    counts = Counter(found["kind"])
    expected = transitions(demo_engine, start, end)
    assert counts["newly_completed"] == expected["newly_completed"] > 0
    assert counts["status_change"] == expected["status_change"]
    assert counts["date_moved"] == len(
        rows(
            demo_engine,
            "select id from due_date_change where decision = 'approved'"
            " and decided_at >= :s and decided_at < :e",
            s=start,
            e=end,
        )
    )
    assert counts["new_recommendation"] == len(
        rows(
            demo_engine,
            "select id from recommendation where created_at >= :s and created_at < :e",
            s=start,
            e=end,
        )
    )
    newly_overdue = rows(
        demo_engine,
        """select a.id from action a where a.created_at < :e
            and coalesce((select u.status from action_update u where u.action_id = a.id
                and u.status is not null and u.created_at < :e
                order by u.created_at desc, u.id desc limit 1), 'not_started')
                in ('not_started', 'in_progress')
            and coalesce((select c.new_due_on from due_date_change c where c.action_id = a.id
                and c.decision = 'approved' and c.decided_at < :e
                order by c.decided_at desc, c.id desc limit 1), a.original_due_on) >= :since
            and coalesce((select c.new_due_on from due_date_change c where c.action_id = a.id
                and c.decision = 'approved' and c.decided_at < :e
                order by c.decided_at desc, c.id desc limit 1), a.original_due_on) < :until""",
        e=end,
        since=since.isoformat(),
        until=until.isoformat(),
    )
    assert sorted(found.loc[found["kind"] == "newly_overdue", "action_id"]) == sorted(
        i for (i,) in newly_overdue
    )
    assert len(found) == sum(counts.values())
    assert not found.duplicated(["kind", "action_id", "recommendation_id", "at", "detail"]).any()


def test_create_meeting_rules(demo_engine):
    held = ANCHOR - relativedelta(months=4)  # between the demo's 6- and 3-month meetings
    lead = services.Actor(email="police.lead@northbridge.example", role="agency_lead", agency_id=1)
    with pytest.raises(services.PermissionDenied):
        services.create_meeting(demo_engine, lead, held, "Board")
    with pytest.raises(services.ValidationError, match="meeting title"):
        services.create_meeting(demo_engine, BOARD, held, "  ")
    existing = rows(demo_engine, "select held_on from meeting order by held_on")
    with pytest.raises(services.ValidationError, match="already recorded"):
        services.create_meeting(demo_engine, BOARD, existing[0][0], "Again")
    new_id = services.create_meeting(demo_engine, BOARD, held, "Extraordinary board")
    by_date = {
        d: (i, b)
        for i, d, b in rows(demo_engine, "select id, held_on, baseline_meeting_id from meeting")
    }
    six = ANCHOR - relativedelta(months=6)
    three = ANCHOR - relativedelta(months=3)
    assert by_date[held.isoformat()] == (new_id, by_date[six.isoformat()][0])
    assert by_date[three.isoformat()][1] == new_id  # the next meeting now counts from it
    audited = rows(
        demo_engine,
        "select field, new_value from audit_log where entity = 'meeting' and entity_id = :i",
        i=new_id,
    )
    assert ("held_on", held.isoformat()) in audited
    assert ("title", "Extraordinary board") in audited
