"""The importer's write phase (issues 15 and 16, case 08 ``../shared/cases/08-save-during-long-import``):
rows are built and staged a batch at a time, and moved in with one transaction whose search
index and roll-up work is done once for the import (SQLite: the per-row insert triggers are
replaced inside that transaction, and restored before it commits).

Each test asserts outcomes: the roll-ups after an import equal a full recount; the search finds
the imported text and its index rows are those the triggers would have written; the triggers are
back, unchanged, and keep working for later writes; a failure at the end of the move-in leaves
nothing (rows, index, roll-ups or triggers); a save made during the move-in is kept; a big file
with a bad row at its end writes nothing and names the row. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from monitoring import config, db, rollups, search, services
from monitoring.importer import TrackerOptions, build_plan, import_path, read_path
from monitoring.importer import writer as import_writer
from tests.conftest import ANCHOR, BACKEND, SHARED

CASE_08 = SHARED / "cases" / "08-save-during-long-import"
POLICE = "police.lead@northbridge.example"
STATUSES = ["Not started", "In progress", "Completed", "In progress", "Overdue"]


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    monkeypatch.delenv("MONITORING_DUE_SOON_DAYS", raising=False)
    monkeypatch.delenv("MONITORING_STALE_DAYS", raising=False)


def rows(engine, query, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(query), params)]


def scalar(engine, query, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).scalar()


def write_tracker(path: Path, n: int, *, word: str = "zebrafinch", bad_last: bool = False):
    """A tracker of ``n`` rows across recommendations, agencies, statuses and target dates on
    both sides of the anchor (so the roll-ups have overdue, due soon and done actions)."""
    agencies = ["Police", "Health", "Children's Social Care", "Education"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Ref", "Action", "Lead agency", "Due date", "Status"])
        for i in range(n):
            due = (ANCHOR + timedelta(days=(i % 90) - 45)).isoformat()
            ref = f"{i // 4 + 1}.{i % 4 + 1}"
            if bad_last and i == n - 1:
                ref = "1.1"  # the first row's ref again: an error that stops the import
            out.writerow(
                [
                    ref,
                    f"Imported {word} action {i}",
                    agencies[i % len(agencies)],
                    due,
                    STATUSES[i % len(STATUSES)],
                ]
            )
    return path


def stored_rollups(engine) -> dict[int, dict]:
    names = ("dirty", *rollups.COUNTS)
    with engine.connect() as conn:
        return {
            r["review_id"]: {k: (bool(r[k]) if k == "dirty" else r[k]) for k in names}
            for r in conn.execute(db.review_rollup.select()).mappings()
        }


def full_recount(engine, today: date) -> dict[int, dict]:
    with engine.connect() as conn:
        counts, _agencies = rollups.count_reviews(conn, today)
    return {i: {"dirty": False, **c} for i, c in counts.items()}


def agency_rollups(engine) -> list[tuple]:
    return sorted(
        rows(engine, "SELECT review_id, lead_agency_id, overdue FROM review_agency_rollup"),
        key=lambda r: (r[0], r[1] or 0),
    )


def recounted_agencies(engine, today: date) -> list[tuple]:
    with engine.connect() as conn:
        _counts, by_agency = rollups.count_reviews(conn, today)
    pairs = ((r["review_id"], r["lead_agency_id"], r["overdue"]) for r in by_agency)
    return sorted(pairs, key=lambda r: (r[0], r[1] or 0))


def triggers(engine) -> list[tuple]:
    if BACKEND != "sqlite":
        return rows(
            engine,
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
            " ORDER BY tgname",
        )
    return rows(engine, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")


def imported(engine, ref: str) -> int:
    return int(
        scalar(
            engine,
            "SELECT count(*) FROM action a JOIN review r ON r.id = a.review_id WHERE r.ref = :r",
            r=ref,
        )
    )


def plan_for(path: Path, ref: str):
    plan = build_plan(read_path(path), options=TrackerOptions(review_ref=ref))
    plan.create_agencies = True
    return plan


def test_case_08_is_the_case_this_file_reads():
    readme = (CASE_08 / "README.md").read_text(encoding="utf-8")
    assert "150,000-row tracker" in readme and "all-or-nothing" in readme


def test_rollups_after_an_import_equal_a_full_recount(demo_engine, tmp_path, monkeypatch):
    """Several batches (batch size 250 here), so the staged rows come from several builds."""
    monkeypatch.setattr(import_writer, "BATCH", 250)
    with demo_engine.begin() as conn:
        rollups.refresh(conn, ANCHOR)
    before = triggers(demo_engine)
    summary = import_path(
        write_tracker(tmp_path / "t.csv", 1203), demo_engine, review="MOVE-1", create_agencies=True
    )
    assert summary.written and summary.created["action"] == 1203
    assert imported(demo_engine, "MOVE-1") == 1203
    assert stored_rollups(demo_engine) == full_recount(demo_engine, ANCHOR)
    assert agency_rollups(demo_engine) == recounted_agencies(demo_engine, ANCHOR)
    review_id = scalar(demo_engine, "SELECT id FROM review WHERE ref = 'MOVE-1'")
    assert stored_rollups(demo_engine)[review_id]["actions"] == 1203
    assert stored_rollups(demo_engine)[review_id]["overdue"] > 0
    # every id in order, one created audit row per new record, one first update per action
    ids = [
        r[0]
        for r in rows(
            demo_engine, "SELECT id FROM action WHERE review_id = :r ORDER BY id", r=review_id
        )
    ]
    assert ids == list(range(ids[0], ids[0] + 1203))
    assert (
        scalar(
            demo_engine,
            "SELECT count(*) FROM audit_log WHERE entity = 'action' AND field = 'created'"
            " AND entity_id IN (SELECT id FROM action WHERE review_id = :r)",
            r=review_id,
        )
        == 1203
    )
    assert (
        scalar(
            demo_engine,
            "SELECT count(DISTINCT action_id) FROM action_update"
            " WHERE action_id IN (SELECT id FROM action WHERE review_id = :r)",
            r=review_id,
        )
        == 1203
    )
    assert triggers(demo_engine) == before


def test_search_finds_imported_text_as_the_triggers_would_index_it(demo_engine, tmp_path):
    before = triggers(demo_engine)
    import_path(
        write_tracker(tmp_path / "t.csv", 300, word="quokkas"),
        demo_engine,
        review="MOVE-2",
        create_agencies=True,
    )
    with db.read_connection(demo_engine) as conn:
        found = search.search(conn, "quokka action 299", limit=1000)
    actions = found[found["kind"] == "action"]
    assert len(actions) == 1 and actions["text"].iloc[0].startswith("Imported quokkas action 299")
    with db.read_connection(demo_engine) as conn:
        every = search.search(conn, "quokkas", limit=1000)
    assert len(every[every["kind"] == "action"]) == 300
    assert triggers(demo_engine) == before
    if BACKEND == "sqlite":
        # the index holds, for every recommendation and action, exactly the trigger's body
        for kind, table in (("recommendation", "recommendation"), ("action", "action")):
            indexed = rows(
                demo_engine,
                "SELECT item_id, body FROM search_text WHERE kind = :k ORDER BY item_id",
                k=kind,
            )
            expected = rows(
                demo_engine,
                f"SELECT id, {search.FTS_BODIES[kind]} FROM {table} ORDER BY id",
            )
            assert indexed == expected, kind


def test_the_restored_triggers_keep_later_writes_indexed_and_counted(demo_engine, tmp_path):
    import_path(
        write_tracker(tmp_path / "t.csv", 120), demo_engine, review="MOVE-3", create_agencies=True
    )
    action_id = scalar(
        demo_engine,
        "SELECT min(a.id) FROM action a JOIN review r ON r.id = a.review_id WHERE r.ref = 'MOVE-3'",
    )
    with demo_engine.begin() as conn:  # plain SQL, no service: only the triggers keep up
        conn.execute(
            text(
                "UPDATE action SET description = 'Narwhal briefing', status = 'completed',"
                " completed_on = :d WHERE id = :a"
            ),
            {"a": action_id, "d": ANCHOR.isoformat()},
        )
        conn.execute(
            text(
                "INSERT INTO action (recommendation_id, review_id, number, description, status,"
                " version, due_date_changes, due_on_approximate, created_at, updated_at)"
                " SELECT recommendation_id, review_id, '99', 'Okapi follow-up', 'not_started',"
                " 1, 0, due_on_approximate, created_at, updated_at FROM action WHERE id = :a"
            ),
            {"a": action_id},
        )
    with db.read_connection(demo_engine) as conn:
        assert set(search.search(conn, "narwhal")["item_id"]) == {action_id}
        assert len(search.search(conn, "okapi")) == 1
    review_id = scalar(demo_engine, "SELECT id FROM review WHERE ref = 'MOVE-3'")
    assert stored_rollups(demo_engine)[review_id]["dirty"] is True  # marked by the triggers
    with db.write_transaction(demo_engine):
        pass
    assert stored_rollups(demo_engine) == full_recount(demo_engine, ANCHOR)


def test_a_failure_at_the_end_of_the_move_in_leaves_nothing(demo_engine, tmp_path, monkeypatch):
    """Six staged batches, then the move-in fails after every row is in: nothing is kept (rows,
    audit, index, roll-up marks), the triggers are intact, and the same import then succeeds."""
    monkeypatch.setattr(import_writer, "BATCH", 50)
    with demo_engine.begin() as conn:
        rollups.refresh(conn, ANCHOR)
    counts = db.table_counts(demo_engine)
    rolled = stored_rollups(demo_engine)
    before = triggers(demo_engine)
    fts = scalar(demo_engine, "SELECT count(*) FROM search_text") if BACKEND == "sqlite" else 0
    plan = plan_for(write_tracker(tmp_path / "t.csv", 300, word="pangolin"), "MOVE-4")
    real = rollups.mark_dirty if BACKEND == "sqlite" else rollups.refresh_pending

    def fail(*_args, **_kwargs):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(rollups, "mark_dirty" if BACKEND == "sqlite" else "refresh_pending", fail)
    with pytest.raises(RuntimeError, match="disk went away"):
        services.import_tracker(demo_engine, services.Actor.system("cli"), plan)
    assert db.table_counts(demo_engine) == counts
    assert stored_rollups(demo_engine) == rolled
    assert triggers(demo_engine) == before
    if BACKEND == "sqlite":
        assert scalar(demo_engine, "SELECT count(*) FROM search_text") == fts
    monkeypatch.setattr(rollups, "mark_dirty" if BACKEND == "sqlite" else "refresh_pending", real)
    summary = services.import_tracker(demo_engine, services.Actor.system("cli"), plan)
    assert summary.written and imported(demo_engine, "MOVE-4") == 300
    assert stored_rollups(demo_engine) == full_recount(demo_engine, ANCHOR)
    with db.read_connection(demo_engine) as conn:
        assert len(search.search(conn, "pangolin", limit=1000)) >= 300


def test_a_save_made_during_the_move_in_is_kept(demo_engine, tmp_path):
    """Case 08: a lead saves while the import's write transaction is open (SQLite: the save
    waits for the lock, bounded; PostgreSQL: it goes through). Both are kept."""
    with engine_user(demo_engine, POLICE) as (lead, action_id, version):
        outcome: dict = {}

        def save() -> None:
            try:
                outcome["saved"] = services.add_progress_update(
                    demo_engine, lead, action_id, "Saved during the move-in.", version=version
                )
            except Exception as exc:  # noqa: BLE001 - asserted below
                outcome["error"] = exc

        def progress(_fraction: float, message: str) -> None:
            if message.startswith("Writing") and "thread" not in outcome:
                outcome["thread"] = threading.Thread(target=save)
                outcome["thread"].start()

        plan = plan_for(write_tracker(tmp_path / "t.csv", 400), "MOVE-5")
        summary = services.import_tracker(
            demo_engine, services.Actor.system("cli"), plan, progress=progress
        )
        outcome["thread"].join(timeout=60)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["saved"]["version"] == version + 1
        assert summary.written and imported(demo_engine, "MOVE-5") == 400
        note = "Saved during the move-in."
        assert (
            scalar(
                demo_engine, "SELECT count(*) FROM action_update WHERE progress_note = :n", n=note
            )
            == 1
        )
        assert (
            scalar(
                demo_engine,
                "SELECT count(*) FROM audit_log WHERE entity = 'action' AND entity_id = :a"
                " AND field = 'progress_note' AND new_value = :n",
                a=action_id,
                n=note,
            )
            == 1
        )
        assert stored_rollups(demo_engine) == full_recount(demo_engine, config.today())


class engine_user:  # noqa: N801 - used as a context manager
    """A demo lead (as an Actor), one of their agency's open actions and its version."""

    def __init__(self, engine, email: str):
        self.engine, self.email = engine, email

    def __enter__(self):
        with self.engine.connect() as conn:
            user = (
                conn.execute(text("SELECT * FROM app_user WHERE email = :e"), {"e": self.email})
                .mappings()
                .one()
            )
            row = conn.execute(
                text(
                    "SELECT id, version FROM action WHERE lead_agency_id = :g"
                    " AND status IN ('not_started', 'in_progress') ORDER BY id LIMIT 1"
                ),
                {"g": user["agency_id"]},
            ).one()
        return services.Actor.from_user(dict(user)), row[0], row[1]

    def __exit__(self, *exc):
        return False


def test_a_big_file_with_a_bad_row_at_its_end_writes_nothing(demo_engine, tmp_path, capsys):
    """12,001 rows (more than two batches of the writer), the last repeating the first row's
    ref: the command names that row, exits 1, and writes nothing."""
    from monitoring.cli import main

    path = write_tracker(tmp_path / "big.csv", 12_001, bad_last=True)
    counts = db.table_counts(demo_engine)
    url = demo_engine.url.render_as_string(hide_password=False)
    import os

    old = os.environ.get("MONITORING_DATABASE_URL")
    os.environ["MONITORING_DATABASE_URL"] = url
    try:
        db.dispose_engines()
        code = main(["import", str(path), "--review", "MOVE-6", "--create-agencies"])
    finally:
        if old is None:
            os.environ.pop("MONITORING_DATABASE_URL", None)
        else:
            os.environ["MONITORING_DATABASE_URL"] = old
        db.dispose_engines()
    err = capsys.readouterr().err
    assert code == 1
    assert "nothing was written" in err
    assert "row 12002" in err.replace(",", "")  # the spreadsheet row of the last data row
    assert "appears again" in err
    assert db.table_counts(demo_engine) == counts
    assert imported(demo_engine, "MOVE-6") == 0
