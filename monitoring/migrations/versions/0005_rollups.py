"""roll-ups: per-review counts for the overview, marked dirty by triggers on every write

Two derived tables (:mod:`monitoring.rollups` counts into them):

- ``review_rollup``: one row per review: ``dirty``, the "today" and thresholds the row was counted
  for (``counted_for``, ``window_days``, ``stale_days``), and the counts (actions, open, overdue,
  due soon, no target date, stale, RAG, recommendations, implemented, assured);
- ``review_agency_rollup``: overdue actions per review and lead agency.

Triggers on ``action``, ``recommendation`` and ``review`` mark the affected reviews' rows dirty
(an upsert, so a review with no row yet gets one) on INSERT, UPDATE and DELETE, whatever writes:
the services, the importer, ``copy``, the demo loader, or plain SQL. An action marks its own
``review_id`` and, when it differs, its recommendation's review (old and new rows on UPDATE). A
deleted review's rows are deleted; a new review gets a dirty row (ids may be reused on SQLite).
Every review present at upgrade gets a dirty row: the first write (or the first view, see
:func:`monitoring.rollups.refresh_stale`) counts them.

Revision ID: 0005_rollups
Revises: 0004_bench_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_rollups"
down_revision = "0004_bench_indexes"
branch_labels = None
depends_on = None

COUNTS = (
    "actions",
    "open_actions",
    "overdue",
    "due_soon",
    "no_due_date",
    "stale",
    "red",
    "amber",
    "green",
    "blue",
    "grey",
    "recommendations",
    "implemented",
    "assured",
)

UPSERT = (
    "INSERT INTO review_rollup (review_id, dirty) {source} "
    "ON CONFLICT (review_id) DO UPDATE SET dirty = {true}"
)


def _sqlite_marks(row: str, with_recommendation: bool) -> list[str]:
    """Statements marking the review of ``row`` (``NEW`` or ``OLD``) dirty, in a SQLite trigger."""
    marks = [UPSERT.format(source=f"VALUES ({row}.review_id, 1)", true="1")]
    if with_recommendation:
        marks.append(
            UPSERT.format(
                source=(
                    "SELECT review_id, 1 FROM recommendation"
                    f" WHERE id = {row}.recommendation_id AND review_id <> {row}.review_id"
                ),
                true="1",
            )
        )
    return marks


def _sqlite_up() -> list[str]:
    statements = []
    for table, with_rec in (("action", True), ("recommendation", False)):
        for event, rows in (
            ("insert", ("NEW",)),
            ("update", ("OLD", "NEW")),
            ("delete", ("OLD",)),
        ):
            body = "; ".join(m for row in rows for m in _sqlite_marks(row, with_rec))
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_rollup_{event} AFTER {event.upper()}"
                f" ON {table} BEGIN {body}; END"
            )
    statements += [
        "CREATE TRIGGER IF NOT EXISTS review_rollup_insert AFTER INSERT ON review BEGIN "
        + UPSERT.format(source="VALUES (NEW.id, 1)", true="1")
        + "; END",
        "CREATE TRIGGER IF NOT EXISTS review_rollup_delete AFTER DELETE ON review BEGIN "
        "DELETE FROM review_agency_rollup WHERE review_id = OLD.id; "
        "DELETE FROM review_rollup WHERE review_id = OLD.id; END",
    ]
    return statements


SQLITE_TRIGGERS = [
    f"{table}_rollup_{event}"
    for table in ("action", "recommendation", "review")
    for event in ("insert", "update", "delete")
    if not (table == "review" and event == "update")
]

PG_MARK = UPSERT.format(
    source="SELECT DISTINCT x, true FROM unnest(ids) AS x WHERE x IS NOT NULL ORDER BY x",
    true="true",
)
POSTGRES_UP = [
    """
CREATE OR REPLACE FUNCTION action_rollup_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids integer[];
BEGIN
    IF TG_OP <> 'INSERT' THEN
        ids := ids || OLD.review_id
            || (SELECT review_id FROM recommendation WHERE id = OLD.recommendation_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        ids := ids || NEW.review_id
            || (SELECT review_id FROM recommendation WHERE id = NEW.recommendation_id);
    END IF;
    """
    + PG_MARK
    + """;
    RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION recommendation_rollup_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids integer[];
BEGIN
    IF TG_OP <> 'INSERT' THEN
        ids := ids || OLD.review_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        ids := ids || NEW.review_id;
    END IF;
    """
    + PG_MARK
    + """;
    RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION review_rollup_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM review_agency_rollup WHERE review_id = OLD.id;
        DELETE FROM review_rollup WHERE review_id = OLD.id;
    ELSE
        """
    + UPSERT.format(source="VALUES (NEW.id, true)", true="true")
    + """;
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER action_rollup AFTER INSERT OR UPDATE OR DELETE ON action"
    " FOR EACH ROW EXECUTE FUNCTION action_rollup_dirty()",
    "CREATE TRIGGER recommendation_rollup AFTER INSERT OR UPDATE OR DELETE ON recommendation"
    " FOR EACH ROW EXECUTE FUNCTION recommendation_rollup_dirty()",
    "CREATE TRIGGER review_rollup AFTER INSERT OR DELETE ON review"
    " FOR EACH ROW EXECUTE FUNCTION review_rollup_rows()",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS action_rollup ON action",
    "DROP TRIGGER IF EXISTS recommendation_rollup ON recommendation",
    "DROP TRIGGER IF EXISTS review_rollup ON review",
    "DROP FUNCTION IF EXISTS action_rollup_dirty()",
    "DROP FUNCTION IF EXISTS recommendation_rollup_dirty()",
    "DROP FUNCTION IF EXISTS review_rollup_rows()",
]


def upgrade() -> None:
    op.create_table(
        "review_rollup",
        sa.Column("review_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("dirty", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("counted_for", sa.String(10)),
        sa.Column("window_days", sa.Integer),
        sa.Column("stale_days", sa.Integer),
        sa.Column("counted_at", sa.String(32)),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in COUNTS),
    )
    op.create_table(
        "review_agency_rollup",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("review_id", sa.Integer, nullable=False),
        sa.Column("lead_agency_id", sa.Integer),
        sa.Column("overdue", sa.Integer, nullable=False),
    )
    op.create_index("ix_review_agency_rollup_review", "review_agency_rollup", ["review_id"])
    # Covering: overdue by agency over every stored row is one pass in agency order.
    op.create_index(
        "ix_review_agency_rollup_agency",
        "review_agency_rollup",
        ["lead_agency_id", "review_id", "overdue"],
    )
    op.execute(
        sa.text(
            "INSERT INTO review_rollup (review_id, dirty) SELECT id, :dirty FROM review"
        ).bindparams(sa.bindparam("dirty", True, type_=sa.Boolean))
    )
    bind = op.get_bind()
    for statement in _sqlite_up() if bind.dialect.name == "sqlite" else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    op.drop_index("ix_review_agency_rollup_agency", table_name="review_agency_rollup")
    op.drop_index("ix_review_agency_rollup_review", table_name="review_agency_rollup")
    op.drop_table("review_agency_rollup")
    op.drop_table("review_rollup")
