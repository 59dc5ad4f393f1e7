"""Issue 18: History, Assurance and Meetings read only what they show. Each new read equals the
read it replaces, on edge cases, the demo data and the real PFD data (../shared/realdata), on both
backends:

- ``worklists.history_first`` and ``worklists.assurance_first`` (the first rows of a queue and its
  length counted in SQL) equal the first rows and the length of the full ``history_index`` and
  ``assurance_queue``, for every kind of reader and filter;
- ``changes.changes_between`` (the status changes now read only for the actions with an update in
  the window, the baseline's first updates looked up per row) equals the list built with the
  status-change query it replaced (kept below as the reference), window by window;
- on the pages, the History and Assurance queues still count every record, and Find still
  reaches a record beyond the first rows read.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import and_, exists, func, insert, or_, select, text

from monitoring import changes, importer, services, worklists
from monitoring.db import action_update, audit_log
from monitoring.queries import Filters
from monitoring.source import Scope, source
from monitoring.ui import queue
from tests.conftest import ANCHOR, REALDATA, make_app, scalar

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
STOCKTON = REALDATA / "trackers" / "stockton_lscb_review_progress_2017-12.csv"
BOARD = "board.member@council.example"


# --- the reference: the status-change read before issue 18 ----------------------------------


def status_changes_before(conn, since: date, until: date) -> list[tuple]:
    """``changes._status_changes`` as it was before issue 18 (the lag over every update ever
    recorded; the baseline's first updates counted for every baseline action)."""
    happened = func.coalesce(
        action_update.c.effective_on, func.substr(action_update.c.created_at, 1, 10)
    )
    previous = (
        func.lag(action_update.c.status)
        .over(
            partition_by=action_update.c.action_id,
            order_by=(happened, action_update.c.created_at, action_update.c.id),
        )
        .label("previous")
    )
    first = changes._first_updates()
    ordered = (
        select(
            action_update.c.id,
            action_update.c.action_id,
            action_update.c.created_at,
            action_update.c.effective_on,
            action_update.c.status,
            previous,
        )
        .where(action_update.c.status.is_not(None))
        .subquery()
    )
    rows = conn.execute(
        select(ordered).where(
            changes._happened(ordered.c.effective_on, ordered.c.created_at, since, until),
            ordered.c.status != func.coalesce(ordered.c.previous, "not_started"),
            ordered.c.id.not_in(select(first.c.id)),
        )
    ).all()
    found = [
        (
            r.action_id,
            changes._on(r.effective_on, r.created_at),
            r.previous or "not_started",
            r.status,
        )
        for r in rows
    ]
    audited = conn.execute(
        select(
            audit_log.c.entity_id,
            audit_log.c.at,
            audit_log.c.effective_on,
            audit_log.c.old_value,
            audit_log.c.new_value,
        ).where(
            audit_log.c.entity == "action",
            audit_log.c.field == "status",
            changes._happened(audit_log.c.effective_on, audit_log.c.at, since, until),
            ~exists().where(
                action_update.c.action_id == audit_log.c.entity_id,
                action_update.c.status == audit_log.c.new_value,
                or_(
                    action_update.c.created_at == audit_log.c.at,
                    and_(
                        action_update.c.effective_on.is_not(None),
                        action_update.c.effective_on == audit_log.c.effective_on,
                    ),
                ),
            ),
        )
    ).all()
    found += [
        (r.entity_id, changes._on(r.effective_on, r.at), r.old_value, r.new_value) for r in audited
    ]
    return found


def assert_changes_as_before(engine, windows, monkeypatch, today=ANCHOR) -> int:
    """For each ``(since, until)``: the status changes equal the reference's (as a multiset) and
    the whole list of changes equals the one built with the reference. :returns: the number of
    changes compared."""
    compared = 0
    with engine.connect() as conn:
        for since, until in windows:
            new_rows = changes._status_changes(conn, since, until)
            old_rows = status_changes_before(conn, since, until)
            assert sorted(new_rows, key=repr) == sorted(old_rows, key=repr), (since, until)
            now = changes.changes_between(conn, since, until, today=today)
            with monkeypatch.context() as m:
                m.setattr(changes, "_status_changes", status_changes_before)
                before = changes.changes_between(conn, since, until, today=today)
            pd.testing.assert_frame_equal(now, before)
            compared += len(now)
    return compared


def monthly_windows(first: date, last: date) -> list[tuple[date, date]]:
    """Windows a month long from ``first`` to ``last``, the whole span, and an empty window."""
    edges = [first]
    while edges[-1] < last:
        edges.append(edges[-1] + timedelta(days=30))
    return [*zip(edges, edges[1:], strict=False), (first, last), (last, last)]


# --- changes between two meetings -------------------------------------------------------------


def test_changes_on_the_demo_equal_the_read_before(demo_engine, monkeypatch):
    windows = monthly_windows(ANCHOR - timedelta(days=600), ANCHOR + timedelta(days=30))
    assert assert_changes_as_before(demo_engine, windows, monkeypatch) > 100


def test_changes_on_edge_cases_equal_the_read_before(demo_engine, monkeypatch):
    """Updates whose previous status is long before the window, updates with no status between
    two with one, two updates on one day (ordered by the moment recorded), an update with no
    ``effective_on`` recorded after midnight in summer time (dated the London day, case 09), a
    change back to the first status, and audited status edits with and without an update."""
    with demo_engine.begin() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                text("select id from action where status = 'in_progress' order by id limit 3")
            )
        ]
        far, night, audited = ids

        def update(action_id, at, status, effective=None):
            conn.execute(
                insert(action_update).values(
                    action_id=action_id, created_at=at, status=status, effective_on=effective
                )
            )

        update(far, "2026-07-02T10:00:00+00:00", None)  # a note: no status
        update(far, "2026-07-03T10:00:00+00:00", "completed", "2026-07-03")
        update(far, "2026-07-03T09:00:00+00:00", "in_progress", "2026-07-03")
        update(far, "2026-07-04T09:00:00+00:00", "in_progress")
        update(night, "2026-07-31T23:30:00+00:00", "completed")  # 1 Aug in London
        update(night, "2026-08-01T08:00:00+00:00", "in_progress", "2026-07-20")
        for at, effective, old, new in (
            ("2026-07-10T12:00:00+00:00", "2026-07-10", "in_progress", "not_implemented"),
            ("2026-07-11T12:00:00+00:00", None, "not_implemented", "in_progress"),
        ):
            conn.execute(
                insert(audit_log).values(
                    at=at,
                    actor="admin@northbridge.example",
                    entity="action",
                    entity_id=audited,
                    field="status",
                    old_value=old,
                    new_value=new,
                    effective_on=effective,
                )
            )
    windows = [
        (date(2026, 7, 1), date(2026, 7, 31)),
        (date(2026, 7, 2), date(2026, 7, 3)),
        (date(2026, 7, 3), date(2026, 8, 1)),
        (date(2026, 7, 31), date(2026, 8, 1)),
        (date(2026, 7, 19), date(2026, 7, 20)),
        (date(2026, 7, 10), date(2026, 7, 11)),
        (ANCHOR - timedelta(days=90), date(2026, 9, 1)),
    ]
    assert assert_changes_as_before(demo_engine, windows, monkeypatch) > 0
    with demo_engine.connect() as conn:
        july = changes.changes_between(conn, date(2026, 7, 1), date(2026, 7, 31), today=ANCHOR)
    assert {far, audited} <= set(july["action_id"].dropna().astype(int))


@pytest.mark.usefixtures("shared_data")
def test_changes_on_the_pfd_data_equal_the_read_before(engine, monkeypatch):
    """The PFD import is a baseline (every action's first update left out); a change made after
    it is listed."""
    importer.import_path(PFD, engine, preset="pfd", as_of=date(2026, 1, 31))
    first = scalar(engine, "select min(id) from action where status = 'not_started'")
    services.change_status(
        engine, services.Actor.system("admin@example.org"), first, "completed", version=None
    )
    today = date.fromisoformat(scalar(engine, "select max(substr(at, 1, 10)) from audit_log"))
    windows = [
        *monthly_windows(date(2025, 1, 1), date(2026, 3, 1)),
        (date(2026, 1, 31), today),
        (today - timedelta(days=1), today),
    ]
    assert assert_changes_as_before(engine, windows, monkeypatch, today=today) > 0


@pytest.mark.usefixtures("shared_data")
def test_changes_on_a_reimported_tracker_equal_the_read_before(engine, tmp_path, monkeypatch):
    """The Stockton tracker imported, then again with one action completed (a later import is a
    change, the first one a baseline): the same list as before."""
    from tests.test_baseline import _stockton_copy

    importer.import_path(STOCKTON, engine)
    importer.import_path(_stockton_copy(tmp_path, "Committee Mar 2018", "1"), engine)
    windows = monthly_windows(date(2017, 10, 1), date(2018, 6, 30))
    assert assert_changes_as_before(engine, windows, monkeypatch) > 0


# --- the first rows of a queue and its length ---------------------------------------------------


def sources(engine):
    """Every kind of reader and filter: none (commands), a board member, an agency lead, a
    viewer, an agency filter, a status filter and a filter nothing matches."""
    busiest = scalar(
        engine,
        "select lead_agency_id from action where lead_agency_id is not null"
        " group by lead_agency_id order by count(*) desc, lead_agency_id limit 1",
    )
    return [
        None,
        source(ANCHOR, Scope("board")),
        source(ANCHOR, Scope("agency_lead", busiest)),
        source(ANCHOR, Scope("viewer")),
        source(ANCHOR, Scope("board"), Filters(agency_ids=(busiest,))),
        source(ANCHOR, Scope("admin"), Filters(statuses=("completed",))),
        source(ANCHOR, Scope("board"), Filters(review_ids=(-1,))),
    ]


def assert_first_rows_equal_the_full_read(engine) -> int:
    """history_first and assurance_first against history_index and assurance_queue, for every
    source and a few numbers of rows. :returns: the most rows listed."""
    most = 0
    with engine.connect() as conn:
        for src in sources(engine):
            pairs = (
                (worklists.history_first, worklists.history_index),
                (worklists.assurance_first, worklists.assurance_queue),
            )
            for first, full in pairs:
                every = full(conn, src)
                most = max(most, len(every))
                for rows in (0, 1, 7, queue.QUEUE_ROWS, len(every), len(every) + 1):
                    head, total = first(conn, src, rows)
                    assert total == len(every), (first.__name__, src)
                    pd.testing.assert_frame_equal(
                        head, every.head(rows).reset_index(drop=True), check_dtype=False
                    )
    return most


def test_first_rows_equal_the_full_read_on_the_demo(demo_engine):
    assert assert_first_rows_equal_the_full_read(demo_engine) > 0


@pytest.mark.usefixtures("shared_data")
def test_first_rows_equal_the_full_read_on_the_pfd_data(engine):
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True)
    assert assert_first_rows_equal_the_full_read(engine) > queue.QUEUE_ROWS


def test_first_rows_of_an_empty_database(engine):
    with engine.connect() as conn:
        for first in (worklists.history_first, worklists.assurance_first):
            head, total = first(conn, source(ANCHOR, Scope("board")), queue.QUEUE_ROWS)
            assert total == 0 and head.empty


# --- on the pages ------------------------------------------------------------------------------


@pytest.mark.usefixtures("shared_data")
def test_history_and_assurance_count_every_record_and_find_reaches_beyond_the_first_rows(
    engine, app_env
):
    """On the PFD data (1,364 actions): the History table shows the first 500 of every action
    and says how many there are; Find reaches an action that is not among them. The Assurance
    tab counts every completed action."""
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True)
    services.create_user(engine, services.Actor.system("test"), BOARD, "Board Member", "board")
    actions = scalar(engine, "select count(*) from action")
    completed = scalar(engine, "select count(*) from action where status = 'completed'")
    assert actions > queue.QUEUE_ROWS
    at = make_app(BOARD, page="app_pages/history.py")
    assert not at.exception, [e.value for e in at.exception]
    table = next(d for d in at.dataframe if d.key == "history_table_").value
    assert len(table) == queue.QUEUE_ROWS
    shown = f"Showing the first {queue.QUEUE_ROWS:,} of {actions:,} actions"
    assert shown in " ".join(c.value for c in at.caption)
    with engine.connect() as conn:
        every = worklists.history_index(conn, source(ANCHOR, Scope("board")))
    last = every.iloc[-1]  # the least recently changed: not among the first 500
    assert int(last["id"]) not in set(table["id"])
    matches = every[every["review_ref"].str.lower().str.contains(last["review_ref"].lower())]
    at.text_input(key="history_find").input(last["review_ref"]).run()
    assert not at.exception
    found = next(d for d in at.dataframe if d.key.startswith("history_table_")).value
    assert int(last["id"]) in set(found["id"])
    assert len(found) == min(len(matches), queue.QUEUE_ROWS)

    board = make_app(BOARD, page="app_pages/assurance.py")
    assert not board.exception
    assert f"Completed actions to assure ({completed})" in [t.label for t in board.tabs]
