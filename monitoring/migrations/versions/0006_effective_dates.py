"""effective dates: when a change happened in the world, beside when it was recorded here

Adds ``effective_on`` (ISO date text, a Europe/London calendar date; NULL means "date not known")
to ``action_update``, ``audit_log`` and ``due_date_change``. The services write the London date of
the moment of the change; the importer writes the date its source gives (the tracker's update
date, a progress heading's date, the document's as-of date, a PFD report's date) and NULL where
none can be known. Existing rows are dated from their recorded UTC timestamp (``created_at``,
``at``, ``requested_at``) converted to the London date, which is what they meant until now.

Revision ID: 0006_effective_dates
Revises: 0005_rollups
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0006_effective_dates"
down_revision = "0005_rollups"
branch_labels = None
depends_on = None

TABLES = {"action_update": "created_at", "audit_log": "at", "due_date_change": "requested_at"}
INDEXES = {
    "action_update": ("ix_action_update_effective", ["effective_on"]),
    "audit_log": ("ix_audit_effective", ["effective_on"]),
}
LONDON = ZoneInfo("Europe/London")
BATCH = 5000


def _london(stamp: str | None) -> str | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(LONDON).date().isoformat()


def upgrade() -> None:
    bind = op.get_bind()
    for table, stamp in TABLES.items():
        op.add_column(table, sa.Column("effective_on", sa.String(10), nullable=True))
        # Timestamps are UTC text; a London date is the timestamp moved to Europe/London. Done in
        # Python (zoneinfo) so that both backends get the same dates whatever their time zone
        # tables; distinct timestamps only, so a 1M-row log costs one pass.
        stamps = [
            r[0]
            for r in bind.execute(
                sa.text(f'SELECT DISTINCT "{stamp}" FROM "{table}" WHERE "{stamp}" IS NOT NULL')
            )
        ]
        pairs = [{"s": s, "d": _london(s)} for s in stamps]
        query = sa.text(f'UPDATE "{table}" SET effective_on = :d WHERE "{stamp}" = :s')
        for start in range(0, len(pairs), BATCH):
            bind.execute(query, pairs[start : start + BATCH])
    for table, (name, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, (name, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("effective_on")
