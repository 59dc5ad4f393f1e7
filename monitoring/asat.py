"""The records "as at" a past date, reconstructed from dated history (DESIGN §4).

Each action's state on a date ``D`` is rebuilt in SQL (correlated subqueries that SQLite and
PostgreSQL both run), then the same aggregate SQL as :mod:`monitoring.queries` is applied to it:

- an action exists on ``D`` when it was created on or before ``D`` (no creation time: always);
- its status is that of the latest ``action_update`` with a status dated on or before ``D``; with
  none, ``not_started`` when later status updates exist, else its present status (an action with
  no status history, e.g. imported, has always had it);
- its target date is the new date of the latest *approved* ``due_date_change`` decided on or before
  ``D``; with none, ``original_due_on`` when approved changes came later, else its present
  ``due_on``; its count of approved changes is those decided on or before ``D``;
- its last update is the latest ``action_update`` dated on or before ``D``;
- RAG override and reason, and a recommendation's assurance status, are taken from ``audit_log``:
  the latest new value on or before ``D``, else the old value of the first later change, else the
  present value;
- recommendations and reviews created after ``D`` are left out.

"On or before ``D``" compares stored UTC timestamps with the start of the next day, so a change
made on ``D`` counts on ``D``.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, and_, case, exists, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import Subquery

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
    """The first timestamp text after ``as_at`` (the start of the next day), for ``<`` compares."""
    return iso(as_at + timedelta(days=1))


def _audited(entity: str, field: str, entity_id, present, end: str) -> ColumnElement:
    """A column's value at ``end`` from ``audit_log`` (see the module docstring)."""
    before_log = audit_log.alias(f"{field}_before")
    after_log = audit_log.alias(f"{field}_after")

    def rows(log, when):
        return and_(
            log.c.entity == entity, log.c.field == field, log.c.entity_id == entity_id, when
        )

    before = rows(before_log, before_log.c.at < end)
    after = rows(after_log, after_log.c.at >= end)
    return case(
        (
            exists().where(before),
            select(before_log.c.new_value)
            .where(before)
            .order_by(before_log.c.at.desc(), before_log.c.id.desc())
            .limit(1)
            .scalar_subquery(),
        ),
        (
            exists().where(after),
            select(after_log.c.old_value)
            .where(after)
            .order_by(after_log.c.at, after_log.c.id)
            .limit(1)
            .scalar_subquery(),
        ),
        else_=present,
    )


def actions_as_at(as_at: date) -> Subquery:
    """A subquery shaped like ``action`` (the columns the read models use) as at ``as_at``.

    Columns: ``id, recommendation_id, review_id, number, description, lead_agency_id,
    lead_officer, original_due_on, due_on, due_date_changes, status, completed_on, rag_override,
    rag_override_reason, last_update_on, created_at``.
    """
    end = cutoff(as_at)
    status_update = action_update.alias("status_update")
    any_update = action_update.alias("any_update")
    last_update = action_update.alias("last_update")
    change = due_date_change.alias("change_before")
    any_change = due_date_change.alias("any_change")
    counted = due_date_change.alias("counted_change")

    has_status = and_(
        status_update.c.action_id == action.c.id,
        status_update.c.status.is_not(None),
        status_update.c.created_at < end,
    )
    latest_status = (
        select(status_update.c.status)
        .where(has_status)
        .order_by(status_update.c.created_at.desc(), status_update.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    status = case(
        (exists().where(has_status), latest_status),
        (
            exists().where(any_update.c.action_id == action.c.id, any_update.c.status.is_not(None)),
            literal("not_started"),
        ),
        else_=action.c.status,
    )
    approved_before = and_(
        change.c.action_id == action.c.id,
        change.c.decision == "approved",
        change.c.decided_at.is_not(None),
        change.c.decided_at < end,
    )
    due_on = case(
        (
            exists().where(approved_before),
            select(change.c.new_due_on)
            .where(approved_before)
            .order_by(change.c.decided_at.desc(), change.c.id.desc())
            .limit(1)
            .scalar_subquery(),
        ),
        (
            exists().where(
                any_change.c.action_id == action.c.id, any_change.c.decision == "approved"
            ),
            action.c.original_due_on,
        ),
        else_=action.c.due_on,
    )
    changes = (
        select(func.count())
        .where(
            counted.c.action_id == action.c.id,
            counted.c.decision == "approved",
            counted.c.decided_at.is_not(None),
            counted.c.decided_at < end,
        )
        .scalar_subquery()
    )
    last_update_on = (
        select(func.max(func.substr(last_update.c.created_at, 1, 10)))
        .where(last_update.c.action_id == action.c.id, last_update.c.created_at < end)
        .scalar_subquery()
    )
    inner = (
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
            changes.label("due_date_changes"),
            status.label("status"),
            action.c.completed_on,
            _audited("action", "rag_override", action.c.id, action.c.rag_override, end).label(
                "rag_override"
            ),
            _audited(
                "action", "rag_override_reason", action.c.id, action.c.rag_override_reason, end
            ).label("rag_override_reason"),
            last_update_on.label("last_update_on"),
            action.c.created_at,
        )
        .where(or_(action.c.created_at.is_(None), action.c.created_at < end))
        .subquery("action_state")
    )
    # completed_on only counts once the action is done on the date
    return (
        select(
            *[c for c in inner.c if c.name != "completed_on"],
            case(
                (inner.c.status.in_(tuple(rules.DONE_STATUSES)), inner.c.completed_on),
                else_=literal(None),
            ).label("completed_on"),
        )
        .select_from(inner)
        .subquery("action_as_at")
    )


def recommendations_as_at(as_at: date) -> Subquery:
    """Recommendations existing on ``as_at``: ``id, review_id, number, title, national_dependency,
    assurance_status`` (as at the date)."""
    end = cutoff(as_at)
    return (
        select(
            recommendation.c.id,
            recommendation.c.review_id,
            recommendation.c.number,
            recommendation.c.title,
            recommendation.c.national_dependency,
            _audited(
                "recommendation",
                "assurance_status",
                recommendation.c.id,
                recommendation.c.assurance_status,
                end,
            ).label("assurance_status"),
        )
        .where(or_(recommendation.c.created_at.is_(None), recommendation.c.created_at < end))
        .subquery("recommendation_as_at")
    )


def reviews_as_at(as_at: date) -> Subquery:
    """Reviews existing on ``as_at``: ``id, ref, title, review_type``."""
    end = cutoff(as_at)
    return (
        select(review.c.id, review.c.ref, review.c.title, review.c.review_type)
        .where(or_(review.c.created_at.is_(None), review.c.created_at < end))
        .subquery("review_as_at")
    )


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


def counts_by_review_as_at(
    conn: Connection, as_at: date, filters: Filters = NO_FILTERS
) -> pd.DataFrame:
    """Open, overdue and completed (completed or assured) actions per review on ``as_at``.

    :returns: DataFrame ``as_at, review_id, ref, open, overdue, completed`` (reviews with at least
        one action on the date matching the filters), ordered by ref.
    """
    a = actions_as_at(as_at)
    rows = conn.execute(
        select(
            a.c.review_id,
            review.c.ref,
            queries._count_if(queries.is_open_sql(a)).label("open"),
            queries._count_if(queries.is_overdue_sql(as_at, a)).label("overdue"),
            queries._count_if(a.c.status.in_(tuple(rules.DONE_STATUSES))).label("completed"),
        )
        .select_from(a.join(review, review.c.id == a.c.review_id))
        .where(queries.action_filter(filters, as_at, 30, a))
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


def trend(conn: Connection, start: date, end: date, filters: Filters = NO_FILTERS) -> pd.DataFrame:
    """Monthly points of open, overdue and completed actions, per review and overall.

    :param start: first month shown; ``end``: the last point (normally today).
    :returns: DataFrame ``as_at, review_id, ref, open, overdue, completed``: one row per month end
        (and ``end``) and review, plus rows with ``review_id`` None and ``ref`` "All reviews" for the
        totals; ordered by date, totals first.
    """
    frames = []
    for point in month_ends(start, end):
        per_review = counts_by_review_as_at(conn, point, filters)
        total = pd.DataFrame(
            [
                (
                    point,
                    None,
                    ALL_REVIEWS,
                    int(per_review["open"].sum()),
                    int(per_review["overdue"].sum()),
                    int(per_review["completed"].sum()),
                )
            ],
            columns=TREND_COLUMNS,
        )
        frames += [total, per_review]
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    frame["review_id"] = frame["review_id"].astype("Int64")
    return frame


ALL_REVIEWS = "All reviews"
