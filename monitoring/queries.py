"""Read models: SQL aggregates returning plain values or DataFrames for pages and exports.

Figures are computed in SQL (never by reading every row into pandas); the SQL expressions here
mirror the pure rules in :mod:`monitoring.rules`, and tests prove the two agree. Every function
takes a ``Connection`` and the ``today`` to apply.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from sqlalchemy.sql.expression import FromClause
from sqlalchemy.sql.functions import FunctionElement

from monitoring import rules, vocabulary
from monitoring.db import (
    OPEN_STATUSES,
    action,
    action_update,
    agency,
    recommendation,
    recommendation_theme,
    review,
    theme,
)


@dataclass(frozen=True)
class Filters:
    """Filters shared by every page (set once in ``dashboard.py``); empty means "all".

    ``review_types`` are ``review.review_type`` codes, ``rag`` RAG codes, ``statuses`` action
    status codes; the id tuples name rows of ``review``, ``agency`` and ``theme``. ``as_at`` (a
    past date, or ``None`` for the records now) asks pages that support it to show the records as
    they stood on that date (:mod:`monitoring.asat`).
    """

    review_types: tuple[str, ...] = ()
    review_ids: tuple[int, ...] = ()
    agency_ids: tuple[int, ...] = ()
    theme_ids: tuple[int, ...] = ()
    rag: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    as_at: date | None = None

    def is_empty(self) -> bool:
        """True when no row filter is set (``as_at`` chooses a date, it filters no rows)."""
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

NO_AGENCY_ID = 0
"""The lead-agency id that stands for "Lead agency not recorded" (:data:`NO_AGENCY`): no agency
row has it (ids start at 1), so ``Filters(agency_ids=(NO_AGENCY_ID,))`` keeps the actions with no
lead agency, beside any real ids (:func:`lead_agency_in`), and the read models that group by
agency (:func:`monitoring.reads.scorecard`, :func:`monitoring.reads.overdue_by_agency`) give
that group this id, so a click on its bar or a choice in a list filters to exactly its rows."""


def lead_agency_in(agency_ids: tuple[int, ...], a: FromClause = action) -> ColumnElement[bool]:
    """SQL true for the actions of ``a`` led by one of ``agency_ids``, and for those with no lead
    agency when :data:`NO_AGENCY_ID` is one of them."""
    real = tuple(i for i in agency_ids if i != NO_AGENCY_ID)
    clauses = [a.c.lead_agency_id.in_(real)] if real else []
    if NO_AGENCY_ID in agency_ids:
        clauses.append(a.c.lead_agency_id.is_(None))
    return or_(*clauses) if clauses else literal(False)


def iso(day: date) -> str:
    """A date as stored: ``YYYY-MM-DD``."""
    return day.isoformat()


def is_open_sql(a: FromClause = action) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.is_open` on ``a`` (the ``action`` table or a selectable with
    its columns, such as the "as at" reconstruction in :mod:`monitoring.asat`)."""
    return a.c.status.in_(OPEN_STATUSES)


def is_overdue_sql(today: date, a: FromClause = action) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.is_overdue`: open and ``due_on`` < today."""
    return and_(is_open_sql(a), a.c.due_on.is_not(None), a.c.due_on < iso(today))


def is_due_soon_sql(
    today: date, window_days: int = 30, a: FromClause = action
) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.is_due_soon`: open and today ≤ ``due_on`` ≤ today + window."""
    return and_(
        is_open_sql(a),
        a.c.due_on >= iso(today),
        a.c.due_on <= iso(today + timedelta(days=window_days)),
    )


def no_due_date_sql(a: FromClause = action) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.has_no_due_date`."""
    return and_(is_open_sql(a), a.c.due_on.is_(None))


def is_stale_sql(today: date, stale_days: int = 90, a: FromClause = action) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.is_stale`, using ``last_update_on`` or the creation date."""
    last = func.coalesce(a.c.last_update_on, func.substr(a.c.created_at, 1, 10))
    return and_(is_open_sql(a), or_(last.is_(None), last < iso(today - timedelta(days=stale_days))))


def computed_rag_sql(
    today: date, window_days: int = 30, a: FromClause = action
) -> ColumnElement[str]:
    """SQL for :func:`monitoring.rules.computed_rag` (no override)."""
    return case(
        (a.c.status.in_(tuple(rules.DONE_STATUSES)), literal("blue")),
        (a.c.status.in_(tuple(rules.WITHDRAWN_STATUSES)), literal("grey")),
        (is_overdue_sql(today, a), literal("red")),
        (
            and_(a.c.status == "not_started", is_due_soon_sql(today, window_days, a)),
            literal("amber"),
        ),
        (a.c.due_date_changes > 1, literal("amber")),
        else_=literal("green"),
    )


def has_override_sql(a: FromClause = action) -> ColumnElement[bool]:
    """SQL for "the RAG override counts": a RAG code with a non-blank reason (:func:`rules.rag`)."""
    return and_(
        a.c.rag_override.in_(rules.RAG_CODES),
        a.c.rag_override_reason.is_not(None),
        func.trim(a.c.rag_override_reason) != "",
    )


def rag_sql(today: date, window_days: int = 30, a: FromClause = action) -> ColumnElement[str]:
    """SQL for :func:`monitoring.rules.rag`: the override wins when it has a reason."""
    return case(
        (has_override_sql(a), a.c.rag_override), else_=computed_rag_sql(today, window_days, a)
    )


def days_overdue_sql(today: date, a: FromClause = action) -> ColumnElement[int]:
    """Days overdue (today − ``due_on``) in SQL on SQLite and PostgreSQL; 0 when not overdue."""
    return case(
        (is_overdue_sql(today, a), _day_number(literal(iso(today))) - _day_number(a.c.due_on)),
        else_=literal(0),
    )


def escalation_level_sql(
    today: date,
    ladder_days: tuple[int, ...] = rules.DEFAULT_ESCALATION_DAYS,
    a: FromClause = action,
) -> ColumnElement[int]:
    """SQL for :func:`monitoring.rules.escalation_level`: the ladder level (0 to 3) an action has
    reached by its days overdue when read (open, and ``due_on`` at least that many days before
    ``today``)."""
    steps = sorted(enumerate(ladder_days, 1), key=lambda step: -step[1])
    return case(
        *(
            (
                and_(
                    is_open_sql(a),
                    a.c.due_on.is_not(None),
                    a.c.due_on <= iso(today - timedelta(days=days)),
                ),
                literal(level),
            )
            for level, days in steps
        ),
        else_=literal(0),
    )


def is_escalated_to_board_sql(
    today: date,
    ladder_days: tuple[int, ...] = rules.DEFAULT_ESCALATION_DAYS,
    a: FromClause = action,
) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.is_escalated_to_board` (by default open and 90 or more
    days overdue)."""
    board_days = tuple(ladder_days)[rules.BOARD_ESCALATION_LEVEL - 1]
    return and_(
        is_open_sql(a),
        a.c.due_on.is_not(None),
        a.c.due_on <= iso(today - timedelta(days=board_days)),
    )


def recommendation_not_delivered_sql(
    r: FromClause = recommendation,
    a: FromClause = action,
    *,
    counts: tuple[ColumnElement[int], ColumnElement[int]] | None = None,
) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.recommendation_not_delivered` over recommendation-shaped
    ``r`` and action-shaped ``a`` (the tables or their "as at" reconstructions): not accepted,
    closed as unacceptable or superseded, or every action (at least one) withdrawn.

    :param counts: ``(actions, live_actions)``: a per-recommendation count of its actions and of
        those not withdrawn, already joined to ``r`` (NULL for none); when given they replace
        the two uncorrelated ``IN`` look-ups over ``a`` (a reconstruction is then read once).
    """
    if counts is None:
        withdrawn = tuple(rules.WITHDRAWN_STATUSES)
        all_withdrawn = and_(
            r.c.id.in_(select(a.c.recommendation_id).correlate(None)),
            ~r.c.id.in_(
                select(a.c.recommendation_id)
                .where(func.coalesce(a.c.status, "").not_in(withdrawn))
                .correlate(None)
            ),
        )
    else:
        actions_n, live_n = counts
        all_withdrawn = and_(func.coalesce(actions_n, 0) > 0, func.coalesce(live_n, 0) == 0)
    return or_(
        func.coalesce(r.c.response_status, "") == "not_accepted",
        func.coalesce(r.c.assurance_status, "").in_(tuple(rules.NOT_DELIVERED_ASSURANCE)),
        all_withdrawn,
    )


def live_count_sql(a: FromClause = action) -> ColumnElement[int]:
    """SQL: how many rows of ``a`` are not withdrawn (for ``counts=`` of
    :func:`recommendation_not_delivered_sql`)."""
    return _count_if(func.coalesce(a.c.status, "").not_in(tuple(rules.WITHDRAWN_STATUSES)))


def counts_as_assured_sql(
    r: FromClause = recommendation,
    a: FromClause = action,
    *,
    counts: tuple[ColumnElement[int], ColumnElement[int]] | None = None,
) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.counts_as_assured`."""
    return and_(
        r.c.assurance_status == "assured", ~recommendation_not_delivered_sql(r, a, counts=counts)
    )


def is_ready_for_assurance_sql(
    r: FromClause = recommendation,
    a: FromClause = action,
    *,
    counts: tuple[ColumnElement[int], ColumnElement[int]] | None = None,
) -> ColumnElement[bool]:
    """SQL for :func:`monitoring.rules.is_ready_for_assurance`."""
    return and_(
        r.c.assurance_status == "ready_for_assessment",
        ~recommendation_not_delivered_sql(r, a, counts=counts),
    )


def is_reported_completed_sql(a: FromClause = action) -> ColumnElement[bool]:
    """SQL: an action its agency reports ``completed`` that the board has not yet assured (status
    ``assured``): the actions listed for assurance (:func:`monitoring.exports.pack.for_assurance`)."""
    return a.c.status == "completed"


def recommendation_action_counts(a: FromClause = action) -> list[ColumnElement[int]]:
    """Counts of action-shaped ``a`` for a select grouped by ``a.recommendation_id``:
    ``actions``, ``open_n`` (open), ``done_n`` (completed or assured) and ``live_n`` (not
    withdrawn), for :func:`is_completed_not_assured_sql` and ``counts=``."""
    return [
        func.count().label("actions"),
        _count_if(is_open_sql(a)).label("open_n"),
        _count_if(a.c.status.in_(tuple(rules.DONE_STATUSES))).label("done_n"),
        live_count_sql(a).label("live_n"),
    ]


AWAITING_ASSURANCE = ("not_assessed", "ready_for_assessment")
"""Assurance statuses still open: the board has not assured, refused or closed the
recommendation (:func:`is_completed_not_assured_sql`)."""


def is_completed_not_assured_sql(
    r: FromClause,
    open_n: ColumnElement[int],
    done_n: ColumnElement[int],
    counts: tuple[ColumnElement[int], ColumnElement[int]] | None = None,
    a: FromClause = action,
) -> ColumnElement[bool]:
    """SQL: a recommendation of ``r`` whose delivery is done but which the board has not assured
    (:func:`monitoring.reads.completed_not_assured`): every action closed and at least one
    completed or assured (DESIGN §4: completed is not assured), an assurance status in
    :data:`AWAITING_ASSURANCE`, and not :func:`recommendation_not_delivered_sql`.

    :param open_n: its open actions and ``done_n`` its completed or assured ones: counts per
        recommendation already joined to ``r`` (NULL for a recommendation with no action, which
        is never counted).
    :param counts: as for :func:`recommendation_not_delivered_sql` (else ``a`` is looked up).
    """
    return and_(
        open_n == 0,
        done_n > 0,
        r.c.assurance_status.in_(AWAITING_ASSURANCE),
        ~recommendation_not_delivered_sql(r, a, counts=counts),
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


def action_filter(
    filters: Filters, today: date, window_days: int = 30, a: FromClause = action
) -> ColumnElement[bool]:
    """A WHERE clause on ``a`` (default ``action``) for the shared filters (true when none are set)."""
    clauses: list[ColumnElement[bool]] = [literal(True)]
    if filters.review_types:
        clauses.append(
            a.c.review_id.in_(
                select(review.c.id).where(review.c.review_type.in_(filters.review_types))
            )
        )
    if filters.review_ids:
        clauses.append(a.c.review_id.in_(filters.review_ids))
    if filters.agency_ids:
        clauses.append(lead_agency_in(filters.agency_ids, a))
    if filters.theme_ids:
        clauses.append(
            a.c.recommendation_id.in_(
                select(recommendation_theme.c.recommendation_id).where(
                    recommendation_theme.c.theme_id.in_(filters.theme_ids)
                )
            )
        )
    if filters.rag:
        clauses.append(rag_sql(today, window_days, a).in_(filters.rag))
    if filters.statuses:
        clauses.append(a.c.status.in_(filters.statuses))
    return and_(*clauses)


def recommendation_filter(
    filters: Filters, r: FromClause = recommendation, a: FromClause = action
) -> ColumnElement[bool]:
    """A WHERE clause on ``r`` (default ``recommendation``) for the review, type, theme and agency
    filters; the agency filter keeps recommendations with an action in ``a`` led by the agency."""
    clauses: list[ColumnElement[bool]] = [literal(True)]
    if filters.review_types:
        clauses.append(
            r.c.review_id.in_(
                select(review.c.id).where(review.c.review_type.in_(filters.review_types))
            )
        )
    if filters.review_ids:
        clauses.append(r.c.review_id.in_(filters.review_ids))
    if filters.theme_ids:
        clauses.append(
            r.c.id.in_(
                select(recommendation_theme.c.recommendation_id).where(
                    recommendation_theme.c.theme_id.in_(filters.theme_ids)
                )
            )
        )
    if filters.agency_ids:
        clauses.append(
            r.c.id.in_(select(a.c.recommendation_id).where(lead_agency_in(filters.agency_ids, a)))
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
    return overview_figures_from(
        conn, today, filters, action, recommendation, review, window_days, stale_days
    )


def overview_figures_from(
    conn: Connection,
    today: date,
    filters: Filters,
    a: FromClause,
    r: FromClause,
    rv: FromClause,
    window_days: int = 30,
    stale_days: int = 90,
) -> OverviewFigures:
    """The overview tiles over action-, recommendation- and review-shaped sources ``a``, ``r``,
    ``rv`` (the tables, or their "as at" reconstructions from :mod:`monitoring.asat`)."""
    where = action_filter(filters, today, window_days, a)
    open_counts = select(
        _count_if(is_open_sql(a)).label("open_actions"),
        _count_if(is_overdue_sql(today, a)).label("overdue"),
        _count_if(is_due_soon_sql(today, window_days, a)).label("due_soon"),
        _count_if(no_due_date_sql(a)).label("no_due_date"),
        _count_if(is_stale_sql(today, stale_days, a)).label("stale"),
    ).select_from(a)
    if a is action:
        # On the table, the open actions are a range of the covering index ix_action_status_due
        # and the total a count of the smallest index: far cheaper than one pass over every row
        # (BENCHMARKS.md). A reconstruction ("as at") is read once instead.
        total = conn.execute(select(func.count()).select_from(a).where(where)).scalar()
        counts = conn.execute(open_counts.where(where, is_open_sql(a))).one()
    else:
        counts = conn.execute(
            open_counts.add_columns(func.count().label("actions")).where(where)
        ).one()
        total = counts.actions

    if a is action:
        # Two look-ups per recommendation in the covering index ix_action_recommendation
        # (recommendation_id, status) instead of grouping every action (BENCHMARKS.md).
        has_action = select(a.c.id).where(a.c.recommendation_id == r.c.id).exists()
        has_open = select(a.c.id).where(a.c.recommendation_id == r.c.id, is_open_sql(a)).exists()
        implemented = _count_if(and_(has_action, ~has_open))
        assured = _count_if(counts_as_assured_sql(r, a))
        rec_source = r
    else:
        per_rec = (
            select(
                a.c.recommendation_id,
                func.count().label("n"),
                _count_if(is_open_sql(a)).label("open_n"),
                live_count_sql(a).label("live_n"),
            )
            .group_by(a.c.recommendation_id)
            .subquery()
        )
        implemented = _count_if(and_(per_rec.c.n > 0, per_rec.c.open_n == 0))
        assured = _count_if(counts_as_assured_sql(r, counts=(per_rec.c.n, per_rec.c.live_n)))
        rec_source = r.outerjoin(per_rec, per_rec.c.recommendation_id == r.c.id)
    rec_counts = conn.execute(
        select(
            func.count().label("recommendations"),
            implemented.label("implemented"),
            assured.label("assured"),
            func.count(func.distinct(r.c.review_id)).label("reviews"),
        )
        .select_from(rec_source)
        .where(recommendation_filter(filters, r, a))
    ).one()
    if filters.is_empty():
        reviews = int(conn.execute(select(func.count()).select_from(rv)).scalar() or 0)
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
        actions=int(total or 0),
    )


def rag_by_review(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    window_days: int = 30,
    a: FromClause = action,
) -> pd.DataFrame:
    """Actions by RAG for each review.

    :param a: the actions to count (default the table; or an "as at" reconstruction).
    :returns: DataFrame ``review_id, ref, title, rag, actions`` (one row per review and RAG code
        present), ordered by review ref then RAG order.
    """
    rag_col = rag_sql(today, window_days, a).label("rag")
    inner = (
        select(a.c.review_id, rag_col)
        .where(action_filter(filters, today, window_days, a))
        .subquery()
    )
    # Counted per review id first (read from the covering index ix_action_review), then joined
    # to the few review rows.
    counted = (
        select(inner.c.review_id, inner.c.rag, func.count().label("actions"))
        .group_by(inner.c.review_id, inner.c.rag)
        .subquery()
    )
    rows = conn.execute(
        select(
            review.c.id.label("review_id"),
            review.c.ref,
            review.c.title,
            counted.c.rag,
            counted.c.actions,
        ).select_from(counted.join(review, review.c.id == counted.c.review_id))
    ).all()
    frame = pd.DataFrame(rows, columns=["review_id", "ref", "title", "rag", "actions"])
    if frame.empty:
        return frame
    order = {code: i for i, code in enumerate(rules.RAG_CODES)}
    frame["_order"] = frame["rag"].map(order)
    return frame.sort_values(["ref", "_order"]).drop(columns="_order").reset_index(drop=True)


def overdue_by_agency(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    limit: int | None = None,
    a: FromClause = action,
) -> pd.DataFrame:
    """Overdue actions by lead agency, most first (ties by name).

    :param a: the actions to count (default the table; or an "as at" reconstruction).
    :returns: DataFrame ``agency_id, agency, overdue`` (agencies with at least one overdue action;
        actions with no lead agency are shown as :data:`vocabulary.NO_LEAD_AGENCY`).
    """
    query = (
        select(
            a.c.lead_agency_id.label("agency_id"),
            func.coalesce(agency.c.name, NO_AGENCY).label("agency"),
            func.count().label("overdue"),
        )
        .select_from(a.outerjoin(agency, agency.c.id == a.c.lead_agency_id))
        .where(is_overdue_sql(today, a), action_filter(filters, today, 30, a))
        .group_by(a.c.lead_agency_id, agency.c.name)
        .order_by(func.count().desc(), func.coalesce(agency.c.name, NO_AGENCY))
    )
    if limit:
        query = query.limit(limit)
    return pd.DataFrame(conn.execute(query).all(), columns=["agency_id", "agency", "overdue"])


def most_overdue_actions(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    limit: int = 10,
    a: FromClause = action,
) -> pd.DataFrame:
    """The most overdue open actions, longest overdue first.

    :param a: the actions to read (default the table; or an "as at" reconstruction).
    :returns: DataFrame ``action_id, review_ref, recommendation_number, number, description,
        agency, due_on (date), days_overdue (int)``.
    """
    # The ids first, from the (status, due_on) index alone; then the joins for those rows only.
    top = (
        select(a.c.id, a.c.due_on)
        .where(is_overdue_sql(today, a), action_filter(filters, today, 30, a))
        .order_by(a.c.due_on, a.c.id)
        .limit(limit)
        .subquery()
    )
    rows = conn.execute(
        select(
            a.c.id.label("action_id"),
            review.c.ref.label("review_ref"),
            recommendation.c.number.label("recommendation_number"),
            a.c.number,
            a.c.description,
            func.coalesce(agency.c.name, NO_AGENCY).label("agency"),
            a.c.due_on,
        )
        .select_from(
            top.join(a, a.c.id == top.c.id)
            .join(recommendation, recommendation.c.id == a.c.recommendation_id)
            .join(review, review.c.id == a.c.review_id)
            .outerjoin(agency, agency.c.id == a.c.lead_agency_id)
        )
        .order_by(top.c.due_on, top.c.id)
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


# --- board pages: scorecard, review register and drill-down, action list ------------------------

NO_AGENCY = vocabulary.NO_LEAD_AGENCY

SCORECARD_COLUMNS = [
    "agency_id",
    "agency",
    "actions",
    "open",
    "overdue",
    "overdue_90",
    "completed",
    "on_time_pct",
    "median_days_overdue",
    "date_changes",
    "last_update_on",
    "days_since_update",
]


def agency_scorecard(
    conn: Connection, today: date, filters: Filters = NO_FILTERS, *, stale_days: int = 90
) -> pd.DataFrame:
    """The accountability scorecard (DESIGN §4): one row per lead agency with actions, worst first.

    :returns: DataFrame ``agency_id, agency, actions, open, overdue, overdue_90`` (overdue by more
        than 90 days), ``completed`` (completed or assured), ``on_time_pct`` (percentage of
        completed actions with both dates finished by the original target date,
        :func:`rules.is_on_time`; ``None`` when none), ``median_days_overdue`` (days, ``None`` when
        nothing is overdue), ``date_changes`` (approved target-date changes), ``last_update_on``
        (date of the latest progress update, or ``None``), ``days_since_update`` (days, or
        ``None``; 0 when the update is dated after ``today``). Ordered by overdue, then overdue > 90 days, most first, then agency name.
        Actions with no lead agency are grouped as :data:`vocabulary.NO_LEAD_AGENCY` (``agency_id``
        None).
    """
    return agency_scorecard_from(conn, today, filters, action, stale_days=stale_days)


AGENCY_COUNTS = (
    "actions",
    "open_actions",
    "overdue",
    "overdue_90",
    "completed",
    "timed",
    "on_time",
    "date_changes",
)
"""The scorecard's additive counts per lead agency (:func:`agency_count_columns`); with
``last_update_on`` (the latest, combined by ``max``) they are what ``review_agency_rollup`` keeps
per review and lead agency (:mod:`monitoring.rollups`)."""


def agency_count_columns(today: date, a: FromClause = action) -> list[ColumnElement]:
    """The scorecard's aggregate columns over action-shaped rows ``a``, for ``GROUP BY`` a lead
    agency (and, in the roll-ups, a review): :data:`AGENCY_COUNTS` and ``last_update_on``.

    ``actions``; ``open_actions`` (:func:`is_open_sql`); ``overdue`` (:func:`is_overdue_sql`);
    ``overdue_90`` (overdue with a target date more than 90 days before ``today``);
    ``completed`` (completed or assured); ``timed`` (done, with a completion date and an original
    target date) and ``on_time`` (of those, completed by the original target date,
    :func:`rules.is_on_time`); ``date_changes`` (approved target-date changes, summed);
    ``last_update_on`` (ISO date of the latest progress update, or None). Each rule is written
    here once, for the live scorecard and the roll-up alike."""
    done = a.c.status.in_(tuple(rules.DONE_STATUSES))
    timed = and_(done, a.c.completed_on.is_not(None), a.c.original_due_on.is_not(None))
    overdue = is_overdue_sql(today, a)
    return [
        func.count().label("actions"),
        _count_if(is_open_sql(a)).label("open_actions"),
        _count_if(overdue).label("overdue"),
        _count_if(and_(overdue, a.c.due_on < iso(today - timedelta(days=90)))).label("overdue_90"),
        _count_if(done).label("completed"),
        _count_if(timed).label("timed"),
        _count_if(and_(timed, a.c.completed_on <= a.c.original_due_on)).label("on_time"),
        func.coalesce(func.sum(a.c.due_date_changes), 0).label("date_changes"),
        func.max(a.c.last_update_on).label("last_update_on"),
    ]


def agency_scorecard_from(
    conn: Connection, today: date, filters: Filters, a: FromClause, *, stale_days: int = 90
) -> pd.DataFrame:
    """:func:`agency_scorecard` over an action-shaped source ``a`` (the table or an "as at"
    reconstruction from :mod:`monitoring.asat`)."""
    del stale_days  # the scorecard shows days since update; "stale" is the Actions page's view
    where = action_filter(filters, today, 30, a)
    overdue = is_overdue_sql(today, a)
    # Counted per agency id first, then named: one agency lookup per agency, not per action.
    # Grouped on "lead_agency_id + 0" so that SQLite reads the table in one pass and sorts,
    # rather than walking the agency index and fetching each action by its row id (2.7 s
    # against 1.3 s CPU at a million actions); the same groups (NULL stays NULL).
    agency_key = (a.c.lead_agency_id + 0).label("agency_id")
    counted = conn.execute(
        select(agency_key, *agency_count_columns(today, a)).where(where).group_by(agency_key)
    ).mappings()
    counts = {row["agency_id"]: dict(row) for row in counted}
    # The median's middle one or two overdue actions per agency, picked in SQL (rather than
    # every overdue action's date sent to Python): rows (n+1)/2 and (n+2)/2 of the n overdue
    # actions ordered by target date; the same values rules.median_days_overdue takes the
    # median of (every overdue action is at least one day overdue).
    ranked = (
        select(
            a.c.lead_agency_id.label("agency_id"),
            a.c.due_on,
            func.row_number()
            .over(partition_by=a.c.lead_agency_id, order_by=a.c.due_on)
            .label("position"),
            func.count().over(partition_by=a.c.lead_agency_id).label("n"),
        )
        .where(where, overdue)
        .subquery("ranked")
    )
    middle = conn.execute(
        select(ranked.c.agency_id, ranked.c.due_on).where(
            ranked.c.position.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
        )
    ).all()
    return scorecard_frame(conn, today, counts, middle)


def scorecard_frame(
    conn: Connection,
    today: date,
    counts: dict[int | None, dict],
    middle: Sequence[tuple[int | None, str]],
) -> pd.DataFrame:
    """The scorecard DataFrame (:func:`agency_scorecard`'s columns and order) from counts per
    lead agency id (``{agency_id or None: {AGENCY_COUNTS..., "last_update_on": ISO or None}}``)
    and ``middle``: the target dates (ISO) of each agency's middle one (odd count) or two (even
    count) overdue actions in target-date order, ``(agency_id, due_on)``, whose median is the
    median of all its overdue actions' days overdue. Agencies are named here (one lookup per
    agency); an action with no lead agency counts under :data:`NO_AGENCY`."""
    ids = [i for i in counts if i is not None]
    names: dict[int | None, str] = {}
    for start in range(0, len(ids), 500):
        names.update(
            conn.execute(
                select(agency.c.id, agency.c.name).where(agency.c.id.in_(ids[start : start + 500]))
            ).all()
        )
    days_by_agency: dict[int | None, list[int]] = {}
    for agency_id, due_on in middle:
        days_by_agency.setdefault(agency_id, []).append((today - rules.parse_iso(due_on)).days)
    records = []
    for agency_id, row in counts.items():
        last = rules.parse_iso(row["last_update_on"])
        records.append(
            {
                "agency_id": agency_id,
                "agency": names.get(agency_id) or NO_AGENCY,
                "actions": int(row["actions"]),
                "open": int(row["open_actions"]),
                "overdue": int(row["overdue"]),
                "overdue_90": int(row["overdue_90"]),
                "completed": int(row["completed"]),
                "on_time_pct": rules.percentage(int(row["on_time"]), int(row["timed"])),
                "median_days_overdue": rules.median_days_overdue(days_by_agency.get(agency_id, [])),
                "date_changes": int(row["date_changes"]),
                "last_update_on": last,
                "days_since_update": max(0, (today - last).days) if last else None,
            }
        )
    frame = pd.DataFrame(records, columns=SCORECARD_COLUMNS)
    if frame.empty:
        return frame
    frame = frame.sort_values(
        ["overdue", "overdue_90", "agency"], ascending=[False, False, True], kind="stable"
    )
    for column in ("on_time_pct", "median_days_overdue"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame.reset_index(drop=True)


REGISTER_COLUMNS = [
    "review_id",
    "ref",
    "title",
    "review_type",
    "published_on",
    "recommendations",
    "pct_implemented",
    "pct_assured",
    "overdue",
]


def review_register(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    window_days: int = 30,
    a: FromClause = action,
    r: FromClause = recommendation,
    rv: FromClause = review,
) -> pd.DataFrame:
    """The register of reviews with how far each has got.

    :returns: DataFrame ``review_id, ref, title, review_type, published_on`` (date or None),
        ``recommendations`` (matching the filters), ``pct_implemented`` (recommendations whose
        actions are all closed, at least one action, as a percentage; None with no
        recommendations), ``pct_assured`` (assurance status ``assured``, percentage),
        ``overdue`` (overdue actions matching the filters). Newest published first. With an agency
        or theme filter only reviews with a matching recommendation are listed; with a RAG or
        status filter only reviews with a matching action. ``a``, ``r``, ``rv``: the actions,
        recommendations and reviews read (default the tables; or "as at" reconstructions).
    """
    per_rec = (
        select(
            a.c.recommendation_id,
            func.count().label("n"),
            _count_if(is_open_sql(a)).label("open_n"),
            live_count_sql(a).label("live_n"),
        )
        .group_by(a.c.recommendation_id)
        .subquery()
    )
    rec_stats = (
        select(
            r.c.review_id,
            func.count().label("recommendations"),
            _count_if(and_(per_rec.c.n > 0, per_rec.c.open_n == 0)).label("implemented"),
            _count_if(counts_as_assured_sql(r, counts=(per_rec.c.n, per_rec.c.live_n))).label(
                "assured"
            ),
        )
        .select_from(r.outerjoin(per_rec, per_rec.c.recommendation_id == r.c.id))
        .where(recommendation_filter(filters, r, a))
        .group_by(r.c.review_id)
        .subquery()
    )
    action_where = action_filter(filters, today, window_days, a)
    overdue_stats = (
        select(a.c.review_id, func.count().label("overdue"))
        .where(action_where, is_overdue_sql(today, a))
        .group_by(a.c.review_id)
        .subquery()
    )
    where: list[ColumnElement[bool]] = []
    if filters.review_types:
        where.append(rv.c.review_type.in_(filters.review_types))
    if filters.review_ids:
        where.append(rv.c.id.in_(filters.review_ids))
    if filters.agency_ids or filters.theme_ids:
        where.append(rec_stats.c.recommendations > 0)
    if filters.rag or filters.statuses:
        where.append(rv.c.id.in_(select(a.c.review_id).where(action_where)))
    rows = conn.execute(
        select(
            rv.c.id.label("review_id"),
            rv.c.ref,
            rv.c.title,
            rv.c.review_type,
            rv.c.published_on,
            func.coalesce(rec_stats.c.recommendations, 0).label("recommendations"),
            func.coalesce(rec_stats.c.implemented, 0).label("implemented"),
            func.coalesce(rec_stats.c.assured, 0).label("assured"),
            func.coalesce(overdue_stats.c.overdue, 0).label("overdue"),
        )
        .select_from(
            rv.outerjoin(rec_stats, rec_stats.c.review_id == rv.c.id).outerjoin(
                overdue_stats, overdue_stats.c.review_id == rv.c.id
            )
        )
        .where(and_(literal(True), *where))
        .order_by(rv.c.published_on.desc(), rv.c.ref)
    ).all()
    records = [
        {
            "review_id": row.review_id,
            "ref": row.ref,
            "title": row.title,
            "review_type": row.review_type,
            "published_on": rules.parse_iso(row.published_on),
            "recommendations": int(row.recommendations),
            "pct_implemented": rules.percentage(int(row.implemented), int(row.recommendations)),
            "pct_assured": rules.percentage(int(row.assured), int(row.recommendations)),
            "overdue": int(row.overdue),
        }
        for row in rows
    ]
    return pd.DataFrame(records, columns=REGISTER_COLUMNS)


DETAIL_COLUMNS = [
    "recommendation_id",
    "recommendation_number",
    "recommendation_title",
    "response_status",
    "assurance_status",
    "implementation",
    "national_dependency",
    "action_id",
    "action_number",
    "description",
    "agency",
    "due_on",
    "rag",
    "rag_overridden",
    "status",
    "last_update_on",
    "last_update_note",
]


def _dates(values) -> list[date | None]:
    """ISO texts (possibly missing: None or NaN) as dates or None."""
    return [None if v is None or pd.isna(v) else rules.parse_iso(v) for v in values]


def latest_note_sql(a: FromClause = action, *, before: str | None = None) -> ColumnElement[str]:
    """The progress note of the latest ``action_update`` of each row of ``a`` (correlated); with
    ``before`` (a timestamp text), of the latest update dated before it."""
    au = action_update.alias("latest_update")
    dated = [au.c.created_at < before] if before is not None else []
    return (
        select(au.c.progress_note)
        .where(au.c.action_id == a.c.id, *dated)
        .order_by(au.c.created_at.desc(), au.c.id.desc())
        .limit(1)
        .correlate(a)
        .scalar_subquery()
    )


def review_detail(
    conn: Connection,
    review_id: int,
    today: date,
    *,
    window_days: int = 30,
    a: FromClause = action,
    r: FromClause = recommendation,
    before: str | None = None,
    notes_visible: ColumnElement[bool] | None = None,
) -> pd.DataFrame:
    """One review's recommendations and their actions, for the drill-down.

    :param a, r: the actions and recommendations read (default the tables; or "as at"
        reconstructions, or a reader's scope, :class:`monitoring.source.Source`).
    :param before: the "as at" cutoff: the latest note dated before it (None: the latest).
    :param notes_visible: SQL on ``a`` true where the reader may read the note (None: all).
    :returns: DataFrame with one row per action (a recommendation with no actions appears once,
        its action columns empty): ``recommendation_id, recommendation_number,
        recommendation_title, response_status, assurance_status, implementation``
        (:func:`rules.recommendation_implementation` code), ``national_dependency, action_id,
        action_number, description, agency, due_on`` (date), ``rag`` (code), ``rag_overridden``
        (bool), ``status, last_update_on`` (date), ``last_update_note`` (None where not
        visible). Ordered by recommendation then action.
    """
    note = latest_note_sql(a, before=before)
    if notes_visible is not None:
        note = case((notes_visible, note), else_=literal(None))
    rows = conn.execute(
        select(
            r.c.id.label("recommendation_id"),
            r.c.number.label("recommendation_number"),
            r.c.title.label("recommendation_title"),
            r.c.response_status,
            r.c.assurance_status,
            r.c.national_dependency,
            a.c.id.label("action_id"),
            a.c.number.label("action_number"),
            a.c.description,
            case(
                (a.c.id.is_(None), literal(None)),
                else_=func.coalesce(agency.c.name, NO_AGENCY),
            ).label("agency"),
            a.c.due_on,
            case((a.c.id.is_(None), literal(None)), else_=rag_sql(today, window_days, a)).label(
                "rag"
            ),
            case((a.c.id.is_(None), literal(None)), else_=has_override_sql(a)).label(
                "rag_overridden"
            ),
            a.c.status,
            a.c.last_update_on,
            note.label("last_update_note"),
        )
        .select_from(
            r.outerjoin(a, a.c.recommendation_id == r.c.id).outerjoin(
                agency, agency.c.id == a.c.lead_agency_id
            )
        )
        .where(r.c.review_id == review_id)
        .order_by(r.c.id, a.c.id)
    ).all()
    frame = pd.DataFrame(rows, columns=[c for c in DETAIL_COLUMNS if c != "implementation"])
    states: dict[int, list[rules.ActionState]] = {}
    for row in rows:
        states.setdefault(row.recommendation_id, [])
        if row.action_id is not None:
            states[row.recommendation_id].append(
                rules.ActionState(row.status, rules.parse_iso(row.due_on))
            )
    frame.insert(
        5,
        "implementation",
        [rules.recommendation_implementation(states[r], today) for r in frame["recommendation_id"]],
    )
    frame["due_on"] = _dates(frame["due_on"])
    frame["last_update_on"] = _dates(frame["last_update_on"])
    frame["action_id"] = frame["action_id"].astype("Int64")
    frame["national_dependency"] = frame["national_dependency"].astype(bool)
    frame["rag_overridden"] = [None if v is None else bool(v) for v in frame["rag_overridden"]]
    return frame


ACTION_VIEWS = ("all", "overdue", "due_soon", "no_due_date", "stale")
ACTION_LIST_COLUMNS = [
    "action_id",
    "review_ref",
    "recommendation_number",
    "number",
    "description",
    "agency",
    "lead_officer",
    "original_due_on",
    "due_on",
    "status",
    "rag",
    "days_overdue",
    "last_update_on",
]


def action_view_sql(
    view: str, today: date, window_days: int, stale_days: int, a: FromClause = action
) -> ColumnElement[bool]:
    """SQL true for the actions of one view of the action list (DESIGN §4): ``all``,
    ``overdue``, ``due_soon``, ``no_due_date`` or ``stale``.

    :raises ValueError: for an unknown view.
    """
    views = {
        "all": lambda: literal(True),
        "overdue": lambda: is_overdue_sql(today, a),
        "due_soon": lambda: is_due_soon_sql(today, window_days, a),
        "no_due_date": lambda: no_due_date_sql(a),
        "stale": lambda: is_stale_sql(today, stale_days, a),
    }
    if view not in views:
        raise ValueError(f"view must be one of {', '.join(ACTION_VIEWS)}, got {view!r}")
    return views[view]()


def action_list(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    view: str = "all",
    window_days: int = 30,
    stale_days: int = 90,
    a: FromClause = action,
    find: str | None = None,
    limit: int | None = None,
    worst_first: bool = False,
) -> pd.DataFrame:
    """Actions matching the filters and one of the views of DESIGN §4.

    :param view: ``all``, ``overdue``, ``due_soon``, ``no_due_date`` or ``stale``.
    :param a: the actions to list (default the table; or an "as at" reconstruction).
    :param find: keep only actions whose review reference, action number, description or lead
        agency contains this text (case-insensitive, as plain text); blank: every action.
    :param limit: at most this many rows (the SQL's ``LIMIT``: the first rows in order).
    :param worst_first: order most days overdue first, then by target date (none last), review
        and number, instead of the view's order.
    :returns: DataFrame ``action_id, review_ref, recommendation_number, number, description,
        agency, lead_officer, original_due_on, due_on`` (dates or None), ``status`` (code), ``rag``
        (code), ``days_overdue`` (int, 0 when not overdue), ``last_update_on`` (date or None).
        Overdue and due-soon views are ordered by target date, others by review and number.
    :raises ValueError: for an unknown view.
    """
    in_view = action_view_sql(view, today, window_days, stale_days, a)
    order = (
        (a.c.due_on, a.c.id)
        if view in ("overdue", "due_soon")
        else (review.c.ref, a.c.recommendation_id, a.c.id)
    )
    if worst_first:
        order = (
            days_overdue_sql(today, a).desc(),
            case((a.c.due_on.is_(None), 1), else_=0),
            a.c.due_on,
            review.c.ref,
            a.c.recommendation_id,
            a.c.id,
        )
    query = (
        select(
            a.c.id.label("action_id"),
            review.c.ref.label("review_ref"),
            recommendation.c.number.label("recommendation_number"),
            a.c.number,
            a.c.description,
            func.coalesce(agency.c.name, NO_AGENCY).label("agency"),
            a.c.lead_officer,
            a.c.original_due_on,
            a.c.due_on,
            a.c.status,
            rag_sql(today, window_days, a).label("rag"),
            days_overdue_sql(today, a).label("days_overdue"),
            a.c.last_update_on,
        )
        .select_from(
            a.join(recommendation, recommendation.c.id == a.c.recommendation_id)
            .join(review, review.c.id == a.c.review_id)
            .outerjoin(agency, agency.c.id == a.c.lead_agency_id)
        )
        .where(action_filter(filters, today, window_days, a), in_view, action_found(find, a))
        .order_by(*order)
    )
    rows = conn.execute(query.limit(limit) if limit is not None else query).all()
    frame = pd.DataFrame(rows, columns=ACTION_LIST_COLUMNS)
    for column in ("original_due_on", "due_on", "last_update_on"):
        frame[column] = _dates(frame[column])
    frame["days_overdue"] = frame["days_overdue"].astype(int)
    return frame


def action_found(find: str | None, a: FromClause = action) -> ColumnElement[bool]:
    """SQL: the action's review reference, number, description or lead agency's name contains
    ``find`` (case-insensitive, ``%`` and ``_`` as plain characters); true when blank."""
    words = (find or "").strip()
    if not words:
        return literal(True)
    return or_(
        a.c.number.icontains(words, autoescape=True),
        a.c.description.icontains(words, autoescape=True),
        a.c.review_id.in_(
            select(review.c.id).where(review.c.ref.icontains(words, autoescape=True))
        ),
        a.c.lead_agency_id.in_(
            select(agency.c.id).where(agency.c.name.icontains(words, autoescape=True))
        ),
    )


def action_count(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    view: str = "all",
    window_days: int = 30,
    stale_days: int = 90,
    a: FromClause = action,
    find: str | None = None,
) -> int:
    """How many actions :func:`action_list` lists with the same arguments (without a limit)."""
    in_view = action_view_sql(view, today, window_days, stale_days, a)
    return int(
        conn.execute(
            select(func.count())
            .select_from(a)
            .where(action_filter(filters, today, window_days, a), in_view, action_found(find, a))
        ).scalar_one()
    )


def filter_options(
    conn: Connection, reviews_in_scope: ColumnElement[bool] | None = None
) -> dict[str, list[tuple]]:
    """Choices for the shared filters.

    :param reviews_in_scope: SQL on ``review`` true for the reviews the reader may see (None:
        all); review types, reviews and lead agencies of no action in them are not offered.

    :returns: ``{"review_types": [(code, label)], "reviews": [(id, "REF – title")],
        "agencies": [(id, name)], "themes": [(id, name)]}``; review types and reviews as present in
        the data, agencies (active, or leading an action) and themes by name (with
        ``reviews_in_scope``: only themes of recommendations of those reviews); the agencies end
        with ``(NO_AGENCY_ID, NO_AGENCY)`` when an action in scope has no lead agency.
    """
    visible = reviews_in_scope if reviews_in_scope is not None else literal(True)
    types = conn.execute(
        select(review.c.review_type).distinct().where(visible).order_by(review.c.review_type)
    )
    reviews = conn.execute(
        select(review.c.id, review.c.ref, review.c.title).where(visible).order_by(review.c.ref)
    )
    # A merged agency (inactive, its actions moved) is no longer a choice.
    leading = select(action.c.lead_agency_id).where(action.c.lead_agency_id.is_not(None))
    in_scope = action.c.review_id.in_(select(review.c.id).where(visible))
    if reviews_in_scope is None:
        offered = or_(agency.c.active.is_(True), agency.c.id.in_(leading))
        themes_offered = literal(True)
    else:
        # a reader narrowed to some reviews (a viewer: the published ones) is offered only the
        # agencies leading an action in them, and only the themes of their recommendations: the
        # others' names would tell of unpublished reviews
        offered = agency.c.id.in_(leading.where(in_scope))
        themes_offered = theme.c.id.in_(
            select(recommendation_theme.c.theme_id).where(
                recommendation_theme.c.recommendation_id.in_(
                    select(recommendation.c.id).where(
                        recommendation.c.review_id.in_(select(review.c.id).where(visible))
                    )
                )
            )
        )
    agencies = [
        tuple(r)
        for r in conn.execute(
            select(agency.c.id, agency.c.name).where(offered).order_by(agency.c.name)
        )
    ]
    unled = conn.execute(
        select(action.c.id).where(action.c.lead_agency_id.is_(None), in_scope).limit(1)
    ).first()
    if unled is not None:
        agencies.append((NO_AGENCY_ID, NO_AGENCY))
    themes = conn.execute(
        select(theme.c.id, theme.c.name).where(themes_offered).order_by(theme.c.name)
    )
    return {
        "review_types": [(t, t.replace("_", " ")) for (t,) in types],
        "reviews": [(i, f"{ref} – {title}") for i, ref, title in reviews],
        "agencies": agencies,
        "themes": [tuple(r) for r in themes],
    }


THEME_COLUMNS = [
    "theme_id",
    "theme",
    "recommendations",
    "reviews",
    "review_refs",
    "share_of_reviews",
    "repeat",
    "open_actions",
    "overdue",
]


def theme_summary(
    conn: Connection,
    today: date,
    filters: Filters = NO_FILTERS,
    *,
    a: FromClause = action,
    r: FromClause = recommendation,
) -> pd.DataFrame:
    """Recommendations by theme across reviews, repeat learning flagged by
    :func:`monitoring.rules.is_repeat_learning` (at least 2 reviews and at least 10% of the
    reviews read).

    :param a, r: the actions and recommendations read (default the tables; or "as at"
        reconstructions, or a reader's scope, :class:`monitoring.source.Source`).
    :returns: DataFrame ``theme_id, theme, recommendations`` (matching the filters), ``reviews``
        (distinct reviews), ``review_refs`` (comma-separated, sorted), ``share_of_reviews``
        (percentage of the reviews with a recommendation matching the filters,
        :func:`monitoring.rules.percentage`), ``repeat`` (bool, the rule), ``open_actions,
        overdue`` (actions of those recommendations matching the filters).
        Themes with no matching recommendation are left out; most recommendations first.
    """
    rec_where = recommendation_filter(filters, r, a)
    rt = recommendation_theme
    per_theme = conn.execute(
        select(
            theme.c.id,
            theme.c.name,
            func.count(func.distinct(r.c.id)).label("recommendations"),
            func.count(func.distinct(r.c.review_id)).label("reviews"),
        )
        .select_from(
            theme.join(rt, rt.c.theme_id == theme.c.id).join(r, r.c.id == rt.c.recommendation_id)
        )
        .where(rec_where)
        .group_by(theme.c.id, theme.c.name)
    ).all()
    all_reviews = int(
        conn.execute(
            select(func.count(func.distinct(r.c.review_id))).select_from(r).where(rec_where)
        ).scalar()
        or 0
    )
    refs = conn.execute(
        select(rt.c.theme_id, review.c.ref)
        .distinct()
        .select_from(
            rt.join(r, r.c.id == rt.c.recommendation_id).join(review, review.c.id == r.c.review_id)
        )
        .where(rec_where)
    ).all()
    refs_by_theme: dict[int, list[str]] = {}
    for theme_id, ref in refs:
        refs_by_theme.setdefault(theme_id, []).append(ref)
    action_counts = conn.execute(
        select(
            rt.c.theme_id,
            _count_if(is_open_sql(a)).label("open_actions"),
            _count_if(is_overdue_sql(today, a)).label("overdue"),
        )
        .select_from(rt.join(a, a.c.recommendation_id == rt.c.recommendation_id))
        .where(action_filter(filters, today, 30, a))
        .group_by(rt.c.theme_id)
    ).all()
    by_theme = {row.theme_id: row for row in action_counts}
    records = [
        {
            "theme_id": row.id,
            "theme": row.name,
            "recommendations": int(row.recommendations),
            "reviews": int(row.reviews),
            "review_refs": ", ".join(sorted(refs_by_theme.get(row.id, []))),
            "share_of_reviews": rules.percentage(int(row.reviews), all_reviews),
            "repeat": rules.is_repeat_learning(int(row.reviews), all_reviews),
            "open_actions": int(by_theme[row.id].open_actions) if row.id in by_theme else 0,
            "overdue": int(by_theme[row.id].overdue) if row.id in by_theme else 0,
        }
        for row in per_theme
    ]
    frame = pd.DataFrame(records, columns=THEME_COLUMNS)
    if frame.empty:
        return frame
    frame = frame.sort_values(["recommendations", "theme"], ascending=[False, True])
    return frame.reset_index(drop=True)


def theme_recommendations(
    conn: Connection,
    theme_id: int,
    filters: Filters = NO_FILTERS,
    *,
    a: FromClause = action,
    r: FromClause = recommendation,
) -> pd.DataFrame:
    """The recommendations carrying one theme: ``recommendation_id, review_ref, number, title,
    response_status, assurance_status`` ordered by review and recommendation. ``a``, ``r``: the
    actions and recommendations read (default the tables)."""
    rows = conn.execute(
        select(
            r.c.id, review.c.ref, r.c.number, r.c.title, r.c.response_status, r.c.assurance_status
        )
        .select_from(
            r.join(review, review.c.id == r.c.review_id).join(
                recommendation_theme, recommendation_theme.c.recommendation_id == r.c.id
            )
        )
        .where(recommendation_theme.c.theme_id == theme_id, recommendation_filter(filters, r, a))
        .order_by(review.c.ref, r.c.id)
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "recommendation_id",
            "review_ref",
            "number",
            "title",
            "response_status",
            "assurance_status",
        ],
    )
