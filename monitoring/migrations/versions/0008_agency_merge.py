"""agency merges: what each merge of a duplicate agency moved, so that it can be undone exactly

``agency_merge``: one row per agency merged into another (:mod:`monitoring.agencies`): the kept
and the merged agency, who merged and when, who undid it and when (empty while it stands), and
``moved``: a JSON object of the ids that moved (``actions``, ``aliases``, ``users``), the alias
ids the merge added (``added_aliases``) and the merged agency's ``active`` flag before.

Revision ID: 0008_agency_merge
Revises: 0007_measures
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_agency_merge"
down_revision = "0007_measures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agency_merge",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kept_agency_id", sa.Integer, sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("merged_agency_id", sa.Integer, sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("merged_name", sa.String(300), nullable=False),
        sa.Column("merged_by", sa.String(320), nullable=False),
        sa.Column("merged_at", sa.String(32), nullable=False),
        sa.Column("moved", sa.Text, nullable=False),
        sa.Column("undone_by", sa.String(320)),
        sa.Column("undone_at", sa.String(32)),
    )
    op.create_index("ix_agency_merge_kept", "agency_merge", ["kept_agency_id"])
    op.create_index("ix_agency_merge_merged", "agency_merge", ["merged_agency_id"])


def downgrade() -> None:
    op.drop_index("ix_agency_merge_merged", table_name="agency_merge")
    op.drop_index("ix_agency_merge_kept", table_name="agency_merge")
    op.drop_table("agency_merge")
