"""Case 09-update-after-midnight-summer-time: every date a user sees or filters by is the
Europe/London calendar date of the stored UTC moment, in History, as-at views, changes since a
meeting, trends and exports; tested the hour either side of midnight in summer and in winter."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from monitoring import asat, changes, config, rules, services, worklists
from monitoring.exports import pack
from monitoring.ui import widgets
from tests.conftest import SHARED

CASE = SHARED / "cases" / "09-update-after-midnight-summer-time"

MOMENTS = [
    # (stored UTC moment, its Europe/London date, London clock time)
    ("2026-06-15T22:30:00+00:00", date(2026, 6, 15), "23:30"),  # BST, before midnight
    ("2026-06-15T23:30:00+00:00", date(2026, 6, 16), "00:30"),  # BST, after midnight (the case)
    ("2026-12-15T23:30:00+00:00", date(2026, 12, 15), "23:30"),  # GMT, before midnight
    ("2026-12-16T00:30:00+00:00", date(2026, 12, 16), "00:30"),  # GMT, after midnight
]


def test_case_09_readme_states_the_right_result():
    readme = (CASE / "README.md").read_text(encoding="utf-8")
    assert "00:30 BST on 16 June 2026 (23:30 UTC on 15 June)" in readme
    assert "Europe/London calendar date" in readme and "(16 June here)" in readme


@pytest.mark.parametrize(("moment", "day", "clock"), MOMENTS)
def test_the_london_date_of_a_moment(moment, day, clock):
    assert rules.london_day(moment) == day
    assert widgets.uk_date(moment) == f"{day.day} {day:%b %Y}"
    assert widgets.uk_date_time(moment) == f"{day.day} {day:%b %Y} {clock}"
    assert pack.uk_date(moment) == f"{day.day} {day:%b %Y}"
    # the as-at cutoff of the day before is the London midnight starting ``day``
    assert asat.cutoff(day - timedelta(days=1)) <= moment < asat.cutoff(day)


@pytest.mark.parametrize(("moment", "day", "clock"), MOMENTS)
def test_a_completion_lands_on_its_london_day(moment, day, clock, demo_engine, monkeypatch):
    """A lead completes an action at ``moment``: History, the as-at views, changes since a
    meeting and the trend all date it ``day``, not the UTC date."""
    monkeypatch.setenv("MONITORING_TODAY", day.isoformat())
    monkeypatch.setattr(config, "utc_now_iso", lambda now=None: moment)
    with demo_engine.connect() as conn:
        action_id, version, review_id = conn.execute(
            text(
                "select a.id, a.version, a.review_id from action a where a.status = 'in_progress'"
                " and not exists (select 1 from action_update u where u.action_id = a.id"
                " and u.created_at >= :since)"
                " and not exists (select 1 from audit_log l where l.entity = 'action'"
                " and l.entity_id = a.id and l.at >= :since)"
                " order by a.id limit 1"
            ),
            {"since": (day - timedelta(days=3)).isoformat()},
        ).one()  # an action with no history near the moment
    services.mark_completed(demo_engine, services.Actor.system("test"), action_id, version=version)
    before, on = day - timedelta(days=1), day
    with demo_engine.connect() as conn:
        # History: the update and its audit row are dated ``day`` (UK time shown)
        update = worklists.action_updates(conn, (action_id,)).iloc[0]
        assert update["created_at"] == moment
        assert widgets.uk_date(update["created_at"]) == f"{day.day} {day:%b %Y}"
        trail = widgets.audit_display(worklists.audit_trail(conn, "action", action_id))
        assert f"{day.day} {day:%b %Y} {clock}" in set(trail["When (UK time)"])

        # as-at views: still open on the day before, completed on the day
        def status_on(as_at: date) -> str:
            a = asat.actions_as_at(as_at)
            return conn.execute(select(a.c.status).where(a.c.id == action_id)).scalar()

        assert status_on(before) == "in_progress"
        assert status_on(on) == "completed"

        # trends: one more completed action in its review on the day than the day before
        def completed(as_at: date) -> int:
            frame = asat.counts_by_review_as_at(conn, as_at)
            return int(frame.loc[frame["review_id"] == review_id, "completed"].sum())

        assert completed(on) == completed(before) + 1

        # changes since a meeting held the day before: listed, dated ``day``; not before
        found = changes.changes_between(conn, before, on)
        mine = found[(found["action_id"] == action_id) & (found["kind"] == "newly_completed")]
        assert list(mine["at"]) == [day]
        earlier = changes.changes_between(conn, before - timedelta(days=1), before)
        assert action_id not in set(earlier["action_id"].dropna())
