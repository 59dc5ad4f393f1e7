"""Roll-ups (monitoring.rollups): after every kind of write the figures read from the roll-ups
equal the live queries exactly (tiles, RAG by review, overdue by lead agency, the Agencies
scorecard), with no filter and with review and review-type filters, at the demo anchor and at
another date; every clean stored row equals a full recount of its review (the incremental roll-up
is the recount); and the reviews the write touched were recounted in the write's own transaction
(none is left to count live), or, for writes that bypass the services, are counted live until
the next write."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, select, text

from monitoring import db, queries, rollups, services
from monitoring.importer import import_path
from monitoring.queries import NO_FILTERS, Filters
from tests.conftest import ANCHOR

ADMIN = services.Actor.system("rollup-test")
OTHER_DAY = date(2026, 8, 20)


@pytest.fixture(params=[ANCHOR, OTHER_DAY], ids=["anchor", "other-day"])
def today(request, monkeypatch) -> date:
    """The day every write and read uses (``MONITORING_TODAY``, as the app sets it)."""
    monkeypatch.setenv("MONITORING_TODAY", request.param.isoformat())
    monkeypatch.delenv("MONITORING_DUE_SOON_DAYS", raising=False)
    monkeypatch.delenv("MONITORING_STALE_DAYS", raising=False)
    return request.param


@pytest.fixture
def rolled(demo_engine: Engine, today: date) -> Engine:
    """The demo data with every review's roll-up counted for ``today``."""
    with demo_engine.begin() as conn:
        rollups.refresh(conn, today)
    return demo_engine


def scalar(engine: Engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def filter_sets(engine: Engine) -> list[Filters]:
    """No filter, each review type present, one review, two reviews."""
    with engine.connect() as conn:
        types = conn.execute(text("SELECT DISTINCT review_type FROM review")).scalars().all()
        ids = conn.execute(text("SELECT id FROM review ORDER BY id")).scalars().all()
    return [
        NO_FILTERS,
        *(Filters(review_types=(t,)) for t in sorted(types)),
        Filters(review_ids=(ids[0],)),
        Filters(review_ids=tuple(ids[1:3])),
    ]


def records(frame) -> list[tuple]:
    return [
        tuple(None if v is None or v != v else v for v in row)
        for row in frame.itertuples(index=False)
    ]


def assert_agree(
    engine: Engine, today: date, *, window_days: int = 30, stale_days: int = 90
) -> None:
    """Every roll-up read equals its live query, for every filter set."""
    with db.read_connection(engine) as conn:
        for filters in filter_sets(engine):
            live = queries.overview_figures(
                conn, today, filters, window_days=window_days, stale_days=stale_days
            )
            rolled = rollups.overview_figures(
                conn, today, filters, window_days=window_days, stale_days=stale_days
            )
            assert rolled == live, filters
            assert records(
                rollups.rag_by_review(conn, today, filters, window_days=window_days)
            ) == records(queries.rag_by_review(conn, today, filters, window_days=window_days))
            for limit in (None, 3):
                assert records(
                    rollups.overdue_by_agency(conn, today, filters, limit=limit)
                ) == records(queries.overdue_by_agency(conn, today, filters, limit=limit))
            pd.testing.assert_frame_equal(
                rollups.agency_scorecard(conn, today, filters),
                queries.agency_scorecard(conn, today, filters),
            )
        assert_stored_equal_recount(conn, today)


def assert_stored_equal_recount(conn, today: date) -> None:
    """Every clean row stored for ``today`` (review and review-by-agency) equals what a full
    recount of every review (:func:`rollups.count_reviews`) gives now."""
    counts, by_agency = rollups.count_reviews(conn, today)
    clean = {
        row["review_id"]: row
        for row in conn.execute(
            select(db.review_rollup).where(
                db.review_rollup.c.dirty.is_(False),
                db.review_rollup.c.counted_for == today.isoformat(),
            )
        ).mappings()
    }
    for review_id, row in clean.items():
        if row["window_days"] == 30 and row["stale_days"] == 90:
            assert {k: row[k] for k in rollups.COUNTS} == counts[review_id], review_id
    fresh = sorted(
        (
            tuple(sorted(r.items(), key=lambda kv: kv[0]))
            for r in by_agency
            if r["review_id"] in clean
        ),
        key=repr,
    )
    kept = sorted(
        (
            tuple(sorted(((k, v) for k, v in r.items() if k != "id"), key=lambda kv: kv[0]))
            for r in conn.execute(select(db.review_agency_rollup)).mappings()
            if r["review_id"] in clean
        ),
        key=repr,
    )
    assert kept == fresh


def live_reviews(engine: Engine, today: date, **thresholds) -> tuple[int, ...]:
    """Reviews a read would count live (dirty, stale or missing roll-up rows)."""
    with db.read_connection(engine) as conn:
        return rollups.coverage(conn, today, **thresholds).live


def action_row(engine: Engine, *, status: str = "in_progress") -> dict:
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(db.action)
                .where(db.action.c.status == status, db.action.c.due_on.is_not(None))
                .order_by(db.action.c.id)
            )
            .mappings()
            .first()
        )
    assert row is not None
    return dict(row)


def stored(engine: Engine, review_id: int) -> dict:
    with engine.connect() as conn:
        return dict(
            conn.execute(select(db.review_rollup).where(db.review_rollup.c.review_id == review_id))
            .mappings()
            .one()
        )


# --- the counts themselves -----------------------------------------------------------------------


def test_counted_rows_match_independent_sql(rolled, today):
    """Each review's stored counts, checked against SQL written here."""
    assert live_reviews(rolled, today, window_days=30, stale_days=90) == ()
    t = today.isoformat()
    soon = (today + timedelta(days=30)).isoformat()
    for review_id in [r for (r,) in _rows(rolled, "SELECT id FROM review")]:
        row = stored(rolled, review_id)
        assert row["counted_for"] == t and not row["dirty"]
        open_ = "status IN ('not_started', 'in_progress')"
        where = f"review_id = {review_id}"
        assert row["actions"] == scalar(rolled, f"SELECT count(*) FROM action WHERE {where}")
        assert row["open_actions"] == scalar(
            rolled, f"SELECT count(*) FROM action WHERE {where} AND {open_}"
        )
        assert row["overdue"] == scalar(
            rolled,
            f"SELECT count(*) FROM action WHERE {where} AND {open_} AND due_on < :t",
            t=t,
        )
        assert row["due_soon"] == scalar(
            rolled,
            f"SELECT count(*) FROM action WHERE {where} AND {open_}"
            " AND due_on >= :t AND due_on <= :soon",
            t=t,
            soon=soon,
        )
        assert row["blue"] == scalar(
            rolled,
            f"SELECT count(*) FROM action WHERE {where} AND status IN ('completed', 'assured')"
            " AND (rag_override IS NULL OR rag_override_reason IS NULL"
            " OR trim(rag_override_reason) = '')",
        ) + scalar(
            rolled,
            f"SELECT count(*) FROM action WHERE {where} AND rag_override = 'blue'"
            " AND trim(coalesce(rag_override_reason, '')) <> ''"
            " AND status NOT IN ('completed', 'assured')",
        )
        assert row["recommendations"] == scalar(
            rolled, f"SELECT count(*) FROM recommendation WHERE {where}"
        )
        assert row["assured"] == scalar(
            rolled,
            f"SELECT count(*) FROM recommendation WHERE {where} AND assurance_status = 'assured'",
        )
        per_agency = dict(
            _rows(
                rolled,
                f"SELECT coalesce(lead_agency_id, 0), count(*) FROM action WHERE {where}"
                f" AND {open_} AND due_on < :t GROUP BY lead_agency_id",
                t=t,
            )
        )
        assert per_agency == dict(
            _rows(
                rolled,
                "SELECT coalesce(lead_agency_id, 0), overdue FROM review_agency_rollup"
                f" WHERE {where} AND overdue > 0",
            )
        )
        done = "status IN ('completed', 'assured')"
        timed = f"{done} AND completed_on IS NOT NULL AND original_due_on IS NOT NULL"
        assert _rows(
            rolled,
            "SELECT coalesce(lead_agency_id, 0), count(*),"
            f" sum(CASE WHEN {open_} THEN 1 ELSE 0 END),"
            f" sum(CASE WHEN {open_} AND due_on < :t90 THEN 1 ELSE 0 END),"
            f" sum(CASE WHEN {done} THEN 1 ELSE 0 END),"
            f" sum(CASE WHEN {timed} THEN 1 ELSE 0 END),"
            f" sum(CASE WHEN {timed} AND completed_on <= original_due_on THEN 1 ELSE 0 END),"
            " sum(coalesce(due_date_changes, 0)), max(last_update_on)"
            f" FROM action WHERE {where} GROUP BY lead_agency_id ORDER BY 1",
            t90=(today - timedelta(days=90)).isoformat(),
        ) == _rows(
            rolled,
            "SELECT coalesce(lead_agency_id, 0), actions, open_actions, overdue_90, completed,"
            " timed, on_time, date_changes, last_update_on FROM review_agency_rollup"
            f" WHERE {where} ORDER BY 1",
        )
    assert_agree(rolled, today)


def _rows(engine: Engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


# --- writes through the services: recounted in the same transaction ----------------------------


def test_progress_update_through_the_service(rolled, today):
    row = action_row(rolled)
    before = stored(rolled, row["review_id"])["counted_at"]
    services.save_action_update(
        rolled, ADMIN, row["id"], version=None, note="Audit done; report to the board in June."
    )
    assert live_reviews(rolled, today, window_days=30, stale_days=90) == ()
    assert stored(rolled, row["review_id"])["counted_at"] >= before
    assert_agree(rolled, today)


def test_status_change_to_completed(rolled, today):
    row = action_row(rolled)
    open_before = stored(rolled, row["review_id"])["open_actions"]
    services.mark_completed(rolled, ADMIN, row["id"], version=None, note="Delivered.")
    assert live_reviews(rolled, today, window_days=30, stale_days=90) == ()
    assert stored(rolled, row["review_id"])["open_actions"] == open_before - 1
    assert_agree(rolled, today)


def test_target_date_change_approved(rolled, today):
    row = action_row(rolled)
    new_due = (today - timedelta(days=40)).isoformat()
    change = services.request_due_date_change(
        rolled, ADMIN, row["id"], new_due, "Commissioning delayed.", version=None
    )
    services.decide_due_date_change(rolled, ADMIN, change["id"], True)
    assert scalar(rolled, "SELECT due_on FROM action WHERE id = :i", i=row["id"]) == new_due
    assert live_reviews(rolled, today, window_days=30, stale_days=90) == ()
    assert_agree(rolled, today)


def test_recommendation_assured(rolled, today):
    rec_id, review_id = _rows(
        rolled,
        "SELECT id, review_id FROM recommendation WHERE assurance_status <> 'assured' ORDER BY id",
    )[0]
    assured_before = stored(rolled, review_id)["assured"]
    services.assure_recommendation(
        rolled, ADMIN, rec_id, "assured", version=None, note="Evidence seen."
    )
    assert stored(rolled, review_id)["assured"] == assured_before + 1
    assert live_reviews(rolled, today, window_days=30, stale_days=90) == ()
    assert_agree(rolled, today)


def test_import_of_a_tracker(rolled, today, tmp_path):
    agencies = [name for (name,) in _rows(rolled, "SELECT name FROM agency ORDER BY id")]
    path = tmp_path / "tracker.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Review", "Rec number", "Action number", "Action description", "Lead agency"]
            + ["Target date", "Status"]
        )
        for i in range(1, 7):
            due = today + timedelta(days=(i - 3) * 20)
            writer.writerow(
                ["ROLLUP-1", str((i + 1) // 2), f"{i}", f"Action {i} of the rollup review"]
                + [agencies[i % len(agencies)], due.isoformat(), "In progress"]
            )
    summary = import_path(path, rolled)
    assert summary.written and not summary.errors
    review_id = scalar(rolled, "SELECT id FROM review WHERE ref = 'ROLLUP-1'")
    assert stored(rolled, review_id)["actions"] == 6
    assert stored(rolled, review_id)["overdue"] == scalar(
        rolled,
        "SELECT count(*) FROM action WHERE review_id = :r AND due_on < :t",
        r=review_id,
        t=today.isoformat(),
    )
    assert live_reviews(rolled, today, window_days=30, stale_days=90) == ()
    assert_agree(rolled, today)


# --- writes that bypass the services: marked dirty by the triggers, counted live ----------------


def test_plain_sql_update_without_any_service(rolled, today):
    row = action_row(rolled, status="not_started")
    with rolled.begin() as conn:
        conn.execute(
            text("UPDATE action SET status = 'in_progress', due_on = :d WHERE id = :i"),
            {"d": (today - timedelta(days=5)).isoformat(), "i": row["id"]},
        )
    assert stored(rolled, row["review_id"])["dirty"]
    assert live_reviews(rolled, today, window_days=30, stale_days=90) == (row["review_id"],)
    assert_agree(rolled, today)
    # The next write through the services recounts it.
    services.add_progress_update(rolled, ADMIN, row["id"], "Started.", version=None)
    assert live_reviews(rolled, today, window_days=30, stale_days=90) == ()
    assert_agree(rolled, today)


def test_plain_sql_delete_without_any_service(rolled, today):
    rec_id, review_id = _rows(
        rolled,
        "SELECT r.id, r.review_id FROM recommendation r WHERE EXISTS (SELECT 1 FROM action a"
        " WHERE a.recommendation_id = r.id) ORDER BY r.id",
    )[0]
    with rolled.begin() as conn:
        conn.execute(text("DELETE FROM action WHERE recommendation_id = :r"), {"r": rec_id})
        conn.execute(text("DELETE FROM recommendation WHERE id = :r"), {"r": rec_id})
    assert live_reviews(rolled, today, window_days=30, stale_days=90) == (review_id,)
    assert_agree(rolled, today)


def test_plain_sql_moving_an_action_marks_both_reviews(rolled, today):
    ids = [r for (r,) in _rows(rolled, "SELECT id FROM review ORDER BY id")]
    row = action_row(rolled)
    other = next(i for i in ids if i != row["review_id"])
    rec = scalar(rolled, "SELECT id FROM recommendation WHERE review_id = :r", r=other)
    with rolled.begin() as conn:
        conn.execute(
            text(
                "UPDATE action SET review_id = :v, recommendation_id = :c, number = 'moved'"
                " WHERE id = :i"
            ),
            {"v": other, "c": rec, "i": row["id"]},
        )
    assert live_reviews(rolled, today, window_days=30, stale_days=90) == tuple(
        sorted((row["review_id"], other))
    )
    assert_agree(rolled, today)


def test_deleted_review_leaves_no_rows(rolled, today):
    review_id = scalar(rolled, "SELECT min(id) FROM review")
    with rolled.begin() as conn:
        for table in ("action", "recommendation_theme", "recommendation"):
            if table == "recommendation_theme":
                conn.execute(
                    text(
                        "DELETE FROM recommendation_theme WHERE recommendation_id IN"
                        " (SELECT id FROM recommendation WHERE review_id = :r)"
                    ),
                    {"r": review_id},
                )
            else:
                conn.execute(text(f"DELETE FROM {table} WHERE review_id = :r"), {"r": review_id})
        conn.execute(text("DELETE FROM review WHERE id = :r"), {"r": review_id})
    assert (
        scalar(rolled, "SELECT count(*) FROM review_rollup WHERE review_id = :r", r=review_id) == 0
    )
    assert_agree(rolled, today)


# --- a new day, a changed threshold ------------------------------------------------------------


def test_day_change_reads_live_then_recounts(rolled, today, monkeypatch):
    tomorrow = today + timedelta(days=1)
    reviews = scalar(rolled, "SELECT count(*) FROM review")
    assert len(live_reviews(rolled, tomorrow, window_days=30, stale_days=90)) == reviews
    assert_agree(rolled, tomorrow)  # every review counted live: right, if slower
    assert rollups.refresh_stale(rolled, tomorrow) == reviews  # the first view of the day
    assert live_reviews(rolled, tomorrow, window_days=30, stale_days=90) == ()
    assert rollups.refresh_stale(rolled, tomorrow) == 0
    assert_agree(rolled, tomorrow)
    # Or the first write of the day recounts every review.
    later = tomorrow + timedelta(days=1)
    monkeypatch.setenv("MONITORING_TODAY", later.isoformat())
    services.add_progress_update(rolled, ADMIN, action_row(rolled)["id"], "Noted.", version=None)
    assert live_reviews(rolled, later, window_days=30, stale_days=90) == ()
    assert {r["counted_for"] for r in map(lambda i: stored(rolled, i), _ids(rolled))} == {
        later.isoformat()
    }
    assert_agree(rolled, later)


def _ids(engine: Engine) -> list[int]:
    return [r for (r,) in _rows(engine, "SELECT id FROM review")]


def test_threshold_change_reads_live_then_recounts(rolled, today, monkeypatch):
    reviews = scalar(rolled, "SELECT count(*) FROM review")
    assert len(live_reviews(rolled, today, window_days=14, stale_days=90)) == reviews
    assert len(live_reviews(rolled, today, window_days=30, stale_days=30)) == reviews
    assert_agree(rolled, today, window_days=14, stale_days=30)
    monkeypatch.setenv("MONITORING_DUE_SOON_DAYS", "14")
    monkeypatch.setenv("MONITORING_STALE_DAYS", "30")
    services.add_progress_update(rolled, ADMIN, action_row(rolled)["id"], "Noted.", version=None)
    assert live_reviews(rolled, today, window_days=14, stale_days=30) == ()
    assert_agree(rolled, today, window_days=14, stale_days=30)


def test_other_filters_fall_back_to_the_live_queries(rolled, today):
    agency_id = scalar(rolled, "SELECT min(lead_agency_id) FROM action")
    with db.read_connection(rolled) as conn:
        for filters in (
            Filters(agency_ids=(agency_id,)),
            Filters(rag=("red",)),
            Filters(statuses=("in_progress",)),
        ):
            assert not rollups.supports(filters)
            assert rollups.overview_figures(conn, today, filters) == queries.overview_figures(
                conn, today, filters
            )


def test_upgrade_marks_existing_reviews_dirty_and_the_first_write_counts_them(engine, today):
    """A database at 0004 holding reviews: the upgrade gives each a dirty row."""
    from alembic import command

    from monitoring import migrations

    with engine.begin() as conn:
        cfg = migrations.alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004_bench_indexes")
    assert not _has_table(engine, "review_rollup")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO review (id, ref, title, review_type, status) VALUES (1, 'R1', 'A', 'SCR', 'monitoring')"
            )
        )
    migrations.upgrade(engine)
    assert _rows(engine, "SELECT review_id FROM review_rollup WHERE dirty = :t", t=True) == [(1,)]
    with db.write_transaction(engine) as conn:
        pass
    assert not stored(engine, 1)["dirty"]
    assert stored(engine, 1)["counted_for"] == today.isoformat()


def _has_table(engine: Engine, name: str) -> bool:
    with engine.connect() as conn:
        return conn.dialect.has_table(conn, name)


# --- other write paths: the copy command and the demo loader ----------------------------------


def test_copy_and_demo_reload_leave_clean_agreeing_rollups(demo_engine, today, tmp_path):
    from monitoring import demo
    from monitoring.copy import copy_database

    target_url = f"sqlite:///{tmp_path / 'copy.db'}"
    copy_database(demo_engine.url.render_as_string(hide_password=False), target_url)
    target = db.make_engine(target_url)
    try:
        assert live_reviews(target, today, window_days=30, stale_days=90) == ()
        assert scalar(target, "SELECT count(*) FROM review_rollup") == scalar(
            target, "SELECT count(*) FROM review"
        )
        assert_agree(target, today)
    finally:
        target.dispose()
    demo.load_demo(demo_engine, today, force=True)
    assert live_reviews(demo_engine, today, window_days=30, stale_days=90) == ()
    assert_agree(demo_engine, today)


def test_postgresql_writer_does_not_wait_for_a_review_another_writer_holds(
    pg_database_url, monkeypatch
):
    """Two writers on PostgreSQL: review A is dirty and another writer holds its roll-up row (its
    write is not committed); a write touching review B commits at once (no lock wait: a 5 s
    lock timeout would fail it), recounting B and leaving A to its holder; A is counted live and
    the figures agree."""
    from monitoring import demo, migrations

    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    engine = db.make_engine(pg_database_url)
    migrations.upgrade(engine)
    demo.load_demo(engine, ANCHOR)
    first = action_row(engine)
    second = _rows(
        engine,
        "SELECT id, review_id FROM action WHERE review_id <> :r ORDER BY id",
        r=first["review_id"],
    )[0]
    second = {"id": second[0], "review_id": second[1]}
    with engine.begin() as conn:  # review A is dirty (a write that bypassed the services)
        conn.execute(
            text("UPDATE action SET lead_officer = 'J. Khan' WHERE id = :i"), {"i": first["id"]}
        )
    assert live_reviews(engine, ANCHOR, window_days=30, stale_days=90) == (first["review_id"],)
    holder = engine.connect()
    try:
        holder.begin()
        holder.execute(
            text("UPDATE action SET status = 'completed' WHERE id = :i"), {"i": first["id"]}
        )
        with db.write_transaction(engine) as conn:
            conn.execute(text("SET LOCAL lock_timeout = '5s'"))
            conn.execute(
                text("UPDATE action SET lead_officer = 'R. Patel' WHERE id = :i"),
                {"i": second["id"]},
            )
        holder.commit()
    finally:
        holder.close()
    assert live_reviews(engine, ANCHOR, window_days=30, stale_days=90) == (first["review_id"],)
    assert_agree(engine, ANCHOR)
    engine.dispose()
