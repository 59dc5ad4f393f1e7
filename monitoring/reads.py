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

from dataclasses import replace
from datetime import date

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, and_, func, or_, select

from monitoring import asat, changes, queries, rollups, rules, trends
from monitoring.queries import Filters, OverviewFigures, iso
from monitoring.search import search as _search
from monitoring.source import Scope, Source


def _live(src: Source) -> bool:
    """True when the roll-ups cannot answer (as at a date, or a reader narrowed to some reviews)."""
    return src.as_at is not None or src.restricted


def filter_options(conn: Connection, scope: Scope, today: date) -> dict[str, list[tuple]]:
    """The sidebar's choices (:func:`monitoring.queries.filter_options`) for reviews the reader
    may read on ``today``: a viewer's every choice (review types, reviews, lead agencies,
    themes) comes only from the reviews published by ``today``. The lead agencies end with
    ``(NO_AGENCY_ID, "Lead agency not recorded")`` when an action the reader may read has no
    lead agency."""
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


def import_dated_statuses(conn: Connection, src: Source) -> tuple[int, date, date] | None:
    """The actions the reader sees as at the source's date whose status was dated later by an
    import because the file gave no date for it (the real PFD export gives no reply date: its
    recipients' statuses are dated at the import's as-of date, ``monitoring.importer.presets``);
    as at the date they show as they stood before (not started), which a reader could take for
    work not yet done.

    The mark, already written by every import (``monitoring.importer.writer``): the action's
    first ``action_update`` carries the import's instant as ``created_at`` (a file's update date
    would give ``YYYY-MM-DDT00:00:00+00:00``) and shares it with the action's ``created`` audit row
    ("... (imported from FILE)"); its ``effective_on`` is then the import's as-of date unless the
    file gave the status's own date, which is also the action's ``completed_on``. Counted: such
    updates dated after the source's date, with a status other than ``not_started`` (the status
    the action shows before them), of actions that exist on the date (their ``created`` row's
    ``effective_on`` on or before it) in reviews the reader may read then
    (:meth:`monitoring.source.Source.in_scope`). The sidebar's filters are not applied.

    One aggregate, driven by ``ix_audit_entity_field_effective`` (the actions' ``created`` rows
    dated by then), then ``ix_action_update_action`` and the action's key; a page reads it once
    per ``data_version``, date and scope (:func:`monitoring.ui.data.read` caches it).

    :returns: ``(actions, first, last)``: how many, and the earliest and latest date their
        statuses carry; ``None`` for the records now or when there are none.
    """
    if src.as_at is None:
        return None
    from monitoring.db import action as action_table
    from monitoring.db import action_update, audit_log

    on = iso(src.as_at)
    u, c, a = action_update, audit_log, action_table
    row = conn.execute(
        select(
            func.count(),  # one such update per action: its creating import's
            func.min(u.c.effective_on),
            func.max(u.c.effective_on),
        )
        .select_from(
            u.join(a, a.c.id == u.c.action_id).join(
                c,
                and_(
                    c.c.entity == "action",
                    c.c.entity_id == u.c.action_id,
                    c.c.field == "created",
                    c.c.at == u.c.created_at,
                ),
            )
        )
        .where(
            u.c.effective_on > on,
            u.c.status.is_not(None),
            u.c.status != "not_started",
            or_(a.c.completed_on.is_(None), a.c.completed_on != u.c.effective_on),
            or_(c.c.effective_on.is_(None), c.c.effective_on <= on),
            c.c.new_value.like("%(imported from %"),
            src.in_scope(a.c.review_id, src.as_at),
        )
    ).one()
    if not row[0]:
        return None
    return int(row[0]), date.fromisoformat(row[1]), date.fromisoformat(row[2])


def rag_by_review(conn: Connection, src: Source) -> pd.DataFrame:
    """Actions by RAG per review: ``review_id, ref, title, rag, actions``."""
    if not _live(src):
        return rollups.rag_by_review(conn, src.today, src.filters, window_days=src.window_days)
    return queries.rag_by_review(
        conn, src.day, src.filters, window_days=src.window_days, a=src.records().a
    )


def overdue_by_agency(conn: Connection, src: Source, limit: int | None = None) -> pd.DataFrame:
    """Overdue actions per lead agency, most first: ``agency_id, agency, overdue``; the actions
    with no lead agency are the row ``agency_id`` :data:`monitoring.queries.NO_AGENCY_ID`,
    ``agency`` "Lead agency not recorded" (the id the agency filter takes for them)."""
    if not _live(src):
        frame = rollups.overdue_by_agency(conn, src.today, src.filters, limit=limit)
    else:
        frame = queries.overdue_by_agency(
            conn, src.day, src.filters, limit=limit, a=src.records().a
        )
    return no_agency_ids(frame)


def no_agency_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the "Lead agency not recorded" row's missing ``agency_id`` as
    :data:`monitoring.queries.NO_AGENCY_ID`, and ids as ints."""
    if frame.empty or not frame["agency_id"].isna().any():
        return frame
    frame = frame.copy()
    frame["agency_id"] = frame["agency_id"].fillna(queries.NO_AGENCY_ID).astype(int)
    return frame


def most_overdue(conn: Connection, src: Source, limit: int = 10) -> pd.DataFrame:
    """The ``limit`` most overdue actions (:func:`monitoring.queries.most_overdue_actions`)."""
    return queries.most_overdue_actions(conn, src.day, src.filters, limit=limit, a=src.records().a)


def scorecard(conn: Connection, src: Source) -> pd.DataFrame:
    """The agency scorecard (:func:`monitoring.queries.agency_scorecard`): for the records now,
    read from the roll-ups (:func:`monitoring.rollups.agency_scorecard`, which itself counts live
    what they cannot answer). The actions with no lead agency are the row ``agency_id``
    :data:`monitoring.queries.NO_AGENCY_ID` ("Lead agency not recorded"): filtering on that id
    lists exactly the actions the row counts."""
    if not _live(src):
        return no_agency_ids(rollups.agency_scorecard(conn, src.today, src.filters))
    return no_agency_ids(
        queries.agency_scorecard_from(
            conn, src.day, src.filters, src.records().a, stale_days=src.stale_days
        )
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
    """Month-end points up to the source's date, ``months`` back: the frame of
    :func:`monitoring.asat.trend`, computed in one pass over the history
    (:func:`monitoring.trends.trend`)."""
    end = src.day
    return trends.trend(
        conn,
        end - relativedelta(months=months),
        end,
        src.filters,
        published_only=src.scope.published_only,
    )


def _matching_actions(conn: Connection, src: Source, until: date) -> list:
    """Rows ``id, review_id`` of the actions matching the source's filters as they stood on
    ``until`` and readable by its reader (:func:`changes_between`)."""
    rec = src.at(until).records()
    return conn.execute(
        select(rec.a.c.id, rec.a.c.review_id).where(
            queries.action_filter(src.filters, until, src.window_days, rec.a)
        )
    ).all()


def _matching_recommendations(conn: Connection, src: Source, until: date) -> set[int]:
    """Ids of the recommendations matching the source's filters as they stood on ``until`` and
    readable by its reader (:func:`changes_between`)."""
    rec = src.at(until).records()
    return set(
        conn.execute(
            select(rec.r.c.id).where(queries.recommendation_filter(src.filters, rec.r, rec.a))
        ).scalars()
    )


def changes_between(conn: Connection, src: Source, since: date, until: date) -> pd.DataFrame:
    """Changes after ``since`` up to ``until`` (:func:`monitoring.changes.changes_between`), only
    of actions and recommendations matching the source's filters (as they stood on ``until``)
    and readable by its reader."""
    if src.filters.is_empty() and not src.restricted:
        return changes.changes_between(conn, since, until, today=src.today)
    matching = _matching_actions(conn, src, until)
    actions = {r.id for r in matching}
    # a baseline line counts only the reviews with actions matching (issue 17)
    frame = changes.changes_between(
        conn, since, until, reviews={r.review_id for r in matching}, today=src.today
    )
    if frame.empty:
        return frame
    recs = _matching_recommendations(conn, src, until)
    keep = [
        (int(a) in actions) if pd.notna(a) else (int(r) in recs) if pd.notna(r) else True
        for a, r in zip(frame["action_id"], frame["recommendation_id"], strict=True)
    ]
    return frame[keep].reset_index(drop=True)


def saved_after_meeting(conn: Connection, src: Source, held_on: date) -> int:
    """The changes saved on the day of the meeting held on ``held_on`` after it was recorded
    (:func:`monitoring.changes.saved_after_meeting`: they count as before it), only of actions
    and recommendations matching the source's filters (as they stood on ``held_on``) and
    readable by its reader, as :func:`changes_between` lists them."""
    if src.filters.is_empty() and not src.restricted:
        return changes.saved_after_meeting(conn, held_on)
    return changes.saved_after_meeting(
        conn,
        held_on,
        actions={r.id for r in _matching_actions(conn, src, held_on)},
        recommendations=_matching_recommendations(conn, src, held_on),
    )


def meeting_pack(
    conn: Connection, src: Source, meeting_on: date | None = None, *, annual: bool = True
):
    """The meeting pack (:func:`monitoring.exports.pack.build_pack`) for the meeting held on
    ``meeting_on`` (None: the records now), with the source's filters and reader's scope; the
    meeting's date, not the source's "as at", is its date. ``annual``: read the annual report."""
    from monitoring.exports import pack

    return pack.build_pack(conn, meeting_on, src.filters, scope=src.scope, annual=annual)


def meeting_pack_headline(conn: Connection, src: Source, meeting_on: date | None = None):
    """The Meeting pack page's figures and its lists' lengths without building the pack
    (:func:`monitoring.exports.pack.headline`), for the meeting as :func:`meeting_pack`."""
    from monitoring.exports import pack

    return pack.headline(conn, meeting_on, src.filters, scope=src.scope)


def meeting_pack_list(conn: Connection, src: Source, meeting_on: date | None, kind: str):
    """One list of the meeting pack (:func:`monitoring.exports.pack.pack_list`), as
    :func:`meeting_pack` reads it."""
    from monitoring.exports import pack

    return pack.pack_list(conn, meeting_on, kind, src.filters, scope=src.scope)


def meeting_pack_baseline(conn: Connection, src: Source, meeting_on: date | None = None):
    """The meeting pack's baseline figures (:func:`monitoring.exports.pack.baseline_figures`)."""
    from monitoring.exports import pack

    return pack.baseline_figures(conn, meeting_on, src.filters, scope=src.scope)


# --- the lists behind the counting tiles (issue 19: a click on a tile opens its list) -----------

TILE_LISTS = {
    "open": "Open actions",
    "overdue": "Overdue actions",
    "due_soon": "Actions due soon",
    "no_due_date": "Open actions with no target date",
    "stale": "Open actions with no recent update",
    "escalated": "Actions escalated to the board",
    "decisions": "Decisions needed",
    "for_assurance": "Items awaiting assurance",
    "completed_not_assured": "Recommendations completed but not assured",
}
"""The tiles that count something, and the title of the list each opens (:func:`tile_list`)."""

ACTION_TILES = ("open", "overdue", "due_soon", "no_due_date", "stale")
BOARD_TILES = ("decisions", "escalated", "for_assurance", "completed_not_assured")
"""Tiles whose figure is their list's length (the meeting pack's lists of the same date)."""
"""Tiles counting actions of :data:`monitoring.queries.OverviewFigures` (lists of
:func:`action_list`)."""


def tile_list(conn: Connection, src: Source, kind: str) -> pd.DataFrame:
    """The rows a counting tile counts, for the same source (date, filters, scope), so the
    list's length is the tile's figure.

    :param kind: one of :data:`TILE_LISTS`:

        - ``open``, ``overdue``, ``due_soon``, ``no_due_date``, ``stale``: actions
          (:func:`action_list` columns) of the Overview's tiles of those names
          (:class:`monitoring.queries.OverviewFigures`);
        - ``escalated``: actions escalated to the board
          (:func:`monitoring.exports.pack.board_escalations` columns);
        - ``decisions``: what the board is asked to decide
          (:func:`monitoring.exports.pack.decisions_needed`: ``decision, review_ref, item,
          description, detail``);
        - ``for_assurance``: actions completed and recommendations ready for assurance
          (:func:`monitoring.exports.pack.for_assurance`: ``kind, review_ref, item, description,
          agency, since``);
        - ``completed_not_assured``: recommendations (:func:`completed_not_assured`).

        The last four read as :func:`monitoring.exports.pack.build_pack` does, so they equal the
        meeting pack's lists of the same date.
    :raises ValueError: for an unknown ``kind``.
    """
    from monitoring.exports import pack

    if kind not in TILE_LISTS:
        raise ValueError(f"kind must be one of {', '.join(TILE_LISTS)}, got {kind!r}")
    if kind == "open":
        frame = action_list(conn, src, "all")
        return frame[frame["status"].isin(rules.OPEN_STATUSES)].reset_index(drop=True)
    if kind in ACTION_TILES:
        return action_list(conn, src, kind)
    records = src.records()
    if kind == "escalated":
        return pack.board_escalations(conn, src.day, src.filters, records=records)
    if kind == "decisions":
        return pack.decisions_needed(conn, src.day, src.filters, records=records)
    if kind == "for_assurance":
        return pack.for_assurance(conn, src.day, src.filters, records=records)
    return completed_not_assured(conn, src)


def tile_counts(conn: Connection, src: Source) -> dict[str, int]:
    """How many rows :func:`tile_list` lists for each board tile, without reading the lists, for
    the same source (date, filters, scope). The Overview shows these and reads a list only when
    the reader opens its tile.

    For the records now, read by a reader who may read every review, with no filter or only
    review and review-type filters: from the per-review roll-ups (:func:`rollup_tile_counts`);
    otherwise, and when most reviews in scope need a live count, :func:`live_tile_counts`. The
    edge-case table ``tests/test_tile_rollup.py`` proves the two equal.

    :returns: ``{kind: rows}`` for every kind of :data:`BOARD_TILES` (the other tiles' figures
        are :class:`monitoring.queries.OverviewFigures`').
    :raises monitoring.config.SettingError: when ``MONITORING_ESCALATION_DAYS`` is unusable.
    """
    counts = rollup_tile_counts(conn, src)
    return counts if counts is not None else live_tile_counts(conn, src)


def live_tile_counts(conn: Connection, src: Source) -> dict[str, int]:
    """:func:`tile_counts` counted live: a ``count(*)`` over the very selects each list runs
    (:func:`monitoring.exports.pack.count_rows`; "decisions" the sum of its four parts, each
    select shared by two lists counted once, :func:`monitoring.exports.pack.board_list_counts`),
    so each figure equals its list's length by construction."""
    from monitoring.exports import pack

    lists = tuple(kind for kind in BOARD_TILES if kind != "completed_not_assured")
    counts = pack.board_list_counts(conn, lists, src.day, src.filters, records=src.records())
    counts["completed_not_assured"] = pack.count_rows(conn, (_completed_not_assured_select(src),))
    return {kind: counts[kind] for kind in BOARD_TILES}


TILE_PARTS = ("pending", "escalated", "ready", "late", "completed", "completed_not_assured")
"""The parts the board tiles are sums of: target-date changes pending, actions escalated to the
board, recommendations ready for assurance, responses overdue, actions reported completed, and
recommendations completed but not assured ("decisions" = pending + escalated + ready + late;
"for assurance" = ready + completed)."""

_ROLLED_PARTS = {
    "escalated": "escalated",
    "ready": "ready_for_assurance",
    "completed": "reported_completed",
    "completed_not_assured": "completed_not_assured",
}
"""The parts the roll-ups hold: part -> column of :data:`monitoring.rollups.TILE_COUNTS`."""


def _tiles_from_parts(parts: dict[str, int]) -> dict[str, int]:
    return {
        "decisions": parts["pending"] + parts["escalated"] + parts["ready"] + parts["late"],
        "escalated": parts["escalated"],
        "for_assurance": parts["ready"] + parts["completed"],
        "completed_not_assured": parts["completed_not_assured"],
    }


def _part_counts(conn: Connection, src: Source, parts: tuple[str, ...]) -> dict[str, int]:
    """``parts`` (of :data:`TILE_PARTS`) counted live: ``count(*)`` over the lists' own selects
    (:func:`monitoring.exports.pack.decisions_needed_selects`, ``for_assurance_selects``,
    :func:`_completed_not_assured_select`) for the source."""
    from monitoring.exports import pack

    records = src.records()
    pending, escalated, ready, late = pack.decisions_needed_selects(
        src.day, src.filters, records=records
    )
    _, completed = pack.for_assurance_selects(src.day, src.filters, records=records)
    selects = {
        "pending": pending,
        "escalated": escalated,
        "ready": ready,
        "late": late,
        "completed": completed,
    }
    return {
        part: pack.count_rows(
            conn,
            (
                _completed_not_assured_select(src)
                if part == "completed_not_assured"
                else selects[part],
            ),
        )
        for part in parts
    }


def rollup_tile_counts(conn: Connection, src: Source) -> dict[str, int] | None:
    """:func:`tile_counts` from the per-review roll-ups, or ``None`` where they cannot answer.

    They answer the records now (no "as at"), for a reader who may read every review (not a
    viewer: the roll-up holds unpublished reviews too), with no filter or only review and
    review-type filters (:func:`monitoring.rollups.supports`). The parts they hold (actions
    escalated to the board, reported completed; recommendations ready for assurance, completed
    but not assured: :data:`monitoring.rollups.TILE_COUNTS`) are the sums of the rows counted
    for today and for the escalation ladder's board-level days now configured
    (:func:`monitoring.rollups.tile_sums`), plus the same parts of the reviews whose row is not
    usable (dirty, stale, another ladder, missing) counted live over the lists' own selects
    narrowed to those reviews; the target-date changes pending and the responses overdue (small
    and cheap) are always counted live. ``None`` also when most reviews in scope would be
    counted live.
    """
    if _live(src):
        return None
    board_days = rollups.board_days_of(rollups.escalation_days())
    stored = rollups.tile_sums(conn, src.today, src.filters, board_days=board_days)
    if stored is None:
        return None
    sums, live_ids = stored
    parts = {part: sums[column] for part, column in _ROLLED_PARTS.items()}
    if live_ids:
        narrowed = replace(src, filters=Filters(review_ids=live_ids))
        for part, n in _part_counts(conn, narrowed, tuple(_ROLLED_PARTS)).items():
            parts[part] += n
    parts.update(_part_counts(conn, src, ("pending", "late")))
    return _tiles_from_parts(parts)


def tile_count(conn: Connection, src: Source, kind: str) -> int:
    """:func:`tile_counts` for one board tile ``kind`` (one of :data:`BOARD_TILES`).

    :raises ValueError: for another ``kind``.
    """
    from monitoring.exports import pack

    if kind not in BOARD_TILES:
        raise ValueError(f"kind must be one of {', '.join(BOARD_TILES)}, got {kind!r}")
    if kind == "completed_not_assured":
        return pack.count_rows(conn, (_completed_not_assured_select(src),))
    (count,) = pack.board_list_counts(
        conn, (kind,), src.day, src.filters, records=src.records()
    ).values()
    return count


def _completed_not_assured_select(src: Source):
    """The select :func:`completed_not_assured` runs (one row per recommendation)."""
    from monitoring.db import review as review_table

    rec = src.records()
    a, r = rec.a, rec.r
    per_rec = (
        select(a.c.recommendation_id, *queries.recommendation_action_counts(a))
        .group_by(a.c.recommendation_id)
        .subquery()
    )
    return (
        select(
            r.c.id,
            review_table.c.ref,
            r.c.number,
            r.c.title,
            r.c.assurance_status,
            per_rec.c.actions,
        )
        .select_from(
            r.join(per_rec, per_rec.c.recommendation_id == r.c.id).join(
                review_table, review_table.c.id == r.c.review_id
            )
        )
        .where(
            queries.is_completed_not_assured_sql(r, per_rec.c.open_n, per_rec.c.done_n, a=a),
            queries.recommendation_filter(src.filters, r, a),
        )
        .order_by(review_table.c.ref, r.c.id)
    )


def completed_not_assured(conn: Connection, src: Source) -> pd.DataFrame:
    """Recommendations whose delivery is done but which the board has not assured: at least one
    action, every action closed and at least one completed or assured (DESIGN §4: completed is
    not assured), and an assurance status still open (not assessed, or ready for assessment; a
    recommendation closed as unacceptable, superseded or not applicable is not waiting), and not
    :func:`monitoring.rules.recommendation_not_delivered` (e.g. its response was not accepted).

    :returns: DataFrame ``recommendation_id, review_ref, number, title, assurance_status``
        (code), ``actions`` (int), ordered by review and recommendation.
    """
    rows = conn.execute(_completed_not_assured_select(src)).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "recommendation_id",
            "review_ref",
            "number",
            "title",
            "assurance_status",
            "actions",
        ],
    )
    frame["actions"] = frame["actions"].astype(int)
    return frame


def item_location(conn: Connection, src: Source, kind: str, item_id: int) -> dict | None:
    """Where a search result lives, for a link to it: ``{"review_id", "review_ref",
    "recommendation_id", "action_id"}`` (``action_id`` None for a recommendation) of the
    ``kind`` (``"recommendation"`` or ``"action"``) with id ``item_id``, among the records the
    source's reader may read; None when there is no such item (or the reader may not read it).

    :raises ValueError: for another ``kind``.
    """
    from monitoring.db import review as review_table

    rec = src.records()
    if kind == "action":
        row = conn.execute(
            select(rec.a.c.review_id, review_table.c.ref, rec.a.c.recommendation_id, rec.a.c.id)
            .select_from(rec.a.join(review_table, review_table.c.id == rec.a.c.review_id))
            .where(rec.a.c.id == item_id)
        ).first()
    elif kind == "recommendation":
        row = conn.execute(
            select(rec.r.c.review_id, review_table.c.ref, rec.r.c.id, None)
            .select_from(rec.r.join(review_table, review_table.c.id == rec.r.c.review_id))
            .where(rec.r.c.id == item_id)
        ).first()
    else:
        raise ValueError(f"kind must be 'recommendation' or 'action', got {kind!r}")
    if row is None:
        return None
    return {
        "review_id": int(row[0]),
        "review_ref": row[1],
        "recommendation_id": int(row[2]),
        "action_id": None if row[3] is None else int(row[3]),
    }
