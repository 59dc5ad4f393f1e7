"""impact measures: measure, measure_observation (append-only versions) and feedback

- ``measure``: a recommendation's (or a theme's) measure of changed practice: name, definition
  (numerator and denominator in words), unit, which direction is better, baseline, target,
  source, owning agency, frequency, and a recorded change from which process limits are
  recalculated;
- ``measure_observation``: a value per period end; a correction is a new row with the next
  version, so the value in force on any recording date can be rebuilt;
- ``feedback``: dated, anonymised voice of the child and family, beside a recommendation.

Revision ID: 0007_measures
Revises: 0006_effective_dates
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_measures"
down_revision = "0006_effective_dates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "recommendation_id",
            sa.Integer,
            sa.ForeignKey("recommendation.id", ondelete="CASCADE"),
        ),
        sa.Column("theme_id", sa.Integer, sa.ForeignKey("theme.id", ondelete="CASCADE")),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("numerator", sa.Text),
        sa.Column("denominator", sa.Text),
        sa.Column("unit", sa.String(10), nullable=False, server_default="percent"),
        sa.Column("better", sa.String(4), nullable=False, server_default="up"),
        sa.Column("baseline_value", sa.Float),
        sa.Column("baseline_from", sa.String(10)),
        sa.Column("baseline_to", sa.String(10)),
        sa.Column("target_value", sa.Float),
        sa.Column("target_on", sa.String(10)),
        sa.Column("source", sa.String(20), nullable=False, server_default="performance"),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agency.id")),
        sa.Column("frequency", sa.String(10), nullable=False, server_default="monthly"),
        sa.Column("change_from", sa.String(10)),
        sa.Column("change_note", sa.Text),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(320)),
        sa.Column("updated_at", sa.String(32)),
    )
    op.create_index("ix_measure_recommendation", "measure", ["recommendation_id"])
    op.create_table(
        "measure_observation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "measure_id",
            sa.Integer,
            sa.ForeignKey("measure.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("period_end", sa.String(10), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("numerator", sa.Float),
        sa.Column("denominator", sa.Float),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("recorded_by", sa.String(320)),
        sa.UniqueConstraint(
            "measure_id", "period_end", "version", name="uq_measure_observation_period_version"
        ),
    )
    op.create_index(
        "ix_measure_observation_measure",
        "measure_observation",
        ["measure_id", "period_end", "recorded_at"],
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "recommendation_id",
            sa.Integer,
            sa.ForeignKey("recommendation.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("received_on", sa.String(10), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("recorded_by", sa.String(320)),
    )
    op.create_index("ix_feedback_recommendation", "feedback", ["recommendation_id", "received_on"])


def downgrade() -> None:
    op.drop_index("ix_feedback_recommendation", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_measure_observation_measure", table_name="measure_observation")
    op.drop_table("measure_observation")
    op.drop_index("ix_measure_recommendation", table_name="measure")
    op.drop_table("measure")
