"""The Trends page's monthly points in one pass over the dated history (issue 18).

:func:`monitoring.asat.trend` rebuilds the records as at each month end separately
(:func:`monitoring.asat.actions_as_at` once per point: every history table read and sorted again
for each of 13–25 points; 24 s of CPU at 100,000 actions). :func:`trend` gives the same frame
from one read of each history table:

1. the actions matching the filters that do not depend on the date (review type, review, lead
   agency, theme) with their present status and target date, creation time and first known date;
2. their status updates, audited status changes and approved target-date changes, each read once
   in the order :func:`monitoring.asat.actions_as_at` ranks them (the same SQL ``ORDER BY``, so
   ties and NULLs fall as they do there on SQLite and PostgreSQL);
3. for each row, the SQL gives the first month-end point by which it *happened* (the first point
   for which :func:`monitoring.asat.happened_by` is true: its ``effective_on`` on or before the
   point, or with none its recorded UTC time before the start of the next Europe/London day), the
   first point at which its target date is past, and its status as a small code: the same SQL
   comparisons the per-month path makes, so text compares as the database compares it;
4. then, per point, each action's "latest change by the point" and "first change after it" are
   found by binary search in those rows (a running maximum, and minimum from the end, of each
   row's rank), and the status and target date are decided by the same precedence as
   :func:`monitoring.asat.actions_as_at` (``lean``): the latest status update by the point; else
   the old value of the first audited status change after it; else the first later status update
   when a service wrote it (audit rows at its moment); else ``not_started`` when later status
   updates exist; else the present status. The target date: the latest approved change by the
   point (its new date), else the first later one's old date, else the present ``due_on``.

The counts per review are :func:`monitoring.asat.counts_by_review_as_at`'s: open
(:data:`monitoring.rules.OPEN_STATUSES`), overdue (open with a target date before the point,
:func:`monitoring.rules.is_overdue`) and completed (:data:`monitoring.rules.DONE_STATUSES`), of
the actions existing on the point and matching the filters, for reviews published by the point
when only published ones may be read. A RAG filter needs every column of the reconstruction
(override, reason, date changes), so with one the per-month path is used (slower, same figures).

``tests/test_trends_one_pass.py`` proves the two equal on a table of edge cases, the demo and the
real PFD data, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, case, literal, select
from sqlalchemy.sql.elements import ColumnElement

from monitoring import asat, queries, rules
from monitoring.db import ACTION_STATUSES, action, action_update, audit_log, due_date_change, review
from monitoring.queries import NO_FILTERS, Filters, iso


def _undated_filters(filters: Filters) -> Filters:
    """The filters that do not depend on the date (on the action's review, agency, theme)."""
    return replace(filters, rag=(), statuses=(), as_at=None)


def _first_point(points: list[date], true_on, low: int = 0, high: int | None = None):
    """SQL: the index of the first of ``points`` (ascending) for which ``true_on(point)`` (a
    condition that, once true, stays true at later points) is true, else ``len(points)``.
    A binary search of nested ``CASE``s: about log2(points) conditions per row, not one per point.
    """
    high = len(points) if high is None else high
    if low == high:
        return literal(low)
    middle = (low + high) // 2
    return case(
        (true_on(points[middle]), _first_point(points, true_on, low, middle)),
        else_=_first_point(points, true_on, middle + 1, high),
    )


def _code(column, codes: list[str]) -> ColumnElement[int]:
    """SQL: ``column``'s index in ``codes``, or -1 (another value, or NULL)."""
    return case(*((column == c, literal(i)) for i, c in enumerate(codes)), else_=literal(-1))


def _ints(conn: Connection, query, width: int) -> np.ndarray:
    """The rows of ``query`` (``width`` integer columns) as a 2-D int64 array.

    Read through the driver's cursor (SQLAlchemy's "raw DBAPI connection"): building a result
    row object for each of some 600,000 history rows cost about 0.3 s at 100,000 actions. The
    values (dates, codes, and the filters' ids and theme names) stay bound parameters, never
    written into the SQL text."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args = tuple(params[name] for name in compiled.positiontup) if compiled.positional else params
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    values = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64)
    return values.reshape(len(rows), width)


class _Picks:
    """One history table's rows (in the reconstruction's rank order, ``rank`` 0..n-1), for finding
    per action and point the latest row that happened by the point and the first that did not."""

    def __init__(self, owner: np.ndarray, first: np.ndarray, points: int) -> None:
        """``owner``: each row's action index, -1 for none (rows ranked in action order, so ranks
        of a later action are all higher); ``first``: each row's first point by which it happened
        (``points`` when by none)."""
        self.width = points + 1
        rank = np.arange(len(owner))
        kept = owner >= 0  # rows of no action read (an audit row outlives its action)
        owner, first, rank = owner[kept], first[kept], rank[kept]
        order = np.lexsort((rank, first, owner))
        self.owner = owner[order]
        self.keys = self.owner * self.width + first[order]
        ranked = rank[order]
        self.latest = np.maximum.accumulate(ranked) if len(ranked) else ranked
        self.earliest = np.minimum.accumulate(ranked[::-1])[::-1] if len(ranked) else ranked

    def at(self, actions: np.ndarray, point: int) -> tuple[np.ndarray, np.ndarray]:
        """For each action index in ``actions``: the rank of its latest row by ``point`` and of its
        first row after it, each -1 where there is none."""
        if not len(self.keys):
            none = np.full(len(actions), -1)
            return none, none
        query = actions * self.width + point
        last = np.searchsorted(self.keys, query, side="right") - 1
        clipped = np.maximum(last, 0)
        before = np.where((last >= 0) & (self.owner[clipped] == actions), self.latest[clipped], -1)
        after_at = last + 1
        inside = np.minimum(after_at, len(self.keys) - 1)
        after_ok = (after_at < len(self.keys)) & (self.owner[inside] == actions)
        return before, np.where(after_ok, self.earliest[inside], -1)


def _pick(values: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """``values`` at ``ranks`` (a rank of -1, "none", gives any value: callers mask it out)."""
    if not len(values):
        return np.zeros(len(ranks), dtype=values.dtype)
    return values[np.maximum(ranks, 0)]


def trend(
    conn: Connection,
    start: date,
    end: date,
    filters: Filters = NO_FILTERS,
    *,
    published_only: bool = False,
) -> pd.DataFrame:
    """Monthly points of open, overdue and completed actions, per review and overall: the frame
    of :func:`monitoring.asat.trend` (same arguments, columns, order and types), computed in one
    pass over the history (module docstring).

    :param start: first month shown; ``end``: the last point (normally today).
    :param published_only: at each point only reviews published by then (a viewer's read).
    :returns: DataFrame ``as_at, review_id, ref, open, overdue, completed`` (``Int64``): per point
        (each month end, and ``end``) a totals row (``review_id`` <NA>, ``ref`` "All reviews";
        counts <NA> when no review was recorded by then), then one row per review with an action
        existing by then and matching the filters, ordered by ref.
    """
    if filters.rag:
        return asat.trend(conn, start, end, filters, published_only=published_only)
    points = asat.month_ends(start, end)
    never = len(points)
    codes = list(dict.fromkeys([*ACTION_STATUSES, *filters.statuses]))

    def happened(effective, recorded) -> ColumnElement[int]:
        return _first_point(points, lambda p: asat.happened_by(effective, recorded, p))

    def past(due) -> ColumnElement[int]:
        """The first point after ``due`` (the action is overdue there if open); NULL: none."""
        return _first_point(points, lambda p: due < iso(p))

    undated = queries.action_filter(_undated_filters(filters), end, 30, action)
    narrowed = not _undated_filters(filters).is_empty()

    def chosen(column) -> ColumnElement[bool]:
        """SQL: ``column`` (an action id) names an action matching the undated filters."""
        return column.in_(select(action.c.id).where(undated)) if narrowed else literal(True)

    actions = _ints(
        conn,
        (
            select(
                action.c.id,
                action.c.review_id,
                _code(action.c.status, codes),
                past(action.c.due_on),
                case(
                    (action.c.created_at.is_(None), literal(0)),
                    else_=_first_point(points, lambda p: action.c.created_at < asat.cutoff(p)),
                ),
            )
            .where(undated)
            .order_by(action.c.id)
        ),
        5,
    )
    ids, review_ids, present_status, present_past, exists_from = actions.T
    index = pd.Index(ids)
    n = len(ids)

    reviews = conn.execute(
        select(
            review.c.id,
            review.c.ref,
            _first_point(points, asat.published_by),
        ).order_by(review.c.ref)
    ).all()
    review_at = pd.Index([r.id for r in reviews], dtype=np.int64).get_indexer(review_ids)
    published_from = np.array([r[2] for r in reviews], dtype=np.int64)

    # every update (its date makes the action known, :func:`monitoring.asat._known_from`); those
    # with a status ranked as asat's status_before / next_update rank them
    au, log = action_update, audit_log
    updates = _ints(
        conn,
        (
            select(
                au.c.action_id,
                case((au.c.status.is_(None), literal(0)), else_=literal(1)),
                _code(au.c.status, codes),
                happened(au.c.effective_on, au.c.created_at),
                case((au.c.effective_on.is_(None), literal(0)), else_=literal(1)),
                case(
                    (
                        and_(
                            au.c.status.is_not(None),
                            asat.written_by_a_service(au.c.action_id, au.c.created_at),
                        ),
                        literal(1),
                    ),
                    else_=literal(0),
                ),
            )
            .where(chosen(au.c.action_id))
            .order_by(
                au.c.action_id,
                asat.happened_on(au.c.effective_on, au.c.created_at),
                au.c.created_at,
                au.c.id,
            )
        ),
        6,
    )
    # an action exists on a point once created by then, or once something about it is known to
    # have happened by then: an update's or its "created" audit row's effective date
    updates = updates[index.get_indexer(updates[:, 0]) >= 0]  # (an orphan row: no action)
    dated = updates[updates[:, 4] == 1]
    np.minimum.at(exists_from, index.get_indexer(dated[:, 0]), dated[:, 3])
    created = _ints(
        conn,
        select(
            log.c.entity_id,
            _first_point(points, lambda p: log.c.effective_on <= iso(p)),
        ).where(
            log.c.entity == "action",
            log.c.field == "created",
            log.c.effective_on.is_not(None),
            chosen(log.c.entity_id),
        ),
        2,
    )
    created_owner = index.get_indexer(created[:, 0])
    found = created_owner >= 0
    np.minimum.at(exists_from, created_owner[found], created[found, 1])

    updates = updates[updates[:, 1] == 1]
    update_owner = index.get_indexer(updates[:, 0])
    update_status, update_audited = updates[:, 2], updates[:, 5].astype(bool)
    update_picks = _Picks(update_owner, updates[:, 3], never)
    any_status = np.zeros(n, dtype=bool)
    any_status[update_owner] = True

    # audited status changes, ranked as asat's status_after ranks them
    changes = _ints(
        conn,
        (
            select(
                log.c.entity_id,
                _code(log.c.old_value, codes),
                happened(log.c.effective_on, log.c.at),
            )
            .where(
                log.c.entity == "action",
                log.c.field == "status",
                chosen(log.c.entity_id),
            )
            .order_by(
                log.c.entity_id, asat.happened_on(log.c.effective_on, log.c.at), log.c.at, log.c.id
            )
        ),
        3,
    )
    change_old = changes[:, 1]
    change_picks = _Picks(index.get_indexer(changes[:, 0]), changes[:, 2], never)

    # approved target-date changes, ranked as asat's change_before / change_after rank them; one
    # with no decision time is never "by" a point and always "after" it, as there
    ddc = due_date_change
    moves = _ints(
        conn,
        (
            select(
                ddc.c.action_id,
                past(ddc.c.old_due_on),
                past(ddc.c.new_due_on),
                case(
                    (ddc.c.decided_at.is_(None), literal(never)),
                    else_=happened(ddc.c.effective_on, ddc.c.decided_at),
                ),
            )
            .where(and_(ddc.c.decision == "approved", chosen(ddc.c.action_id)))
            .order_by(
                ddc.c.action_id,
                asat.happened_on(ddc.c.effective_on, ddc.c.decided_at),
                ddc.c.decided_at,
                ddc.c.id,
            )
        ),
        4,
    )
    move_old_past, move_new_past = moves[:, 1], moves[:, 2]
    move_picks = _Picks(index.get_indexer(moves[:, 0]), moves[:, 3], never)

    is_open_code = np.isin(np.arange(-1, len(codes)), [codes.index(c) for c in rules.OPEN_STATUSES])
    is_done_code = np.isin(np.arange(-1, len(codes)), [codes.index(c) for c in rules.DONE_STATUSES])
    chosen_code = np.isin(np.arange(-1, len(codes)), [codes.index(c) for c in filters.statuses])
    in_review = review_at >= 0
    review_published = _pick(published_from, review_at)
    everyone = np.arange(n)
    not_started = codes.index("not_started")
    width = len(reviews)
    out: list[tuple] = []
    for i, point in enumerate(points):
        status_before, next_update = update_picks.at(everyone, i)
        _, status_after = change_picks.at(everyone, i)
        change_before, change_after = move_picks.at(everyone, i)

        status = np.where(any_status, not_started, present_status)
        written = (next_update >= 0) & _pick(update_audited, next_update)
        status = np.where(written, _pick(update_status, next_update), status)
        status = np.where(status_after >= 0, _pick(change_old, status_after), status)
        status = np.where(status_before >= 0, _pick(update_status, status_before), status)
        past_from = np.where(
            change_before >= 0,
            _pick(move_new_past, change_before),
            np.where(change_after >= 0, _pick(move_old_past, change_after), present_past),
        )

        counted = in_review & (exists_from <= i)
        if filters.statuses:
            counted &= chosen_code[status + 1]
        if published_only:
            counted &= review_published <= i
        is_open = is_open_code[status + 1]
        overdue = is_open & (past_from <= i)
        done = is_done_code[status + 1]
        where = review_at[counted]
        actions_n = np.bincount(where, minlength=width)
        open_n = np.bincount(where, weights=is_open[counted], minlength=width)
        overdue_n = np.bincount(where, weights=overdue[counted], minlength=width)
        done_n = np.bincount(where, weights=done[counted], minlength=width)
        recorded = np.flatnonzero(actions_n)
        if len(recorded):
            totals = (int(open_n.sum()), int(overdue_n.sum()), int(done_n.sum()))
        else:
            totals = (pd.NA, pd.NA, pd.NA)
        out.append((point, None, asat.ALL_REVIEWS, *totals))
        out += [
            (
                point,
                reviews[k].id,
                reviews[k].ref,
                int(open_n[k]),
                int(overdue_n[k]),
                int(done_n[k]),
            )
            for k in recorded
        ]
    frame = pd.DataFrame(out, columns=asat.TREND_COLUMNS)
    for column in ("review_id", "open", "overdue", "completed"):
        frame[column] = frame[column].astype("Int64")
    return frame


__all__ = ["trend"]
