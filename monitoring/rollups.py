"""Roll-ups: the overview's counts kept per review, so that one write does not recount every action.

Tables (migration ``0005_rollups``; :data:`monitoring.db.review_rollup` and
:data:`monitoring.db.review_agency_rollup`): one row per review holding its counts (actions, open,
overdue, due soon, no target date, stale, actions by RAG, recommendations, implemented, assured,
and the Overview's board tiles' parts, :data:`TILE_COUNTS`, migration ``0011_tile_rollup``),
stamped with the "today" (``counted_for``), thresholds (``window_days``, ``stale_days``) and
escalation ladder's board-level days (``board_days``) they were counted for, and a ``dirty``
flag; and per review and lead agency (every pair with an action) the Agencies scorecard's counts
(:data:`monitoring.queries.AGENCY_COUNTS`: actions, open, overdue, overdue by more than 90 days,
completed, timed, on time, target dates moved) and the latest update (migration
``0010_agency_scorecard_rollup``).

How they stay right, whatever writes:

1. Database triggers on ``action``, ``recommendation`` and ``review`` mark the affected reviews'
   rows dirty on every INSERT, UPDATE and DELETE (services, importer, ``copy``, the demo loader,
   plain SQL). The importer's bulk move-in on SQLite replaces the per-row insert triggers, inside
   its own transaction, by one :func:`mark_dirty` of the reviews it wrote.
2. :func:`monitoring.db.write_transaction` calls :func:`refresh_pending` just before it commits:
   the dirty reviews are recounted in the same transaction (one review after a one-action write),
   and so are rows counted for another day, other thresholds or another escalation ladder: the
   first write of a day recounts every review. The reviews a tracker import wrote are the
   exception: they are left dirty at its commit and recounted just after it by
   :func:`monitoring.importer.writer.catch_up`.
3. The reads here (:func:`overview_figures`, :func:`rag_by_review`, :func:`overdue_by_agency`,
   :func:`agency_scorecard`, :func:`tile_sums` for :func:`monitoring.reads.tile_counts`)
   take the clean rows stamped for the "today" and thresholds asked, and count live, with the
   queries of :mod:`monitoring.queries` restricted to ``Filters(review_ids=...)``, only the
   reviews whose row is dirty, stale or missing. When those are more than half of the reviews in
   scope the whole read is live. So the figures are right even if nobody refreshed. Reads never
   write.
4. A read finding most rows stale (the first view of a new day, a changed threshold) costs a full
   live count; :func:`refresh_stale`, which the pages' data layer calls once per ``data_version``
   (:func:`monitoring.ui.data.keep_rollups_fresh`), then recounts them in its own short write
   transaction. It does not bump ``data_version``: the figures do not change, only where they
   are read from.

Only the filters the roll-ups can answer use them: none, reviews and review types. Any other
filter (agency, theme, RAG, status) falls back to the live queries. They hold every review,
published or not: a viewer (published reviews only) reads live, as does "as at" a past date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from monitoring import config, queries, rules
from monitoring.db import (
    action,
    agency,
    import_catchup,
    recommendation,
    review,
    review_agency_rollup,
    review_rollup,
)
from monitoring.queries import (
    AGENCY_COUNTS,
    NO_FILTERS,
    Filters,
    OverviewFigures,
    counts_as_assured_sql,
    is_due_soon_sql,
    is_open_sql,
    is_overdue_sql,
    is_stale_sql,
    iso,
    no_due_date_sql,
    rag_sql,
)

ACTION_COUNTS = ("actions", "open_actions", "overdue", "due_soon", "no_due_date", "stale")
RAG_COUNTS = rules.RAG_CODES
RECOMMENDATION_COUNTS = ("recommendations", "implemented", "assured")
TILE_ACTION_COUNTS = ("escalated", "reported_completed")
TILE_RECOMMENDATION_COUNTS = ("ready_for_assurance", "completed_not_assured")
TILE_COUNTS = TILE_ACTION_COUNTS + TILE_RECOMMENDATION_COUNTS
"""The Overview's board tiles' parts (migration ``0011_tile_rollup``, :func:`tile_sums`):
actions escalated to the board (for the ladder's board-level days stamped in ``board_days``),
actions reported completed, recommendations ready for assurance, recommendations completed but
not assured."""
COUNTS = ACTION_COUNTS + RAG_COUNTS + RECOMMENDATION_COUNTS + TILE_COUNTS
"""The count columns of ``review_rollup``."""

rr = review_rollup
ra = review_agency_rollup


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _only(column, review_ids: Sequence[int] | None) -> ColumnElement[bool]:
    return literal(True) if review_ids is None else column.in_(list(review_ids))


def escalation_days() -> tuple[int, ...]:
    """The escalation ladder's days (``MONITORING_ESCALATION_DAYS``,
    :func:`monitoring.reminders.escalation_ladder`, the ladder the board's lists read).

    :raises monitoring.config.SettingError: when the setting is unusable."""
    from monitoring.reminders import escalation_ladder

    return tuple(step.days for step in escalation_ladder())


def _counting_ladder(ladder_days: Sequence[int] | None) -> tuple[int, ...]:
    """The ladder a recount counts "escalated" for: ``ladder_days``, else the configured one, or
    the default when the setting is unusable. Rows record the board-level days they were counted
    for (``board_days``), so a count for the default is never read as another ladder's (and the
    tiles' reads raise on an unusable setting, as the lists do)."""
    if ladder_days is not None:
        return tuple(ladder_days)
    try:
        return escalation_days()
    except config.SettingError:
        return tuple(rules.DEFAULT_ESCALATION_DAYS)


def board_days_of(ladder_days: Sequence[int]) -> int:
    """The days overdue at which an action is escalated to the board on this ladder (level
    :data:`monitoring.rules.BOARD_ESCALATION_LEVEL`): what ``board_days`` records."""
    return int(tuple(ladder_days)[rules.BOARD_ESCALATION_LEVEL - 1])


# --- counting ------------------------------------------------------------------------------------


def count_reviews(
    conn: Connection,
    today: date,
    review_ids: Sequence[int] | None = None,
    *,
    window_days: int = 30,
    stale_days: int = 90,
    agencies: bool = True,
    ladder_days: Sequence[int] = rules.DEFAULT_ESCALATION_DAYS,
) -> tuple[dict[int, dict[str, int]], list[dict]]:
    """Count the given reviews (every review when ``None``) in one grouped pass per table, with
    the rule expressions of :mod:`monitoring.queries` (``is_open_sql``, ``rag_sql``, ...).

    Actions are counted by their ``review_id`` and recommendations by theirs, as the queries'
    review filters do. "Implemented": a recommendation with at least one action and none open.
    The board tiles' parts (:data:`TILE_COUNTS`) use the board lists' own rule expressions:
    ``escalated`` :func:`monitoring.queries.is_escalated_to_board_sql` on ``ladder_days``,
    ``reported_completed`` :func:`monitoring.queries.is_reported_completed_sql`,
    ``ready_for_assurance`` :func:`monitoring.queries.is_ready_for_assurance_sql` and
    ``completed_not_assured`` :func:`monitoring.queries.is_completed_not_assured_sql`, each
    recommendation judged on all its actions (whatever their ``review_id``), as the lists do.

    :returns: ``({review_id: {count name: n}}, [{"review_id", "lead_agency_id" (or None),
        AGENCY_COUNTS..., "last_update_on" (ISO or None)}])``; every review asked for (that
        exists) has an entry, zeros included; the second list has one entry per review and lead
        agency with an action, counted by :func:`monitoring.queries.agency_count_columns` (the
        live scorecard's own expressions); empty when ``agencies`` is false (:func:`refresh`
        writes those rows straight from SQL, :func:`_agency_counts`).
    """
    ids = conn.execute(select(review.c.id).where(_only(review.c.id, review_ids))).scalars().all()
    counts = {int(i): dict.fromkeys(COUNTS, 0) for i in ids}
    if not counts:
        return {}, []
    rated = (
        select(
            action.c.review_id,
            action.c.status,
            action.c.due_on,
            action.c.last_update_on,
            action.c.created_at,
            rag_sql(today, window_days).label("rag"),
        )
        .where(_only(action.c.review_id, review_ids))
        .subquery()
    )
    per_review = conn.execute(
        select(
            rated.c.review_id,
            func.count().label("actions"),
            _count_if(is_open_sql(rated)).label("open_actions"),
            _count_if(is_overdue_sql(today, rated)).label("overdue"),
            _count_if(is_due_soon_sql(today, window_days, rated)).label("due_soon"),
            _count_if(no_due_date_sql(rated)).label("no_due_date"),
            _count_if(is_stale_sql(today, stale_days, rated)).label("stale"),
            *(_count_if(rated.c.rag == code).label(code) for code in RAG_COUNTS),
            _count_if(queries.is_escalated_to_board_sql(today, tuple(ladder_days), rated)).label(
                "escalated"
            ),
            _count_if(queries.is_reported_completed_sql(rated)).label("reported_completed"),
        ).group_by(rated.c.review_id)
    ).mappings()
    action_counts = ACTION_COUNTS + RAG_COUNTS + TILE_ACTION_COUNTS
    for row in per_review:
        if row["review_id"] in counts:
            counts[row["review_id"]].update({k: int(row[k]) for k in action_counts})
    has_action = select(action.c.id).where(action.c.recommendation_id == recommendation.c.id)
    has_open = has_action.where(is_open_sql())
    # Each recommendation's actions counted (all of them, whatever their review_id), for the
    # board tiles' rules; only those of the recommendations counted here.
    of_recs = (
        select(action.c.recommendation_id, *queries.recommendation_action_counts(action))
        .where(
            literal(True)
            if review_ids is None
            else action.c.recommendation_id.in_(
                select(recommendation.c.id).where(_only(recommendation.c.review_id, review_ids))
            )
        )
        .group_by(action.c.recommendation_id)
        .subquery("of_recs")
    )
    by_rec = (of_recs.c.actions, of_recs.c.live_n)
    per_rec = conn.execute(
        select(
            recommendation.c.review_id,
            func.count().label("recommendations"),
            _count_if(and_(has_action.exists(), ~has_open.exists())).label("implemented"),
            _count_if(counts_as_assured_sql(recommendation, counts=by_rec)).label("assured"),
            _count_if(queries.is_ready_for_assurance_sql(recommendation, counts=by_rec)).label(
                "ready_for_assurance"
            ),
            _count_if(
                queries.is_completed_not_assured_sql(
                    recommendation, of_recs.c.open_n, of_recs.c.done_n, counts=by_rec
                )
            ).label("completed_not_assured"),
        )
        .select_from(
            recommendation.outerjoin(of_recs, of_recs.c.recommendation_id == recommendation.c.id)
        )
        .where(_only(recommendation.c.review_id, review_ids))
        .group_by(recommendation.c.review_id)
    ).mappings()
    rec_counts = RECOMMENDATION_COUNTS + TILE_RECOMMENDATION_COUNTS
    for row in per_rec:
        if row["review_id"] in counts:
            counts[row["review_id"]].update({k: int(row[k]) for k in rec_counts})
    if not agencies:
        return counts, []
    per_agency = conn.execute(_agency_counts(today, review_ids)).mappings()
    by_agency = [
        {
            "review_id": int(row["review_id"]),
            "lead_agency_id": row["lead_agency_id"],
            **{k: int(row[k]) for k in AGENCY_COUNTS},
            "last_update_on": row["last_update_on"],
        }
        for row in per_agency
        if row["review_id"] in counts
    ]
    return counts, by_agency


AGENCY_COLUMNS = ("review_id", "lead_agency_id", *AGENCY_COUNTS, "last_update_on")
"""The columns of ``review_agency_rollup`` written by :func:`refresh`, in :func:`_agency_counts`'s
order."""


def _agency_counts(today: date, review_ids: Sequence[int] | None):
    """SQL: one row per review and lead agency with an action, :data:`AGENCY_COLUMNS`."""
    return (
        select(
            action.c.review_id,
            action.c.lead_agency_id,
            *queries.agency_count_columns(today, action),
        )
        .where(_only(action.c.review_id, review_ids))
        .group_by(action.c.review_id, action.c.lead_agency_id)
    )


def refresh(
    conn: Connection,
    today: date,
    review_ids: Sequence[int] | None = None,
    *,
    window_days: int = 30,
    stale_days: int = 90,
    ladder_days: Sequence[int] | None = None,
) -> int:
    """Recount the given reviews (every review when ``None``) and write their roll-up rows, clean
    and stamped with ``today``, the thresholds and the escalation ladder's board-level days
    (``board_days``; ``ladder_days`` default the configured ladder, :func:`_counting_ladder`),
    inside the caller's transaction. Rows of reviews that no longer exist are deleted.

    :returns: the number of reviews counted.
    """
    ladder_days = _counting_ladder(ladder_days)
    counts, _ = count_reviews(
        conn,
        today,
        review_ids,
        window_days=window_days,
        stale_days=stale_days,
        agencies=False,
        ladder_days=ladder_days,
    )
    if review_ids is None:
        conn.execute(delete(ra))
        conn.execute(delete(rr).where(rr.c.review_id.not_in(select(review.c.id))))
    else:
        conn.execute(delete(ra).where(ra.c.review_id.in_(list(review_ids))))
        gone = [i for i in review_ids if i not in counts]
        if gone:
            conn.execute(delete(rr).where(rr.c.review_id.in_(gone)))
    if not counts:
        return 0
    stamp = {
        "dirty": False,
        "counted_for": iso(today),
        "window_days": window_days,
        "stale_days": stale_days,
        "board_days": board_days_of(ladder_days),
        "counted_at": config.utc_now_iso(),
    }
    rows = [{"review_id": i, **stamp, **c} for i, c in counts.items()]
    statement = _upsert(conn)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[rr.c.review_id],
            set_={name: statement.excluded[name] for name in (*stamp, *COUNTS)},
        ),
        rows,
    )
    # Per review and lead agency, written by the database from its own count (no round trip of
    # a few hundred thousand rows through Python at a million actions). Every action's review
    # exists (foreign key), so these are rows of the reviews counted above.
    conn.execute(insert(ra).from_select(list(AGENCY_COLUMNS), _agency_counts(today, review_ids)))
    return len(rows)


def mark_dirty(conn: Connection, review_ids_sql: str) -> None:
    """Mark the roll-up rows of the reviews selected by ``review_ids_sql`` (SQL giving one
    column named ``review_id``) dirty, creating missing rows, in one statement: what the per-row
    triggers of ``0005_rollups`` do for each inserted review, recommendation or action. The
    importer uses it for its bulk move-in; :func:`refresh_pending` then recounts those reviews
    before the commit (so they end equal to a full recount)."""
    true = "true" if conn.dialect.name == "postgresql" else "1"
    conn.exec_driver_sql(
        f"INSERT INTO review_rollup (review_id, dirty) SELECT DISTINCT x.review_id, {true}"
        f" FROM ({review_ids_sql}) AS x WHERE x.review_id IS NOT NULL"
        f" ORDER BY x.review_id ON CONFLICT (review_id) DO UPDATE SET dirty = {true}"
    )


def _upsert(conn: Connection):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(rr)


def _usable(
    today: date,
    window_days: int | None = None,
    stale_days: int | None = None,
    board_days: int | None = None,
) -> ColumnElement[bool]:
    """A clean row counted for ``today`` (and the thresholds and board-level escalation days
    given; ``None``: any)."""
    clauses = [rr.c.dirty.is_(False), rr.c.counted_for == iso(today)]
    if window_days is not None:
        clauses.append(rr.c.window_days == window_days)
    if stale_days is not None:
        clauses.append(rr.c.stale_days == stale_days)
    if board_days is not None:
        clauses.append(rr.c.board_days == board_days)
    return and_(*clauses)


def _has_tables(conn: Connection) -> bool:
    """True when the roll-up tables exist (a database migrated to ``0005_rollups``)."""
    key = conn.engine.url.render_as_string(hide_password=False)
    if key not in _migrated:
        if not conn.dialect.has_table(conn, rr.name):
            return False
        _migrated.add(key)
    return True


_migrated: set = set()


def refresh_pending(
    conn: Connection,
    today: date | None = None,
    *,
    window_days: int | None = None,
    stale_days: int | None = None,
    ladder_days: Sequence[int] | None = None,
) -> int:
    """Recount, inside the caller's write transaction, every review whose roll-up row is dirty,
    missing, or counted for another day, other thresholds or another escalation ladder's
    board-level days. Called by :func:`monitoring.db.write_transaction` just before it commits.

    ``today``, the thresholds and the ladder default to :func:`monitoring.config.today`,
    :func:`monitoring.config.thresholds` and the configured ladder (:func:`_counting_ladder`);
    when the first two settings are unusable nothing is counted
    (the rows stay dirty and reads count those reviews live). Reviews an import's catch-up will
    recount (``import_catchup``, :func:`monitoring.importer.writer.catch_up`) are left to it,
    so that a save after a large import does not pay for that recount. On PostgreSQL the rows
    are locked first (``FOR UPDATE SKIP LOCKED``: a row another writer holds is that writer's
    to recount) and only those are written. On SQLite, when more than half of the reviews need it, every
    review is recounted in one pass.

    :returns: the number of reviews recounted.
    """
    if not _has_tables(conn):
        return 0
    try:
        today = today or config.today()
        limits = config.thresholds()
    except config.SettingError:
        return 0
    ladder_days = _counting_ladder(ladder_days)
    window_days = limits.due_soon_days if window_days is None else window_days
    stale_days = limits.stale_days if stale_days is None else stale_days
    board_days = board_days_of(ladder_days)
    pending = [
        int(i)
        for i in conn.execute(
            select(rr.c.review_id)
            .where(~_usable(today, window_days, stale_days, board_days))
            .order_by(rr.c.review_id)
            .with_for_update(skip_locked=True)
        ).scalars()
    ]
    missing = [
        int(i)
        for i in conn.execute(
            select(review.c.id).where(review.c.id.not_in(select(rr.c.review_id)))
        ).scalars()
    ]
    # reviews an import left dirty are the import's catch-up's to recount, not this write's
    # (monitoring.importer.writer.catch_up; reads count them live meanwhile)
    deferred = _deferred(conn)
    ids = [i for i in pending + missing if i not in deferred]
    if not ids:
        return 0
    if conn.dialect.name == "sqlite" and not deferred:  # one writer: a full pass is cheaper
        total = int(conn.execute(select(func.count()).select_from(review)).scalar() or 0)
        if len(ids) * 2 > total:
            return refresh(
                conn,
                today,
                None,
                window_days=window_days,
                stale_days=stale_days,
                ladder_days=ladder_days,
            )
    # On PostgreSQL only the rows locked above (and missing ones) are written, so a recount
    # never waits for a row another writer holds while that writer may wait for it (deadlock).
    return refresh(
        conn, today, ids, window_days=window_days, stale_days=stale_days, ladder_days=ladder_days
    )


def _deferred(conn: Connection) -> set[int]:
    """The reviews whose roll-up an import's catch-up will recount (``import_catchup``)."""
    key = ("import_catchup", conn.engine.url.render_as_string(hide_password=False))
    if key not in _migrated:
        if not conn.dialect.has_table(conn, import_catchup.name):
            return set()
        _migrated.add(key)
    return {
        int(i)
        for i in conn.execute(
            select(import_catchup.c.first_id).where(import_catchup.c.kind == "review")
        ).scalars()
    }


def refresh_stale(
    engine: Engine,
    today: date,
    *,
    window_days: int = 30,
    stale_days: int = 90,
    ladder_days: Sequence[int] | None = None,
) -> int:
    """When most reviews' roll-up rows are not usable for ``today``, these thresholds and this
    escalation ladder (default the configured one, :func:`_counting_ladder`; a new day, a changed
    threshold or ladder, a fresh upgrade), recount them in a short write transaction of its
    own. ``data_version`` is not bumped: no figure changes, and the cached reads stay valid.

    :returns: the number of reviews recounted (0 when most rows were usable).
    """
    ladder_days = _counting_ladder(ladder_days)
    board_days = board_days_of(ladder_days)
    with engine.connect() as conn, conn.begin():
        if not _has_tables(conn) or not _mostly_stale(
            conn, today, window_days, stale_days, board_days
        ):
            return 0
    with engine.connect() as conn:
        conn.execution_options(immediate=True)
        with conn.begin():
            if not _mostly_stale(conn, today, window_days, stale_days, board_days):
                return 0  # another process recounted meanwhile
            return refresh_pending(
                conn,
                today,
                window_days=window_days,
                stale_days=stale_days,
                ladder_days=ladder_days,
            )


def _mostly_stale(
    conn: Connection, today: date, window_days: int, stale_days: int, board_days: int
) -> bool:
    usable = conn.execute(
        select(func.count())
        .select_from(rr.join(review, review.c.id == rr.c.review_id))
        .where(_usable(today, window_days, stale_days, board_days))
    ).scalar()
    total = conn.execute(select(func.count()).select_from(review)).scalar()
    return int(usable or 0) * 2 < int(total or 0)


# --- reads ---------------------------------------------------------------------------------------


def supports(filters: Filters) -> bool:
    """True when the roll-ups can answer ``filters``: none, or only reviews and review types."""
    return not (filters.agency_ids or filters.theme_ids or filters.rag or filters.statuses)


def _in_scope(filters: Filters) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = [literal(True)]
    if filters.review_types:
        clauses.append(review.c.review_type.in_(filters.review_types))
    if filters.review_ids:
        clauses.append(review.c.id.in_(filters.review_ids))
    return and_(*clauses)


@dataclass(frozen=True)
class Coverage:
    """Which reviews in scope a read takes from the roll-ups: ``reviews`` in scope, ``live`` the
    ids counted live (dirty, stale or missing rows); ``all_live`` when those are most of them."""

    reviews: int
    live: tuple[int, ...]

    @property
    def all_live(self) -> bool:
        return len(self.live) * 2 > self.reviews


def coverage(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    window_days: int | None = None,
    stale_days: int | None = None,
    board_days: int | None = None,
) -> Coverage:
    """The reviews matching ``filters`` (reviews and review types only) and those of them whose
    roll-up row cannot be used for ``today`` and the thresholds and board-level escalation days
    given (``None``: not checked)."""
    usable = case(
        (_usable(today, window_days, stale_days, board_days), literal(1)), else_=literal(0)
    )
    rows = conn.execute(
        select(review.c.id, usable)
        .select_from(review.outerjoin(rr, rr.c.review_id == review.c.id))
        .where(_in_scope(filters))
    ).all()
    return Coverage(len(rows), tuple(sorted(int(i) for i, ok in rows if not ok)))


def _sums(
    conn: Connection, filters: Filters, usable: ColumnElement[bool], names: Iterable[str]
) -> dict[str, int]:
    row = conn.execute(
        select(*(func.coalesce(func.sum(rr.c[n]), 0).label(n) for n in names))
        .select_from(rr.join(review, review.c.id == rr.c.review_id))
        .where(_in_scope(filters), usable)
    ).one()
    return {k: int(v) for k, v in row._mapping.items()}


def overview_figures(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    window_days: int = 30,
    stale_days: int = 90,
) -> OverviewFigures:
    """:func:`monitoring.queries.overview_figures` from the roll-ups (same arguments, same result):
    usable rows summed, the other reviews counted live (module docstring)."""
    if not supports(filters):
        return queries.overview_figures(
            conn, today, filters, window_days=window_days, stale_days=stale_days
        )
    cover = coverage(conn, today, filters, window_days=window_days, stale_days=stale_days)
    if cover.all_live:
        return queries.overview_figures(
            conn, today, filters, window_days=window_days, stale_days=stale_days
        )
    usable = _usable(today, window_days, stale_days)
    sums = _sums(conn, filters, usable, (*ACTION_COUNTS, *RECOMMENDATION_COUNTS))
    if filters.is_empty():
        reviews = int(conn.execute(select(func.count()).select_from(review)).scalar() or 0)
    else:
        # As the queries count them under a filter: reviews with a matching recommendation.
        reviews = int(
            conn.execute(
                select(func.count())
                .select_from(rr.join(review, review.c.id == rr.c.review_id))
                .where(_in_scope(filters), usable, rr.c.recommendations > 0)
            ).scalar()
            or 0
        )
    if cover.live:
        live = queries.overview_figures(
            conn,
            today,
            Filters(review_ids=cover.live),
            window_days=window_days,
            stale_days=stale_days,
        )
        for name in sums:
            sums[name] += getattr(live, name)
        if not filters.is_empty():
            reviews += live.reviews
    return OverviewFigures(reviews=reviews, **sums)


def tile_sums(
    conn: Connection, today: date, filters: Filters = NO_FILTERS, *, board_days: int
) -> tuple[dict[str, int], tuple[int, ...]] | None:
    """The board tiles' parts (:data:`TILE_COUNTS`) for the records now: the sums of the usable
    rows (clean, counted for ``today`` and for ``board_days``, the escalation ladder's
    board-level days) of the reviews matching ``filters``, and the ids of the reviews in scope
    whose row is not usable (dirty, stale, counted for other board days, or missing): the caller
    counts those live (:func:`monitoring.reads.tile_counts`) and adds them.

    The roll-up holds every review: it answers a reader who may read every review, and no filter
    or only reviews and review types (:func:`supports`).

    :returns: ``({part: n}, live review ids)``; ``None`` when ``filters`` are not supported or
        most reviews in scope need a live count (then the caller counts everything live).
    """
    if not supports(filters):
        return None
    cover = coverage(conn, today, filters, board_days=board_days)
    if cover.all_live:
        return None
    sums = _sums(conn, filters, _usable(today, board_days=board_days), TILE_COUNTS)
    return sums, cover.live


def rag_by_review(
    conn: Connection, today: date, filters: Filters = NO_FILTERS, *, window_days: int = 30
) -> pd.DataFrame:
    """:func:`monitoring.queries.rag_by_review` from the roll-ups (same arguments, same
    DataFrame ``review_id, ref, title, rag, actions``, same order)."""
    if not supports(filters):
        return queries.rag_by_review(conn, today, filters, window_days=window_days)
    cover = coverage(conn, today, filters, window_days=window_days)
    if cover.all_live:
        return queries.rag_by_review(conn, today, filters, window_days=window_days)
    rows = conn.execute(
        select(review.c.id, review.c.ref, review.c.title, *(rr.c[code] for code in RAG_COUNTS))
        .select_from(rr.join(review, review.c.id == rr.c.review_id))
        .where(_in_scope(filters), _usable(today, window_days))
    ).all()
    records = [
        (row[0], row[1], row[2], code, int(n))
        for row in rows
        for code, n in zip(RAG_COUNTS, row[3:], strict=True)
        if n
    ]
    frame = pd.DataFrame(records, columns=["review_id", "ref", "title", "rag", "actions"])
    if cover.live:
        live = queries.rag_by_review(
            conn, today, Filters(review_ids=cover.live), window_days=window_days
        )
        frame = live if frame.empty else pd.concat([frame, live], ignore_index=True)
    if frame.empty:
        return frame
    order = {code: i for i, code in enumerate(rules.RAG_CODES)}
    frame["_order"] = frame["rag"].map(order)
    return frame.sort_values(["ref", "_order"]).drop(columns="_order").reset_index(drop=True)


def overdue_by_agency(
    conn: Connection, today: date, filters: Filters = NO_FILTERS, *, limit: int | None = None
) -> pd.DataFrame:
    """:func:`monitoring.queries.overdue_by_agency` from the roll-ups (same arguments, same
    DataFrame ``agency_id, agency, overdue``, same order: most first, ties by name in SQL)."""
    if not supports(filters):
        return queries.overdue_by_agency(conn, today, filters, limit=limit)
    cover = coverage(conn, today, filters)
    if cover.all_live:
        return queries.overdue_by_agency(conn, today, filters, limit=limit)
    if filters.is_empty():
        # Every stored row but those of the reviews counted live (a row is written only with its
        # review's clean roll-up, and deleted with the review): one pass over the covering index
        # ix_review_agency_rollup_agency, grouped by agency (BENCHMARKS.md, roll-ups).
        stored = select(ra.c.lead_agency_id.label("agency_id"), ra.c.overdue.label("n")).where(
            ra.c.overdue > 0  # the rows of agencies with actions but none overdue are not listed
        )
        if cover.live:
            stored = stored.where(ra.c.review_id.not_in(cover.live))
    else:
        usable_reviews = (
            select(rr.c.review_id)
            .select_from(rr.join(review, review.c.id == rr.c.review_id))
            .where(_in_scope(filters), _usable(today))
        )
        stored = select(ra.c.lead_agency_id.label("agency_id"), ra.c.overdue.label("n")).where(
            ra.c.review_id.in_(usable_reviews), ra.c.overdue > 0
        )
    stored = stored.subquery()
    parts = [
        select(stored.c.agency_id, func.sum(stored.c.n).label("n")).group_by(stored.c.agency_id)
    ]
    if cover.live:
        parts.append(
            select(
                action.c.lead_agency_id.label("agency_id"), literal_column("1").label("n")
            ).where(action.c.review_id.in_(cover.live), is_overdue_sql(today))
        )
    counted = union_all(*parts).subquery()
    name = func.coalesce(agency.c.name, queries.NO_AGENCY)
    total = func.sum(counted.c.n)
    query = (
        select(counted.c.agency_id, name.label("agency"), total.label("overdue"))
        .select_from(counted.outerjoin(agency, agency.c.id == counted.c.agency_id))
        .group_by(counted.c.agency_id, agency.c.name)
        .order_by(total.desc(), name)
    )
    if limit:
        query = query.limit(limit)
    rows = [(a, n, int(o)) for a, n, o in conn.execute(query).all()]
    return pd.DataFrame(rows, columns=["agency_id", "agency", "overdue"])


OPEN_ACTION_SQL = "action.status IN ('not_started', 'in_progress')"
""":func:`monitoring.queries.is_open_sql` written out as the WHERE clause of the partial index
``ix_action_open_agency_due`` (migration ``0010_agency_scorecard_rollup``): SQLite uses a partial
index only when the query repeats its condition term for term, with constants, not parameters.
Always used together with ``is_overdue_sql`` (the rule), never instead of it."""


def agency_scorecard(conn: Connection, today: date, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """:func:`monitoring.queries.agency_scorecard` from the roll-ups (same arguments, same
    DataFrame, same order), for the records now.

    The additive counts (:data:`monitoring.queries.AGENCY_COUNTS`) are the sums of the usable
    ``review_agency_rollup`` rows of the reviews in scope plus the reviews counted live (dirty,
    stale or missing rows, module docstring), counted with the live scorecard's own expressions;
    ``last_update_on`` is the latest of both. The median days overdue is not additive: it is
    read exactly, per agency with ``n`` overdue actions (``n`` from those sums), as the middle one
    (odd ``n``) or two (even ``n``) of its overdue actions in target-date order, from the
    ``action`` table through the partial index ``ix_action_open_agency_due``
    (``ORDER BY due_on LIMIT 1 or 2 OFFSET (n - 1) / 2``): the same values the live query's window
    function picks. Other filters (agency, theme, RAG, status), and most reviews needing a live
    count, fall back to the live query.
    """
    if not supports(filters):
        return queries.agency_scorecard(conn, today, filters)
    cover = coverage(conn, today, filters)
    if cover.all_live:
        return queries.agency_scorecard(conn, today, filters)
    if filters.is_empty():
        stored_where = ra.c.review_id.not_in(cover.live) if cover.live else literal(True)
    else:
        stored_where = ra.c.review_id.in_(
            select(rr.c.review_id)
            .select_from(rr.join(review, review.c.id == rr.c.review_id))
            .where(_in_scope(filters), _usable(today))
        )
    stored = conn.execute(
        select(
            ra.c.lead_agency_id,
            *(func.sum(ra.c[name]).label(name) for name in AGENCY_COUNTS),
            func.max(ra.c.last_update_on).label("last_update_on"),
        )
        .where(stored_where)
        .group_by(ra.c.lead_agency_id)
    ).mappings()
    counts: dict[int | None, dict] = {}
    for row in stored:
        counts[row["lead_agency_id"]] = {
            **{k: int(row[k] or 0) for k in AGENCY_COUNTS},
            "last_update_on": row["last_update_on"],
        }
    if cover.live:
        live = conn.execute(
            select(action.c.lead_agency_id, *queries.agency_count_columns(today, action))
            .where(action.c.review_id.in_(cover.live))
            .group_by(action.c.lead_agency_id)
        ).mappings()
        for row in live:
            mine = counts.setdefault(
                row["lead_agency_id"], {**dict.fromkeys(AGENCY_COUNTS, 0), "last_update_on": None}
            )
            for k in AGENCY_COUNTS:
                mine[k] += int(row[k])
            latest = [d for d in (mine["last_update_on"], row["last_update_on"]) if d]
            mine["last_update_on"] = max(latest) if latest else None
    # An agency whose stored rows all belong to reviews outside the scope has no actions here.
    counts = {k: v for k, v in counts.items() if v["actions"] > 0}
    return queries.scorecard_frame(
        conn, today, counts, _middle_overdue(conn, today, filters, counts)
    )


def _middle_overdue(
    conn: Connection, today: date, filters: Filters, counts: dict[int | None, dict]
) -> list[tuple[int | None, str]]:
    """``(agency_id, due_on)`` of each agency's middle one or two overdue actions in target-date
    order (see :func:`agency_scorecard`), read from the ``action`` table under ``filters``."""
    where = and_(
        is_overdue_sql(today),
        literal_column(OPEN_ACTION_SQL),
        queries.action_filter(filters, today),
    )
    middle: list[tuple[int | None, str]] = []
    for agency_id, row in counts.items():
        n = row["overdue"]
        if n <= 0:
            continue
        same_agency = (
            action.c.lead_agency_id.is_(None)
            if agency_id is None
            else action.c.lead_agency_id == agency_id
        )
        picked = conn.execute(
            select(action.c.due_on)
            .where(same_agency, where)
            .order_by(action.c.due_on)
            .limit(1 if n % 2 else 2)
            .offset((n - 1) // 2)
        ).scalars()
        middle.extend((agency_id, due_on) for due_on in picked)
    return middle
