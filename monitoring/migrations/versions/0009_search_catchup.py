"""import catch-up: derived data an import brings up to date after its commit

``import_catchup`` (:mod:`monitoring.importer.writer`, :func:`~monitoring.importer.writer.catch_up`):

- ``kind`` ``recommendation`` or ``action``: the ids ``first_id`` to ``last_id`` an import moved
  in whose text is not yet in SQLite's ``search_text``. :mod:`monitoring.search` also reads those
  rows with ``LIKE``, so a search never misses them; the catch-up indexes them a few thousand at
  a time, each in its own short transaction, moving ``first_id`` on.
- ``kind`` ``review``: review ``first_id`` (= ``last_id``) whose roll-up an import left dirty
  (reads count it live): :func:`monitoring.rollups.refresh_pending` leaves it to the catch-up
  instead of making the next save recount it.

SQLite: the ``recommendation``/``action`` search triggers of ``0002_search`` that add a row's
text (``*_search_insert``, ``*_search_update``) are created again with ``WHEN NOT EXISTS`` a
pending range holding the row: the catch-up alone indexes the rows in a range (their current
text, whatever was saved meanwhile), so no row is ever indexed twice.

Revision ID: 0009_search_catchup
Revises: 0008_agency_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_search_catchup"
down_revision = "0008_agency_merge"
branch_labels = None
depends_on = None

REC_BODY = "coalesce({t}title, '') || ' ' || coalesce({t}text, '')"
ACTION_BODY = "coalesce({t}description, '') || ' ' || coalesce({t}success_measure, '')"
TABLES = (
    ("recommendation", REC_BODY, "title, text"),
    ("action", ACTION_BODY, "description, success_measure"),
)


def _not_pending(kind: str) -> str:
    return (
        "WHEN NOT EXISTS (SELECT 1 FROM import_catchup c WHERE c.kind = "
        f"'{kind}' AND new.id BETWEEN c.first_id AND c.last_id) "
    )


def _triggers(guarded: bool) -> list[str]:
    statements = []
    for table, body, columns in TABLES:
        when = _not_pending(table) if guarded else ""
        values = f"VALUES ('{table}', new.id, {body.format(t='new.')})"
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_search_insert",
            f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} {when}BEGIN "
            f"INSERT INTO search_text (kind, item_id, body) {values}; END",
            f"DROP TRIGGER IF EXISTS {table}_search_update",
            f"CREATE TRIGGER {table}_search_update AFTER UPDATE OF {columns} ON {table} "
            f"{when}BEGIN "
            f"DELETE FROM search_text WHERE kind = '{table}' AND item_id = old.id; "
            f"INSERT INTO search_text (kind, item_id, body) {values}; END",
        ]
    return statements


def _has_fts() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    found = bind.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'search_text' AND type = 'table'"
    ).first()
    return found is not None


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "import_catchup",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("first_id", sa.Integer, nullable=False),
        sa.Column("last_id", sa.Integer, nullable=False),
    )
    op.create_index("ix_import_catchup_kind", "import_catchup", ["kind", "first_id"])
    if _is_sqlite():
        # Whether or not ``0002_search`` (another branch) has run yet: SQLite resolves a
        # trigger's tables when it fires, and 0002's ``CREATE TRIGGER IF NOT EXISTS`` keeps these.
        for statement in _triggers(guarded=True):
            op.execute(statement)


def downgrade() -> None:
    if _has_fts():
        # rows still pending go into the index before the ranges (and the guard) go
        for table, body, _columns in TABLES:
            op.execute(
                f"INSERT INTO search_text (kind, item_id, body) SELECT '{table}', t.id, "
                f"{body.format(t='t.')} FROM {table} t JOIN import_catchup c ON c.kind = "
                f"'{table}' AND t.id BETWEEN c.first_id AND c.last_id"
            )
    if _is_sqlite():
        for statement in _triggers(guarded=False):
            op.execute(statement)
    op.drop_index("ix_import_catchup_kind", table_name="import_catchup")
    op.drop_table("import_catchup")
