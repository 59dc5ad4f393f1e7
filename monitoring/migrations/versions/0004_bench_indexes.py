"""covering indexes for the overview (found by ``python -m monitoring bench``)

Three indexes on ``action`` are widened so that the overview's queries read only the index, never
the table rows (see BENCHMARKS.md, "Profiles and fixes"):

- ``ix_action_status_due``: (status, due_on) + (last_update_on, created_at) for the tiles;
- ``ix_action_review``: (review_id, status, due_on) + (due_date_changes, rag_override,
  rag_override_reason) for RAG by review;
- ``ix_action_recommendation``: (recommendation_id) + (status) for "implemented".

Revision ID: 0004_bench_indexes
Revises: 0001
"""

from alembic import op

revision = "0004_bench_indexes"
down_revision = "0001"
branch_labels = None
depends_on = None

WIDE = {
    "ix_action_status_due": ["status", "due_on", "last_update_on", "created_at"],
    "ix_action_review": [
        "review_id",
        "status",
        "due_on",
        "due_date_changes",
        "rag_override",
        "rag_override_reason",
    ],
    "ix_action_recommendation": ["recommendation_id", "status"],
}
NARROW = {
    "ix_action_status_due": ["status", "due_on"],
    "ix_action_review": ["review_id", "status", "due_on"],
    "ix_action_recommendation": ["recommendation_id"],
}


def _replace(columns_by_name: dict[str, list[str]]) -> None:
    for name, columns in columns_by_name.items():
        op.drop_index(name, table_name="action")
        op.create_index(name, "action", columns, unique=False)


def upgrade() -> None:
    _replace(WIDE)


def downgrade() -> None:
    _replace(NARROW)
