"""The Overview's board tiles from the roll-ups (migration ``0011_tile_rollup``,
:func:`monitoring.reads.rollup_tile_counts`) equal the live counts over the lists' own selects
(:func:`monitoring.reads.live_tile_counts`, which ``tests/test_tile_counts.py`` proves equal to
the lists' lengths) exactly, on SQLite and PostgreSQL (BENCHMARKS.md 6h).

1. One table of edge cases (:data:`EDGES`): each is a review of its own whose recommendations
   and actions sit on one edge of the rules (a target date exactly at each step of the
   escalation ladder, completed against assured, withdrawn, superseded, no target date, a
   response not accepted, a target-date change pending, an unpublished review, ...), with the
   counts worked out by hand. For each: the roll-up's stored parts equal those counts and the
   rules applied in Python; and for every filter set (none, each review type, each review, two
   reviews) the roll-up path was taken and equals the live path. Then the same after a changed
   escalation ladder and on the next day (counted live until recounted, then from the roll-up).
2. Every kind of write (the services through the write core, a tracker import with its move-in
   and catch-up, an agency merge and its undo, publication, plain SQL): afterwards the roll-up
   path, where it answers, equals the live path, and every clean stored row equals a full
   recount.

A viewer (published reviews only) and "as at" a past date always read live.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, insert, select, text

from monitoring import config, db, queries, reads, rollups, rules, services
from monitoring.importer import import_path
from monitoring.importer import writer as import_writer
from monitoring.queries import NO_FILTERS, Filters
from monitoring.source import Scope, source
from tests.conftest import ANCHOR
from tests.test_agency_rollup import CASES as AGENCY_WRITE_CASES
from tests.test_rollups import action_row

TODAY = ANCHOR
ADMIN = services.Actor.system("tile-rollup-test")
PARTS = ("escalated", "reported_completed", "ready_for_assurance", "completed_not_assured")
TYPES = ("SCR", "SAR", "DHR")


def act(status: str, overdue: int | None = 0, **extra) -> dict:
    """An action: ``status``, target date ``overdue`` days before TODAY (None: no target date;
    negative: in the future), and extra column values (``rag_override``, ``lead_agency_id``
    None, ...); ``pending``: a target-date change requested and not decided."""
    return {"status": status, "overdue": overdue, **extra}


def rec(response: str, assurance: str, *actions: dict) -> tuple[str, str, tuple[dict, ...]]:
    return response, assurance, actions


OPEN, DONE = "in_progress", "completed"
# name: (recommendations, (escalated, reported_completed, ready_for_assurance,
#        completed_not_assured) worked out by hand from the rules with the ladder 1, 30, 90)
EDGES: dict[str, tuple[tuple, tuple[int, int, int, int]]] = {
    "due today": ((rec("accepted", "not_assessed", act(OPEN, 0)),), (0, 0, 0, 0)),
    "1 day overdue (ladder step 1)": (
        (rec("accepted", "not_assessed", act(OPEN, 1)),),
        (0, 0, 0, 0),
    ),
    "29 days overdue": ((rec("accepted", "not_assessed", act(OPEN, 29)),), (0, 0, 0, 0)),
    "30 days overdue (step 2)": ((rec("accepted", "not_assessed", act(OPEN, 30)),), (0, 0, 0, 0)),
    "89 days overdue": ((rec("accepted", "not_assessed", act(OPEN, 89)),), (0, 0, 0, 0)),
    "90 days overdue (step 3: the board)": (
        (rec("accepted", "not_assessed", act(OPEN, 90)),),
        (1, 0, 0, 0),
    ),
    "91 days overdue": ((rec("accepted", "not_assessed", act(OPEN, 91)),), (1, 0, 0, 0)),
    "not started, 90 days overdue": (
        (rec("awaiting", "not_assessed", act("not_started", 90)),),
        (1, 0, 0, 0),
    ),
    "400 days overdue, rated green by hand": (
        (rec("accepted", "not_assessed", act(OPEN, 400, rag_override="green")),),
        (1, 0, 0, 0),
    ),
    "escalated, no lead agency": (
        (rec("accepted", "not_assessed", act(OPEN, 120, lead_agency_id=None)),),
        (1, 0, 0, 0),
    ),
    "due in the future": ((rec("accepted", "not_assessed", act(OPEN, -20)),), (0, 0, 0, 0)),
    "no target date": ((rec("accepted", "not_assessed", act(OPEN, None)),), (0, 0, 0, 0)),
    "pending target-date change, 95 days overdue": (
        (rec("accepted", "not_assessed", act(OPEN, 95, pending=True)),),
        (1, 0, 0, 0),
    ),
    "completed long after its date": (
        (rec("accepted", "not_assessed", act(DONE, 400)),),
        (0, 1, 0, 1),
    ),
    "completed, no target date": (
        (rec("accepted", "not_assessed", act(DONE, None)),),
        (0, 1, 0, 1),
    ),
    "assured action (not 'reported completed')": (
        (rec("accepted", "not_assessed", act("assured", 10)),),
        (0, 0, 0, 1),
    ),
    "completed and assured actions": (
        (rec("accepted", "not_assessed", act(DONE, 5), act("assured", 5)),),
        (0, 1, 0, 1),
    ),
    "completed and one open, 95 days overdue": (
        (rec("accepted", "not_assessed", act(DONE, 5), act(OPEN, 95)),),
        (1, 1, 0, 0),
    ),
    "completed and one not implemented": (
        (rec("accepted", "not_assessed", act(DONE, 5), act("not_implemented", 200)),),
        (0, 1, 0, 1),
    ),
    "superseded action, 200 days past its date": (
        (rec("accepted", "not_assessed", act("superseded", 200)),),
        (0, 0, 0, 0),
    ),
    "every action withdrawn, ready for assessment": (
        (
            rec(
                "accepted",
                "ready_for_assessment",
                act("superseded", 200),
                act("not_implemented", 10),
            ),
        ),
        (0, 0, 0, 0),
    ),
    "ready for assessment, actions completed": (
        (rec("accepted", "ready_for_assessment", act(DONE, 3), act(DONE, None)),),
        (0, 2, 1, 1),
    ),
    "ready for assessment, no actions": (
        (rec("accepted", "ready_for_assessment"),),
        (0, 0, 1, 0),
    ),
    "not assessed, no actions": ((rec("awaiting", "not_assessed"),), (0, 0, 0, 0)),
    "response not accepted, ready, completed": (
        (rec("not_accepted", "ready_for_assessment", act(DONE, 3)),),
        (0, 1, 0, 0),
    ),
    "response partially accepted, completed": (
        (rec("partially_accepted", "not_assessed", act(DONE, 3)),),
        (0, 1, 0, 1),
    ),
    "recommendation assured, its action still completed": (
        (rec("accepted", "assured", act(DONE, 3)),),
        (0, 1, 0, 0),
    ),
    "recommendation closed as unacceptable": (
        (rec("accepted", "closed_unacceptable", act(DONE, 3)),),
        (0, 1, 0, 0),
    ),
    "recommendation superseded": ((rec("accepted", "superseded", act(DONE, 3)),), (0, 1, 0, 0)),
    "recommendation not applicable": (
        (rec("accepted", "not_applicable", act(DONE, 3)),),
        (0, 1, 0, 0),
    ),
    "unpublished review": (
        (
            rec("accepted", "not_assessed", act(OPEN, 100)),
            rec("accepted", "ready_for_assessment", act(DONE, 3)),
        ),
        (1, 1, 1, 1),
    ),
    "several recommendations": (
        (
            rec("accepted", "not_assessed", act(OPEN, 90), act(OPEN, 89), act(DONE, 1)),
            rec("accepted", "not_assessed", act(DONE, 3), act("assured", 3)),
            rec("accepted", "ready_for_assessment", act("assured", 3)),
            rec("not_accepted", "not_assessed", act(DONE, 3)),
        ),
        (1, 3, 1, 2),
    ),
}


def _rows(engine: Engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def build_edges(engine: Engine) -> dict[str, int]:
    """One review per edge case (plain SQL: the triggers mark them dirty), then a write through
    the write core recounts them. :returns: ``{case: review id}``."""
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        agency_id = conn.execute(
            insert(db.agency).values(name="Edge agency").returning(db.agency.c.id)
        ).scalar_one()
        for i, (name, (recs, _expected)) in enumerate(EDGES.items()):
            published = None if name == "unpublished review" else (TODAY - timedelta(days=200))
            review_id = conn.execute(
                insert(db.review)
                .values(
                    ref=f"EDGE-{i:02d}",
                    title=name,
                    review_type=TYPES[i % len(TYPES)],
                    published_on=published and published.isoformat(),
                    status="monitoring",
                )
                .returning(db.review.c.id)
            ).scalar_one()
            ids[name] = review_id
            for r, (response, assurance, actions) in enumerate(recs, 1):
                rec_id = conn.execute(
                    insert(db.recommendation)
                    .values(
                        review_id=review_id,
                        number=str(r),
                        title=f"{name}, recommendation {r}",
                        response_status=response,
                        assurance_status=assurance,
                        response_due_on=(TODAY + timedelta(days=30)).isoformat(),
                    )
                    .returning(db.recommendation.c.id)
                ).scalar_one()
                for n, a in enumerate(actions, 1):
                    extra = {
                        k: v for k, v in a.items() if k not in ("status", "overdue", "pending")
                    }
                    if "rag_override" in extra:
                        extra["rag_override_reason"] = "Agreed at the board"
                    due = None if a["overdue"] is None else TODAY - timedelta(days=a["overdue"])
                    action_id = conn.execute(
                        insert(db.action)
                        .values(
                            recommendation_id=rec_id,
                            review_id=review_id,
                            number=str(n),
                            description=f"{name}, action {r}.{n}",
                            lead_agency_id=extra.pop("lead_agency_id", agency_id),
                            original_due_on=due and due.isoformat(),
                            due_on=due and due.isoformat(),
                            status=a["status"],
                            completed_on=TODAY.isoformat() if a["status"] == DONE else None,
                            last_update_on=TODAY.isoformat(),
                            **extra,
                        )
                        .returning(db.action.c.id)
                    ).scalar_one()
                    if a.get("pending"):
                        conn.execute(
                            insert(db.due_date_change).values(
                                action_id=action_id,
                                old_due_on=due and due.isoformat(),
                                new_due_on=(TODAY + timedelta(days=60)).isoformat(),
                                reason="Waiting for the audit.",
                                requested_at=f"{(TODAY - timedelta(days=3)).isoformat()}T10:00:00+00:00",
                                decision="pending",
                            )
                        )
    with db.read_connection(engine) as conn:
        assert len(rollups.coverage(conn, TODAY).live) == len(EDGES)  # all dirty
    with db.write_transaction(engine):
        pass  # the write core recounts every dirty review before its commit
    return ids


def python_parts(engine: Engine, review_id: int | None, today: date, ladder) -> tuple:
    """The four parts by the rules in :mod:`monitoring.rules`, applied in Python to the rows of
    one review (None: every review)."""
    where = "" if review_id is None else f" WHERE review_id = {int(review_id)}"
    actions = _rows(engine, f"SELECT status, due_on, recommendation_id FROM action{where}")
    escalated = sum(
        rules.is_escalated_to_board(s, rules.parse_iso(d), today, ladder) for s, d, _r in actions
    )
    completed = sum(s == "completed" for s, _d, _r in actions)
    ready = awaiting = 0
    for rec_id, response, assurance in _rows(
        engine, f"SELECT id, response_status, assurance_status FROM recommendation{where}"
    ):
        statuses = [
            s
            for (s,) in _rows(
                engine, "SELECT status FROM action WHERE recommendation_id = :r", r=rec_id
            )
        ]
        ready += rules.is_ready_for_assurance(response, assurance, statuses)
        awaiting += (
            bool(statuses)
            and not any(rules.is_open(s) for s in statuses)
            and any(s in rules.DONE_STATUSES for s in statuses)
            and assurance in queries.AWAITING_ASSURANCE
            and not rules.recommendation_not_delivered(response, assurance, statuses)
        )
    return escalated, completed, ready, awaiting


def filter_sets(engine: Engine, *, each_review: bool = False) -> list[Filters]:
    types = [t for (t,) in _rows(engine, "SELECT DISTINCT review_type FROM review ORDER BY 1")]
    reviews = [i for (i,) in _rows(engine, "SELECT id FROM review ORDER BY id")]
    sets = [
        NO_FILTERS,
        *(Filters(review_types=(t,)) for t in types),
        Filters(review_ids=tuple(reviews[1:3])),
        Filters(review_types=(types[0],), review_ids=tuple(reviews[:4])),
    ]
    if each_review:
        sets += [Filters(review_ids=(i,)) for i in reviews]
    else:
        sets.append(Filters(review_ids=(reviews[0],)))
    return sets


def assert_tiles_agree(
    engine: Engine,
    today: date,
    *,
    rolled_up: bool = True,
    each_review: bool = False,
    ladder: tuple[int, ...] = rules.DEFAULT_ESCALATION_DAYS,
) -> None:
    """For every filter set: the roll-up path equals the live path, for a board member, an
    administrator and an agency lead, and is taken exactly when most reviews in scope have a
    usable row (with no filter at least, when ``rolled_up``); a viewer and "as at" read live,
    and a viewer's counts are the board's over the published reviews; every clean stored row
    equals a full recount."""
    agency_id = _rows(engine, "SELECT min(id) FROM agency")[0][0]
    board_days = rollups.board_days_of(ladder)
    with db.read_connection(engine) as conn:
        if rolled_up:
            assert reads.rollup_tile_counts(conn, source(today)) is not None
        for filters in filter_sets(engine, each_review=each_review):
            live = reads.live_tile_counts(conn, source(today, Scope("board"), filters))
            cover = rollups.coverage(conn, today, filters, board_days=board_days)
            for scope in (Scope("board"), Scope("admin"), Scope("agency_lead", agency_id)):
                src = source(today, scope, filters)
                rolled = reads.rollup_tile_counts(conn, src)
                assert (rolled is not None) == (not cover.all_live), (filters, scope)
                if rolled is not None:
                    assert rolled == live, (filters, scope)
                assert reads.tile_counts(conn, src) == live, (filters, scope)
            viewer = source(today, Scope("viewer"), filters)
            assert reads.rollup_tile_counts(conn, viewer) is None
            assert reads.tile_counts(conn, viewer) == reads.live_tile_counts(conn, viewer)
        published = tuple(
            i
            for (i,) in conn.execute(
                text("SELECT id FROM review WHERE published_on IS NOT NULL AND published_on <= :t"),
                {"t": today.isoformat()},
            ).all()
        )
        viewer = reads.tile_counts(conn, source(today, Scope("viewer")))
        if published:
            assert viewer == reads.live_tile_counts(
                conn, source(today, Scope("board"), Filters(review_ids=published))
            )
        past = source(today, Scope("board"), as_at=today - timedelta(days=60))
        assert reads.rollup_tile_counts(conn, past) is None
        assert reads.tile_counts(conn, past) == reads.live_tile_counts(conn, past)
        assert_stored_equal_recount(conn, today, ladder)


def assert_stored_equal_recount(conn, today: date, ladder: tuple[int, ...]) -> None:
    """Every clean row counted for ``today`` and this ladder holds the tile parts a full recount
    (:func:`rollups.count_reviews`) gives now."""
    counts, _ = rollups.count_reviews(conn, today, agencies=False, ladder_days=ladder)
    rows = conn.execute(
        select(db.review_rollup).where(
            db.review_rollup.c.dirty.is_(False),
            db.review_rollup.c.counted_for == today.isoformat(),
            db.review_rollup.c.board_days == rollups.board_days_of(ladder),
        )
    ).mappings()
    checked = 0
    for row in rows:
        assert {k: row[k] for k in rollups.TILE_COUNTS} == {
            k: counts[row["review_id"]][k] for k in rollups.TILE_COUNTS
        }, row["review_id"]
        checked += 1
    return checked


def stored_parts(conn, review_id: int, today: date, board_days: int) -> tuple:
    found = rollups.tile_sums(conn, today, Filters(review_ids=(review_id,)), board_days=board_days)
    assert found is not None
    sums, live = found
    assert live == ()
    return tuple(sums[p] for p in PARTS)


@pytest.fixture
def today(monkeypatch) -> date:
    monkeypatch.setenv("MONITORING_TODAY", TODAY.isoformat())
    for name in ("MONITORING_DUE_SOON_DAYS", "MONITORING_STALE_DAYS", "MONITORING_ESCALATION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    return TODAY


# --- 1. the edge cases -----------------------------------------------------------------------


def test_each_edge_is_counted_by_the_rules_and_equals_the_live_path(engine, today):
    ids = build_edges(engine)
    ladder = rules.DEFAULT_ESCALATION_DAYS
    with db.read_connection(engine) as conn:
        assert rollups.coverage(conn, today).live == ()
        for name, (_recs, expected) in EDGES.items():
            assert python_parts(engine, ids[name], today, ladder) == expected, name
            assert stored_parts(conn, ids[name], today, 90) == expected, name
        totals = tuple(sum(e[i] for _r, e in EDGES.values()) for i in range(4))
        assert python_parts(engine, None, today, ladder) == totals
        assert rollups.tile_sums(conn, today, board_days=90) == (
            dict(zip(PARTS, totals, strict=True)),
            (),
        )
        # every part is non-zero: the equalities below are not 0 == 0
        assert all(totals), totals
        board = reads.tile_counts(conn, source(today, Scope("board")))
        assert board["escalated"] == totals[0]
        assert board["for_assurance"] == totals[1] + totals[2]
        assert board["completed_not_assured"] == totals[3]
        # decisions: one pending date change, no response overdue, beside the rolled-up parts
        assert board["decisions"] == 1 + totals[0] + totals[2]
        # a viewer does not read the unpublished review
        viewer = reads.tile_counts(conn, source(today, Scope("viewer")))
        assert viewer["escalated"] == totals[0] - 1
        assert viewer["completed_not_assured"] == totals[3] - 1
    assert_tiles_agree(engine, today, each_review=True)


def test_a_changed_ladder_reads_live_until_recounted(engine, today, monkeypatch):
    """``MONITORING_ESCALATION_DAYS`` 1,30,60: rows counted for 90 days are not used (counted
    live, right if slower); the next write recounts them for 60, and the roll-up is used again."""
    ids = build_edges(engine)
    monkeypatch.setenv("MONITORING_ESCALATION_DAYS", "1,30,60")
    ladder = (1, 30, 60)
    with db.read_connection(engine) as conn:
        assert len(rollups.coverage(conn, today, board_days=60).live) == len(EDGES)
        assert reads.rollup_tile_counts(conn, source(today)) is None
    assert_tiles_agree(engine, today, rolled_up=False, ladder=ladder)
    with db.write_transaction(engine):
        pass
    with db.read_connection(engine) as conn:
        assert rollups.coverage(conn, today, board_days=60).live == ()
        for name in (
            "89 days overdue",
            "30 days overdue (step 2)",
            "90 days overdue (step 3: the board)",
        ):
            parts = stored_parts(conn, ids[name], today, 60)
            assert parts == python_parts(engine, ids[name], today, ladder), name
        assert stored_parts(conn, ids["89 days overdue"], today, 60)[0] == 1  # 60+ now
        assert stored_parts(conn, ids["30 days overdue (step 2)"], today, 60)[0] == 0
    assert_tiles_agree(engine, today, each_review=True, ladder=ladder)
    # and back: the refresh of the pages recounts when most rows are for another ladder
    monkeypatch.delenv("MONITORING_ESCALATION_DAYS")
    assert rollups.refresh_stale(engine, today) == len(EDGES)
    assert_tiles_agree(engine, today)


def test_an_unusable_ladder_setting_keeps_the_rollups_counting(engine, today, monkeypatch):
    """``MONITORING_ESCALATION_DAYS`` unusable: writes still recount (for the default ladder, and
    the rows say so: 90 days), the other figures stay rolled up, and the tiles, like their
    lists, stop with the setting's error (never a figure for some other ladder)."""
    ids = build_edges(engine)
    monkeypatch.setenv("MONITORING_ESCALATION_DAYS", "90,30")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE action SET lead_officer = 'J. Khan' WHERE review_id = :r"),
            {"r": ids["due today"]},
        )
    with db.write_transaction(engine):
        pass
    with db.read_connection(engine) as conn:
        assert (
            rollups.coverage(conn, today, window_days=30, stale_days=90, board_days=90).live == ()
        )
        for call in (reads.tile_counts, reads.live_tile_counts, reads.rollup_tile_counts):
            with pytest.raises(config.SettingError, match="MONITORING_ESCALATION_DAYS"):
                call(conn, source(today))
    monkeypatch.delenv("MONITORING_ESCALATION_DAYS")
    assert_tiles_agree(engine, today)


def test_the_next_day_reads_live_until_recounted(engine, today, monkeypatch):
    """On the next day every row is stale: counted live; the first view's refresh recounts, and
    the 89-days-overdue action has reached the board."""
    ids = build_edges(engine)
    tomorrow = today + timedelta(days=1)
    monkeypatch.setenv("MONITORING_TODAY", tomorrow.isoformat())
    with db.read_connection(engine) as conn:
        assert reads.rollup_tile_counts(conn, source(tomorrow)) is None
    assert_tiles_agree(engine, tomorrow, rolled_up=False)
    assert rollups.refresh_stale(engine, tomorrow) == len(EDGES)
    with db.read_connection(engine) as conn:
        assert stored_parts(conn, ids["89 days overdue"], tomorrow, 90) == (1, 0, 0, 0)
    assert_tiles_agree(engine, tomorrow, each_review=True)


def test_one_review_written_by_plain_sql_is_counted_live_beside_the_rollup(engine, today):
    """A write that bypasses the services (plain SQL) leaves its review dirty: the read takes
    the other reviews from the roll-up and counts that one live (a mixed read)."""
    ids = build_edges(engine)
    review_id = ids["89 days overdue"]
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE action SET due_on = :d WHERE review_id = :r"),
            {"d": (today - timedelta(days=300)).isoformat(), "r": review_id},
        )
    with db.read_connection(engine) as conn:
        assert rollups.coverage(conn, today).live == (review_id,)
        assert reads.rollup_tile_counts(conn, source(today))["escalated"] == (
            sum(e[0] for _r, e in EDGES.values()) + 1
        )
    assert_tiles_agree(engine, today, each_review=True)


def test_an_action_filed_under_another_review_than_its_recommendation(engine, today):
    """Plain SQL moves an escalated, a completed action's ``review_id`` to another review (its
    recommendation stays): actions count in their own review, recommendations in theirs, as the
    lists' review filters do; both reviews are marked dirty and recounted by the next write."""
    ids = build_edges(engine)
    target = ids["due today"]
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE action SET review_id = :t WHERE review_id IN (:a, :b)"),
            {
                "t": target,
                "a": ids["91 days overdue"],
                "b": ids["completed and one not implemented"],
            },
        )
    with db.read_connection(engine) as conn:
        assert set(rollups.coverage(conn, today).live) == {
            target,
            ids["91 days overdue"],
            ids["completed and one not implemented"],
        }
    assert_tiles_agree(engine, today, each_review=True)
    with db.write_transaction(engine):
        pass
    with db.read_connection(engine) as conn:
        assert stored_parts(conn, target, today, 90) == (1, 1, 0, 0)
        # the recommendation is still judged on all its actions, wherever they are filed
        assert stored_parts(conn, ids["completed and one not implemented"], today, 90) == (
            0,
            0,
            0,
            1,
        )
    assert_tiles_agree(engine, today, each_review=True)


# --- 2. every kind of write, on the demo data ---------------------------------------------------


def _first(engine: Engine, sql: str, **params):
    rows = _rows(engine, sql, **params)
    assert rows, sql
    return rows[0]


def action_assured(engine: Engine, today: date) -> bool:
    """A completed action assured by the board (no longer "reported completed")."""
    (action_id,) = _first(engine, "SELECT id FROM action WHERE status = 'completed' ORDER BY id")
    services.assure_action(engine, ADMIN, action_id, version=None, note="Evidence seen.")
    return True


def action_returned(engine: Engine, today: date) -> bool:
    """A completed action returned to its agency (open again)."""
    (action_id,) = _first(engine, "SELECT id FROM action WHERE status = 'completed' ORDER BY id")
    services.return_action(engine, ADMIN, action_id, "More evidence, please.", version=None)
    return True


def action_withdrawn(engine: Engine, today: date) -> bool:
    """An escalated action closed as not implemented (with its reason)."""
    row = action_row(engine)
    with db.write_transaction(engine) as conn:
        conn.execute(
            db.action.update()
            .where(db.action.c.id == row["id"])
            .values(due_on=(today - timedelta(days=100)).isoformat())
        )
    services.change_status(
        engine, ADMIN, row["id"], "not_implemented", version=None, reason="Service decommissioned."
    )
    return True


def recommendations_assessed(engine: Engine, today: date) -> bool:
    """Recommendations set ready for assessment, then one assured and one closed as
    unacceptable (the ready, completed-not-assured parts move)."""
    rec_ids = [
        r
        for (r,) in _rows(
            engine,
            "SELECT id FROM recommendation WHERE assurance_status = 'not_assessed' ORDER BY id",
        )[:3]
    ]
    for rec_id in rec_ids:
        services.assure_recommendation(engine, ADMIN, rec_id, "ready_for_assessment", version=None)
    services.assure_recommendation(engine, ADMIN, rec_ids[0], "assured", version=None)
    services.assure_recommendation(engine, ADMIN, rec_ids[1], "closed_unacceptable", version=None)
    return True


def escalated_by_date_change(engine: Engine, today: date) -> bool:
    """A target date moved to exactly 90 days ago (approved): escalated to the board; and a
    change requested but not decided (pending: a decision needed)."""
    row = action_row(engine)
    change = services.request_due_date_change(
        engine, ADMIN, row["id"], today - timedelta(days=90), "Agreed earlier date.", version=None
    )
    services.decide_due_date_change(engine, ADMIN, change["id"], True)
    other = action_row(engine, status="not_started")
    services.request_due_date_change(
        engine, ADMIN, other["id"], today + timedelta(days=30), "Waiting.", version=None
    )
    return True


def import_before_its_catch_up(engine: Engine, today: date) -> bool:
    """A tracker imported, its catch-up held back (as if the process had not reached it): the
    imported review is counted live beside the roll-up; then the catch-up recounts it."""
    names = [n for (n,) in _rows(engine, "SELECT name FROM agency ORDER BY id")]
    path = engine.test_tmp / "catchup.csv"  # type: ignore[attr-defined]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            "Review,Rec number,Action number,Action description,Lead agency,Target date,Status\n"
        )
        statuses = ("In progress", "Completed", "Not started")
        for i in range(1, 10):
            due = (today - timedelta(days=30 * i)).isoformat()
            handle.write(
                f"TILE-CATCHUP,{(i + 2) // 3},{i},Action {i},{names[i % 3]},{due},{statuses[i % 3]}\n"
            )
    real = import_writer.catch_up
    import_writer.catch_up = lambda engine, **_kw: {}
    try:
        summary = import_path(path, engine)
    finally:
        import_writer.catch_up = real
    assert summary.written and not summary.errors
    (review_id,) = _first(engine, "SELECT id FROM review WHERE ref = 'TILE-CATCHUP'")
    with db.read_connection(engine) as conn:
        assert review_id in rollups.coverage(conn, today).live
    assert_tiles_agree(engine, today)
    assert import_writer.catch_up(engine)["reviews"] >= 1
    with db.read_connection(engine) as conn:
        assert rollups.coverage(conn, today).live == ()
        assert python_parts(engine, review_id, today, rules.DEFAULT_ESCALATION_DAYS) == (
            stored_parts(conn, review_id, today, 90)
        )
    return True


def review_published_again(engine: Engine, today: date) -> bool:
    """A review withdrawn from publication then published again: the board's counts never
    change (the roll-up holds every review); a viewer's lose it, then have it again."""
    (review_id,) = _first(
        engine,
        "SELECT min(review_id) FROM action WHERE status IN ('completed', 'not_started',"
        " 'in_progress')",
    )
    with db.read_connection(engine) as conn:
        board = reads.tile_counts(conn, source(today))
        viewer = reads.tile_counts(conn, source(today, Scope("viewer")))
    services.set_review_publication(engine, ADMIN, review_id, None)
    with db.read_connection(engine) as conn:
        assert reads.rollup_tile_counts(conn, source(today)) == board
        withdrawn = reads.tile_counts(conn, source(today, Scope("viewer")))
    assert withdrawn != viewer
    assert_tiles_agree(engine, today)
    services.set_review_publication(engine, ADMIN, review_id, today - timedelta(days=10))
    with db.read_connection(engine) as conn:
        assert reads.tile_counts(conn, source(today, Scope("viewer"))) == viewer
    return True


TILE_WRITE_CASES: dict[str, Callable[[Engine, date], bool]] = {
    **{f"agency roll-up case: {name}": case for name, case in AGENCY_WRITE_CASES.items()},
    "action assured": action_assured,
    "action returned": action_returned,
    "escalated action withdrawn": action_withdrawn,
    "recommendations assessed": recommendations_assessed,
    "escalated by a target-date change, another pending": escalated_by_date_change,
    "import before and after its catch-up": import_before_its_catch_up,
    "review unpublished and published again": review_published_again,
}


@pytest.fixture
def rolled(demo_engine: Engine, today: date) -> Engine:
    with demo_engine.begin() as conn:
        rollups.refresh(conn, today)
    return demo_engine


@pytest.mark.parametrize("case", list(TILE_WRITE_CASES), ids=list(TILE_WRITE_CASES))
def test_after_each_kind_of_write_the_rollup_equals_the_live_counts(
    rolled, today, tmp_path, monkeypatch, case
):
    rolled.test_tmp = tmp_path  # type: ignore[attr-defined]
    with db.read_connection(rolled) as conn:
        before = reads.live_tile_counts(conn, source(today))
    assert all(before.values()), before  # the demo has rows in every board list
    rolled_up = TILE_WRITE_CASES[case](rolled, today)
    if not rolled_up:
        today = today + timedelta(days=1)
        monkeypatch.setenv("MONITORING_TODAY", today.isoformat())
    assert_tiles_agree(rolled, today, rolled_up=rolled_up)


def test_the_writes_change_the_counts(rolled, today, tmp_path):
    """The write cases above move the figures (the checks compare changed counts, not the
    demo's own): assuring a completed action takes one off "items awaiting assurance"."""
    with db.read_connection(rolled) as conn:
        before = reads.tile_counts(conn, source(today))
    action_assured(rolled, today)
    with db.read_connection(rolled) as conn:
        after = reads.rollup_tile_counts(conn, source(today))
    assert after is not None
    assert after["for_assurance"] == before["for_assurance"] - 1
