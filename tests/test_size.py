"""Pages and the pack at real size (issue 18): planner statistics are kept, past-date reads are
built once per pack with the same figures, the Actions page sends a bounded number of rows with
the limit in SQL, and the benchmark data carries dated history."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import event, select, text

from monitoring import asat, bench_data, changes, db, importer, queries, reads
from monitoring.exports import pack
from monitoring.source import source
from monitoring.ui import queue
from tests.conftest import ANCHOR, REALDATA, make_app

STOCKTON = REALDATA / "trackers" / "stockton_lscb_review_progress_2017-12.csv"
BOARD = "board@northbridge.example"


def _analysed_tables(engine) -> set[str]:
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            return {r[0] for r in conn.execute(text("select distinct tbl from sqlite_stat1"))}
        return {
            r[0]
            for r in conn.execute(
                text(
                    "select relname from pg_stat_user_tables where last_analyze is not null"
                    " or last_autoanalyze is not null"
                )
            )
        }


@pytest.mark.usefixtures("shared_data")
def test_an_import_leaves_planner_statistics_for_the_history_tables(engine):
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:  # whatever the migrations left: none now
            conn.execute(text("analyze"))
            conn.execute(text("delete from sqlite_stat1"))
    summary = importer.import_path(STOCKTON, engine)
    assert summary.written
    with engine.connect() as conn:
        audit_rows = conn.execute(text("select count(*) from audit_log")).scalar_one()
    assert audit_rows > 0
    analysed = _analysed_tables(engine)
    assert {"audit_log", "action", "action_update", "review"} <= analysed
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            stat = conn.execute(
                text("select stat from sqlite_stat1 where tbl = 'audit_log' and idx is null")
            ).scalar()
            # the table's row count as the planner now knows it
            assert stat is None or int(str(stat).split()[0]) > 0


def test_optimize_gathers_missing_statistics_once(demo_engine):
    if demo_engine.dialect.name != "sqlite":
        assert db.optimize(demo_engine) is False  # autovacuum keeps them between writes
        assert db.optimize(demo_engine, after_write=True) is True
        assert "audit_log" in _analysed_tables(demo_engine)
        return
    with demo_engine.begin() as conn:
        conn.execute(text("delete from sqlite_stat1"))
    assert db.optimize(demo_engine) is True
    assert {"action", "action_update", "review"} <= _analysed_tables(demo_engine)
    assert db.optimize(demo_engine) is False  # statistics there: only PRAGMA optimize


def test_past_date_plan_joins_audit_rows_by_index_without_statistics(tmp_path):
    """With no ``ANALYZE`` ever run, SQLite must still join each audited field's rows to the
    actions through an (automatic) index, never by scanning them once per action."""
    path = tmp_path / "bench.db"
    bench_data.generate(path, 400)
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("delete from sqlite_stat1"))
    engine.dispose()  # statistics are read when a connection opens
    engine = db.make_engine(f"sqlite:///{path}")
    a = asat.actions_as_at(date(2026, 1, 31), detail=True)
    sql = str(select(a.c.id).compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    joins = [step for step in plan if "LEFT-JOIN" in step]
    assert len(joins) >= 14
    assert all("INDEX" in step for step in joins), joins
    engine.dispose()


def test_benchmark_data_has_dated_history_that_past_reads_follow(tmp_path):
    path = tmp_path / "bench.db"
    counts = bench_data.generate(path, 600)
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        fields = dict(
            conn.execute(
                text("select field, count(*) from audit_log where entity = 'action' group by field")
            ).all()
        )
        undated = conn.execute(
            text("select count(*) from audit_log where effective_on is null")
        ).scalar_one()
        stats = conn.execute(
            text("select count(*) from sqlite_stat1 where tbl = 'audit_log'")
        ).scalar_one()
        past = date(2025, 12, 31)
        a_past = asat.actions_as_at(past)
        done_then = conn.execute(
            select(a_past.c.id).where(a_past.c.status.in_(("completed", "assured")))
        ).all()
        done_now = conn.execute(
            text("select count(*) from action where status in ('completed', 'assured')")
        ).scalar_one()
        # every status the history records for the past date is the new value of its audit row
        latest = conn.execute(
            text(
                "select a.id, (select l.new_value from audit_log l where l.entity = 'action'"
                " and l.entity_id = a.id and l.field = 'status' and l.effective_on <= :d"
                " order by l.effective_on desc, l.id desc limit 1) as status from action a"
                " where a.created_at < :end"
            ),
            {"d": past.isoformat(), "end": asat.cutoff(past)},
        ).all()
        rebuilt = dict(conn.execute(select(a_past.c.id, a_past.c.status)).all())
    assert counts["audit_log"] == sum(fields.values()) > counts["action"] // 2
    assert {"status", "completed_on", "due_on"} <= set(fields)
    assert undated == 0 and stats > 0
    assert 0 < len(done_then) < done_now  # work was completed since
    checked = [(i, s) for i, s in latest if s is not None]
    assert len(checked) > 100
    assert all(rebuilt[i] == s for i, s in checked)
    engine.dispose()


def _frames(value):
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def _equal(value, other, name: str = "pack") -> None:
    """``value`` equals ``other``: data frames cell for cell (and dtype), dataclasses and lists
    field by field."""
    if isinstance(value, pd.DataFrame):
        pd.testing.assert_frame_equal(value, other, check_dtype=True, obj=name)
    elif dataclasses.is_dataclass(value):
        for key, item in _frames(value).items():
            _equal(item, getattr(other, key), f"{name}.{key}")
    elif isinstance(value, list):
        assert len(value) == len(other), name
        for i, (a, b) in enumerate(zip(value, other, strict=True)):
            _equal(a, b, f"{name}[{i}]")
    else:
        assert value == other, name


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_past_pack_read_once_has_the_same_figures(demo_engine, app_env, role):
    from monitoring.source import Scope

    with demo_engine.connect() as conn:
        held = [
            date.fromisoformat(d)
            for (d,) in conn.execute(text("select held_on from meeting order by held_on"))
        ]
    meeting_on = held[-1]
    assert meeting_on < ANCHOR
    scope = Scope(role)
    with demo_engine.connect() as conn:
        built: list[str] = []

        def seen(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("CREATE TEMPORARY TABLE"):
                built.append(statement)

        event.listen(demo_engine, "before_cursor_execute", seen)
        try:
            once = pack.build_pack(conn, meeting_on, scope=scope)
        finally:
            event.remove(demo_engine, "before_cursor_execute", seen)
        # actions, recommendations, reviews: once for the pack's date, once for its baseline's
        assert len(built) == 6
        # every section rebuilt from history, as before
        the_meeting, baseline, today = pack.resolve_meeting(conn, meeting_on)
        from monitoring import config

        src = dataclasses.replace(
            source(max(today, config.today()), scope),
            as_at=today,
            window_days=config.thresholds().due_soon_days,
            stale_days=config.thresholds().stale_days,
        )
        rebuilt = pack._build_pack(conn, src, the_meeting, baseline, today, None, True, scope)
    assert once.as_at == meeting_on and once.figures.overdue > 0
    assert len(once.changes) > 0 and len(once.tracker) > 0
    _equal(once, rebuilt)
    assert asat._KEPT.get() in (None, {})  # nothing held after the pack


def test_newly_overdue_today_reads_the_records_now_with_the_same_result(demo_engine):
    with demo_engine.connect() as conn:
        since = ANCHOR - timedelta(days=120)
        live = changes.changes_between(conn, since, ANCHOR, today=ANCHOR)
        rebuilt = changes.changes_between(conn, since, ANCHOR, today=ANCHOR + timedelta(days=1))
    assert (live["kind"] == "newly_overdue").sum() > 0
    pd.testing.assert_frame_equal(live, rebuilt)


def test_lean_reconstruction_equals_the_full_one(demo_engine):
    columns = ["id", "recommendation_id", "review_id", "lead_agency_id", "due_on", "status"]
    with demo_engine.connect() as conn:
        for day in (ANCHOR - timedelta(days=200), ANCHOR - timedelta(days=40)):
            full = asat.actions_as_at(day)
            lean = asat.actions_as_at(day, lean=True)
            want = conn.execute(select(*(full.c[c] for c in columns)).order_by(full.c.id)).all()
            got = conn.execute(select(*(lean.c[c] for c in columns)).order_by(lean.c.id)).all()
            assert got == want and len(got) > 0


def test_action_list_limit_is_in_the_sql_and_keeps_the_worst_first(demo_engine):
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    src = source(ANCHOR)
    with demo_engine.connect() as conn:
        whole = reads.action_list(conn, src, "all", worst_first=True)
        event.listen(demo_engine, "before_cursor_execute", seen)
        try:
            first = reads.action_list(conn, src, "all", limit=7, worst_first=True)
        finally:
            event.remove(demo_engine, "before_cursor_execute", seen)
        total = reads.action_count(conn, src, "all")
        overdue = reads.action_count(conn, src, "overdue")
        police = reads.action_list(conn, src, "all", find="poLICE")
        police_count = reads.action_count(conn, src, "all", find="poLICE")
        nothing = reads.action_count(conn, src, "all", find="100%_")
    assert any("LIMIT" in s.upper() for s in statements)
    assert len(first) == 7
    pd.testing.assert_frame_equal(first, whole.head(7))
    assert total == len(whole) == len(queries.action_list(demo_engine.connect(), ANCHOR))
    days = list(whole["days_overdue"])
    assert days == sorted(days, reverse=True) and days[0] > 0
    assert overdue == int((whole["days_overdue"] > 0).sum())
    assert 0 < police_count == len(police) < total
    assert police["agency"].str.lower().str.contains("police").all()
    assert nothing == 0


def test_actions_page_sends_at_most_the_queue_rows_and_says_how_many(
    demo_engine, app_env, monkeypatch
):
    monkeypatch.setattr(queue, "QUEUE_ROWS", 25)
    with demo_engine.connect() as conn:
        total = conn.execute(text("select count(*) from action")).scalar_one()
    assert total > 25
    at = make_app(BOARD, page="app_pages/actions.py").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown) == 25
    captions = [c.value for c in at.caption]
    assert (
        f"Showing 25 of {total:,} actions, worst first (most days overdue): type in Find to "
        "reach the others."
    ) in captions
    assert "days_overdue" in shown.columns
    assert list(shown["days_overdue"]) == sorted(shown["days_overdue"], reverse=True)
    at.text_input(key="actions_find").set_value("Police").run()
    assert not at.exception
    found = at.dataframe[0].value
    assert 0 < len(found) <= 25
    assert found["agency"].str.contains("Police").all()
