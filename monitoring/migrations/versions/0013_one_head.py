"""one head: joins the branches that parallel work left (``0002_search``, ``0009_search_catchup``,
``0011_tile_rollup``, ``0012_history_indexes``) so that the next migration has one parent and
``alembic heads`` names one revision. Changes nothing in the schema.

Revision ID: 0013_one_head
Revises: 0002_search, 0009_search_catchup, 0011_tile_rollup, 0012_history_indexes
"""

revision = "0013_one_head"
down_revision = (
    "0002_search",
    "0009_search_catchup",
    "0011_tile_rollup",
    "0012_history_indexes",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
