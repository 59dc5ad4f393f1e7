"""The records "as at" a past date, reconstructed from dated history (DESIGN §4).

Each action's state on a date ``D`` is rebuilt in SQL (window functions over the history tables,
outer-joined to ``action``; SQLite and PostgreSQL both run it), then the same aggregate SQL as
:mod:`monitoring.queries` is applied to it:

- an action exists on ``D`` when it was created on or before ``D`` (no creation time: always);
- its status is that of the latest ``action_update`` with a status dated on or before ``D``; with
  none, the old value of the first audited status change after ``D``; else the status of the first
  later status update written together with audit rows (a service's note or link: the status it
  carries is unchanged; an import's ``created`` row does not count: the status an import brings
  in is dated by its file, and before that date the action had not started); else
  ``not_started`` when later status updates exist (a history that
  starts with the first step), else its present status (an action with no status history, e.g.
  imported, has always had it);
- its target date is the new date of the latest *approved* ``due_date_change`` decided on or before
  ``D``; with none, the old date of the first approved change decided later, else its present
  ``due_on``; its count of approved changes is those decided on or before ``D``;
- its last update is the latest ``action_update`` dated on or before ``D``;
- RAG override and reason, completion date and a recommendation's assurance status are taken from
  ``audit_log``: the latest new value on or before ``D``, else the old value of the first later
  change, else the present value; with ``detail``, the success measure and closure reason too;
- a recommendation's response recorded after ``D`` (``responded_on``) was still awaited on ``D``;
- recommendations and reviews created after ``D`` are left out.

Two dates (issue 17): a change counts on ``D`` when it *happened* on or before ``D``: its
``effective_on`` (a Europe/London date, e.g. an imported tracker's update date or a PFD report's
date) is on or before ``D``; where ``effective_on`` is NULL ("date not known") the recorded UTC
timestamp is compared with the start of the next Europe/London day instead (:func:`cutoff`), so a change made
on ``D`` counts on ``D``. Changes are ordered by the date they happened, then by when recorded.
A record also exists on ``D`` when something about it is known to have happened by then (its
``created`` audit row's or an update's ``effective_on``), even if it was typed in later: an
imported PFD report exists from its report date. Before a review's first known record it is
left out altogether ("not recorded": :func:`trend` has no point for it, never a 0).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import (
    Column,
    Connection,
    Index,
    MetaData,
    Table,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.expression import FromClause, Subquery
from sqlalchemy.sql.functions import FunctionElement

from monitoring import queries, rules
from monitoring.db import (
    action,
    action_update,
    audit_log,
    due_date_change,
    recommendation,
    review,
)
from monitoring.queries import NO_FILTERS, Filters, OverviewFigures, iso


def cutoff(as_at: date) -> str:
    """The first stored timestamp (UTC text) after the Europe/London date ``as_at``: the start of
    the next London day, for ``<`` compares (:func:`monitoring.rules.day_start_utc`). A change
    made at 00:30 BST on 16 June (23:30 UTC on 15 June) is on 16 June (case 09)."""
    return rules.day_start_utc(as_at + timedelta(days=1))


def happened_by(effective, recorded, as_at: date) -> ColumnElement[bool]:
    """SQL: a change happened on or before ``as_at``: ``effective`` (London date text) on or
    before it, or, with ``effective`` NULL (date not known), ``recorded`` (UTC timestamp text)
    before :func:`cutoff`."""
    return or_(
        and_(effective.is_not(None), effective <= iso(as_at)),
        and_(effective.is_(None), recorded < cutoff(as_at)),
    )


def happened_on(effective, recorded) -> ColumnElement:
    """SQL: the date a change happened, ``effective`` or else the recorded timestamp's date (for
    ordering changes the way they happened)."""
    return func.coalesce(effective, func.substr(recorded, 1, 10))


def _known_from(entity: str) -> Subquery:
    """Per ``entity`` id (``key``), the earliest source date known of it (``on``): its
    ``created`` audit row's ``effective_on`` and, for actions, its updates' (imports date them by
    the source). Rows with no such date are not listed."""
    log, au = audit_log, action_update
    parts = [
        select(log.c.entity_id.label("key"), log.c.effective_on.label("on")).where(
            log.c.entity == entity, log.c.field == "created", log.c.effective_on.is_not(None)
        )
    ]
    if entity == "action":
        parts.append(
            select(au.c.action_id.label("key"), au.c.effective_on.label("on")).where(
                au.c.effective_on.is_not(None)
            )
        )
    both = parts[0].union_all(*parts[1:]).subquery(f"{entity}_dates")
    return (
        select(both.c.key, func.min(both.c.on).label("on"))
        .group_by(both.c.key)
        .subquery(f"{entity}_known")
    )


def _latest(key, order: tuple, where, columns: list, name: str) -> Subquery:
    """Per ``key``, the first row of its table matching ``where`` in ``order`` (window function):
    columns ``key`` (as ``key``), ``columns`` and ``n`` (how many rows matched)."""
    ranked = (
        select(
            key.label("key"),
            *columns,
            func.row_number().over(partition_by=key, order_by=order).label("rn"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(where)
        .subquery(f"{name}_ranked")
    )
    return select(ranked).where(ranked.c.rn == 1).subquery(name)


class _Scanned(FunctionElement):
    """A column as SQLite's ``+column``: its index is not used for this comparison (other
    backends: the column itself). See :func:`_audited`."""

    inherit_cache = True


@compiles(_Scanned)
def _scanned_default(element, compiler, **kw):
    return compiler.process(list(element.clauses)[0], **kw)


@compiles(_Scanned, "sqlite")
def _scanned_sqlite(element, compiler, **kw):
    return "+" + compiler.process(list(element.clauses)[0], **kw)


def _audited(entity: str, field: str, as_at: date) -> tuple[Subquery, Subquery]:
    """The audit rows that give a field's value on ``as_at``: the latest change that happened by
    then (its new value) and the first after (its old value), one row per entity id each.

    On SQLite the rows are read by scanning ``audit_log`` (``+entity``), not through
    ``ix_audit_entity``: with no planner statistics (``ANALYZE`` never run) SQLite estimated the
    index's rows as a handful and joined the result to every action by a full scan instead of an
    automatic index (a past date at 100k actions did not finish in 240 s; about 15 s with the
    scan, loaded machine). :func:`monitoring.db.optimize` keeps the statistics as well."""
    log = audit_log
    about = and_(_Scanned(log.c.entity) == entity, log.c.field == field)
    by = happened_by(log.c.effective_on, log.c.at, as_at)
    on = happened_on(log.c.effective_on, log.c.at)
    before = _latest(
        log.c.entity_id,
        (on.desc(), log.c.at.desc(), log.c.id.desc()),
        and_(about, by),
        [log.c.new_value.label("value")],
        f"{field}_before",
    )
    after = _latest(
        log.c.entity_id,
        (on, log.c.at, log.c.id),
        and_(about, ~by),
        [log.c.old_value.label("value")],
        f"{field}_after",
    )
    return before, after


def written_by_a_service(action_id, at) -> ColumnElement[bool]:
    """SQL: a status update of action ``action_id`` recorded at ``at`` was written by a service
    (a note or link: audit rows at its moment; the status it carries is unchanged). An import's
    ``created`` row does not count: the status an import brings in is new, not carried over.
    Used by :func:`actions_as_at` and :func:`monitoring.trends.trend`."""
    log = audit_log
    return (
        select(log.c.id)
        .where(
            log.c.entity == "action",
            log.c.entity_id == action_id,
            log.c.at == at,
            log.c.field != "created",
        )
        .exists()
    )


def _value_at(before: Subquery, after: Subquery, present) -> ColumnElement:
    return case(
        (before.c.key.is_not(None), before.c.value),
        (after.c.key.is_not(None), after.c.value),
        else_=present,
    )


def actions_as_at(as_at: date, *, detail: bool = False, lean: bool = False) -> Subquery:
    """A subquery shaped like ``action`` (the columns the read models use) as at ``as_at``.

    Columns: ``id, recommendation_id, review_id, number, description, lead_agency_id,
    lead_officer, original_due_on, due_on, due_date_changes, status, completed_on, rag_override,
    rag_override_reason, last_update_on, created_at``; with ``detail`` also ``success_measure``
    and ``closure_reason`` as at the date (the meeting pack's tracker and annual report). Built
    with window functions over the history tables and outer joins (one pass over each); inside
    :func:`materialised` for the date, the temporary table built once (it has every column).
    ``lean``: only ``id, recommendation_id, review_id, lead_agency_id, due_on, status`` (what the
    counts of open, overdue and completed actions and the filters other than RAG read), without
    the joins the other columns need: :func:`trend`'s monthly points.
    """
    kept = _kept(as_at)
    if kept is not None:
        return kept.a
    end = cutoff(as_at)
    au, ddc = action_update, due_date_change
    # the latest status update that happened by the date (effective_on, then recorded)
    by = happened_by(au.c.effective_on, au.c.created_at, as_at)
    on = happened_on(au.c.effective_on, au.c.created_at)
    status_before = _latest(
        au.c.action_id,
        (on.desc(), au.c.created_at.desc(), au.c.id.desc()),
        and_(au.c.status.is_not(None), by),
        [au.c.status],
        "status_before",
    )
    any_status = (
        select(au.c.action_id.label("key"))
        .where(au.c.status.is_not(None))
        .group_by(au.c.action_id)
        .subquery("any_status")
    )
    # the first later status update, and whether a service wrote it (audit rows at its moment)
    next_update = _latest(
        au.c.action_id,
        (on, au.c.created_at, au.c.id),
        and_(au.c.status.is_not(None), ~by),
        [au.c.status, au.c.created_at.label("at")],
        "next_update",
    )
    audited_update = written_by_a_service(next_update.c.key, next_update.c.at)
    _, status_after = _audited("action", "status", as_at)
    approved = ddc.c.decision == "approved"
    moved_by = happened_by(ddc.c.effective_on, ddc.c.decided_at, as_at)
    moved_on = happened_on(ddc.c.effective_on, ddc.c.decided_at)
    change_before = _latest(
        ddc.c.action_id,
        (moved_on.desc(), ddc.c.decided_at.desc(), ddc.c.id.desc()),
        and_(approved, ddc.c.decided_at.is_not(None), moved_by),
        [ddc.c.new_due_on],
        "change_before",
    )
    change_after = _latest(
        ddc.c.action_id,
        (moved_on, ddc.c.decided_at, ddc.c.id),
        and_(approved, or_(ddc.c.decided_at.is_(None), ~moved_by)),
        [ddc.c.old_due_on],
        "change_after",
    )
    last_update = (
        select(
            au.c.action_id.label("key"),
            func.max(on).label("last_on"),
        )
        .where(by)
        .group_by(au.c.action_id)
        .subquery("last_update")
    )
    rag_before, rag_after = _audited("action", "rag_override", as_at)
    why_before, why_after = _audited("action", "rag_override_reason", as_at)
    done_before, done_after = _audited("action", "completed_on", as_at)
    audited_fields = [rag_before, rag_after, why_before, why_after, done_before, done_after]
    extra_columns = []
    if detail:
        for name in ("success_measure", "closure_reason"):
            before, after = _audited("action", name, as_at)
            audited_fields += [before, after]
            extra_columns.append(_value_at(before, after, action.c[name]).label(name))

    status = case(
        (status_before.c.key.is_not(None), status_before.c.status),
        (status_after.c.key.is_not(None), status_after.c.value),
        (and_(next_update.c.key.is_not(None), audited_update), next_update.c.status),
        (any_status.c.key.is_not(None), literal("not_started")),
        else_=action.c.status,
    )
    due_on = case(
        (change_before.c.key.is_not(None), change_before.c.new_due_on),
        (change_after.c.key.is_not(None), change_after.c.old_due_on),
        else_=action.c.due_on,
    )
    known = _known_from("action")
    joined = action
    parts = [known, status_before, status_after, next_update, any_status, change_before]
    parts += [change_after] if lean else [change_after, last_update, *audited_fields]
    for part in parts:
        joined = joined.outerjoin(part, part.c.key == action.c.id)
    exists_by = or_(
        action.c.created_at.is_(None), action.c.created_at < end, known.c.on <= iso(as_at)
    )
    if lean:
        return (
            select(
                action.c.id,
                action.c.recommendation_id,
                action.c.review_id,
                action.c.lead_agency_id,
                due_on.label("due_on"),
                status.label("status"),
            )
            .select_from(joined)
            .where(exists_by)
            .subquery("action_as_at")
        )
    return (
        select(
            action.c.id,
            action.c.recommendation_id,
            action.c.review_id,
            action.c.number,
            action.c.description,
            action.c.lead_agency_id,
            action.c.lead_officer,
            action.c.original_due_on,
            due_on.label("due_on"),
            func.coalesce(change_before.c.n, 0).label("due_date_changes"),
            status.label("status"),
            case(
                (
                    status.in_(tuple(rules.DONE_STATUSES)),
                    _value_at(done_before, done_after, action.c.completed_on),
                ),
                else_=literal(None),
            ).label("completed_on"),
            _value_at(rag_before, rag_after, action.c.rag_override).label("rag_override"),
            _value_at(why_before, why_after, action.c.rag_override_reason).label(
                "rag_override_reason"
            ),
            last_update.c.last_on.label("last_update_on"),
            action.c.created_at,
            *extra_columns,
        )
        .select_from(joined)
        .where(exists_by)
        .subquery("action_as_at")
    )


def recommendations_as_at(as_at: date) -> Subquery:
    """Recommendations existing on ``as_at``: ``id, review_id, number, title, text,
    national_dependency, response_due_on`` (as now), ``assurance_status`` (as at the date, from
    ``audit_log``) and ``response_status`` (a response whose ``responded_on`` is after the date
    was still ``awaiting``). Inside :func:`materialised` for the date, its temporary table."""
    kept = _kept(as_at)
    if kept is not None:
        return kept.r
    end = cutoff(as_at)
    before, after = _audited("recommendation", "assurance_status", as_at)
    known = _known_from("recommendation")
    # no service changes a response (the demo and imports set it with its date): by the date
    response = case(
        (recommendation.c.responded_on > iso(as_at), literal("awaiting")),
        else_=recommendation.c.response_status,
    )
    joined = recommendation
    for part in (before, after, known):
        joined = joined.outerjoin(part, part.c.key == recommendation.c.id)
    return (
        select(
            recommendation.c.id,
            recommendation.c.review_id,
            recommendation.c.number,
            recommendation.c.title,
            recommendation.c.text,
            recommendation.c.national_dependency,
            recommendation.c.response_due_on,
            _value_at(before, after, recommendation.c.assurance_status).label("assurance_status"),
            response.label("response_status"),
        )
        .select_from(joined)
        .where(
            or_(
                recommendation.c.created_at.is_(None),
                recommendation.c.created_at < end,
                known.c.on <= iso(as_at),
                _has_action_known_by(recommendation.c.id, action.c.recommendation_id, as_at),
            )
        )
        .subquery("recommendation_as_at")
    )


def reviews_as_at(as_at: date) -> Subquery:
    """Reviews existing on ``as_at``: ``id, ref, title, review_type, board, published_on``.
    Inside :func:`materialised` for the date, its temporary table."""
    kept = _kept(as_at)
    if kept is not None:
        return kept.rv
    end = cutoff(as_at)
    known = _known_from("review")
    return (
        select(
            review.c.id,
            review.c.ref,
            review.c.title,
            review.c.review_type,
            review.c.board,
            review.c.published_on,
        )
        .select_from(review.outerjoin(known, known.c.key == review.c.id))
        .where(
            or_(
                review.c.created_at.is_(None),
                review.c.created_at < end,
                known.c.on <= iso(as_at),
                _has_action_known_by(review.c.id, action.c.review_id, as_at),
            )
        )
        .subquery("review_as_at")
    )


def _has_action_known_by(parent_id, action_parent, as_at: date) -> ColumnElement[bool]:
    """SQL: the parent (review or recommendation) has an action known by ``as_at``.

    An uncorrelated ``IN``: the parents' ids are read once (a correlated ``EXISTS`` scanned every
    action's known date once per review at 100k actions: 3.4 s for the reviews alone)."""
    known = _known_from("action")
    return parent_id.in_(
        select(action_parent)
        .select_from(known.join(action, action.c.id == known.c.key))
        .where(known.c.on <= iso(as_at))
    )


@dataclass(frozen=True)
class Records:
    """The sources read models read: ``a`` (action-shaped), ``r`` (recommendation-shaped) and
    ``rv`` (review-shaped). :data:`RECORDS_NOW` is the tables as they are now (``as_at`` None);
    :func:`records_as_at` their reconstructions as they stood on a date."""

    a: FromClause = action
    r: FromClause = recommendation
    rv: FromClause = review
    as_at: date | None = None

    @property
    def end(self) -> str | None:
        """The :func:`cutoff` of ``as_at`` (history dated before it counts), or None for now."""
        return cutoff(self.as_at) if self.as_at is not None else None


RECORDS_NOW = Records()
"""The tables as they are now."""


def records_as_at(as_at: date) -> Records:
    """The records as they stood on ``as_at``: :func:`actions_as_at` (with ``detail``),
    :func:`recommendations_as_at` and :func:`reviews_as_at` (inside :func:`materialised` for the
    date: its temporary tables)."""
    kept = _kept(as_at)
    if kept is not None:
        return kept
    return Records(
        actions_as_at(as_at, detail=True),
        recommendations_as_at(as_at),
        reviews_as_at(as_at),
        as_at,
    )


_KEPT: ContextVar[dict[date, Records] | None] = ContextVar("asat_kept", default=None)
"""The dates :func:`materialised` holds temporary tables for, in this thread's context (each
Streamlit session runs in its own thread, so another session never sees them)."""
_names = itertools.count(1)


def _kept(as_at: date) -> Records | None:
    kept = _KEPT.get()
    return None if kept is None else kept.get(as_at)


class _CreateTempAs(Executable, ClauseElement):
    """``CREATE TEMPORARY TABLE name AS <select>`` (SQLite and PostgreSQL)."""

    inherit_cache = False

    def __init__(self, name: str, query) -> None:
        self.name = name
        self.query = query


@compiles(_CreateTempAs)
def _create_temp_as(element, compiler, **kw):
    return f'CREATE TEMPORARY TABLE "{element.name}" AS {compiler.process(element.query, **kw)}'


def _temp_copy(conn: Connection, source: Subquery, prefix: str, indexed: tuple[str, ...]) -> Table:
    """Write ``source``'s rows into a new temporary table (columns and types as ``source``), with
    an index per column of ``indexed`` and planner statistics; return it."""
    name = f"{prefix}_{next(_names)}"
    conn.execute(_CreateTempAs(name, select(source)))
    table = Table(name, MetaData(), *(Column(c.name, c.type) for c in source.c))
    for column in indexed:
        Index(f"ix_{name}_{column}", table.c[column]).create(conn)
    conn.exec_driver_sql(f'ANALYZE "{name}"')
    return table


@contextmanager
def materialised(conn: Connection, as_at: date | None) -> Iterator[Records | None]:
    """Within the block, the records as at ``as_at`` are read from temporary tables on ``conn``
    built once here, not rebuilt from history by every read (a past meeting's pack read them
    about 14 times: every section and the changes). The tables hold exactly the rows and values
    of :func:`actions_as_at` (with ``detail``), :func:`recommendations_as_at` and
    :func:`reviews_as_at`, so every figure is the same; they are dropped at the end.

    Every read inside the block must use ``conn`` (temporary tables are the connection's own).
    ``as_at`` None (the records now), or a date already held: nothing is built.

    :yields: the :class:`Records` read within the block (None for the records now).
    """
    kept = _KEPT.get() or {}
    if as_at is None or as_at in kept:
        yield kept.get(as_at) if as_at is not None else None
        return
    built = records_as_at(as_at)
    tables = [
        _temp_copy(conn, built.a, "asat_action", ("id", "review_id", "recommendation_id")),
        _temp_copy(conn, built.r, "asat_recommendation", ("id", "review_id")),
        _temp_copy(conn, built.rv, "asat_review", ("id",)),
    ]
    records = Records(*tables, as_at)
    token = _KEPT.set({**kept, as_at: records})
    try:
        yield records
    finally:
        _KEPT.reset(token)
        try:
            for table in tables:
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}"')
        except SQLAlchemyError:  # a failed transaction: its rollback drops them
            pass


def overview_as_at(
    conn: Connection,
    as_at: date,
    filters: Filters = NO_FILTERS,
    *,
    window_days: int = 30,
    stale_days: int = 90,
) -> OverviewFigures:
    """The overview tiles (:class:`monitoring.queries.OverviewFigures`) as the records stood on
    ``as_at``, with ``as_at`` as "today" for the date rules."""
    return queries.overview_figures_from(
        conn,
        as_at,
        filters,
        actions_as_at(as_at),
        recommendations_as_at(as_at),
        reviews_as_at(as_at),
        window_days,
        stale_days,
    )


def agency_scorecard_as_at(
    conn: Connection, as_at: date, filters: Filters = NO_FILTERS, *, stale_days: int = 90
) -> pd.DataFrame:
    """The agency scorecard (columns of :func:`monitoring.queries.agency_scorecard`) as the records
    stood on ``as_at``, with ``as_at`` as "today"."""
    return queries.agency_scorecard_from(
        conn, as_at, filters, actions_as_at(as_at), stale_days=stale_days
    )


TREND_COLUMNS = ["as_at", "review_id", "ref", "open", "overdue", "completed"]


def published_by(day: date) -> ColumnElement[bool]:
    """SQL on ``review``: published (``published_on`` set) on or before ``day``."""
    return and_(review.c.published_on.is_not(None), review.c.published_on <= iso(day))


def counts_by_review_as_at(
    conn: Connection, as_at: date, filters: Filters = NO_FILTERS, *, published_only: bool = False
) -> pd.DataFrame:
    """Open, overdue and completed (completed or assured) actions per review on ``as_at``.

    :param published_only: count only reviews published on or before ``as_at`` (a viewer's read).

    :returns: DataFrame ``as_at, review_id, ref, open, overdue, completed`` (reviews with at least
        one action on the date matching the filters), ordered by ref.
    """
    # only the columns counted (and filtered) when no RAG filter needs the rest
    a = actions_as_at(as_at, lean=not filters.rag)
    rows = conn.execute(
        select(
            a.c.review_id,
            review.c.ref,
            queries._count_if(queries.is_open_sql(a)).label("open"),
            queries._count_if(queries.is_overdue_sql(as_at, a)).label("overdue"),
            queries._count_if(a.c.status.in_(tuple(rules.DONE_STATUSES))).label("completed"),
        )
        .select_from(a.join(review, review.c.id == a.c.review_id))
        .where(
            queries.action_filter(filters, as_at, 30, a),
            published_by(as_at) if published_only else literal(True),
        )
        .group_by(a.c.review_id, review.c.ref)
        .order_by(review.c.ref)
    ).all()
    return pd.DataFrame(
        [(as_at, r.review_id, r.ref, int(r.open), int(r.overdue), int(r.completed)) for r in rows],
        columns=TREND_COLUMNS,
    )


def month_ends(start: date, end: date) -> list[date]:
    """The last day of each month from ``start``'s month up to ``end``, plus ``end`` itself when it
    is not a month end (the latest point is always "today")."""
    points = []
    day = date(start.year, start.month, 1) + relativedelta(months=1) - timedelta(days=1)
    while day < end:
        points.append(day)
        day = date(day.year, day.month, 1) + relativedelta(months=2) - timedelta(days=1)
    points.append(end)
    return points


def trend(
    conn: Connection,
    start: date,
    end: date,
    filters: Filters = NO_FILTERS,
    *,
    published_only: bool = False,
) -> pd.DataFrame:
    """Monthly points of open, overdue and completed actions, per review and overall.

    The records are rebuilt as at each point separately (:func:`counts_by_review_as_at`): the
    reference that :func:`monitoring.trends.trend` (one pass over the history, what the Trends
    page reads, with or without a RAG filter) is proved equal to.

    :param published_only: at each point only reviews published by then (a viewer's read).

    :param start: first month shown; ``end``: the last point (normally today).
    :returns: DataFrame ``as_at, review_id, ref, open, overdue, completed`` (``Int64``): one row
        per month end (and ``end``) and review recorded by then, plus rows with ``review_id``
        None and ``ref`` "All reviews" for the totals; ordered by date, totals first. A review
        has no row before its first known record (issue 17: "not recorded", a gap in a chart,
        never 0); the totals are ``<NA>`` at points where no review was recorded yet.
    """
    frames = []
    for point in month_ends(start, end):
        per_review = counts_by_review_as_at(conn, point, filters, published_only=published_only)
        recorded = not per_review.empty
        total = pd.DataFrame(
            [
                (
                    point,
                    None,
                    ALL_REVIEWS,
                    *(
                        int(per_review[c].sum()) if recorded else pd.NA
                        for c in ("open", "overdue", "completed")
                    ),
                )
            ],
            columns=TREND_COLUMNS,
        )
        frames += [total, per_review]
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    for column in ("review_id", "open", "overdue", "completed"):
        frame[column] = frame[column].astype("Int64")
    return frame


ALL_REVIEWS = "All reviews"
