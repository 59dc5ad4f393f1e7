"""Read models: SQL aggregates returning plain values or DataFrames for pages and exports.

Figures are computed in SQL (never by reading every row into pandas); the SQL expressions here
mirror the pure rules in :mod:`monitoring.rules`, and tests prove the two agree. Every function
takes a ``Connection`` and the ``today`` to apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import (
    Connection,
    Integer,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from monitoring import rules
from monitoring.db import (
    OPEN_STATUSES,
    action,
    agency,
    recommendation,
    recommendation_theme,
    review,
)


@dataclass(frozen=True)
class Filters:
    """Filters shared by every page (set once in ``dashboard.py``); empty means "all".

    ``review_types`` are ``review.review_type`` codes, ``rag`` RAG codes, ``statuses`` action
    status codes; the id tuples name rows of ``review``, ``agency`` and ``theme``.
    """

    review_types: tuple[str, ...] = ()
    review_ids: tuple[int, ...] = ()
    agency_ids: tuple[int, ...] = ()
    theme_ids: tuple[int, ...] = ()
    rag: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        """True when no filter is set."""
        return not any(
            (
                self.review_types,
                self.review_ids,
                self.agency_ids,
                self.theme_ids,
                self.rag,
                self.statuses,
            )
        )


NO_FILTERS = Filters()


def iso(day: date) -> str:
    """A date as stored: ``YYYY-MM-DD``."""
    return day.isoformat()


def is_open_sql() -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.is_open`."""
    return action.c.status.in_(OPEN_STATUSES)


def is_overdue_sql(today: date) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.is_overdue`: open and ``due_on`` < today."""
    return and_(is_open_sql(), action.c.due_on.is_not(None), action.c.due_on < iso(today))


def is_due_soon_sql(today: date, window_days: int = 30) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.is_due_soon`: open and today ≤ ``due_on`` ≤ today + window."""
    return and_(
        is_open_sql(),
        action.c.due_on >= iso(today),
        action.c.due_on <= iso(today + timedelta(days=window_days)),
    )


def no_due_date_sql() -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.has_no_due_date`."""
    return and_(is_open_sql(), action.c.due_on.is_(None))


def is_stale_sql(today: date, stale_days: int = 90) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.is_stale`, using ``last_update_on`` or the creation date."""
    last = func.coalesce(action.c.last_update_on, func.substr(action.c.created_at, 1, 10))
    return and_(is_open_sql(), or_(last.is_(None), last < iso(today - timedelta(days=stale_days))))


def computed_rag_sql(today: date, window_days: int = 30) -> ColumnElement[str]:
    """SQL for :func:`monitoring.rules.computed_rag` (no override)."""
    return case(
        (action.c.status.in_(tuple(rules.DONE_STATUSES)), literal("blue")),
        (action.c.status.in_(tuple(rules.WITHDRAWN_STATUSES)), literal("grey")),
        (is_overdue_sql(today), literal("red")),
        (
            and_(action.c.status == "not_started", is_due_soon_sql(today, window_days)),
            literal("amber"),
        ),
        (action.c.due_date_changes > 1, literal("amber")),
        else_=literal("green"),
    )


def rag_sql(today: date, window_days: int = 30) -> ColumnElement[str]:
    """SQL for :func:`monitoring.rules.rag`: the override wins when it has a reason."""
    has_override = and_(
        action.c.rag_override.in_(rules.RAG_CODES),
        action.c.rag_override_reason.is_not(None),
        func.trim(action.c.rag_override_reason) != "",
    )
    return case((has_override, action.c.rag_override), else_=computed_rag_sql(today, window_days))


def days_overdue_sql(today: date) -> ColumnElement[int]:
    """Days overdue (today − ``due_on``) in SQL on SQLite and PostgreSQL; 0 when not overdue."""
    return case(
        (is_overdue_sql(today), _day_number(literal(iso(today))) - _day_number(action.c.due_on)),
        else_=literal(0),
    )


class day_number(FunctionElement):
    """Whole days since a fixed epoch for an ISO date text, on SQLite and PostgreSQL alike.

    Only differences of two ``day_number`` values are meaningful (days between two dates).
    """

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_number_postgresql(element, compiler, **kw):
    return f"(CAST({compiler.process(element.clauses, **kw)} AS DATE) - DATE '1970-01-01')"


def _day_number(value) -> ColumnElement[int]:
    return day_number(value)


def action_filter(filters: Filters, today: date, window_days: int = 30) -> ColumnElement[bool]:
    """A WHERE clause on ``action`` for the shared filters (always true when none are set)."""
    clauses: list[ColumnElement[bool]] = [literal(True)]
    if filters.review_types:
        clauses.append(
            action.c.review_id.in_(
                select(review.c.id).where(review.c.review_type.in_(filters.review_types))
            )
        )
    if filters.review_ids:
        clauses.append(action.c.review_id.in_(filters.review_ids))
    if filters.agency_ids:
        clauses.append(action.c.lead_agency_id.in_(filters.agency_ids))
    if filters.theme_ids:
        clauses.append(
            action.c.recommendation_id.in_(
                select(recommendation_theme.c.recommendation_id).where(
                    recommendation_theme.c.theme_id.in_(filters.theme_ids)
                )
            )
        )
    if filters.rag:
        clauses.append(rag_sql(today, window_days).in_(filters.rag))
    if filters.statuses:
        clauses.append(action.c.status.in_(filters.statuses))
    return and_(*clauses)


def recommendation_filter(filters: Filters) -> ColumnElement[bool]:
    """A WHERE clause on ``recommendation`` for the review, type, theme and agency filters."""
    clauses: list[ColumnElement[bool]] = [literal(True)]
    if filters.review_types:
        clauses.append(
            recommendation.c.review_id.in_(
                select(review.c.id).where(review.c.review_type.in_(filters.review_types))
            )
        )
    if filters.review_ids:
        clauses.append(recommendation.c.review_id.in_(filters.review_ids))
    if filters.theme_ids:
        clauses.append(
            recommendation.c.id.in_(
                select(recommendation_theme.c.recommendation_id).where(
                    recommendation_theme.c.theme_id.in_(filters.theme_ids)
                )
            )
        )
    if filters.agency_ids:
        clauses.append(
            recommendation.c.id.in_(
                select(action.c.recommendation_id).where(
                    action.c.lead_agency_id.in_(filters.agency_ids)
                )
            )
        )
    return and_(*clauses)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class OverviewFigures:
    """The overview tiles.

    ``pct_implemented``: recommendations whose actions are all closed (at least one action), as a
    percentage of recommendations. ``pct_assured``: recommendations with assurance status
    ``assured``, as a percentage of recommendations. Both ``None`` when there are none.
    """

    reviews: int
    recommendations: int
    implemented: int
    assured: int
    open_actions: int
    overdue: int
    due_soon: int
    no_due_date: int
    stale: int
    actions: int

    @property
    def pct_implemented(self) -> float | None:
        return rules.percentage(self.implemented, self.recommendations)

    @property
    def pct_assured(self) -> float | None:
        return rules.percentage(self.assured, self.recommendations)


def overview_figures(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    window_days: int = 30,
    stale_days: int = 90,
) -> OverviewFigures:
    """The overview tiles as at the records now, with ``today`` for the date rules."""
    where = action_filter(filters, today, window_days)
    counts = conn.execute(
        select(
            func.count().label("actions"),
            _count_if(is_open_sql()).label("open_actions"),
            _count_if(is_overdue_sql(today)).label("overdue"),
            _count_if(is_due_soon_sql(today, window_days)).label("due_soon"),
            _count_if(no_due_date_sql()).label("no_due_date"),
            _count_if(is_stale_sql(today, stale_days)).label("stale"),
        ).where(where)
    ).one()

    open_actions_per_rec = (
        select(
            action.c.recommendation_id,
            func.count().label("n"),
            _count_if(is_open_sql()).label("open_n"),
        )
        .group_by(action.c.recommendation_id)
        .subquery()
    )
    rec_where = recommendation_filter(filters)
    rec_counts = conn.execute(
        select(
            func.count().label("recommendations"),
            _count_if(and_(open_actions_per_rec.c.n > 0, open_actions_per_rec.c.open_n == 0)).label(
                "implemented"
            ),
            _count_if(recommendation.c.assurance_status == "assured").label("assured"),
            func.count(func.distinct(recommendation.c.review_id)).label("reviews"),
        )
        .select_from(
            recommendation.outerjoin(
                open_actions_per_rec,
                open_actions_per_rec.c.recommendation_id == recommendation.c.id,
            )
        )
        .where(rec_where)
    ).one()
    if filters.is_empty():
        reviews = int(conn.execute(select(func.count()).select_from(review)).scalar() or 0)
    else:
        reviews = int(rec_counts.reviews)
    return OverviewFigures(
        reviews=reviews,
        recommendations=int(rec_counts.recommendations),
        implemented=int(rec_counts.implemented),
        assured=int(rec_counts.assured),
        open_actions=int(counts.open_actions),
        overdue=int(counts.overdue),
        due_soon=int(counts.due_soon),
        no_due_date=int(counts.no_due_date),
        stale=int(counts.stale),
        actions=int(counts.actions),
    )


def rag_by_review(
    conn: Connection, today: date, filters: Filters = NO_FILTERS, *, window_days: int = 30
) -> pd.DataFrame:
    """Actions by RAG for each review.

    :returns: DataFrame ``review_id, ref, title, rag, actions`` (one row per review and RAG code
        present), ordered by review ref then RAG order.
    """
    rag_col = rag_sql(today, window_days).label("rag")
    inner = (
        select(action.c.review_id, rag_col)
        .where(action_filter(filters, today, window_days))
        .subquery()
    )
    rows = conn.execute(
        select(
            review.c.id.label("review_id"),
            review.c.ref,
            review.c.title,
            inner.c.rag,
            func.count().label("actions"),
        )
        .select_from(inner.join(review, review.c.id == inner.c.review_id))
        .group_by(review.c.id, review.c.ref, review.c.title, inner.c.rag)
    ).all()
    frame = pd.DataFrame(rows, columns=["review_id", "ref", "title", "rag", "actions"])
    if frame.empty:
        return frame
    order = {code: i for i, code in enumerate(rules.RAG_CODES)}
    frame["_order"] = frame["rag"].map(order)
    return frame.sort_values(["ref", "_order"]).drop(columns="_order").reset_index(drop=True)


def overdue_by_agency(
    conn: Connection, today: date, filters: Filters = NO_FILTERS, *, limit: int | None = None
) -> pd.DataFrame:
    """Overdue actions by lead agency, most first (ties by name).

    :returns: DataFrame ``agency_id, agency, overdue`` (agencies with at least one overdue action;
        actions with no lead agency are shown as "No lead agency").
    """
    query = (
        select(
            action.c.lead_agency_id.label("agency_id"),
            func.coalesce(agency.c.name, "No lead agency").label("agency"),
            func.count().label("overdue"),
        )
        .select_from(action.outerjoin(agency, agency.c.id == action.c.lead_agency_id))
        .where(is_overdue_sql(today), action_filter(filters, today))
        .group_by(action.c.lead_agency_id, agency.c.name)
        .order_by(func.count().desc(), func.coalesce(agency.c.name, "No lead agency"))
    )
    if limit:
        query = query.limit(limit)
    return pd.DataFrame(conn.execute(query).all(), columns=["agency_id", "agency", "overdue"])


def most_overdue_actions(
    conn: Connection, today: date, filters: Filters = NO_FILTERS, *, limit: int = 10
) -> pd.DataFrame:
    """The most overdue open actions, longest overdue first.

    :returns: DataFrame ``action_id, review_ref, recommendation_number, number, description,
        agency, due_on (date), days_overdue (int)``.
    """
    rows = conn.execute(
        select(
            action.c.id.label("action_id"),
            review.c.ref.label("review_ref"),
            recommendation.c.number.label("recommendation_number"),
            action.c.number,
            action.c.description,
            func.coalesce(agency.c.name, "No lead agency").label("agency"),
            action.c.due_on,
        )
        .select_from(
            action.join(recommendation, recommendation.c.id == action.c.recommendation_id)
            .join(review, review.c.id == action.c.review_id)
            .outerjoin(agency, agency.c.id == action.c.lead_agency_id)
        )
        .where(is_overdue_sql(today), action_filter(filters, today))
        .order_by(action.c.due_on, action.c.id)
        .limit(limit)
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "action_id",
            "review_ref",
            "recommendation_number",
            "number",
            "description",
            "agency",
            "due_on",
        ],
    )
    frame["due_on"] = [date.fromisoformat(v) for v in frame["due_on"]]
    frame["days_overdue"] = [(today - d).days for d in frame["due_on"]]
    return frame
