"""``python -m monitoring copy --from URL --to URL``: copy every table to another database.

The usual move is from the embedded SQLite file to PostgreSQL when a deployment outgrows one
machine, but any two SQLAlchemy URLs work (PostgreSQL to SQLite for a local copy, too). The target
is migrated to the newest schema first and must hold no data; the source must already be at the
newest schema (run ``python -m monitoring init`` against it). Tables are copied in dependency order
(parents before children), in batches, in one transaction on the target: on any error nothing is
written. Ids are copied as they are; PostgreSQL's id sequences are then moved past them. Finally
every table's row count is compared between the two databases.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from monitoring import db, migrations

BATCH_ROWS = 1000
"""Rows read and written per batch."""


class CopyError(RuntimeError):
    """The copy cannot be made (target not empty, source not migrated, counts differ)."""


@dataclass(frozen=True)
class CopyResult:
    """What was copied: rows per table name, in the order the tables were copied."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def _newest_heads(url: str) -> set[str]:
    return set(ScriptDirectory.from_config(migrations.alembic_config(url)).get_heads())


def _rows_in(engine: Engine) -> dict[str, int]:
    """Tables holding rows, by name (``data_version`` does not count as data)."""
    return {
        name: count
        for name, count in db.table_counts(engine).items()
        if count and name != db.data_version.name
    }


def _self_references(table: Table) -> list[str]:
    """Nullable columns that point at the same table (set after every row is in)."""
    return [
        fk.parent.name
        for fk in table.foreign_keys
        if fk.column.table is table and fk.parent.nullable
    ]


def copy_database(
    source_url: str,
    target_url: str,
    *,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[str, int], None] | None = None,
) -> CopyResult:
    """Copy every table of :data:`monitoring.db.metadata` from ``source_url`` to ``target_url``.

    :param batch_rows: rows per batch read from the source and inserted into the target.
    :param progress: called with (table name, rows copied) after each table.
    :returns: rows copied per table.
    :raises CopyError: when the source is not at the newest schema, the target already holds
        data, or a table's row count differs after the copy (the copy is then rolled back).
    """
    source = db.make_engine(source_url)
    target = db.make_engine(target_url)
    try:
        newest = _newest_heads(source_url)
        source_heads = _heads(source)
        if source_heads != newest:
            raise CopyError(
                "the source database is not at the newest schema "
                f"(it has {', '.join(sorted(source_heads)) or 'no schema'}, expected "
                f"{', '.join(sorted(newest))}): run `python -m monitoring init` against it first"
            )
        migrations.upgrade(target)
        occupied = _rows_in(target)
        if occupied:
            listed = ", ".join(f"{name} ({count} rows)" for name, count in occupied.items())
            raise CopyError(
                f"the target database is not empty: {listed}. Copy into an empty database only; "
                "nothing was written."
            )
        counts: dict[str, int] = {}
        with source.connect() as src, db.write_transaction(target) as dst:
            dst.execute(db.data_version.delete())
            for table in db.metadata.sorted_tables:
                counts[table.name] = _copy_table(src, dst, table, batch_rows)
                if progress:
                    progress(table.name, counts[table.name])
            db.reset_sequences(dst)
            expected = _counts_on(src)  # the same snapshot the rows were read from
            # Counted inside the transaction: a difference rolls the whole copy back.
            written = _counts_on(dst)
            differ = {
                name: (expected[name], written.get(name, 0))
                for name in expected
                if expected[name] != written.get(name, 0)
            }
            if differ:
                listed = ", ".join(f"{n}: source {a}, target {b}" for n, (a, b) in differ.items())
                raise CopyError(f"row counts differ after the copy ({listed}); nothing was kept")
        return CopyResult(counts)
    finally:
        source.dispose()
        target.dispose()


def _counts_on(conn: Connection) -> dict[str, int]:
    """Row count of every table but ``data_version``, on an open connection."""
    return {
        table.name: int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
        for table in db.metadata.sorted_tables
        if table.name != "data_version"
    }


def _copy_table(src: Connection, dst: Connection, table: Table, batch_rows: int) -> int:
    """Copy one table in batches ordered by its key; returns the rows copied."""
    later = _self_references(table)
    key = list(table.primary_key.columns) or list(table.columns)
    result = src.execution_options(yield_per=batch_rows).execute(select(table).order_by(*key))
    copied = 0
    pending: list[dict] = []
    for batch in result.mappings().partitions():
        rows = [dict(row) for row in batch]
        if later:
            pending.extend({"_id": row["id"], **{c: row[c] for c in later}} for row in rows)
            rows = [{**row, **dict.fromkeys(later)} for row in rows]
        dst.execute(insert(table), rows)
        copied += len(rows)
    result.close()
    if later:
        for column in later:
            values = [
                {"_id": p["_id"], column: p[column]} for p in pending if p[column] is not None
            ]
            if values:
                dst.execute(
                    update(table)
                    .where(table.c.id == bindparam("_id"))
                    .values({column: bindparam(column)}),
                    values,
                )
    return copied


def _check_url(url: str, option: str) -> str:
    try:
        make_url(url)
    except ArgumentError as exc:
        raise CopyError(f"{option} {url!r} is not a database URL ({exc})") from exc
    return url


def cmd_copy(args: argparse.Namespace) -> int:
    """Copy every table from one database to another (the target must be empty)."""
    try:
        source_url = _check_url(args.source, "--from")
        target_url = _check_url(args.target, "--to")
        if make_url(source_url) == make_url(target_url):
            raise CopyError("--from and --to name the same database")
        result = copy_database(
            source_url,
            target_url,
            batch_rows=args.batch_rows,
            progress=lambda name, n: print(f"  {name}: {n} rows"),
        )
    except CopyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"error: the copy failed and nothing was written: {exc}", file=sys.stderr)
        return 1
    target = make_url(target_url).render_as_string(hide_password=True)
    print(
        f"Copied {result.total} rows in {len(result.counts)} tables to {target}; "
        "every table's row count matches the source."
    )
    return 0


def register(subparsers) -> None:
    """Add the ``copy`` sub-command."""
    parser = subparsers.add_parser(
        "copy",
        help="copy every table from one database to another (e.g. SQLite to PostgreSQL)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--from", dest="source", required=True, metavar="URL", help="source database URL"
    )
    parser.add_argument(
        "--to", dest="target", required=True, metavar="URL", help="target database URL (empty)"
    )
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=BATCH_ROWS,
        metavar="N",
        help=f"rows per batch (default {BATCH_ROWS})",
    )
    parser.set_defaults(func=cmd_copy)
