"""agency scorecard roll-up: the scorecard's counts per review and lead agency

``review_agency_rollup`` (kept by :mod:`monitoring.rollups`) held only the overdue actions per
review and lead agency, and only pairs with one. It now holds one row for every review and lead
agency with an action, and the Agencies page's additive figures
(:data:`monitoring.queries.AGENCY_COUNTS`): ``actions``, ``open_actions``, ``overdue``,
``overdue_90``, ``completed``, ``timed``, ``on_time``, ``date_changes``, and ``last_update_on``
(the latest update, combined by ``max``). Every review's roll-up row is marked dirty, so the
first write (or the first view of the overview) recounts them; until then the reads count live.

``ix_action_open_agency_due``: a partial index on the open actions' ``(lead_agency_id, due_on,
status)`` (``status`` so that it covers the query, which repeats the index's condition).
The median days overdue cannot be added up from per-review parts; it is read exactly, per
agency, as the middle one or two of its ``n`` overdue actions in target-date order
(``ORDER BY due_on LIMIT 1 or 2 OFFSET (n - 1) / 2``), ``n`` taken from the roll-up. This index
makes that a walk over half of one agency's overdue actions, not a sort of all of them.

Revision ID: 0010_agency_scorecard_rollup
Revises: 0008_agency_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_agency_scorecard_rollup"
down_revision = "0008_agency_merge"
branch_labels = None
depends_on = None

COUNTS = ("actions", "open_actions", "overdue_90", "completed", "timed", "on_time", "date_changes")
"""The new count columns (``overdue`` was there)."""
OPEN = "status IN ('not_started', 'in_progress')"
"""The open statuses (``monitoring.db.OPEN_STATUSES``), as written in the index's WHERE clause and
in the query that uses it (``monitoring.rollups.OPEN_ACTION_SQL``)."""


def _mark_every_review_dirty() -> None:
    op.execute(
        sa.text("UPDATE review_rollup SET dirty = :dirty").bindparams(
            sa.bindparam("dirty", True, type_=sa.Boolean)
        )
    )
    op.execute("DELETE FROM review_agency_rollup")


def upgrade() -> None:
    _mark_every_review_dirty()
    for name in COUNTS:
        op.add_column(
            "review_agency_rollup",
            sa.Column(name, sa.Integer, nullable=False, server_default="0"),
        )
    op.add_column("review_agency_rollup", sa.Column("last_update_on", sa.String(10)))
    op.create_index(
        "ix_action_open_agency_due",
        "action",
        ["lead_agency_id", "due_on", "status"],
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_action_open_agency_due", table_name="action")
    _mark_every_review_dirty()
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of the table would trip
    # the 0005 triggers that name it.
    for name in ("last_update_on", *reversed(COUNTS)):
        op.execute(f"ALTER TABLE review_agency_rollup DROP COLUMN {name}")
