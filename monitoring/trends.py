"""The Trends page's monthly points in one pass over the dated history (issue 18).

:func:`monitoring.asat.trend` rebuilds the records as at each month end separately
(:func:`monitoring.asat.actions_as_at` once per point: every history table read and sorted again
for each of 13–25 points; 24 s of CPU at 100,000 actions). :func:`trend` gives the same frame
from one read of each history table.

Points are numbered ``0 .. P-1`` (:func:`monitoring.asat.month_ends`); ``P`` means "by none".

1. The SQL reads the actions matching the filters that do not depend on the date (review type,
   review, lead agency, theme), their status updates, audited status changes (and ``created``
   rows) and approved target-date changes, each table once, in the order
   :func:`monitoring.asat.actions_as_at` ranks them (the same SQL ``ORDER BY``, so ties and NULLs
   fall as they do there on SQLite and PostgreSQL). For each row it gives, as small integers
   packed into one (fewer values to pass to Python), the first point by which it *happened*
   (:func:`monitoring.asat.happened_by`: its ``effective_on`` on or before the point, or with
   none its recorded UTC time before the start of the next Europe/London day; a binary search of
   nested ``CASE``s), the first point at which a target date is past, and a status as a code:
   the same SQL comparisons the per-month path makes, so text compares as the database compares.
2. Each row is then the reconstruction's pick over a *span* of points, found once per row (not
   once per point): "the latest row that happened by the point" is row ``r`` from its first
   point ``f`` until ``g``, the earliest first point of the rows ranked after it; "the first row
   that has not happened by the point" is row ``r`` from ``h``, the latest first point of the
   rows ranked before it (0 with none), until its own ``f``.
3. The precedence of :func:`monitoring.asat.actions_as_at` (``lean``) reads, per action, as
   spans. Status: from ``Fu``, the first point by which any status update happened, the latest
   status update by the point. Before ``Fu`` every status update is later, so "the first later
   one" is the action's rank-first status update, and the status is the old value of the first
   audited status change after the point; else that first update's status when a service wrote
   it (audit rows at its moment, :func:`monitoring.asat.written_by_a_service`: asked of the
   database only for the actions where this span is counted); else ``not_started`` when the
   action has status updates; else its present status. Target date: from ``Fm``, the first
   point by which an approved change happened, the latest such change's new date; before
   ``Fm``, the rank-first approved change's old date; else the present ``due_on``.
4. An action is counted from the first point by which it exists (created by then, or an
   update's or its ``created`` audit row's effective date by then) and, for a viewer, its review
   is published. Each counted status span adds the action to its review's count, and to open or
   completed by its status; where an open span overlaps a span of a past target date, to overdue.
   The counts per review and point are a difference array (+1 where a span starts, -1 where it
   ends) summed along the points.

The counts per review are :func:`monitoring.asat.counts_by_review_as_at`'s: open
(:data:`monitoring.rules.OPEN_STATUSES`), overdue (open with a target date before the point,
:func:`monitoring.rules.is_overdue`) and completed (:data:`monitoring.rules.DONE_STATUSES`), of
the actions existing on the point and matching the filters (a status filter: the status at the
point), for reviews published by the point when only published ones may be read.

A RAG filter (:func:`monitoring.queries.rag_sql` at each point) reads more of the history: the
same spans give each action's status and target date at every point in a matrix of actions ×
points, beside the first point from which the target date is due soon (30 days, as the
per-month path), the count of approved target-date changes by the point (two or more: amber
from the second one's point) and the override and its reason (their audit rows read once, as
spans: the latest change by the point, else the first later one's old value, else the present
value; :func:`_override_at`). The RAG is then worked out per cell by the rules' precedence.

``tests/test_trends_one_pass.py`` proves the two equal on a table of edge cases, the demo and the
real PFD data, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Connection, and_, case, cast, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from monitoring import asat, queries, rules
from monitoring.db import ACTION_STATUSES, action, action_update, audit_log, due_date_change, review
from monitoring.queries import NO_FILTERS, Filters, iso

SOON_DAYS = 30
"""The window of "due soon" a RAG filter reads (:func:`monitoring.asat.counts_by_review_as_at`
filters with :func:`monitoring.queries.action_filter`'s ``window_days`` of 30)."""
RAGS = len(rules.RAG_CODES) + 1
"""Radix of a RAG code: 0 (none or another value), then :data:`monitoring.rules.RAG_CODES`."""
MAX_POINTS = 61
"""Points read in one pass (five years of month ends, and the last day). A history row's packed
integer holds an id (below 2**31) and up to five point indices, so with more points it could pass
2**63; a longer window takes the per-month path (:func:`monitoring.asat.trend`: same figures,
slower). The Trends page shows at most 24 months."""
FLAG_CHUNK = 5000
"""Actions asked about per query when reading whether a service wrote their first update."""


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
    """SQL: ``column``'s index in ``codes`` plus one, or 0 (another value, or NULL)."""
    return case(*((column == c, literal(i + 1)) for i, c in enumerate(codes)), else_=literal(0))


def _among(codes: list[str], names) -> np.ndarray:
    """Per status code (:func:`_code`: 0 for none or another value), whether it is in ``names``."""
    chosen = np.zeros(len(codes) + 1, dtype=bool)
    chosen[[codes.index(name) + 1 for name in names]] = True
    return chosen


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """SQL: 1 where ``condition`` is true, else 0 (false or NULL)."""
    return case((condition, literal(1)), else_=literal(0))


def _packed(key, parts: list[tuple[ColumnElement[int], int]]) -> ColumnElement[int]:
    """SQL: ``key`` (an id) and ``parts`` (``(value, radix)``, each ``0 <= value < radix``) as
    one BIGINT, ``(key * r1 + v1) * r2 + v2 ...``: one value per row to pass to Python, not
    several (passing 300,000 rows of six values cost about 0.2 s of CPU at 100,000 actions)."""
    packed = cast(key, BigInteger)
    for value, radix in parts:
        packed = packed * literal(radix) + value
    return packed


def _unpacked(values: np.ndarray, radices: list[int]) -> list[np.ndarray]:
    """The inverse of :func:`_packed`: ``[key, v1, v2, ...]`` as arrays."""
    parts = []
    for radix in reversed(radices):
        values, part = np.divmod(values, radix)
        parts.append(part)
    return [values, *reversed(parts)]


def _ints(conn: Connection, query, width: int = 1) -> np.ndarray:
    """The rows of ``query`` (``width`` integer columns) as an int64 array (one dimension when
    ``width`` is 1, else rows × ``width``), read through the driver's cursor (SQLAlchemy's "raw
    DBAPI connection": no result row objects). The values (dates, codes, the filters' ids and
    theme names) stay bound parameters, never written into the SQL text."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args = tuple(params[name] for name in compiled.positiontup) if compiled.positional else params
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        if width == 1:
            return np.fromiter((row[0] for row in cursor), dtype=np.int64)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    values = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64)
    return values.reshape(len(rows), width)


def _groups(owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows sorted by ``owner``: whether each row is its owner's first, and its last."""
    first = np.ones(len(owner), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    last = np.ones(len(owner), dtype=bool)
    last[:-1] = first[1:]
    return first, last


def _later_min(owner: np.ndarray, values: np.ndarray, none: int) -> np.ndarray:
    """For rows sorted by ``owner`` (non-negative), then rank: the least of ``values`` (each
    ``0 <= v <= none``) over the same owner's rows ranked after each row; ``none`` where none is.
    A running minimum from the end, restarted at each owner by adding ``owner * (none + 1)``."""
    if not len(owner):
        return values.copy()
    _, last = _groups(owner)
    following = np.full(len(values), none, dtype=np.int64)
    following[:-1] = values[1:]
    following[last] = none
    step = none + 1
    shifted = following + owner * step
    return np.minimum.accumulate(shifted[::-1])[::-1] - owner * step


def _earlier_max(owner: np.ndarray, values: np.ndarray, none: int) -> np.ndarray:
    """For rows sorted by ``owner`` (non-negative), then rank: the greatest of ``values`` (each
    ``0 <= v <= none``) over the same owner's rows ranked before each row; 0 where none is."""
    if not len(owner):
        return values.copy()
    first, _ = _groups(owner)
    preceding = np.zeros(len(values), dtype=np.int64)
    preceding[1:] = values[:-1]
    preceding[first] = 0
    step = none + 1
    return np.maximum.accumulate(preceding + owner * step) - owner * step


def _overlaps(spans, others) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each of ``spans`` (``owner, lo, hi`` arrays) meets a span of ``others`` (the same,
    sorted by owner) of the same owner: ``owner, lo, hi`` of each non-empty intersection."""
    owner, lo, hi = spans
    other_owner, other_lo, other_hi = others
    begin = np.searchsorted(other_owner, owner, side="left")
    pairs = np.searchsorted(other_owner, owner, side="right") - begin
    which = np.repeat(np.arange(len(owner)), pairs)
    other = begin[which] + np.arange(len(which)) - np.repeat(np.cumsum(pairs) - pairs, pairs)
    met_lo = np.maximum(lo[which], other_lo[other])
    met_hi = np.minimum(hi[which], other_hi[other])
    met = met_lo < met_hi
    return owner[which][met], met_lo[met], met_hi[met]


def _running_counts(review_at, reviews: int, width: int, owner, lo, hi, weight=None) -> np.ndarray:
    """Per review (``review_at[owner]``) and point (0..``width``-1): how many of the spans
    ``[lo, hi)`` (those with ``weight`` true, if given) hold it: +1 where a span starts and -1
    where it ends, summed along the points. :returns: int64 array reviews × width."""
    row = review_at[owner] * width
    cells = reviews * width
    change = np.bincount(row + lo, weights=weight, minlength=cells) - np.bincount(
        row + hi, weights=weight, minlength=cells
    )
    return np.rint(change).astype(np.int64).reshape(reviews, width).cumsum(axis=1)


def override_code(column) -> ColumnElement[int]:
    """SQL: a RAG override's code (:data:`RAGS`): its place in RAG_CODES plus one, else 0."""
    return _code(column, list(rules.RAG_CODES))


def reason_given(column) -> ColumnElement[int]:
    """SQL: 1 where an override's reason is given (not NULL, not blank: as
    :func:`monitoring.queries.has_override_sql` reads it), else 0."""
    return _flag(and_(column.is_not(None), func.trim(column) != ""))


def _fill(matrix: np.ndarray, owner, lo, hi, values) -> None:
    """Set ``matrix[owner, lo:hi] = value`` for every span (``lo < hi``), at once."""
    lengths = hi - lo
    starts = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
    matrix[np.repeat(owner, lengths), starts + np.arange(int(lengths.sum()))] = np.repeat(
        values, lengths
    )


def _override_at(
    conn: Connection, points, chosen, index: pd.Index, present_override, present_reason
) -> tuple[np.ndarray, np.ndarray]:
    """Each action's RAG override code and whether its reason is given, at each point (actions ×
    points): asat's ``_audited`` values of ``rag_override`` and ``rag_override_reason`` (the
    latest change by the point, its new value; else the first later one's old value; else the
    present value), from one read of their audit rows, as spans like the status's."""
    never = len(points)
    span = never + 1
    log = audit_log
    is_reason = log.c.field == "rag_override_reason"

    def code(column) -> ColumnElement[int]:
        return case((is_reason, reason_given(column)), else_=override_code(column))

    rows = _ints(
        conn,
        select(
            _packed(
                log.c.entity_id,
                [
                    (_flag(is_reason), 2),
                    (code(log.c.old_value), RAGS),
                    (code(log.c.new_value), RAGS),
                    (
                        _first_point(
                            points, lambda p: asat.happened_by(log.c.effective_on, log.c.at, p)
                        ),
                        span,
                    ),
                ],
            )
        )
        .where(
            log.c.entity == "action",
            log.c.entity_id.is_not(None),
            log.c.field.in_(("rag_override", "rag_override_reason")),
            chosen(log.c.entity_id),
        )
        .order_by(
            log.c.entity_id,
            _flag(is_reason),
            asat.happened_on(log.c.effective_on, log.c.at),
            log.c.at,
            log.c.id,
        ),
    )
    entity, reason, old, new, first = _unpacked(rows, [2, RAGS, RAGS, span])
    owner_all = index.get_indexer(entity)
    out = []
    for kind, present in ((0, present_override), (1, present_reason)):
        kept = (owner_all >= 0) & (reason == kind)
        owner, old_k, new_k, first_k = owner_all[kept], old[kept], new[kept], first[kept]
        at = np.repeat(present.astype(np.int8)[:, None], never, axis=1)
        earliest = np.full(len(present), never, dtype=np.int64)
        np.minimum.at(earliest, owner, first_k)
        leads, _ = _groups(owner)
        lead_owner = owner[leads]
        _fill(
            at,
            lead_owner,
            np.zeros(len(lead_owner), dtype=np.int64),
            earliest[lead_owner],
            old_k[leads],
        )
        until = _later_min(owner, first_k, never)
        wins = first_k < until
        _fill(at, owner[wins], first_k[wins], until[wins], new_k[wins])
        out.append(at)
    return out[0], out[1]


def _service_wrote_first_update(conn: Connection, action_ids: np.ndarray) -> set[int]:
    """The actions among ``action_ids`` whose rank-first status update (asat's ``next_update``
    order) a service wrote (:func:`monitoring.asat.written_by_a_service`)."""
    au = action_update
    written: set[int] = set()
    for start in range(0, len(action_ids), FLAG_CHUNK):
        chunk = [int(i) for i in action_ids[start : start + FLAG_CHUNK]]
        rows = _ints(
            conn,
            select(
                _packed(
                    au.c.action_id,
                    [(_flag(asat.written_by_a_service(au.c.action_id, au.c.created_at)), 2)],
                )
            )
            .where(au.c.action_id.in_(chunk), au.c.status.is_not(None))
            .order_by(
                au.c.action_id,
                asat.happened_on(au.c.effective_on, au.c.created_at),
                au.c.created_at,
                au.c.id,
            ),
        )
        owner, flag = _unpacked(rows, [2])
        first, _ = _groups(owner)
        written.update(owner[first & (flag == 1)].tolist())
    return written


def _frame(points, reviews, actions_n, open_n, overdue_n, done_n) -> pd.DataFrame:
    """:func:`trend`'s frame from the counts per review (rows, in ``reviews`` order) and point
    (columns): at each point a totals row (<NA> when no review has an action counted there),
    then a row for each review that has one."""
    width = len(points)
    recorded = actions_n[:, :width] > 0
    point_of, review_of = np.nonzero(recorded.T)  # by point, then in ``reviews`` order
    per_point = recorded.sum(axis=0)
    total_at = np.arange(width) + np.concatenate([[0], np.cumsum(per_point)[:-1]])
    size = width + len(point_of)
    is_total = np.zeros(size, dtype=bool)
    is_total[total_at] = True
    at_review = np.flatnonzero(~is_total)
    point_at = np.empty(size, dtype=np.int64)
    point_at[total_at], point_at[at_review] = np.arange(width), point_of
    nothing = np.zeros(size, dtype=bool)
    nothing[total_at] = per_point == 0

    def counts(per_review: np.ndarray) -> pd.arrays.IntegerArray:
        values = np.zeros(size, dtype=np.int64)
        values[total_at] = per_review[:, :width].sum(axis=0)
        values[at_review] = per_review[review_of, point_of]
        return pd.arrays.IntegerArray(values, nothing.copy())

    ids = np.zeros(size, dtype=np.int64)
    ids[at_review] = np.array([r.id for r in reviews], dtype=np.int64)[review_of]
    refs = np.array([asat.ALL_REVIEWS] * size, dtype=object)
    refs[at_review] = np.array([r.ref for r in reviews], dtype=object)[review_of]
    return pd.DataFrame(
        {
            "as_at": [points[i] for i in point_at],
            "review_id": pd.arrays.IntegerArray(ids, is_total.copy()),
            "ref": refs.tolist(),
            "open": counts(open_n),
            "overdue": counts(overdue_n),
            "completed": counts(done_n),
        },
        columns=asat.TREND_COLUMNS,
    )


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
    points = asat.month_ends(start, end)
    if len(points) > MAX_POINTS:
        return asat.trend(conn, start, end, filters, published_only=published_only)
    never = len(points)
    span = never + 1  # radix of a point index, 0..never
    codes = list(dict.fromkeys([*ACTION_STATUSES, *filters.statuses]))
    kinds = len(codes) + 1  # radix of a status code, 0 (none or another value)..len(codes)

    def happened(effective, recorded) -> ColumnElement[int]:
        return _first_point(points, lambda p: asat.happened_by(effective, recorded, p))

    def past(due) -> ColumnElement[int]:
        """The first point after ``due`` (the action is overdue there if open); NULL: none."""
        return _first_point(points, lambda p: due < iso(p))

    def soon(due) -> ColumnElement[int]:
        """With a RAG filter: the first point from which ``due`` is within the window of due
        soon (:func:`monitoring.queries.is_due_soon_sql`, 30 days, as the per-month path)."""
        if not filters.rag:
            return literal(0)
        return _first_point(points, lambda p: due <= iso(p + timedelta(days=SOON_DAYS)))

    undated = queries.action_filter(_undated_filters(filters), end, 30, action)
    narrowed = not _undated_filters(filters).is_empty()

    def chosen(column) -> ColumnElement[bool]:
        """SQL: ``column`` (an action id) names an action matching the undated filters."""
        return column.in_(select(action.c.id).where(undated)) if narrowed else literal(True)

    reviews = conn.execute(
        select(review.c.id, review.c.ref, _first_point(points, asat.published_by)).order_by(
            review.c.ref
        )
    ).all()
    review_index = pd.Index([r.id for r in reviews], dtype=np.int64)
    published_from = np.array([r[2] for r in reviews], dtype=np.int64)

    made = case(
        (action.c.created_at.is_(None), literal(0)),
        else_=_first_point(points, lambda p: action.c.created_at < asat.cutoff(p)),
    )
    actions = _ints(
        conn,
        select(
            action.c.id,
            _packed(
                action.c.review_id,
                [
                    (_code(action.c.status, codes), kinds),
                    (past(action.c.due_on), span),
                    (soon(action.c.due_on), span),
                    (override_code(action.c.rag_override) if filters.rag else literal(0), RAGS),
                    (reason_given(action.c.rag_override_reason) if filters.rag else literal(0), 2),
                    (made, span),
                ],
            ),
        )
        .where(undated)
        .order_by(action.c.id),
        2,
    )
    ids = actions[:, 0]
    (
        action_review,
        present_status,
        present_past,
        present_soon,
        present_override,
        present_reason,
        exists_from,
    ) = _unpacked(actions[:, 1], [kinds, span, span, RAGS, 2, span])
    index = pd.Index(ids)
    n = len(ids)
    review_at = review_index.get_indexer(action_review)

    # every update (its effective date makes the action known, asat's _known_from); those with
    # a status ranked as asat's status_before / next_update rank them
    au, log = action_update, audit_log
    updates = _ints(
        conn,
        select(
            _packed(
                au.c.action_id,
                [
                    (_flag(au.c.status.is_not(None)), 2),
                    (_flag(au.c.effective_on.is_not(None)), 2),
                    (_code(au.c.status, codes), kinds),
                    (happened(au.c.effective_on, au.c.created_at), span),
                ],
            )
        )
        .where(chosen(au.c.action_id))
        .order_by(
            au.c.action_id,
            asat.happened_on(au.c.effective_on, au.c.created_at),
            au.c.created_at,
            au.c.id,
        ),
    )
    update_action, has_status, dated, update_status, update_first = _unpacked(
        updates, [2, 2, kinds, span]
    )
    update_owner = index.get_indexer(update_action)

    # audited status changes, ranked as asat's status_after ranks them, and "created" rows
    # with an effective date (they make the action known)
    is_status = log.c.field == "status"
    audits = _ints(
        conn,
        select(
            _packed(
                log.c.entity_id,
                [
                    (_flag(is_status), 2),
                    (_code(log.c.old_value, codes), kinds),
                    (
                        case(
                            (is_status, happened(log.c.effective_on, log.c.at)),
                            else_=_first_point(points, lambda p: log.c.effective_on <= iso(p)),
                        ),
                        span,
                    ),
                ],
            )
        )
        .where(
            log.c.entity == "action",
            log.c.entity_id.is_not(None),
            or_(is_status, and_(log.c.field == "created", log.c.effective_on.is_not(None))),
            chosen(log.c.entity_id),
        )
        .order_by(
            log.c.entity_id, asat.happened_on(log.c.effective_on, log.c.at), log.c.at, log.c.id
        ),
    )
    audit_action, audit_is_status, change_old, audit_first = _unpacked(audits, [2, kinds, span])
    audit_owner = index.get_indexer(audit_action)

    # approved target-date changes, ranked as asat's change_before / change_after rank them; one
    # with no decision time is never "by" a point and always "after" it, as there
    ddc = due_date_change
    moves = _ints(
        conn,
        select(
            _packed(
                ddc.c.action_id,
                [
                    (past(ddc.c.old_due_on), span),
                    (soon(ddc.c.old_due_on), span),
                    (past(ddc.c.new_due_on), span),
                    (soon(ddc.c.new_due_on), span),
                    (
                        case(
                            (ddc.c.decided_at.is_(None), literal(never)),
                            else_=happened(ddc.c.effective_on, ddc.c.decided_at),
                        ),
                        span,
                    ),
                ],
            )
        )
        .where(and_(ddc.c.decision == "approved", chosen(ddc.c.action_id)))
        .order_by(
            ddc.c.action_id,
            asat.happened_on(ddc.c.effective_on, ddc.c.decided_at),
            ddc.c.decided_at,
            ddc.c.id,
        ),
    )
    move_action, move_old_past, move_old_soon, move_new_past, move_new_soon, move_first = _unpacked(
        moves, [span, span, span, span, span]
    )
    move_owner = index.get_indexer(move_action)

    # the first point by which each action exists (created, or known from an effective date)
    known = (update_owner >= 0) & (dated == 1)
    np.minimum.at(exists_from, update_owner[known], update_first[known])
    known = (audit_owner >= 0) & (audit_is_status == 0)
    np.minimum.at(exists_from, audit_owner[known], audit_first[known])
    counted_from = exists_from
    if published_only:
        counted_from = np.maximum(exists_from, published_from[review_at])

    # status updates: each the latest by the points [f, g)
    kept = (update_owner >= 0) & (has_status == 1)
    owner, status, first = update_owner[kept], update_status[kept], update_first[kept]
    until = _later_min(owner, first, never)
    wins = first < until
    spans = [(owner[wins], first[wins], until[wins], status[wins])]
    first_update = np.full(n, never, dtype=np.int64)
    np.minimum.at(first_update, owner, first)
    leads, _ = _groups(owner)
    lead_status = np.full(n, -1, dtype=np.int64)
    lead_status[owner[leads]] = status[leads]
    any_status = lead_status >= 0

    # audited status changes: each the first later change over the points [h, f), before Fu
    kept = (audit_owner >= 0) & (audit_is_status == 1)
    owner, old, first = audit_owner[kept], change_old[kept], audit_first[kept]
    since = _earlier_max(owner, first, never)
    before_update = np.minimum(first, first_update[owner])
    wins = since < before_update
    spans.append((owner[wins], since[wins], before_update[wins], old[wins]))
    changes_until = np.zeros(n, dtype=np.int64)
    np.maximum.at(changes_until, owner, first)

    # before Fu and after every audited change: the first update's status if a service wrote
    # it, else not_started when there are status updates, else the present status
    not_started = codes.index("not_started") + 1
    default = np.where(any_status, not_started, present_status)
    lo = np.maximum(changes_until, counted_from)
    asked = np.flatnonzero((lo < first_update) & any_status & (lead_status != not_started))
    if len(asked):
        written = _service_wrote_first_update(conn, ids[asked])
        by_service = asked[np.isin(ids[asked], list(written))]
        default[by_service] = lead_status[by_service]
    everyone = np.arange(n)
    wins = changes_until < first_update
    spans.append((everyone[wins], changes_until[wins], first_update[wins], default[wins]))

    # the spans of points at which the target date is past
    kept = move_owner >= 0
    owner, first = move_owner[kept], move_first[kept]
    new_past, old_past = move_new_past[kept], move_old_past[kept]
    until = _later_min(owner, first, never)
    late_lo = np.maximum(first, new_past)
    wins = late_lo < until
    first_move = np.full(n, never, dtype=np.int64)
    np.minimum.at(first_move, owner, first)
    leads, _ = _groups(owner)
    start_past = present_past.copy()
    start_past[owner[leads]] = old_past[leads]
    early = start_past < first_move
    late_owner = np.concatenate([owner[wins], everyone[early]])
    late_from = np.concatenate([late_lo[wins], start_past[early]])
    late_until = np.concatenate([until[wins], first_move[early]])
    order = np.argsort(late_owner, kind="stable")
    late_owner, late_from, late_until = late_owner[order], late_from[order], late_until[order]

    if filters.rag:
        # a RAG filter: every action's RAG at every point (a matrix of actions × points), from
        # the same spans, the due-soon window, the approved changes and the override
        width = never
        point = np.arange(width)
        status_at = np.zeros((n, width), dtype=np.int8)
        for part in spans:
            _fill(status_at, *part)
        past_at = np.empty((n, width), dtype=np.int16)
        soon_at = np.empty((n, width), dtype=np.int16)
        start_soon = present_soon.copy()
        start_soon[owner[leads]] = move_old_soon[kept][leads]
        starts = first_move > 0
        nothing = np.zeros(int(starts.sum()), dtype=np.int64)
        _fill(past_at, everyone[starts], nothing, first_move[starts], start_past[starts])
        _fill(soon_at, everyone[starts], nothing, first_move[starts], start_soon[starts])
        wins = first < until
        _fill(past_at, owner[wins], first[wins], until[wins], new_past[wins])
        _fill(soon_at, owner[wins], first[wins], until[wins], move_new_soon[kept][wins])
        is_past = point >= past_at
        is_soon = (point >= soon_at) & ~is_past
        # two or more approved changes by the point: from the second one's point
        by_point = np.lexsort((first, owner))
        ranked_owner, ranked_first = owner[by_point], first[by_point]
        later = np.zeros(len(ranked_owner), dtype=bool)
        later[1:] = ranked_owner[1:] == ranked_owner[:-1]
        second = later.copy()
        second[1:] &= ~later[:-1]
        second_move = np.full(n, never, dtype=np.int64)
        second_move[ranked_owner[second]] = ranked_first[second]
        several = point >= second_move[:, None]
        override_at, reason_at = _override_at(
            conn, points, chosen, index, present_override, present_reason
        )
        red, amber, green, blue, grey = (
            rules.RAG_CODES.index(c) + 1 for c in ("red", "amber", "green", "blue", "grey")
        )
        is_open = _among(codes, rules.OPEN_STATUSES)[status_at]
        computed = np.select(
            [
                _among(codes, rules.DONE_STATUSES)[status_at],
                _among(codes, rules.WITHDRAWN_STATUSES)[status_at],
                is_open & is_past,
                (status_at == codes.index("not_started") + 1) & is_soon,
                several,
            ],
            [blue, grey, red, amber, amber],
            green,
        )
        rag = np.where((override_at > 0) & (reason_at == 1), override_at, computed)
        wanted = np.zeros(RAGS, dtype=bool)
        wanted[[rules.RAG_CODES.index(c) + 1 for c in filters.rag if c in rules.RAG_CODES]] = True
        counted = (point >= counted_from[:, None]) & wanted[rag] & (review_at >= 0)[:, None]
        if filters.statuses:
            counted &= _among(codes, filters.statuses)[status_at]
        cell = review_at[:, None] * width + point
        cells = len(reviews) * width

        def per_point(mask: np.ndarray) -> np.ndarray:
            return np.bincount(cell[mask], minlength=cells).reshape(len(reviews), width)

        actions_n = per_point(counted)
        open_n = per_point(counted & is_open)
        overdue_n = per_point(counted & is_open & is_past)
        done_n = per_point(counted & _among(codes, rules.DONE_STATUSES)[status_at])
        return _frame(points, reviews, actions_n, open_n, overdue_n, done_n)

    # the status spans counted: clipped to the points the action is counted at
    owner, lo, hi, status = (np.concatenate(part) for part in zip(*spans, strict=True))
    lo = np.maximum(lo, counted_from[owner])
    keep = (lo < hi) & (review_at[owner] >= 0)
    if filters.statuses:
        keep &= _among(codes, filters.statuses)[status]
    owner, lo, hi, status = owner[keep], lo[keep], hi[keep], status[keep]
    is_open = _among(codes, rules.OPEN_STATUSES)[status]
    is_done = _among(codes, rules.DONE_STATUSES)[status]
    # overdue: where an open span meets a span of a past target date (same action)
    late = _overlaps(
        (owner[is_open], lo[is_open], hi[is_open]), (late_owner, late_from, late_until)
    )
    actions_n = _running_counts(review_at, len(reviews), span, owner, lo, hi)
    open_n = _running_counts(review_at, len(reviews), span, owner, lo, hi, is_open)
    done_n = _running_counts(review_at, len(reviews), span, owner, lo, hi, is_done)
    overdue_n = _running_counts(review_at, len(reviews), span, *late)

    return _frame(points, reviews, actions_n, open_n, overdue_n, done_n)


__all__ = ["trend"]
