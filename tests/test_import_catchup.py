"""The import's catch-up (issue 15, case 08 ``../shared/cases/08-save-during-long-import``): the
derived data of an import (SQLite's search index of its rows, the roll-ups of the reviews it
wrote) is brought up to date after the commit, in short transactions of its own, not in the one
transaction that makes the import appear.

Each test asserts outcomes on a real database (SQLite file, or PostgreSQL): after the catch-up the
search index holds exactly what a full re-index would, and every roll-up equals a full recount;
between the commit and the catch-up a search finds the imported words and the figures are
already right, a lead's save does not recount the import's review, and an edit of an imported
action is indexed once, with its new text; a process killed (SIGKILL) between the commit and the
catch-up, or in the middle of it, leaves work that the next start finishes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text

from monitoring import db, migrations, queries, rollups, search, services
from monitoring.importer import import_path
from monitoring.importer import writer as import_writer
from tests.conftest import ANCHOR, BACKEND, quiet_before_fork
from tests.test_import_move_in import (  # the set-up shared with the move-in's tests
    POLICE,
    _today,  # noqa: F401 (an autouse fixture: the anchor as today, default thresholds)
    full_recount,
    rows,
    scalar,
    stored_rollups,
    write_tracker,
)

CASE_08 = Path(__file__).resolve().parent.parent.parent / "shared" / "cases"
CASE_08 = CASE_08 / "08-save-during-long-import"


def recounted_agencies(engine, today: date) -> list[dict]:
    """Every per-review-per-agency roll-up row a full recount gives (all its counts)."""
    with engine.connect() as conn:
        _counts, by_agency = rollups.count_reviews(conn, today)
    return sorted((dict(r) for r in by_agency), key=_agency_key)


def agency_rollups(engine, names) -> list[dict]:
    """The stored per-review-per-agency roll-up rows, with the columns ``names``."""
    with engine.connect() as conn:
        stored = conn.execute(db.review_agency_rollup.select()).mappings().all()
    return sorted(({k: r[k] for k in names} for r in stored), key=_agency_key)


def _agency_key(row: dict):
    return (row["review_id"], row["lead_agency_id"] or 0)


def index(engine) -> list[tuple]:
    """SQLite's search index, every row (kind, item id, body), sorted."""
    return sorted(rows(engine, "SELECT kind, item_id, body FROM search_text"))


def full_reindex(engine) -> list[tuple]:
    """What a full re-index of every recommendation and action would hold."""
    expected = []
    for kind in ("recommendation", "action"):
        expected += [
            (kind, i, body)
            for i, body in rows(engine, f"SELECT id, {search.FTS_BODIES[kind]} FROM {kind}")
        ]
    return sorted(expected)


def pending(engine) -> list[tuple]:
    return rows(engine, "SELECT kind, first_id, last_id FROM import_catchup ORDER BY id")


def review_id(engine, ref: str) -> int:
    return int(scalar(engine, "SELECT id FROM review WHERE ref = :r", r=ref))


def found(engine, query: str, **kwargs) -> set[tuple[str, int]]:
    with db.read_connection(engine) as conn:
        hits = search.search(conn, query, limit=100_000, **kwargs)
    return set(zip(hits["kind"], hits["item_id"], strict=True))


def imported_items(engine, ref: str) -> set[tuple[str, int]]:
    rid = review_id(engine, ref)
    recs = rows(engine, "SELECT id FROM recommendation WHERE review_id = :r", r=rid)
    acts = rows(engine, "SELECT id FROM action WHERE review_id = :r", r=rid)
    return {("recommendation", r[0]) for r in recs} | {("action", a[0]) for a in acts}


def containing(engine, ref: str, word: str) -> set[tuple[str, int]]:
    """The imported records of review ``ref`` whose text holds ``word`` (any case)."""
    return {
        (kind, i)
        for kind, i in imported_items(engine, ref)
        if word.lower()
        in str(
            scalar(engine, f"SELECT {search.FTS_BODIES[kind]} FROM {kind} WHERE id = :i", i=i)
        ).lower()
    }


def assert_caught_up(engine) -> None:
    """Nothing pending; the index equals a full re-index; every roll-up a full recount."""
    assert pending(engine) == []
    if BACKEND == "sqlite":
        assert index(engine) == full_reindex(engine)
    assert stored_rollups(engine) == full_recount(engine, ANCHOR)
    recounted = recounted_agencies(engine, ANCHOR)
    assert recounted and agency_rollups(engine, list(recounted[0])) == recounted


def test_case_08_is_the_case_this_file_reads():
    readme = (CASE_08 / "README.md").read_text(encoding="utf-8")
    assert "150,000-row tracker" in readme and "all-or-nothing" in readme


def test_after_the_catch_up_search_and_rollups_equal_a_full_reindex_and_recount(
    demo_engine, tmp_path, monkeypatch
):
    """Several staged batches and a catch-up of 97 rows per transaction (several steps per
    range); then a second import into the same review and a new one."""
    monkeypatch.setattr(import_writer, "BATCH", 250)
    monkeypatch.setattr(import_writer, "CATCHUP_ROWS", 97)
    steps: list[tuple[str, int, int]] = []
    real_index_range = search.index_range

    def counted(conn, kind, first_id, last_id):
        steps.append((kind, first_id, last_id))
        return real_index_range(conn, kind, first_id, last_id)

    monkeypatch.setattr(search, "index_range", counted)
    with demo_engine.begin() as conn:
        rollups.refresh(conn, ANCHOR)
    summary = import_path(
        write_tracker(tmp_path / "a.csv", 1003, word="wombats"),
        demo_engine,
        review="CATCH-1",
        create_agencies=True,
    )
    assert summary.written and summary.created["action"] == 1003
    assert_caught_up(demo_engine)
    if BACKEND == "sqlite":
        # ceil(n / 97) steps of each kind, each of at most 97 ids
        for kind in ("recommendation", "action"):
            n = sum(1 for k, _i in imported_items(demo_engine, "CATCH-1") if k == kind)
            assert [k for k, _a, _b in steps].count(kind) == -(-n // 97), kind
        assert all(b - a + 1 <= 97 for _k, a, b in steps)
    else:
        assert steps == []  # PostgreSQL's GIN index follows the table: nothing to catch up
    assert found(demo_engine, "wombats") == containing(demo_engine, "CATCH-1", "wombats")
    assert len(containing(demo_engine, "CATCH-1", "wombats")) >= 1003
    rid = review_id(demo_engine, "CATCH-1")
    assert stored_rollups(demo_engine)[rid]["actions"] == 1003
    assert stored_rollups(demo_engine)[rid]["overdue"] > 0

    import_path(
        write_tracker(tmp_path / "b.csv", 41, word="wombats"),
        demo_engine,
        review="CATCH-2",
        create_agencies=True,
    )
    assert_caught_up(demo_engine)
    assert found(demo_engine, "wombats") == containing(
        demo_engine, "CATCH-1", "wombats"
    ) | containing(demo_engine, "CATCH-2", "wombats")


def test_between_the_commit_and_the_catch_up_search_and_figures_are_right(
    demo_engine, tmp_path, monkeypatch
):
    """The catch-up held back (as if the process had not reached it yet): a search finds every
    imported record, in scope and filtered; the overview's figures equal the live queries; a
    lead's save does not recount the import's review; an imported action edited meanwhile is
    found by its new text only, and indexed once, with that text, by the catch-up."""
    with demo_engine.begin() as conn:
        rollups.refresh(conn, ANCHOR)
    monkeypatch.setattr(import_writer, "catch_up", lambda engine, **_kw: {})
    import_path(
        write_tracker(tmp_path / "t.csv", 300, word="quokkas"),
        demo_engine,
        review="CATCH-3",
        create_agencies=True,
    )
    monkeypatch.undo()
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    rid = review_id(demo_engine, "CATCH-3")
    ours = imported_items(demo_engine, "CATCH-3")
    assert sum(1 for k, _i in ours if k == "action") == 300
    kinds = {kind for kind, _a, _b in pending(demo_engine)}
    if BACKEND == "sqlite":
        assert kinds == {"recommendation", "action", "review"}
        indexed = set(rows(demo_engine, "SELECT kind, item_id FROM search_text"))
        assert not (ours & indexed)  # nothing of the import is in the index yet ...
    else:
        assert kinds == {"review"}
    hits = containing(demo_engine, "CATCH-3", "quokkas")
    assert len(hits) >= 300
    assert found(demo_engine, "quokkas") == hits  # ... and a search finds every record
    last = containing(demo_engine, "CATCH-3", "quokkas action 299")
    assert ("action", max(i for k, i in ours if k == "action")) in last
    assert found(demo_engine, "QUOKKAS action 299") == last
    other = review_id(demo_engine, rows(demo_engine, "SELECT ref FROM review ORDER BY id")[0][0])
    assert found(demo_engine, "quokkas", reviews=select(db.review.c.id).where(db.review.c.id == other)) == set()  # fmt: skip
    assert found(demo_engine, "quokkas", reviews=select(db.review.c.id).where(db.review.c.id == rid)) == hits  # fmt: skip

    assert stored_rollups(demo_engine)[rid]["dirty"] is True  # left for the catch-up
    with db.read_connection(demo_engine) as conn:
        assert rollups.overview_figures(conn, ANCHOR) == queries.overview_figures(conn, ANCHOR)

    # a lead's save: its own review is recounted, the import's is not
    lead, action_id, version = lead_and_action(demo_engine)
    services.add_progress_update(demo_engine, lead, action_id, "Saved meanwhile.", version=version)
    saved_review = scalar(demo_engine, "SELECT review_id FROM action WHERE id = :a", a=action_id)
    after_save = stored_rollups(demo_engine)
    assert after_save[rid]["dirty"] is True
    assert after_save[saved_review] == full_recount(demo_engine, ANCHOR)[saved_review]

    # an imported action edited before the catch-up (plain SQL: only the triggers act)
    edited = max(i for k, i in ours if k == "action")
    with demo_engine.begin() as conn:
        conn.execute(
            text("UPDATE action SET description = 'Narwhal briefing' WHERE id = :a"),
            {"a": edited},
        )
    assert found(demo_engine, "narwhal") == {("action", edited)}
    assert ("action", edited) not in found(demo_engine, "quokkas")

    done = import_writer.catch_up(demo_engine)
    assert done["reviews"] == 1
    if BACKEND == "sqlite":
        assert done["action"] == 300
        assert done["recommendation"] == sum(1 for k, _i in ours if k == "recommendation")
        assert rows(
            demo_engine,
            "SELECT body FROM search_text WHERE kind = 'action' AND item_id = :a",
            a=edited,
        ) == [("Narwhal briefing ",)]
    assert_caught_up(demo_engine)
    assert found(demo_engine, "quokkas") == hits - {("action", edited)}
    assert found(demo_engine, "narwhal") == {("action", edited)}
    assert import_writer.catch_up(demo_engine) == {"reviews": 0, "recommendation": 0, "action": 0}


def lead_and_action(engine):
    with engine.connect() as conn:
        user = (
            conn.execute(text("SELECT * FROM app_user WHERE email = :e"), {"e": POLICE})
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


def _killed_child(url: str, tracker: str, ref: str, when: str) -> None:
    """In a forked child: import, and SIGKILL this process right after the commit (``commit``:
    instead of the catch-up) or in the catch-up's second indexing step (``catch-up``)."""
    engine = db.make_engine(url)

    def die(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if when == "commit":
        import_writer.catch_up = die
    else:
        import_writer.CATCHUP_ROWS = 40
        real = search.index_range
        calls = []

        def index_then_die(conn, kind, first_id, last_id):
            calls.append(kind)
            if len(calls) == 2:
                die()
            return real(conn, kind, first_id, last_id)

        search.index_range = index_then_die
    import_path(tracker, engine, review=ref, create_agencies=True)
    os._exit(3)  # never reached: the kill comes first


@pytest.mark.parametrize("when", ["commit", "catch-up"])
def test_a_kill_after_the_commit_leaves_work_the_next_start_finishes(
    demo_engine, database_url, tmp_path, when
):
    """SIGKILL between the commit and the catch-up (or during it): the import is all there, the
    search finds it and the figures are right meanwhile; the next start (the app's and every
    command's :func:`monitoring.migrations.upgrade`) finishes the catch-up, with no record
    indexed twice."""
    if when == "catch-up" and BACKEND != "sqlite":
        pytest.skip("PostgreSQL has no search index to catch up (its GIN index follows the table)")
    with demo_engine.begin() as conn:
        rollups.refresh(conn, ANCHOR)
    tracker = write_tracker(tmp_path / "t.csv", 400, word="pangolins")
    quiet_before_fork(demo_engine)
    child = multiprocessing.get_context("fork").Process(
        target=_killed_child, args=(database_url, str(tracker), "CATCH-4", when)
    )
    child.start()
    child.join(timeout=300)
    assert child.exitcode == -signal.SIGKILL
    ours = imported_items(demo_engine, "CATCH-4")
    assert sum(1 for k, _i in ours if k == "action") == 400  # all of the import
    assert pending(demo_engine) != []
    hits = containing(demo_engine, "CATCH-4", "pangolins")
    assert len(hits) >= 400
    assert found(demo_engine, "pangolins") == hits
    with db.read_connection(demo_engine) as conn:
        assert rollups.overview_figures(conn, ANCHOR) == queries.overview_figures(conn, ANCHOR)
    if when == "catch-up":  # the first step's rows are in the index, and only those
        indexed = set(rows(demo_engine, "SELECT kind, item_id FROM search_text")) & ours
        assert len(indexed) == 40

    migrations.upgrade(demo_engine)  # the next start
    assert_caught_up(demo_engine)
    assert found(demo_engine, "pangolins") == hits
