"""``python -m monitoring copy``: the demo database moves from SQLite to PostgreSQL (and back)
with every table's row count and every row equal, and never into a database that has data."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text

from monitoring import db, demo, migrations
from monitoring.cli import main
from tests.conftest import ANCHOR


@pytest.fixture
def sqlite_demo_url(tmp_path: Path) -> str:
    """A SQLite file with the demo data (whatever the backend under test)."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    demo.load_demo(engine, ANCHOR)
    engine.dispose()
    return url


def rows_of(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key (``data_version`` left out)."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row)
                    for row in conn.execute(
                        select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for table in db.metadata.sorted_tables
                if table.name != "data_version"
            }
    finally:
        engine.dispose()


def counts_of(url: str) -> dict[str, int]:
    engine = db.make_engine(url)
    try:
        return db.table_counts(engine)
    finally:
        engine.dispose()


def test_copy_demo_from_sqlite_to_postgresql(sqlite_demo_url, pg_database_url, capsys):
    assert main(["copy", "--from", sqlite_demo_url, "--to", pg_database_url]) == 0
    out = capsys.readouterr().out
    source, target = counts_of(sqlite_demo_url), counts_of(pg_database_url)
    assert target == source
    assert source["action"] > 0 and source["action_update"] > 0 and source["app_user"] > 0
    total = sum(source.values())
    assert f"Copied {total} rows" in out
    # Not only the counts: every value arrives as it was (booleans, dates as text, ids).
    assert rows_of(pg_database_url) == rows_of(sqlite_demo_url)

    # The ids were explicit: the next insert on PostgreSQL must still get a fresh one.
    engine = db.make_engine(pg_database_url)
    try:
        with db.write_transaction(engine) as conn:
            new_id = conn.execute(
                insert(db.agency).values(name="Copied-in agency", is_statutory_partner=False)
            ).inserted_primary_key[0]
            biggest = conn.execute(select(func.max(db.agency.c.id))).scalar()
        assert new_id == biggest == source["agency"] + 1
        assert db.get_data_version(engine) > 0
    finally:
        engine.dispose()


def test_copy_back_from_postgresql_to_a_new_sqlite_file(sqlite_demo_url, pg_database_url, tmp_path):
    assert main(["copy", "--from", sqlite_demo_url, "--to", pg_database_url]) == 0
    back = f"sqlite:///{tmp_path / 'back' / 'monitoring.db'}"
    assert main(["copy", "--from", pg_database_url, "--to", back]) == 0
    assert counts_of(back) == counts_of(sqlite_demo_url)
    assert rows_of(back) == rows_of(sqlite_demo_url)


def test_copy_into_the_backend_under_test(sqlite_demo_url, database_url):
    """The target is the test's own database (SQLite file or PostgreSQL), migrated by copy."""
    assert main(["copy", "--from", sqlite_demo_url, "--to", database_url]) == 0
    assert counts_of(database_url) == counts_of(sqlite_demo_url)
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            national = conn.execute(
                select(func.count())
                .select_from(db.recommendation)
                .where(db.recommendation.c.national_dependency.is_(True))
            ).scalar()
        assert national == 1
    finally:
        engine.dispose()


def test_copy_refuses_a_target_that_has_data(sqlite_demo_url, demo_engine, database_url, capsys):
    before = counts_of(database_url)
    version = db.get_data_version(demo_engine)
    assert main(["copy", "--from", sqlite_demo_url, "--to", database_url]) == 1
    err = capsys.readouterr().err
    assert "target database is not empty" in err
    assert f"agency ({before['agency']} rows)" in err
    assert counts_of(database_url) == before
    assert db.get_data_version(demo_engine) == version


def test_copy_refuses_a_source_that_is_not_migrated(tmp_path, database_url, capsys):
    bare = f"sqlite:///{tmp_path / 'bare.db'}"
    engine = db.make_engine(bare)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE agency (id INTEGER PRIMARY KEY, name TEXT)"))
    engine.dispose()
    assert main(["copy", "--from", bare, "--to", database_url]) == 1
    assert "not at the newest schema" in capsys.readouterr().err


def test_copy_keeps_self_references_between_meetings(sqlite_demo_url, database_url):
    """``meeting.baseline_meeting_id`` points into its own table; it survives any row order."""
    engine = db.make_engine(sqlite_demo_url)
    with db.write_transaction(engine) as conn:
        # A meeting whose baseline has a higher id than itself.
        conn.execute(
            insert(db.meeting).values(id=100, held_on="2026-07-01", title="Later baseline")
        )
        conn.execute(
            db.meeting.update().where(db.meeting.c.id == 1).values(baseline_meeting_id=100)
        )
    engine.dispose()
    assert main(["copy", "--from", sqlite_demo_url, "--to", database_url, "--batch-rows", "2"]) == 0
    assert rows_of(database_url)["meeting"] == rows_of(sqlite_demo_url)["meeting"]
