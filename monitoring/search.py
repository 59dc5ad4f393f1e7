"""Full-text search over recommendation and action text.

SQLite: the FTS5 table ``search_text`` (Porter stemming) created and kept by the migration
``0002_search`` (the importer's bulk move-in adds its rows with :func:`index_rows` instead, in
the same transaction); a database without it (built outside Alembic) falls back to a ``LIKE``
search.
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
    rec_from, act_from = recommendation, action
    if dialect == "postgresql":
        rec_rank, rec_match, act_rank, act_match = _postgres(terms)
    elif dialect == "sqlite" and _has_fts(conn):
        hits = _fts5_hits()
        rec_from = recommendation.join(
            hits, and_(hits.c.kind == "recommendation", hits.c.item_id == recommendation.c.id)
        )
        act_from = action.join(hits, and_(hits.c.kind == "action", hits.c.item_id == action.c.id))
        rec_rank = act_rank = hits.c.score
        rec_match = act_match = literal(True)
    else:
        rec_rank, rec_match, act_rank, act_match = _like(terms)
    today = today or config.today()  # only the RAG filter uses it
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
    both = union_all(recs, acts).subquery()
    rows = conn.execute(
        select(both)
        .order_by(both.c.rank.desc(), both.c.review_ref, both.c.kind, both.c.item_id)
        .limit(limit),
        {"fts_query": " ".join(f'"{t}"' for t in terms), "plain_query": " ".join(terms)},
    ).all()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["rank"] = frame["rank"].astype(float)
    return frame


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


__all__ = ["COLUMNS", "FTS_BODIES", "index_rows", "search", "words"]
