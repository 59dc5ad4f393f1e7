"""The public register: a standalone SQLite file of published reviews and their recommendations.

``python -m monitoring publish --out public.db`` builds it with sqlite-utils, ready for
``datasette public.db``. It holds only reviews an administrator has published (a publication
date set in the app, :func:`is_published`: an import never publishes), their recommendations
and how far each has got (implementation and assurance), with full-text search over
recommendations and reviews. It holds no actions, no progress notes, no officer names, no
e-mail addresses and no evidence: nothing that identifies a member of staff or a family.

The file is written to a temporary name and moved into place, so a failed run leaves any earlier
register untouched.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import sqlite_utils
from sqlalchemy import Connection, and_, select

from monitoring import config, files, queries, rules, vocabulary
from monitoring.db import action, agency, recommendation, review
from monitoring.vocabulary import ASSURANCE_LABELS, RESPONSE_LABELS  # noqa: F401

REVIEW_COLUMNS = {
    "id": int,
    "ref": str,
    "title": str,
    "review_type": str,
    "board": str,
    "published_on": str,
    "status": str,
    "summary": str,
    "source_url": str,
    "recommendations": int,
    "pct_implemented": float,
    "pct_assured": float,
}
RECOMMENDATION_COLUMNS = {
    "id": int,
    "review_id": int,
    "review_ref": str,
    "number": str,
    "title": str,
    "text": str,
    "scope": str,
    "national_dependency": int,
    "response": str,
    "assurance": str,
    "implementation": str,
    "lead_agencies": str,
    "actions": int,
    "actions_closed": int,
}


def is_published():
    """SQL condition on ``review``: published by an administrator (case 13), that is, a
    publication date set (:func:`monitoring.services.set_review_publication`; imports never set
    one) and a status other than ``unpublished``."""
    return and_(review.c.published_on.is_not(None), review.c.status != "unpublished")


def published_review_ids(conn: Connection) -> list[int]:
    """Ids of reviews the public may see (:func:`is_published`), by ref."""
    return list(
        conn.execute(select(review.c.id).where(is_published()).order_by(review.c.ref)).scalars()
    )


def register_rows(conn: Connection, today: date) -> tuple[list[dict], list[dict]]:
    """The register's rows: ``(reviews, recommendations)`` as dicts with the keys of
    :data:`REVIEW_COLUMNS` and :data:`RECOMMENDATION_COLUMNS`, published reviews only.

    Progress figures use the dashboard's read models (:func:`monitoring.queries.review_register`,
    :func:`monitoring.queries.review_detail`) with ``today`` for the date rules.
    """
    ids = published_review_ids(conn)
    register = queries.review_register(conn, today).set_index("review_id")
    details = conn.execute(
        select(review).where(review.c.id.in_(ids)).order_by(review.c.ref)
    ).mappings()
    reviews = []
    for r in details:
        stats = register.loc[r["id"]] if r["id"] in register.index else None
        reviews.append(
            {
                "id": r["id"],
                "ref": r["ref"],
                "title": r["title"],
                "review_type": r["review_type"],
                "board": r["board"],
                "published_on": r["published_on"],
                "status": r["status"],
                "summary": r["summary"],
                "source_url": r["source_url"],
                "recommendations": int(stats["recommendations"]) if stats is not None else 0,
                "pct_implemented": _float(stats["pct_implemented"]) if stats is not None else None,
                "pct_assured": _float(stats["pct_assured"]) if stats is not None else None,
            }
        )
    agencies = {
        (row.recommendation_id, row.name)
        for row in conn.execute(
            select(action.c.recommendation_id, agency.c.name)
            .select_from(action.join(agency, agency.c.id == action.c.lead_agency_id))
            .where(action.c.review_id.in_(ids))
            .distinct()
        )
    }
    recs = []
    ref_of = {r["id"]: r["ref"] for r in reviews}
    for review_id in ids:
        detail = queries.review_detail(conn, review_id, today)
        texts = dict(
            conn.execute(
                select(recommendation.c.id, recommendation.c.text).where(
                    recommendation.c.review_id == review_id
                )
            ).all()
        )
        scopes = dict(
            conn.execute(
                select(recommendation.c.id, recommendation.c.scope).where(
                    recommendation.c.review_id == review_id
                )
            ).all()
        )
        for rec_id, part in detail.groupby("recommendation_id", sort=False):
            first = part.iloc[0]
            with_actions = part[part["action_id"].notna()]
            recs.append(
                {
                    "id": int(rec_id),
                    "review_id": review_id,
                    "review_ref": ref_of[review_id],
                    "number": first["recommendation_number"],
                    "title": first["recommendation_title"],
                    "text": texts.get(rec_id),
                    "scope": scopes.get(rec_id),
                    "national_dependency": int(bool(first["national_dependency"])),
                    "response": RESPONSE_LABELS.get(
                        first["response_status"], first["response_status"]
                    ),
                    "assurance": ASSURANCE_LABELS.get(
                        first["assurance_status"], first["assurance_status"]
                    ),
                    "implementation": vocabulary.IMPLEMENTATION_LABELS.get(
                        first["implementation"], first["implementation"]
                    ),
                    "lead_agencies": ", ".join(sorted(n for i, n in agencies if i == rec_id)),
                    "actions": len(with_actions),
                    "actions_closed": int(
                        sum(not rules.is_open(s) for s in with_actions["status"])
                    ),
                }
            )
    return reviews, recs


def _float(value) -> float | None:
    return None if value is None or value != value else float(value)


def publish(conn: Connection, out: Path | str, *, today: date | None = None) -> dict[str, int]:
    """Build the public register at ``out`` (replacing any file there only on success).

    Tables: ``reviews`` (:data:`REVIEW_COLUMNS`), ``recommendations``
    (:data:`RECOMMENDATION_COLUMNS`, foreign key to ``reviews``), ``register_info``
    (``as_at``, the date the figures are calculated for); full-text search on
    ``recommendations(title, text)`` and ``reviews(title, summary)``.

    :param today: date for the rules (default :func:`monitoring.config.today`).
    :returns: rows written per table.
    """
    today = today or config.today()
    reviews, recs = register_rows(conn, today)
    out = Path(out)
    files.private_parents(out)
    handle, temp_name = tempfile.mkstemp(suffix=".db", dir=out.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        temp.unlink()
        files.secure_sqlite(temp)  # an empty owner-only file: SQLite keeps its mode
        public = sqlite_utils.Database(temp)
        public["reviews"].create(REVIEW_COLUMNS, pk="id")
        public["reviews"].insert_all(reviews)
        public["recommendations"].create(
            RECOMMENDATION_COLUMNS, pk="id", foreign_keys=[("review_id", "reviews", "id")]
        )
        public["recommendations"].insert_all(recs)
        public["register_info"].insert(
            {"as_at": today.isoformat(), "source": "Safeguarding learning monitor"}
        )
        public["recommendations"].enable_fts(["title", "text"], create_triggers=True)
        public["reviews"].enable_fts(["title", "summary"], create_triggers=True)
        public["recommendations"].create_index(["review_id"])
        public.conn.commit()
        public.close()
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return {"reviews": len(reviews), "recommendations": len(recs)}


def search(path: Path | str, words: str) -> list[dict]:
    """Recommendations in the register at ``path`` matching ``words`` (SQLite FTS), best first.

    :returns: dicts with the ``recommendations`` columns.
    """
    public = sqlite_utils.Database(path)
    try:
        return list(public["recommendations"].search(words))
    finally:
        public.close()


__all__ = [
    "is_published",
    "publish",
    "published_review_ids",
    "register_rows",
    "review_publication",
    "search",
]


def review_publication(conn: Connection) -> pd.DataFrame:
    """Every review with its publication state, for the administrators' publish control:
    ``id, ref, title, status, published_on`` (ISO text or None), by ref."""
    rows = conn.execute(
        select(
            review.c.id, review.c.ref, review.c.title, review.c.status, review.c.published_on
        ).order_by(review.c.ref)
    ).all()
    return pd.DataFrame(rows, columns=["id", "ref", "title", "status", "published_on"])
