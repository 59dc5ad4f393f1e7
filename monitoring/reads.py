"""The one read path: every figure and list a page, an export or a download shows (DESIGN §8).

Each read model here takes a ``Connection`` and one :class:`monitoring.source.Source` (the date,
"now" or "as at", the reader's scope and the filters) and decides how its rows are got: the live
tables, their reconstruction as at a date (:mod:`monitoring.asat`), or the per-review roll-ups
(:mod:`monitoring.rollups`) as a shortcut for the records now. Pages never choose between those
modules, so no page can forget a filter, the date or the scope.

Scope (:class:`monitoring.source.Scope`): the rows are those of the reviews the reader may read
(:meth:`monitoring.source.Source.records`), and fields the reader may not read are left out or
emptied here, below every page: ``lead_officer`` (viewers), progress notes and evidence (viewers;
an agency lead reads only their own agency's). Results are the DataFrames of the models they call
(:mod:`monitoring.queries`, :mod:`monitoring.search`, :mod:`monitoring.changes`,
:mod:`monitoring.exports.pack`); their docstrings give the columns.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, select

from monitoring import asat, changes, queries, rollups
from monitoring.queries import OverviewFigures
from monitoring.search import search as _search
from monitoring.source import Scope, Source


def _live(src: Source) -> bool:
    """True when the roll-ups cannot answer (as at a date, or a reader narrowed to some reviews)."""
    return src.as_at is not None or src.restricted


def filter_options(conn: Connection, scope: Scope, today: date) -> dict[str, list[tuple]]:
    """The sidebar's choices (:func:`monitoring.queries.filter_options`) for reviews the reader
    may read on ``today``."""
    if scope.published_only:
        return queries.filter_options(conn, asat.published_by(today))
    return queries.filter_options(conn)


def overview(conn: Connection, src: Source) -> OverviewFigures:
    """The overview tiles (:class:`monitoring.queries.OverviewFigures`) for the source."""
    if not _live(src):
        return rollups.overview_figures(
            conn,
            src.today,
            src.filters,
            window_days=src.window_days,
            stale_days=src.stale_days,
        )
    rec = src.records()
    return queries.overview_figures_from(
        conn, src.day, src.filters, rec.a, rec.r, rec.rv, src.window_days, src.stale_days
    )


def rag_by_review(conn: Connection, src: Source) -> pd.DataFrame:
    """Actions by RAG per review: ``review_id, ref, title, rag, actions``."""
    if not _live(src):
        return rollups.rag_by_review(conn, src.today, src.filters, window_days=src.window_days)
    return queries.rag_by_review(
        conn, src.day, src.filters, window_days=src.window_days, a=src.records().a
    )


def overdue_by_agency(conn: Connection, src: Source, limit: int | None = None) -> pd.DataFrame:
    """Overdue actions per lead agency, most first: ``agency_id, agency, overdue``."""
    if not _live(src):
        return rollups.overdue_by_agency(conn, src.today, src.filters, limit=limit)
    return queries.overdue_by_agency(conn, src.day, src.filters, limit=limit, a=src.records().a)


def most_overdue(conn: Connection, src: Source, limit: int = 10) -> pd.DataFrame:
    """The ``limit`` most overdue actions (:func:`monitoring.queries.most_overdue_actions`)."""
    return queries.most_overdue_actions(conn, src.day, src.filters, limit=limit, a=src.records().a)


def scorecard(conn: Connection, src: Source) -> pd.DataFrame:
    """The agency scorecard (:func:`monitoring.queries.agency_scorecard`)."""
    return queries.agency_scorecard_from(
        conn, src.day, src.filters, src.records().a, stale_days=src.stale_days
    )


def review_register(conn: Connection, src: Source) -> pd.DataFrame:
    """The review register (:func:`monitoring.queries.review_register`)."""
    rec = src.records()
    return queries.review_register(
        conn, src.day, src.filters, window_days=src.window_days, a=rec.a, r=rec.r, rv=rec.rv
    )


def review_detail(conn: Connection, src: Source, review_id: int) -> pd.DataFrame:
    """One review's recommendations and actions (:func:`monitoring.queries.review_detail`); empty
    for a review the reader may not read. ``last_update_note`` is None where the reader may not
    read the note (and the column is left out for a reader who may read none)."""
    rec = src.records()
    frame = queries.review_detail(
        conn,
        review_id,
        src.day,
        window_days=src.window_days,
        a=rec.a,
        r=rec.r,
        before=rec.end,
        notes_visible=src.detail_sql(rec.a),
    )
    if src.scope.published_only:
        frame = frame.drop(columns="last_update_note")
    return frame


def action_list(
    conn: Connection,
    src: Source,
    view: str = "all",
    *,
    find: str | None = None,
    limit: int | None = None,
    worst_first: bool = False,
) -> pd.DataFrame:
    """Actions of one view (:func:`monitoring.queries.action_list`); without ``lead_officer`` for
    a reader who may not read officers' names.

    :param find: only actions whose review, number, description or agency contains this text.
    :param limit: at most this many rows, cut in SQL (the Actions page sends at most
        :data:`monitoring.ui.queue.QUEUE_ROWS`, so a million actions cost no more than 500).
    :param worst_first: most days overdue first (the page's order)."""
    frame = queries.action_list(
        conn,
        src.day,
        src.filters,
        view=view,
        window_days=src.window_days,
        stale_days=src.stale_days,
        a=src.records().a,
        find=find,
        limit=limit,
        worst_first=worst_first,
    )
    if not src.scope.sees_officers:
        frame = frame.drop(columns="lead_officer")
    return frame


def action_count(
    conn: Connection, src: Source, view: str = "all", *, find: str | None = None
) -> int:
    """How many actions :func:`action_list` lists for these arguments, without a limit."""
    return queries.action_count(
        conn,
        src.day,
        src.filters,
        view=view,
        window_days=src.window_days,
        stale_days=src.stale_days,
        a=src.records().a,
        find=find,
    )


def themes(conn: Connection, src: Source) -> pd.DataFrame:
    """Recommendations by theme (:func:`monitoring.queries.theme_summary`)."""
    rec = src.records()
    return queries.theme_summary(conn, src.day, src.filters, a=rec.a, r=rec.r)


def theme_recommendations(conn: Connection, src: Source, theme_id: int) -> pd.DataFrame:
    """The recommendations of one theme (:func:`monitoring.queries.theme_recommendations`)."""
    rec = src.records()
    return queries.theme_recommendations(conn, theme_id, src.filters, a=rec.a, r=rec.r)


def search(conn: Connection, src: Source, query: str, limit: int = 100) -> pd.DataFrame:
    """Full-text search (:func:`monitoring.search.search`) over the reviews the reader may read,
    among the items recorded by the source's date."""
    return _search(
        conn,
        query,
        src.filters,
        limit=limit,
        today=src.day,
        reviews=src.review_ids(),
        before=src.records().end,
    )


def trend(conn: Connection, src: Source, months: int = 12) -> pd.DataFrame:
    """Month-end points up to the source's date (:func:`monitoring.asat.trend`)."""
    end = src.day
    return asat.trend(
        conn,
        end - relativedelta(months=months),
        end,
        src.filters,
        published_only=src.scope.published_only,
    )


def changes_between(conn: Connection, src: Source, since: date, until: date) -> pd.DataFrame:
    """Changes after ``since`` up to ``until`` (:func:`monitoring.changes.changes_between`), only
    of actions and recommendations matching the source's filters (as they stood on ``until``)
    and readable by its reader."""
    if src.filters.is_empty() and not src.restricted:
        return changes.changes_between(conn, since, until, today=src.today)
    rec = src.at(until).records()
    matching = conn.execute(
        select(rec.a.c.id, rec.a.c.review_id).where(
            queries.action_filter(src.filters, until, src.window_days, rec.a)
        )
    ).all()
    actions = {r.id for r in matching}
    # a baseline line counts only the reviews with actions matching (issue 17)
    frame = changes.changes_between(
        conn, since, until, reviews={r.review_id for r in matching}, today=src.today
    )
    if frame.empty:
        return frame
    recs = set(
        conn.execute(
            select(rec.r.c.id).where(queries.recommendation_filter(src.filters, rec.r, rec.a))
        ).scalars()
    )
    keep = [
        (int(a) in actions) if pd.notna(a) else (int(r) in recs) if pd.notna(r) else True
        for a, r in zip(frame["action_id"], frame["recommendation_id"], strict=True)
    ]
    return frame[keep].reset_index(drop=True)


def meeting_pack(
    conn: Connection, src: Source, meeting_on: date | None = None, *, annual: bool = True
):
    """The meeting pack (:func:`monitoring.exports.pack.build_pack`) for the meeting held on
    ``meeting_on`` (None: the records now), with the source's filters and reader's scope; the
    meeting's date, not the source's "as at", is its date. ``annual``: read the annual report."""
    from monitoring.exports import pack

    return pack.build_pack(conn, meeting_on, src.filters, scope=src.scope, annual=annual)
