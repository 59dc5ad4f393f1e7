"""indexes for "changes since the last meeting" and the assurance queue (issue 18)

- ``ix_audit_entity_field_effective`` on ``audit_log (entity, field, effective_on, at)``: the
  changes between two meetings (:mod:`monitoring.changes`) read the audited status and
  target-date edits of actions dated in a window, by ``effective_on``, or by ``at`` where it is
  not known. Before, every audit row of every action was read (``ix_audit_entity``) to keep a few
  thousand; now both halves of the window are index ranges.
- ``ix_action_status_completed`` on ``action (status, completed_on)``: the assurance queue lists
  the completed actions longest waiting first and the Assurance page shows its first rows; the
  index gives them in that order, so the first 500 are read without sorting every completed
  action.

Revision ID: 0012_history_indexes
Revises: 0010_agency_scorecard_rollup
"""

from alembic import op

revision = "0012_history_indexes"
down_revision = "0010_agency_scorecard_rollup"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_audit_entity_field_effective": ("audit_log", ["entity", "field", "effective_on", "at"]),
    "ix_action_status_completed": ("action", ["status", "completed_on"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
