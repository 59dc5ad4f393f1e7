"""PostgreSQL: the schema, migrations, sequences, day arithmetic, ``data_version`` and full-text
search behave as on SQLite, and the read models give the same figures on both backends.

Tests that need PostgreSQL whatever the backend use ``pg_database_url`` (skipped, with the reason,
only where no server can be had); the rest run on the backend under test.
"""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Boolean, Engine, func, insert, inspect, literal, select, text

from monitoring import db, demo, migrations, queries, search
from tests.conftest import ANCHOR


@pytest.fixture
def pg_engine(pg_database_url: str) -> Engine:
    """A migrated, empty PostgreSQL database."""
    engine = db.make_engine(pg_database_url)
    migrations.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def pg_demo(pg_server) -> Engine:
    """The demo data on PostgreSQL, shared by this module's read-only tests."""
    name = pg_server.create_database()
    engine = db.make_engine(pg_server.url_for(name))
    migrations.upgrade(engine)
    demo.load_demo(engine, ANCHOR)
    yield engine
    engine.dispose()
    pg_server.drop_database(name)


@pytest.fixture(scope="module")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The demo data in a SQLite file, shared by this module's read-only tests."""
    path = tmp_path_factory.mktemp("sqlite_demo") / "demo.db"
    engine = db.make_engine(f"sqlite:///{path}")
    migrations.upgrade(engine)
    demo.load_demo(engine, ANCHOR)
    yield engine
    engine.dispose()


def test_migrations_build_the_schema_on_postgresql(pg_engine):
    assert pg_engine.dialect.name == "postgresql"
    inspector = inspect(pg_engine)
    assert set(db.metadata.tables) <= set(inspector.get_table_names())
    for table in db.metadata.sorted_tables:
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(table.c.keys()) <= set(columns), table.name
        for column in table.c:
            if isinstance(column.type, Boolean):
                assert isinstance(columns[column.name]["type"], Boolean), (table.name, column.name)
    heads = ScriptDirectory.from_config(
        migrations.alembic_config(pg_engine.url.render_as_string(hide_password=False))
    ).get_heads()
    with pg_engine.connect() as conn:
        stamped = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    assert stamped == set(heads)
    migrations.upgrade(pg_engine)  # a second upgrade changes nothing
    with pg_engine.connect() as conn:
        again = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    assert again == stamped


def test_ids_continue_after_the_demo_data_on_postgresql(pg_engine):
    """The demo inserts explicit ids; the sequences must move on, or the next insert fails."""
    demo.load_demo(pg_engine, ANCHOR)
    with db.write_transaction(pg_engine) as conn:
        biggest = {
            table.name: conn.execute(select(func.max(table.c.id))).scalar()
            for table in (db.agency, db.theme, db.action_update)
        }
        agency_id = conn.execute(
            insert(db.agency).values(name="New agency", is_statutory_partner=False)
        ).inserted_primary_key[0]
        theme_id = conn.execute(insert(db.theme).values(name="New theme")).inserted_primary_key[0]
        update_id = conn.execute(
            insert(db.action_update).values(
                action_id=1, created_at="2026-06-30T09:00:00+00:00", progress_note="Next step"
            )
        ).inserted_primary_key[0]
    assert agency_id == biggest["agency"] + 1
    assert theme_id == biggest["theme"] + 1
    assert update_id == biggest["action_update"] + 1


PAIRS = [
    (date(2024, 2, 28), date(2024, 3, 1)),  # leap year
    (date(2023, 2, 28), date(2023, 3, 1)),
    (date(2025, 12, 31), date(2026, 1, 1)),
    (date(2020, 1, 1), date(2026, 6, 30)),
    (date(2026, 3, 28), date(2026, 3, 30)),  # across the change to British Summer Time
    (date(2026, 6, 30), date(2026, 6, 30)),
]


def test_day_number_gives_days_between_dates(engine):
    """``queries.day_number`` compiles for the backend under test and agrees with Python."""
    with engine.connect() as conn:
        for first, second in PAIRS:
            days = conn.execute(
                select(
                    queries.day_number(literal(second.isoformat()))
                    - queries.day_number(literal(first.isoformat()))
                )
            ).scalar()
            assert days == (second - first).days, (first, second)


def test_days_overdue_and_rag_in_sql_equal_the_rules_on_postgresql(pg_demo):
    from monitoring import rules

    for today in (ANCHOR, ANCHOR - timedelta(days=200)):
        with pg_demo.connect() as conn:
            rows = conn.execute(
                select(
                    db.action,
                    queries.rag_sql(today).label("sql_rag"),
                    queries.days_overdue_sql(today).label("days"),
                )
            ).mappings()
            for row in rows:
                due = rules.parse_iso(row["due_on"])
                assert row["days"] == rules.days_overdue(row["status"], due, today), row["id"]
                expected = rules.rag(
                    row["status"],
                    due,
                    today,
                    due_date_changes=row["due_date_changes"],
                    override=row["rag_override"],
                    override_reason=row["rag_override_reason"],
                )
                assert row["sql_rag"] == expected.code, row["id"]


def test_read_models_give_the_same_figures_on_both_backends(sqlite_demo, pg_demo):
    for today in (ANCHOR, date(2026, 2, 15)):
        with sqlite_demo.connect() as lite, pg_demo.connect() as pg:
            assert queries.overview_figures(lite, today) == queries.overview_figures(pg, today)
            for read in (queries.overdue_by_agency, queries.most_overdue_actions):
                left, right = read(lite, today), read(pg, today)
                assert len(left) > 0
                assert left.astype(str).to_dict("records") == right.astype(str).to_dict(
                    "records"
                ), read.__name__
            by_review_lite = queries.rag_by_review(lite, today)
            by_review_pg = queries.rag_by_review(pg, today)
            assert by_review_lite.to_dict("records") == by_review_pg.to_dict("records")


def test_data_version_counts_every_write_on_postgresql(pg_engine):
    """Two first writes at once (no ``data_version`` row yet) both count: no lost bump, no
    duplicate-key failure for the process that loses the race."""
    assert db.get_data_version(pg_engine) == 0
    both_inside = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            with db.write_transaction(pg_engine) as conn:
                conn.execute(insert(db.theme).values(name=name))
                both_inside.wait()  # both transactions are open before either bumps
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"Theme {i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.get_data_version(pg_engine) == 2
    with db.write_transaction(pg_engine) as conn:
        conn.execute(insert(db.theme).values(name="Theme 3"))
    assert db.get_data_version(pg_engine) == 3


def _word_rows(engine: Engine, word: str) -> set[tuple[str, int]]:
    """Recommendations and actions whose text has a word starting with ``word`` (in Python)."""
    pattern = re.compile(rf"\b{re.escape(word)}", re.IGNORECASE)
    found = set()
    with engine.connect() as conn:
        for row in conn.execute(
            select(db.recommendation.c.id, db.recommendation.c.title, db.recommendation.c.text)
        ):
            if pattern.search(f"{row.title or ''} {row.text or ''}"):
                found.add(("recommendation", row.id))
        for row in conn.execute(
            select(db.action.c.id, db.action.c.description, db.action.c.success_measure)
        ):
            if pattern.search(f"{row.description or ''} {row.success_measure or ''}"):
                found.add(("action", row.id))
    return found


@pytest.mark.parametrize("word", ["training", "exploitation", "audit"])
def test_full_text_search_on_postgresql_finds_what_sqlite_finds(sqlite_demo, pg_demo, word):
    with pg_demo.connect() as conn:
        pg = search.search(conn, word, limit=1000)
        uses_index = conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE indexname LIKE :p"), {"p": "%search%"}
        ).scalars()
        assert set(uses_index) >= {"ix_recommendation_search", "ix_action_search"}
    with sqlite_demo.connect() as conn:
        lite = search.search(conn, word, limit=1000)
    pg_hits = set(zip(pg["kind"], pg["item_id"], strict=True))
    lite_hits = set(zip(lite["kind"], lite["item_id"], strict=True))
    exact = _word_rows(pg_demo, word)
    assert exact, f"the demo data should mention {word!r}"
    assert exact <= pg_hits  # every row with the word is found (stemming may find more)
    assert pg_hits == lite_hits
    assert list(pg["rank"]) == sorted(pg["rank"], reverse=True)
