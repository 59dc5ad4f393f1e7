"""Full-text search over recommendation and action text.

SQLite: the FTS5 table ``search_text`` (Porter stemming) created and kept by the migration
``0002_search``; a database without it (built outside Alembic) falls back to a ``LIKE`` search.
An import does not index its rows inside the transaction that moves them in (issue 15: that
transaction holds the write lock): it records their id range in ``import_catchup`` (migration
``0009_search_catchup``) and :func:`monitoring.importer.writer.catch_up` indexes them after the
commit, a few thousand rows per short transaction (:func:`index_range`). Meanwhile
:func:`search` also reads the rows in those ranges with ``LIKE`` (every word a substring,
case-insensitive, not stemmed; ranked after the indexed matches), so no imported record is ever
missing from a search.
PostgreSQL: ``to_tsvector('english', ...) @@ plainto_tsquery('english', ...)`` on the expressions the
same migration indexes with GIN. Every word of the query must match (stemmed), in any order.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.sql.expression import Select

from monitoring import config
from monitoring.db import action, recommendation, review
from monitoring.queries import NO_FILTERS, Filters, action_filter, recommendation_filter

COLUMNS = ["kind", "item_id", "review_ref", "recommendation_number", "number", "text", "rank"]
"""Result columns: ``kind`` (recommendation or action), ``item_id`` (its id), ``review_ref``,
``recommendation_number``, ``number`` (action number, or the recommendation's), ``text`` (title
and text, or description and success measure), ``rank`` (higher is better)."""

_WORD = re.compile(r"\w+", re.UNICODE)

REC_BODY = (
    func.coalesce(recommendation.c.title, "") + " " + func.coalesce(recommendation.c.text, "")
)
ACTION_BODY = (
    func.coalesce(action.c.description, "") + " " + func.coalesce(action.c.success_measure, "")
)


FTS_BODIES = {
    "recommendation": "coalesce(title, '') || ' ' || coalesce(text, '')",
    "action": "coalesce(description, '') || ' ' || coalesce(success_measure, '')",
}
"""The SQL of each kind's indexed text on SQLite: the body the triggers of ``0002_search`` write
into ``search_text`` (the same text as :data:`REC_BODY` and :data:`ACTION_BODY`)."""


def index_rows(conn: Connection, kind: str, source: str) -> int:
    """Add the rows of the table ``source`` (e.g. the importer's staging table of new actions,
    with ``id`` and the kind's text columns) to SQLite's ``search_text`` in one statement,
    with the body the per-row insert trigger would give each row. Does nothing on PostgreSQL (the
    GIN index follows the table) or without a ``search_text`` table.

    :param kind: ``recommendation`` or ``action``.
    :returns: the number of rows indexed.
    """
    if conn.dialect.name != "sqlite" or not _has_fts(conn):
        return 0
    body = FTS_BODIES[kind]
    result = conn.exec_driver_sql(
        f"INSERT INTO search_text (kind, item_id, body) SELECT '{kind}', id, {body} FROM {source}"
    )
    return int(result.rowcount or 0)


def has_catchup(conn: Connection) -> bool:
    """True on SQLite with both ``search_text`` and ``import_catchup`` (migration
    ``0009_search_catchup``): an import may then leave its rows' indexing to the catch-up."""
    if conn.dialect.name != "sqlite":
        return False
    found = conn.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        " AND name IN ('search_text', 'import_catchup')"
    ).scalar()
    return int(found or 0) == 2


def pending_ranges(conn: Connection) -> dict[str, list[tuple[int, int]]]:
    """The id ranges of each kind (``recommendation``, ``action``) an import moved in and the
    catch-up has not indexed yet (``import_catchup``; none without it or off SQLite)."""
    if not has_catchup(conn):
        return {}
    ranges: dict[str, list[tuple[int, int]]] = {}
    for kind, first, last in conn.exec_driver_sql(
        "SELECT kind, first_id, last_id FROM import_catchup"
        " WHERE kind IN ('recommendation', 'action') ORDER BY kind, first_id"
    ):
        ranges.setdefault(kind, []).append((int(first), int(last)))
    return ranges


def index_range(conn: Connection, kind: str, first_id: int, last_id: int) -> int:
    """Add the rows of ``kind`` (``recommendation`` or ``action``) with ids ``first_id`` to
    ``last_id`` to ``search_text``, with the body the per-row trigger would give each row, in
    the caller's transaction (the catch-up's: it then moves its range on, see
    :func:`monitoring.importer.writer.catch_up`).

    :returns: the number of rows indexed.
    """
    body = FTS_BODIES[kind]
    result = conn.exec_driver_sql(
        f"INSERT INTO search_text (kind, item_id, body) SELECT '{kind}', id, {body}"
        f" FROM {kind} WHERE id BETWEEN ? AND ? ORDER BY id",
        (int(first_id), int(last_id)),
    )
    return int(result.rowcount or 0)


def words(query: str) -> list[str]:
    """The words of a search (letters and digits; punctuation and FTS syntax dropped)."""
    return _WORD.findall(query or "")


def search(
    conn: Connection,
    query: str,
    filters: Filters = NO_FILTERS,
    *,
    limit: int = 100,
    today: date | None = None,
    reviews: Select | None = None,
    before: str | None = None,
) -> pd.DataFrame:
    """Recommendations and actions whose text contains every word of ``query``.

    The review, review type, theme and agency filters apply (to a recommendation through its
    actions' lead agencies); RAG and status filters apply to actions only (RAG as on ``today``,
    default :func:`monitoring.config.today`). ``reviews``: SQL selecting the ids of the reviews the
    reader may read (None: all); ``before``: a timestamp text, only items recorded before it
    (an "as at" read; None: all).

    :returns: DataFrame of :data:`COLUMNS`, best match first; empty for a query with no words.
    """
    terms = words(query)
    if not terms:
        return pd.DataFrame(columns=COLUMNS)
    dialect = conn.dialect.name
    today = today or config.today()  # only the RAG filter uses it
    pending: dict[str, list[tuple[int, int]]] = {}
    if dialect == "postgresql":
        branches = [(recommendation, action, *_postgres(terms))]
    elif dialect == "sqlite" and _has_fts(conn):
        hits = _fts5_hits()
        rec_from = recommendation.join(
            hits, and_(hits.c.kind == "recommendation", hits.c.item_id == recommendation.c.id)
        )
        act_from = action.join(hits, and_(hits.c.kind == "action", hits.c.item_id == action.c.id))
        branches = [(rec_from, act_from, hits.c.score, literal(True), hits.c.score, literal(True))]
        pending = pending_ranges(conn)
        if pending:
            # rows an import moved in whose text the catch-up has not indexed yet: LIKE over
            # those ids only (never in the index, so never found twice)
            rec_rank, rec_like, act_rank, act_like = _like(terms)
            branches.append(
                (
                    recommendation,
                    action,
                    rec_rank,
                    and_(rec_like, _in_ranges(recommendation.c.id, pending.get("recommendation"))),
                    act_rank,
                    and_(act_like, _in_ranges(action.c.id, pending.get("action"))),
                )
            )
    else:
        branches = [(recommendation, action, *_like(terms))]
    selects = []
    for rec_from, act_from, rec_rank, rec_match, act_rank, act_match in branches:
        selects += _selects(
            filters, today, reviews, before, rec_from, act_from, rec_rank, rec_match, act_rank,
            act_match,
        )  # fmt: skip
    both = union_all(*selects).subquery()
    rows = conn.execute(
        select(both)
        .order_by(both.c.rank.desc(), both.c.review_ref, both.c.kind, both.c.item_id)
        .limit(limit),
        {"fts_query": " ".join(f'"{t}"' for t in terms), "plain_query": " ".join(terms)},
    ).all()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["rank"] = frame["rank"].astype(float)
    return frame


def _selects(
    filters: Filters,
    today: date,
    reviews: Select | None,
    before: str | None,
    rec_from,
    act_from,
    rec_rank,
    rec_match,
    act_rank,
    act_match,
) -> list[Select]:
    """The recommendations' and the actions' SELECT of :data:`COLUMNS` for one way of matching
    (``*_from`` the FROM, ``*_match`` the condition, ``*_rank`` the rank), with the filters and
    the reader's scope applied."""
    rec_scope: list = []
    act_scope: list = []
    if reviews is not None:
        rec_scope.append(recommendation.c.review_id.in_(reviews))
        act_scope.append(action.c.review_id.in_(reviews))
    if before is not None:
        rec_scope.append(
            or_(recommendation.c.created_at.is_(None), recommendation.c.created_at < before)
        )
        act_scope.append(or_(action.c.created_at.is_(None), action.c.created_at < before))
    recs = (
        select(
            literal("recommendation").label("kind"),
            recommendation.c.id.label("item_id"),
            review.c.ref.label("review_ref"),
            recommendation.c.number.label("recommendation_number"),
            recommendation.c.number.label("number"),
            REC_BODY.label("text"),
            rec_rank.label("rank"),
        )
        .select_from(rec_from)
        .where(
            recommendation.c.review_id == review.c.id,
            rec_match,
            recommendation_filter(filters),
            *rec_scope,
        )
    )
    if filters.rag or filters.statuses:
        recs = recs.where(
            recommendation.c.id.in_(
                select(action.c.recommendation_id).where(action_filter(filters, today))
            )
        )
    acts = (
        select(
            literal("action").label("kind"),
            action.c.id.label("item_id"),
            review.c.ref.label("review_ref"),
            recommendation.c.number.label("recommendation_number"),
            action.c.number.label("number"),
            ACTION_BODY.label("text"),
            act_rank.label("rank"),
        )
        .select_from(act_from)
        .where(
            action.c.review_id == review.c.id,
            action.c.recommendation_id == recommendation.c.id,
            act_match,
            action_filter(filters, today),
            *act_scope,
        )
    )
    return [recs, acts]


def _in_ranges(column, ranges: list[tuple[int, int]] | None):
    if not ranges:
        return false()
    return or_(*[column.between(first, last) for first, last in ranges])


def _has_fts(conn: Connection) -> bool:
    return (
        conn.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'search_text' AND type = 'table'")
        ).first()
        is not None
    )


def _fts5_hits():
    """FTS5 matches with their bm25 score (negated: higher is better), as a MATERIALIZED CTE so
    that bm25 runs in the query that does the MATCH and the index is searched once."""
    fts = table("search_text", column("kind"), column("item_id"))
    return (
        select(
            fts.c.kind,
            fts.c.item_id,
            (-func.bm25(literal_column("search_text"))).label("score"),
        )
        .select_from(fts)
        .where(text("search_text MATCH :fts_query"))
        .cte("hits")
        .prefix_with("MATERIALIZED")
    )


def _postgres(terms: list[str]):
    query = func.plainto_tsquery("english", bindparam("plain_query"))
    rec_vector = func.to_tsvector("english", REC_BODY)
    act_vector = func.to_tsvector("english", ACTION_BODY)
    return (
        func.ts_rank(rec_vector, query),
        rec_vector.op("@@")(query),
        func.ts_rank(act_vector, query),
        act_vector.op("@@")(query),
    )


def _like(terms: list[str]):
    def every(body):
        return and_(*[func.lower(body).contains(t.lower(), autoescape=True) for t in terms])

    return literal(1.0), every(REC_BODY), literal(1.0), every(ACTION_BODY)


__all__ = [
    "COLUMNS",
    "FTS_BODIES",
    "has_catchup",
    "index_range",
    "index_rows",
    "pending_ranges",
    "search",
    "words",
]
