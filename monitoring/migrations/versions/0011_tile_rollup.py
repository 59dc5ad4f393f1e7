"""tile roll-up: the Overview's board tiles counted per review

``review_rollup`` (kept by :mod:`monitoring.rollups`) gains the counts behind the Overview's
board tiles (issue 18, BENCHMARKS.md 6h), per review:

- ``escalated``: open actions escalated to the board on the day counted for
  (:func:`monitoring.queries.is_escalated_to_board_sql`), with ``board_days``: the ladder's
  board-level days (``MONITORING_ESCALATION_DAYS``) they were counted for;
- ``reported_completed``: actions the agency reports ``completed`` (not yet assured);
- ``ready_for_assurance``: recommendations ready for assurance
  (:func:`monitoring.queries.is_ready_for_assurance_sql`);
- ``completed_not_assured``: recommendations completed but not assured
  (:func:`monitoring.queries.is_completed_not_assured_sql`).

Actions are counted by their ``review_id``, recommendations by theirs, as the lists' review
filters do. Every row is marked dirty, so the first write (or the first view of the Overview)
recounts them; until then the reads count live.

Of the two parts of "decisions needed" still counted live, responses overdue get an index,
``ix_recommendation_response`` (``response_status, response_due_on``), so that they are a range
search, not a pass over every row. Target-date changes pending get none: an index on
``due_date_change (decision, …)`` made SQLite, without statistics, join the "as at" rebuild's
ranked date changes by scanning them once per action (``tests/test_size.py``), and the pending
count costs about 0.1 s at 1M without it.

Revision ID: 0011_tile_rollup
Revises: 0010_agency_scorecard_rollup
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_tile_rollup"
down_revision = "0010_agency_scorecard_rollup"
branch_labels = None
depends_on = None

COUNTS = ("escalated", "reported_completed", "ready_for_assurance", "completed_not_assured")
"""The new count columns of ``review_rollup`` (``monitoring.rollups.TILE_COUNTS``)."""


def _mark_every_review_dirty() -> None:
    op.execute(
        sa.text("UPDATE review_rollup SET dirty = :dirty").bindparams(
            sa.bindparam("dirty", True, type_=sa.Boolean)
        )
    )


def upgrade() -> None:
    _mark_every_review_dirty()
    for name in COUNTS:
        op.add_column(
            "review_rollup", sa.Column(name, sa.Integer, nullable=False, server_default="0")
        )
    op.add_column("review_rollup", sa.Column("board_days", sa.Integer))
    op.create_index(
        "ix_recommendation_response", "recommendation", ["response_status", "response_due_on"]
    )


def downgrade() -> None:
    op.drop_index("ix_recommendation_response", table_name="recommendation")
    _mark_every_review_dirty()
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of the table would trip
    # the 0005 triggers that name it.
    for name in ("board_days", *reversed(COUNTS)):
        op.execute(f"ALTER TABLE review_rollup DROP COLUMN {name}")
