"""full-text search over recommendation and action text

SQLite: an FTS5 table ``search_text`` (kind, item_id, body) kept by triggers on ``recommendation``
and ``action``. PostgreSQL: GIN indexes on the ``to_tsvector('english', ...)`` expressions that
:mod:`monitoring.search` queries.

Revision ID: 0002_search
Revises: 0001
"""

from alembic import op

revision = "0002_search"
down_revision = "0001"
branch_labels = None
depends_on = None

REC_BODY = "coalesce({t}title, '') || ' ' || coalesce({t}text, '')"
ACTION_BODY = "coalesce({t}description, '') || ' ' || coalesce({t}success_measure, '')"

SQLITE_UP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5("
    "kind UNINDEXED, item_id UNINDEXED, body, tokenize = 'porter unicode61')",
    "INSERT INTO search_text (kind, item_id, body) SELECT 'recommendation', id, "
    + REC_BODY.format(t="")
    + " FROM recommendation",
    "INSERT INTO search_text (kind, item_id, body) SELECT 'action', id, "
    + ACTION_BODY.format(t="")
    + " FROM action",
]
for _table, _kind, _body, _columns in (
    ("recommendation", "recommendation", REC_BODY, "title, text"),
    ("action", "action", ACTION_BODY, "description, success_measure"),
):
    SQLITE_UP += [
        f"CREATE TRIGGER IF NOT EXISTS {_table}_search_insert AFTER INSERT ON {_table} BEGIN "
        f"INSERT INTO search_text (kind, item_id, body) VALUES ('{_kind}', new.id, "
        f"{_body.format(t='new.')}); END",
        f"CREATE TRIGGER IF NOT EXISTS {_table}_search_delete AFTER DELETE ON {_table} BEGIN "
        f"DELETE FROM search_text WHERE kind = '{_kind}' AND item_id = old.id; END",
        f"CREATE TRIGGER IF NOT EXISTS {_table}_search_update AFTER UPDATE OF {_columns} "
        f"ON {_table} BEGIN "
        f"DELETE FROM search_text WHERE kind = '{_kind}' AND item_id = old.id; "
        f"INSERT INTO search_text (kind, item_id, body) VALUES ('{_kind}', new.id, "
        f"{_body.format(t='new.')}); END",
    ]

SQLITE_DOWN = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_search_{event}"
        for table in ("recommendation", "action")
        for event in ("insert", "delete", "update")
    ),
    "DROP TABLE IF EXISTS search_text",
]

POSTGRES_UP = [
    "CREATE INDEX IF NOT EXISTS ix_recommendation_search ON recommendation USING GIN "
    "(to_tsvector('english', " + REC_BODY.format(t="") + "))",
    "CREATE INDEX IF NOT EXISTS ix_action_search ON action USING GIN "
    "(to_tsvector('english', " + ACTION_BODY.format(t="") + "))",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_recommendation_search",
    "DROP INDEX IF EXISTS ix_action_search",
]


def _run(statements: dict[str, list[str]]) -> None:
    bind = op.get_bind()
    for statement in statements.get(bind.dialect.name, []):
        op.execute(statement)


def upgrade() -> None:
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP})


def downgrade() -> None:
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN})
