"""The writer: compares an :class:`~monitoring.importer.plan.ImportPlan` with the database and
writes the difference.

Two phases, so that a long import never holds the write lock for long (issue 15, case 08):

1. :func:`prepare_plan` reads, matches and builds the rows in a read snapshot, outside the write
   lock (saves go on meanwhile), a batch of :data:`BATCH` rows at a time: each batch's new rows
   (and their audit rows) are staged in temporary tables of the import's connection before the
   next batch is built, so memory holds one batch, not the file's rows (issue 16). The writes
   are collected in a :class:`PendingWrites`.
2. :meth:`PendingWrites.apply` moves them in with one ``INSERT ... SELECT`` per table, in one
   write transaction (the whole import appears at once to readers, or not at all). On SQLite the
   roll-up marks are set once for the import instead of by per-row triggers (see
   :meth:`PendingWrites.apply`). It first checks that nothing it relied on moved meanwhile (the
   ids it reserved on SQLite, the versions of the actions it changes); if something did it
   raises :class:`ImportRaced` and :func:`monitoring.services.import_tracker` prepares again.
3. :func:`catch_up`, after the commit, brings the derived data up to date in short transactions
   of their own: the recount of the roll-ups of the reviews the import wrote (left dirty at the
   commit; reads count dirty reviews live, and saves leave them to the catch-up), then SQLite's
   search index of the rows it moved in (recorded as id ranges in ``import_catchup``, which the
   search also reads with ``LIKE`` meanwhile). A crash before it ends leaves the ranges and
   marks recorded, and the next start finishes them (:func:`monitoring.migrations.upgrade`).

Existing rows are looked up in bulk (one query per table, chunked), new rows are staged with
executemany batches. Matching: review by ``ref``; recommendation by (review, number); action by
(recommendation, number). Re-importing the same file therefore creates nothing and writes nothing.
Changed actions are written through the write core (:func:`monitoring.services.versioned_update`),
so a re-import bumps versions and writes the same ``version`` audit rows as a user's save.

Two dates: every imported change carries ``effective_on`` from its source (the row's update date,
the plan's as-of date when the importer found one, a review's publication date for what it
created) or None ("date not known"); ``at``/``created_at`` are when it was imported (UTC).
Called only through :func:`monitoring.services.import_tracker` (which checks the ``import``
permission) or :func:`monitoring.services.preview_import`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from monitoring import config, db
from monitoring.errors import DatabaseBusy, StorageFull
from monitoring.importer.agencies import load_alias_map, match_agencies, normalise_alias
from monitoring.importer.plan import ImportPlan, Problem

BATCH = 5000
"""Rows per executemany batch (and per progress step)."""
CHUNK = 900
"""Values per ``IN (...)`` lookup (below every backend's bound-parameter limit)."""
MOVE_IN_CACHE = -16384
"""SQLite page cache of the move-in transaction (``PRAGMA cache_size``: negative = KiB)."""

Progress = Callable[[float, str], None]
NO_LEAD_NAMED = "the file names no lead agency for them (blank or redacted)"
NO_LEAD_NOT_CREATED = "their agency is not in the register and was not chosen to be created"

_LOG = logging.getLogger(__name__)


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do).

    :ivar created: rows created by table (``agency``, ``review``, ``theme``, ``recommendation``,
        ``action``).
    :ivar updated: actions whose values changed (each got an ``action_update`` and audit rows).
    :ivar unchanged: actions already present with the same values.
    :ivar unmatched_agencies: agency names not found (and not created), first spelling each.
    :ivar new_agencies: agency names not in the register that the import creates (or, for a dry
        run, would create), first spelling each.
    :ivar without_lead: ``{reason: actions}``: how many of the file's actions are left with no
        lead agency (after the import, or a dry run's would-be import), by reason:
        :data:`NO_LEAD_NAMED` (the row names none, or a redacted one) and
        :data:`NO_LEAD_NOT_CREATED` (the agency is not in the register and was not created).
    """

    source: str
    rows_read: int = 0
    rows_skipped: int = 0
    created: dict[str, int] = field(default_factory=dict)
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    unmatched_agencies: list[str] = field(default_factory=list)
    new_agencies: list[str] = field(default_factory=list)
    without_lead: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    written: bool = False

    @property
    def actions_without_lead(self) -> int:
        """Actions of the file left with no lead agency (every reason)."""
        return sum(self.without_lead.values())

    def lead_agency_notice(self) -> str | None:
        """One sentence saying how many actions have no lead agency and why, or None."""
        if not self.without_lead:
            return None
        verb = "would have" if self.dry_run else "have"
        parts = [f"{n} because {reason}" for reason, n in self.without_lead.items()]
        return (
            f"{self.actions_without_lead} action(s) {verb} no lead agency: "
            + "; ".join(parts)
            + "."
        )

    @property
    def errors(self) -> list[Problem]:
        """Problems that stopped the import."""
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems reported while the rows were imported."""
        return [p for p in self.problems if p.level == "warning"]

    @property
    def duplicates(self) -> list[Problem]:
        """Warnings that something appears on several rows, each row imported
        (:data:`~monitoring.importer.plan.Problem.DUPLICATE`)."""
        return [p for p in self.problems if p.kind == Problem.DUPLICATE]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's ``--json`` output)."""
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "written": self.written,
            "rows_read": self.rows_read,
            "rows_skipped": self.rows_skipped,
            "created": dict(self.created),
            "updated": self.updated,
            "unchanged": self.unchanged,
            "warnings": [p.as_dict() for p in self.warnings],
            "errors": [p.as_dict() for p in self.errors],
            "unmatched_agencies": list(self.unmatched_agencies),
            "new_agencies": list(self.new_agencies),
            "actions_without_lead": self.actions_without_lead,
            "without_lead": dict(self.without_lead),
        }


def summary_of(plan: ImportPlan, *, dry_run: bool) -> ImportSummary:
    """An empty summary carrying the plan's counts and problems."""
    return ImportSummary(
        source=plan.source,
        rows_read=plan.rows_read,
        rows_skipped=plan.rows_skipped,
        problems=list(plan.problems),
        dry_run=dry_run,
    )


def _dated(day: str | None, now: str) -> str:
    """The ``action_update.created_at`` of an imported note: the start of its update date
    (UTC), or ``now`` when the tracker gives none."""
    return f"{day}T00:00:00+00:00" if day else now


def _chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _select_in(conn: Connection, columns: Sequence, column, values: Iterable) -> list:
    values = list(dict.fromkeys(values))
    rows: list = []
    for chunk in _chunks(values):
        rows.extend(conn.execute(select(*columns).where(column.in_(chunk))).all())
    return rows


def _reserve_ids(conn: Connection, table, n: int) -> list[int]:
    """``n`` fresh ids for ``table``: SQLite holds the write lock (``BEGIN IMMEDIATE``), so the
    ids after ``max(id)`` are ours; PostgreSQL hands them out from the table's sequence."""
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        return list(
            conn.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
                ),
                {"t": table.name, "n": n},
            ).scalars()
        )
    start = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar()) + 1
    return list(range(start, start + n))


def _insert(conn: Connection, table, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys) in executemany batches.

    With the qmark/format drivers (sqlite3, psycopg) the rows go straight to the driver's
    ``executemany`` as tuples, skipping per-row parameter processing; values must then be plain
    Python values the driver accepts (text, numbers, bools, None).
    """
    if not rows:
        return
    columns = list(rows[0])
    style = conn.dialect.paramstyle
    if style in ("qmark", "format", "pyformat"):
        mark = "?" if style == "qmark" else "%s"
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join([mark] * len(columns))
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
        for chunk in _chunks(rows, BATCH):
            conn.exec_driver_sql(sql, [tuple(r[c] for c in columns) for r in chunk])
        return
    for chunk in _chunks(rows, BATCH):
        conn.execute(insert(table), list(chunk))


@dataclass(frozen=True)
class _Named:
    """A table known only by name (a staging table) for :func:`_insert`."""

    name: str


@dataclass
class _Stage:
    """A temporary table of the import's connection holding the new rows of one table."""

    table: Any
    columns: list[str]
    name: str
    rows: int = 0

    @property
    def names(self) -> str:
        return ", ".join(f'"{c}"' for c in self.columns)


class ImportRaced(Exception):
    """Something the prepared import relied on changed before it could be written (another
    writer added rows to a table it reserved ids in, or saved an action it changes)."""


class PendingWrites:
    """The writes of a prepared import, applied later by :meth:`apply`.

    New rows are staged as they are built, a batch at a time, in temporary tables of ``conn``
    (one per table: ``import_stage_<table>``; a temporary table lives in the connection's own
    temporary database, so staging takes no lock on the database and the rows are not held in
    memory). :meth:`apply`, on the same connection, moves each table's rows in with one
    ``INSERT ... SELECT``. Changed actions are kept as a list and written through the write core.

    Ids are reserved while preparing: from PostgreSQL's sequences (never reused), or on SQLite
    after the ``max(id)`` of the snapshot, checked again under the write lock.
    """

    def __init__(self, conn: Connection, actor, *, at: str):
        self.conn = conn
        self.actor = actor
        self.at = at
        self.ops: list[tuple] = []
        self.stages: dict[str, _Stage] = {}
        self.expected_max: dict[str, int] = {}
        self._next: dict[str, int] = {}
        self.rows = 0
        self.review_ids: set[int] = set()
        """The reviews of the staged reviews, recommendations and actions (an action's
        recommendation is always of the action's own review: both come from the row's ref)."""
        self.defer_derived = True
        """Leave the search index and roll-up recount of the import to :func:`catch_up` after
        the commit (False: do them inside the move-in, e.g. when nobody calls the catch-up)."""

    def reserve(self, table, n: int) -> list[int]:
        """``n`` ids for new rows of ``table``."""
        if n == 0:
            return []
        if self.conn.dialect.name == "postgresql":
            return _reserve_ids(self.conn, table, n)
        if table.name not in self._next:
            top = int(
                self.conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar() or 0
            )
            self.expected_max[table.name] = top
            self._next[table.name] = top + 1
        start = self._next[table.name]
        self._next[table.name] = start + n
        return list(range(start, start + n))

    def insert(self, table, rows: list[dict]) -> None:
        """Stage ``rows`` (dicts; every row of a table with the same keys) for insertion into
        ``table`` when applied. Tables are moved in in the order they were first staged (a
        table's parents first)."""
        if not rows:
            return
        stage = self.stages.get(table.name)
        if stage is None:
            stage = _Stage(table, list(rows[0]), f"import_stage_{table.name}")
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {stage.name}")
            self.conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {stage.name} AS SELECT {stage.names}"
                f' FROM "{table.name}" WHERE 1 = 0'
            )
            self.stages[table.name] = stage
            self.ops.append(("staged", stage))
        if list(rows[0]) != stage.columns:
            raise ValueError(f"rows for {table.name} with other columns than staged before")
        _insert(self.conn, _Named(stage.name), rows)
        if table.name == "review":
            self.review_ids.update(int(r["id"]) for r in rows)
        elif "review_id" in stage.columns:
            self.review_ids.update(int(r["review_id"]) for r in rows if r["review_id"] is not None)
        stage.rows += len(rows)
        self.rows += len(rows)

    def insert_new(self, table, rows: list[dict]) -> list[int]:
        """Reserve ids for ``rows``, set them, stage them; returns the ids."""
        ids = self.reserve(table, len(rows))
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
        self.insert(table, rows)
        return ids

    def update(self, row: dict, values: dict, extra_audit: dict, effective_on) -> None:
        """Change an action read at ``row['version']`` through the write core when applied."""
        self.ops.append(("update", row, values, extra_audit, effective_on))
        self.rows += 1

    def apply(self, conn: Connection, progress: Progress | None = None) -> None:
        """Write everything in ``conn`` (the caller's short write transaction, on the connection
        the rows were staged in).

        On SQLite the per-row ``AFTER INSERT`` triggers that keep the search index and the
        roll-ups (migrations ``0002_search``, ``0005_rollups``) are dropped inside this
        transaction, and their work is done once for the whole import instead: the staged
        recommendations' and actions' id ranges recorded in ``import_catchup`` for
        :func:`catch_up` to index after the commit (with :attr:`defer_derived` False, or without
        that table: their text added to ``search_text`` here, :func:`monitoring.search.index_rows`),
        and the reviews they belong to marked dirty (:func:`monitoring.rollups.mark_dirty`). The
        triggers are created again, from their own stored SQL, before the commit. Schema changes
        are transactional in SQLite: no other connection ever sees the triggers missing, and a
        crash (kill -9) rolls the whole transaction back, triggers included. Only the importer's
        own staged tables bypass them. On both backends every review the import wrote is
        recorded in ``import_catchup`` too, so that the recount before the commit
        (:func:`monitoring.db.write_transaction`) and every later save's leave it to
        :func:`catch_up` (with :attr:`defer_derived` False it is recounted here, as before).

        :raises ImportRaced: another writer took one of the reserved ids or saved one of the
            changed actions since the snapshot (nothing is written: the caller rolls back).
        """
        for name, top in self.expected_max.items():
            table = db.metadata.tables[name]
            now_top = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar())
            if now_top != top:
                raise ImportRaced(f"{name} gained rows while the import was prepared")
        if conn.dialect.name == "sqlite" and "import_cache_size" not in conn.info:
            # A smaller page cache (and so sorter memory) for the rest of the move-in, the
            # roll-up recount before the commit included: the rows go to the WAL as they are
            # written, and the import's peak memory stays lower (issue 16); the CPU time is the
            # same. :func:`drop_stages` puts the connection's own size back.
            conn.info["import_cache_size"] = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            conn.exec_driver_sql(f"PRAGMA cache_size={MOVE_IN_CACHE}")
        self._move_in(conn, progress)

    def _move_in(self, conn: Connection, progress: Progress | None) -> None:
        from monitoring import services

        suspended = _suspend_insert_triggers(conn, self.stages)
        done = 0
        # the created audit rows last (after the changed actions' own audit rows), as before
        ops = [op for op in self.ops if not _is_audit(op)] + [
            op for op in self.ops if _is_audit(op)
        ]
        for op in ops:
            if op[0] == "staged":
                stage = op[1]
                conn.exec_driver_sql(
                    f'INSERT INTO "{stage.table.name}" ({stage.names})'
                    f" SELECT {stage.names} FROM {stage.name}"
                )
                done += stage.rows
            else:
                _kind, row, values, extra, effective_on = op
                try:
                    services.versioned_update(
                        conn,
                        self.actor,
                        db.action,
                        row,
                        values,
                        at=self.at,
                        effective_on=effective_on,
                        extra_audit=extra,
                        quiet=("updated_at", "last_update_on"),
                    )
                except services.VersionConflict as exc:
                    raise ImportRaced(f"action {row['id']} was saved meanwhile") from exc
                done += 1
            if progress is not None:
                progress(0.9 + 0.1 * done / max(self.rows, 1), f"Writing: {done} of {self.rows}")
        updated = [op[1]["id"] for op in self.ops if op[0] == "update"]
        reserved = {
            name: (top + 1, self._next[name] - 1)
            for name, top in self.expected_max.items()
            if self._next[name] - 1 > top
        }
        _bulk_equivalents(
            conn,
            self.stages,
            suspended,
            self.review_ids,
            updated,
            reserved,
            defer=self.defer_derived,
        )
        for _name, sql in suspended:
            conn.exec_driver_sql(sql)


def drop_stages(conn: Connection) -> None:
    """Drop the import's staging tables from ``conn`` (after the move-in, or when the import
    was abandoned part way), each in the connection's own temporary space. Outside any
    transaction of the caller: this runs its own."""
    if conn.closed or conn.invalidated:
        return
    if conn.in_transaction():
        conn.rollback()
    with conn.begin():
        for name in db.metadata.tables:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS import_stage_{name}")
        if "import_cache_size" in conn.info:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(conn.info.pop('import_cache_size'))}")


def _is_audit(op: tuple) -> bool:
    return op[0] == "staged" and op[1].table.name == "audit_log"


def _stage_of(stages: dict[str, _Stage], table: str, *columns: str) -> str | None:
    """The staging table of ``table`` when it holds ``columns``, else None."""
    stage = stages.get(table)
    if stage is None or not set(columns) <= set(stage.columns):
        return None
    return stage.name


# The per-row INSERT triggers the move-in replaces by one statement each (SQLite only), and the
# staged columns each replacement needs.
_BULK_TRIGGERS = {
    "recommendation_search_insert": ("recommendation", ("id", "title", "text")),
    "action_search_insert": ("action", ("id", "description", "success_measure")),
    "recommendation_rollup_insert": ("recommendation", ("review_id",)),
    "action_rollup_insert": ("action", ("review_id", "recommendation_id")),
    "review_rollup_insert": ("review", ("id",)),
}


def _suspend_insert_triggers(conn: Connection, stages: dict[str, _Stage]) -> list[tuple]:
    """Drop (inside the caller's transaction) the SQLite triggers of :data:`_BULK_TRIGGERS`
    whose table has staged rows with the columns the replacement needs; returns their
    ``(name, sql)`` to run the replacement and create them again. Nothing on PostgreSQL (its
    search index is a GIN index, and disabling a trigger there would lock the table)."""
    if conn.dialect.name != "sqlite":
        return []
    wanted = [
        name
        for name, (table, columns) in _BULK_TRIGGERS.items()
        if _stage_of(stages, table, *columns)
    ]
    if not wanted:
        return []
    marks = ", ".join("?" * len(wanted))
    found = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})"
        " ORDER BY name",
        tuple(wanted),
    ).all()
    for name, _sql in found:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    return [(name, sql) for name, sql in found]


def _bulk_equivalents(
    conn: Connection,
    stages: dict[str, _Stage],
    suspended: list,
    review_ids: set[int],
    updated_ids: list[int],
    reserved: dict[str, tuple[int, int]],
    *,
    defer: bool,
) -> None:
    """Do, once for all the staged rows, what the suspended per-row triggers would have done;
    with ``defer`` (and the ``import_catchup`` table), leave the derived work to
    :func:`catch_up` after the commit: the search index of the new rows (their id ranges are
    recorded instead) and the recount of the roll-ups of every review the import wrote (marked
    dirty, and recorded so that the next save does not recount them).

    :param review_ids: the reviews of the staged rows (:attr:`PendingWrites.review_ids`).
    :param updated_ids: the existing actions the import changed (their triggers fired).
    :param reserved: ``{table: (first id, last id)}`` reserved for the staged rows (SQLite).
    """
    from monitoring import rollups, search

    names = {name for name, _sql in suspended}
    catchup = defer and _has_catchup_table(conn)
    for kind in ("recommendation", "action"):
        if f"{kind}_search_insert" not in names:
            continue
        if catchup and kind in reserved and search.has_catchup(conn):
            # SQLite: the ids were reserved as one run after max(id), checked under the write
            # lock (see apply), so every id in the range is a row of this import
            first, last = reserved[kind]
            conn.execute(insert(db.import_catchup).values(kind=kind, first_id=first, last_id=last))
        else:
            search.index_rows(conn, kind, stages[kind].name)
    staged = sorted(review_ids)
    if staged and names & {name for name in _BULK_TRIGGERS if "_rollup_" in name}:
        # what the roll-up insert triggers mark: each staged row's review (marking one more
        # than they would is harmless: it is only recounted)
        for chunk in _chunks(staged):
            rollups.mark_dirty(conn, _reviews_sql(chunk))
    if not catchup:
        return
    written = [_reviews_sql(chunk) for chunk in _chunks(staged)]
    for chunk in _chunks(updated_ids):  # their triggers marked them dirty
        marks = ", ".join(str(int(i)) for i in chunk)
        written.append(f"SELECT review_id FROM action WHERE id IN ({marks})")
        written.append(
            "SELECT r.review_id FROM recommendation r JOIN action a"
            f" ON a.recommendation_id = r.id WHERE a.id IN ({marks})"
        )
    if written:
        conn.exec_driver_sql(
            "INSERT INTO import_catchup (kind, first_id, last_id)"
            " SELECT DISTINCT 'review', x.review_id, x.review_id"
            f" FROM ({' UNION '.join(written)}) AS x WHERE x.review_id IS NOT NULL"
        )


def _reviews_sql(review_ids: Sequence[int]) -> str:
    """SQL giving the column ``review_id``: the existing reviews among ``review_ids``."""
    return f"SELECT id AS review_id FROM review WHERE id IN ({', '.join(map(str, review_ids))})"


def _has_catchup_table(conn: Connection) -> bool:
    return conn.dialect.has_table(conn, db.import_catchup.name)


CATCHUP_ROWS = 5000
"""Rows indexed per short transaction of :func:`catch_up`."""
CATCHUP_REVIEWS = 50
"""Reviews recounted per short transaction of :func:`catch_up`."""
CATCHUP_PAUSE = 0.1
"""Seconds :func:`catch_up` waits on SQLite before each of its transactions, so that a save
waiting for the write lock gets it first: SQLite's busy handler retries at most 0.1 s apart, so
a free gap this long always holds a retry (a save waits at most one catch-up step)."""


@contextmanager
def _short_write(conn: Connection) -> Iterator[Connection]:
    """One short write transaction on ``conn`` (:func:`monitoring.db.write_transaction` of derived
    data; on SQLite after a pause of :data:`CATCHUP_PAUSE`): it does not bump ``data_version``, as
    no figure or search result changes."""
    if conn.dialect.name == "sqlite":
        time.sleep(CATCHUP_PAUSE)
    with db.write_transaction(conn.engine, connection=conn, derived=True):
        yield conn


def catch_up(engine: Engine, *, rows: int | None = None) -> dict[str, int]:
    """Bring the derived data an import left after its commit up to date (``import_catchup``,
    migration ``0009_search_catchup``), in short transactions of their own, so that the one
    transaction that makes an import appear holds the write lock as briefly as it can
    (issue 15, case 08), and saves made meanwhile do not pay for it:

    1. the roll-ups of the reviews it wrote, :data:`CATCHUP_REVIEWS` reviews per transaction
       (their markers deleted, then :func:`monitoring.rollups.refresh_pending` recounts them;
       reads count them live until then);
    2. SQLite's search index of the rows it moved in, :data:`CATCHUP_ROWS` (``rows``) ids per
       transaction (:func:`monitoring.search.index_range`), each moving its range's
       ``first_id`` on in the same transaction (:func:`monitoring.search.search` reads the
       rest with ``LIKE`` meanwhile).

    Called after every import (:func:`monitoring.services.import_tracker`) and when the app or
    a command opens the database (:func:`monitoring.migrations.upgrade`), so that work a crash
    interrupted is finished at the next start. Safe to run in several processes at once (each
    step re-reads its marker under the write lock). Never raises for a database error (the
    import it follows is committed): it stops, and what is left stays recorded for the next
    call; searches and figures stay right meanwhile. Only the error's kind is logged.

    :returns: ``{"reviews": recounted, "recommendation": rows indexed, "action": rows indexed}``.
    """
    from monitoring import rollups, search

    rows = rows or CATCHUP_ROWS
    done = {"reviews": 0, "recommendation": 0, "action": 0}
    c = db.import_catchup.c
    try:
        with engine.connect() as conn:
            present = _has_catchup_table(conn) and conn.execute(select(c.id).limit(1)).first()
            conn.rollback()
            if not present:  # nothing to do: no write lock taken
                return done
            while True:
                with _short_write(conn):
                    ids = list(
                        conn.execute(
                            select(c.first_id)
                            .where(c.kind == "review")
                            .group_by(c.first_id)
                            .order_by(c.first_id)
                            .limit(CATCHUP_REVIEWS)
                        ).scalars()
                    )
                    if not ids:
                        break
                    conn.execute(
                        db.import_catchup.delete().where(c.kind == "review", c.first_id.in_(ids))
                    )
                    rollups.refresh_pending(conn)
                    done["reviews"] += len(ids)
            while True:
                with _short_write(conn):
                    mark = conn.execute(
                        select(c.id, c.kind, c.first_id, c.last_id)
                        .where(c.kind.in_(("recommendation", "action")))
                        .order_by(c.id)
                        .limit(1)
                    ).first()
                    if mark is None:
                        break
                    last = min(mark.first_id + rows - 1, mark.last_id)
                    if search.has_catchup(conn):
                        done[mark.kind] += search.index_range(conn, mark.kind, mark.first_id, last)
                    else:  # no index to catch up (the range would be read with LIKE for ever)
                        last = mark.last_id
                    if last >= mark.last_id:
                        conn.execute(db.import_catchup.delete().where(c.id == mark.id))
                    else:
                        conn.execute(
                            db.import_catchup.update()
                            .where(c.id == mark.id)
                            .values(first_id=last + 1)
                        )
    except (DatabaseBusy, StorageFull):  # another writer, a full disk: the next call resumes
        pass
    except SQLAlchemyError as exc:
        if not isinstance(exc, DBAPIError) or db.store_error(exc) is None:
            _LOG.warning(
                "import catch-up stopped (%s); the next start resumes it", type(exc).__name__
            )
    return done


def prepare_plan(
    conn: Connection | None, plan: ImportPlan, actor, *, progress: Progress | None = None
) -> tuple[ImportSummary, PendingWrites | None]:
    """Phase 1: read and match in ``conn`` (a read snapshot) and build every write.

    :returns: the summary and the writes to apply (None for a database without tables).
    """
    pending = PendingWrites(conn, actor, at=config.utc_now_iso()) if conn is not None else None
    summary = _compare(conn, plan, actor, pending=pending, progress=progress)
    return summary, pending


def apply_plan(
    conn: Connection | None,
    plan: ImportPlan,
    actor,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Compare and write in ``conn`` (one phase, in the caller's transaction), or with
    ``dry_run`` only say what would be written. :func:`monitoring.services.import_tracker` uses
    the two phases (:func:`prepare_plan`, :meth:`PendingWrites.apply`) instead.
    """
    if dry_run or conn is None:
        return _compare(conn, plan, actor, pending=None, progress=progress, dry_run=True)
    summary, pending = prepare_plan(conn, plan, actor, progress=progress)
    pending.defer_derived = False  # the caller's transaction: no catch-up follows its commit
    pending.apply(conn, progress)
    for stage in pending.stages.values():
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {stage.name}")
    if "import_cache_size" in conn.info:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(conn.info.pop('import_cache_size'))}")
    summary.written = True
    return summary


def _compare(
    conn: Connection | None,
    plan: ImportPlan,
    actor,
    *,
    pending: PendingWrites | None,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Compare the plan with the database and collect the writes in ``pending`` (None: only
    count them).

    New actions get ``original_due_on`` = the tracker's target date and ``due_on`` = its revised
    date when one is given (then also an approved ``due_date_change`` row), otherwise both the
    target date; an initial ``action_update`` (the imported status and progress note, dated with
    the row's update date when the tracker gives one, :attr:`ActionPlan.updated_on`, else now);
    ``last_update_on`` = that date, else today. ``completed_on`` is the tracker's completion date when it has one,
    otherwise empty (the date is unknown); an action that becomes completed on a later re-import
    gets that import's date (the best date known). Changed values on re-import update the action,
    add an ``action_update`` and ``audit_log`` rows; unchanged actions are not touched.
    With ``dry_run`` (or ``conn`` None, a database without tables) nothing is written and the
    summary says what would be.

    :param actor: a :class:`monitoring.services.Actor` (recorded in the audit log).
    :param progress: called with (fraction 0..1, message) as batches are written.
    """
    from monitoring.services import _as_text  # the audit log's text form

    summary = summary_of(plan, dry_run=dry_run)
    write = pending is not None
    now = pending.at if pending is not None else config.utc_now_iso()
    today = config.today().isoformat()
    as_of = getattr(plan, "as_of", None)
    as_of = as_of.isoformat() if hasattr(as_of, "isoformat") else (str(as_of) if as_of else None)
    review_day: dict[int | None, str | None] = {}

    def report(fraction: float, message: str) -> None:
        if progress is not None:
            progress(min(max(fraction, 0.0), 1.0), message)

    def audit_created(
        entity: str,
        ids: Iterable[int | None],
        labels: Iterable[str],
        days: Iterable[str | None] | None = None,
    ) -> None:
        """Stage one ``created`` audit row per new record (moved in after every other row)."""
        if not write:
            return
        ids = list(ids)
        days = list(days) if days is not None else [as_of] * len(ids)
        pending.insert(
            db.audit_log,
            [
                {
                    "at": now,
                    "actor": actor.email,
                    "entity": entity,
                    "entity_id": entity_id,
                    "field": "created",
                    "old_value": None,
                    "new_value": f"{label} (imported from {plan.source})"[:2000],
                    "effective_on": day,
                }
                for entity_id, label, day in zip(ids, labels, days, strict=True)
            ],
        )

    def count(entity: str, n: int) -> None:
        if n:
            summary.created[entity] = summary.created.get(entity, 0) + n

    # --- agencies ------------------------------------------------------------------------------
    report(0.0, "Matching agencies")
    known = load_alias_map(conn) if conn is not None else {}
    names = {a.lead_name for a in plan.actions if a.lead_name}
    matched, unmatched = match_agencies(names, known, plan.refused_matches)
    wanted = plan.create_agencies
    to_create = [
        k for k in unmatched if wanted is True or (isinstance(wanted, set) and k in wanted)
    ]
    agency_ids: dict[str, int | None] = dict(matched)
    if to_create:
        rows = [
            {"name": unmatched[k][:300], "active": True, "is_statutory_partner": False}
            for k in to_create
        ]
        # a dry run gives each would-be agency a stand-in id (negative: never a real one), so
        # that its actions count as linked, exactly as the real run then links them
        ids = pending.insert_new(db.agency, rows) if write else [-1 - i for i in range(len(rows))]
        if write:
            pending.insert(
                db.agency_alias,
                [
                    {"alias": k, "agency_id": i}
                    for k, i in zip(to_create, ids, strict=True)
                    if k not in known  # a refused match's spelling stays the other's alias
                ],
            )
        audit_created("agency", ids, [r["name"] for r in rows])
        agency_ids.update(zip(to_create, ids, strict=True))
        count("agency", len(rows))
        summary.new_agencies = [unmatched[k] for k in to_create]
    left = [k for k in unmatched if k not in agency_ids]
    summary.unmatched_agencies = [unmatched[k] for k in left]
    if left:
        rows_by_key: dict[str, list[int]] = {}
        for a in plan.actions:
            if a.lead_name:
                rows_by_key.setdefault(normalise_alias(a.lead_name), []).append(a.row)
        for k in left:
            rows = rows_by_key.get(k, [])
            summary.problems.append(
                Problem(
                    "warning",
                    f"agency {unmatched[k]!r} not found (rows {', '.join(map(str, rows[:10]))}"
                    f"{', ...' if len(rows) > 10 else ''}): those actions have no lead agency "
                    "unless you choose to create it",
                    rows[0] if rows else None,
                    plan.mapping.get("lead_agency"),
                )
            )

    # --- reviews -------------------------------------------------------------------------------
    refs = list(plan.reviews)
    review_ids: dict[str, int | None] = {}
    if conn is not None:
        review_ids.update(
            (ref, rid)
            for rid, ref in _select_in(
                conn, (db.review.c.id, db.review.c.ref), db.review.c.ref, refs
            )
        )
    new_reviews = [plan.reviews[r] for r in refs if r not in review_ids]
    if new_reviews:
        rows = [
            {
                "ref": r.ref,
                "title": r.title[:500],
                "review_type": r.review_type,
                "board": r.board,
                "published_on": r.published_on,
                "status": "monitoring",
                "summary": r.summary,
                "created_at": now,
            }
            for r in new_reviews
        ]
        ids = pending.insert_new(db.review, rows) if write else [None] * len(rows)
        review_ids.update(zip((r.ref for r in new_reviews), ids, strict=True))
        days = [r.dated_on or r.published_on or as_of for r in new_reviews]
        review_day.update(zip(ids, days, strict=True))
        audit_created("review", ids, [r.ref for r in new_reviews], days)
        count("review", len(rows))
    existing_review_ids = [i for i in review_ids.values() if i is not None]

    # --- themes --------------------------------------------------------------------------------
    theme_names = list(
        dict.fromkeys(t for rec in plan.recommendations.values() for t in rec.themes)
    )
    theme_ids: dict[str, int | None] = {}
    if theme_names and conn is not None:
        theme_ids.update(
            (name, tid)
            for tid, name in _select_in(
                conn, (db.theme.c.id, db.theme.c.name), db.theme.c.name, theme_names
            )
        )
    new_themes = [t for t in theme_names if t not in theme_ids]
    if new_themes:
        rows = [{"name": t[:200]} for t in new_themes]
        ids = pending.insert_new(db.theme, rows) if write else [None] * len(rows)
        theme_ids.update(zip(new_themes, ids, strict=True))
        audit_created("theme", ids, new_themes)
        count("theme", len(rows))

    # --- recommendations -----------------------------------------------------------------------
    rec_ids: dict[tuple[str, str], int | None] = {}
    ref_by_review_id = {i: r for r, i in review_ids.items() if i is not None}
    if existing_review_ids:
        for rid, review_id, number in _select_in(
            conn,
            (db.recommendation.c.id, db.recommendation.c.review_id, db.recommendation.c.number),
            db.recommendation.c.review_id,
            existing_review_ids,
        ):
            rec_ids[(ref_by_review_id[review_id], number)] = rid
    new_recs = [rec for key, rec in plan.recommendations.items() if key not in rec_ids]
    for batch in _chunks(new_recs, BATCH):  # built and staged a batch at a time (issue 16)
        rows = [
            {
                "review_id": review_ids[rec.review_ref],
                "number": rec.number,
                "title": rec.title,
                "text": rec.text,
                "scope": "local",
                "response_status": "awaiting",
                "response_due_on": rec.response_due_on,
                "assurance_status": "not_assessed",
                "national_dependency": False,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for rec in batch
        ]
        ids = pending.insert_new(db.recommendation, rows) if write else [None] * len(rows)
        rec_ids.update(zip(((r.review_ref, r.number) for r in batch), ids, strict=True))
        audit_created(
            "recommendation",
            ids,
            [f"{r.review_ref} recommendation {r.number}" for r in batch],
            [review_day.get(row["review_id"], as_of) for row in rows],
        )
        count("recommendation", len(rows))
    del new_recs
    if write and theme_names:
        links = {
            (rec_ids[key], theme_ids[t])
            for key, rec in plan.recommendations.items()
            for t in rec.themes
        }
        existing_links: set[tuple[int, int]] = set()
        old_rec_ids = [i for k, i in rec_ids.items() if k in plan.recommendations and i is not None]
        for rid, tid in _select_in(
            conn,
            (db.recommendation_theme.c.recommendation_id, db.recommendation_theme.c.theme_id),
            db.recommendation_theme.c.recommendation_id,
            old_rec_ids,
        ):
            existing_links.add((rid, tid))
        pending.insert(
            db.recommendation_theme,
            [{"recommendation_id": r, "theme_id": t} for r, t in sorted(links - existing_links)],
        )

    # --- actions -------------------------------------------------------------------------------
    report(0.1, "Comparing actions")
    a = db.action.c
    existing: dict[tuple[int, str], Any] = {}
    latest_note: dict[int, str | None] = {}
    if existing_review_ids:
        cols = (
            a.id,
            a.recommendation_id,
            a.number,
            a.description,
            a.lead_agency_id,
            a.lead_officer,
            a.due_on,
            a.status,
            a.completed_on,
            a.success_measure,
            a.version,
            a.due_date_changes,
            a.last_update_on,
        )
        for row in _select_in(conn, cols, a.review_id, existing_review_ids):
            existing[(row.recommendation_id, row.number)] = row
        u = db.action_update.c
        for chunk in _chunks(existing_review_ids):
            last = (
                select(func.max(u.id).label("id"))
                .select_from(db.action_update.join(db.action, a.id == u.action_id))
                .where(a.review_id.in_(chunk))
                .group_by(u.action_id)
                .subquery()
            )
            for action_id, note in conn.execute(
                select(u.action_id, u.progress_note).join(last, last.c.id == u.id)
            ):
                latest_note[action_id] = note

    # Actions a batch at a time: each batch's new actions, their first action_update, revised
    # dates and audit rows are built and staged before the next batch is looked at, so memory
    # holds one batch of rows, not the whole file's (issue 16).
    author = getattr(actor, "user_id", None)
    lead_cache: dict[str, int | None] = {}
    total = max(len(plan.actions), 1)
    created_actions = changed_actions = 0
    done = 0
    for batch in _chunks(plan.actions, BATCH):
        new_rows: list[dict] = []
        new_plans = []
        changed: list[tuple[Any, dict[str, tuple[Any, Any]], Any]] = []
        for p in batch:
            rec_id = rec_ids[(p.review_ref, p.rec_number)]
            lead_id = None
            if p.lead_name:
                if p.lead_name not in lead_cache:
                    lead_cache[p.lead_name] = agency_ids.get(normalise_alias(p.lead_name))
                lead_id = lead_cache[p.lead_name]
            old = existing.get((rec_id, p.number)) if rec_id is not None else None
            if lead_id is None and (old is None or old.lead_agency_id is None):
                reason = NO_LEAD_NOT_CREATED if p.lead_name else NO_LEAD_NAMED
                summary.without_lead[reason] = summary.without_lead.get(reason, 0) + 1
            if old is None:
                new_plans.append(p)
                new_rows.append(
                    {
                        "recommendation_id": rec_id,
                        "review_id": review_ids[p.review_ref],
                        "number": p.number,
                        "description": p.description,
                        "success_measure": p.success_measure,
                        "lead_agency_id": lead_id,
                        "lead_officer": p.lead_officer,
                        "original_due_on": p.original_due_on,
                        "due_on": p.due_on,
                        "due_on_approximate": p.due_on_approximate,
                        "due_date_changes": 1 if p.due_on != p.original_due_on else 0,
                        "status": p.status or "not_started",
                        "completed_on": p.completed_on,
                        # the source's date (issue 17: "since update" is not 0 days after an
                        # import)
                        "last_update_on": p.updated_on or as_of or today,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                continue
            changes: dict[str, tuple[Any, Any]] = {}
            for name, new in (
                ("description", p.description),
                ("lead_agency_id", lead_id),
                ("lead_officer", p.lead_officer),
                ("success_measure", p.success_measure),
                ("status", p.status),
            ):
                # An empty cell never blanks a value the database already has.
                if new is not None and _as_text(getattr(old, name)) != _as_text(new):
                    changes[name] = (getattr(old, name), new)
            if p.due_on is not None and p.due_on != old.due_on:
                changes["due_on"] = (old.due_on, p.due_on)
            if p.completed_on is not None and p.completed_on != old.completed_on:
                changes["completed_on"] = (old.completed_on, p.completed_on)
            elif (
                "status" in changes
                and p.status in ("completed", "assured")
                and old.completed_on is None
            ):
                changes["completed_on"] = (None, p.status_on(as_of or today))
            note_changed = p.progress_note is not None and p.progress_note != latest_note.get(
                old.id
            )
            if changes or note_changed:
                changed.append((old, changes, p))

        # Insert new actions, their first action_update, due_date_change rows and audit rows.
        if new_rows:
            if write:
                ids: list[int | None] = list(pending.insert_new(db.action, new_rows))
            else:
                ids = [None] * len(new_rows)
            updates = [
                {
                    "action_id": i,
                    "author_id": author,
                    "created_at": _dated(p.updated_on, now),
                    "status": p.status or "not_started",
                    "progress_note": p.progress_note,
                    "effective_on": p.status_on(as_of or today),  # never before the file's date
                }
                for i, p in zip(ids, new_plans, strict=True)
            ]
            moves = [
                {
                    "action_id": i,
                    "old_due_on": p.original_due_on,
                    "new_due_on": p.due_on,
                    "reason": f"Revised date in the imported tracker ({plan.source})",
                    "requested_by": actor.email,
                    "requested_at": now,
                    "decision": "approved",
                    "decided_by": actor.email,
                    "decided_at": now,
                    "effective_on": p.updated_on or as_of,
                }
                for i, p in zip(ids, new_plans, strict=True)
                if p.due_on != p.original_due_on and p.due_on is not None
            ]
            if write:
                pending.insert(db.action_update, updates)
                pending.insert(db.due_date_change, moves)
            audit_created(
                "action",
                ids,
                [f"{p.review_ref} {p.rec_number}/{p.number} row {p.row}" for p in new_plans],
                [review_day.get(review_ids[p.review_ref], as_of) for p in new_plans],
            )
            count("action", len(new_rows))
            count("action_update", len(updates))
            created_actions += len(new_rows)

        for old, changes, p in changed:
            values = {name: new for name, (_old, new) in changes.items()}
            if "due_on" in changes:
                values["due_date_changes"] = old.due_date_changes + 1
            values.update(
                updated_at=now,
                last_update_on=max(p.updated_on or as_of or today, old.last_update_on or ""),
            )
            day = p.status_on(as_of or today)
            note_old = latest_note.get(old.id)
            extra = {}
            note_changed = p.progress_note is not None and p.progress_note != note_old
            if note_changed:
                extra["progress_note"] = (note_old, p.progress_note)
            # A progress update (an action_update row) only for a new status or a new note: a
            # re-import that only links a lead agency changes the action (audited) and nothing
            # else, and a note equal to the action's latest is never written again.
            progress_update = note_changed or "status" in changes
            if not progress_update:
                values["last_update_on"] = old.last_update_on
            if write:
                row = {name: getattr(old, name) for name in old._fields}
                pending.update(row, values, extra, day)
                if progress_update:
                    pending.insert(
                        db.action_update,
                        [
                            {
                                "action_id": old.id,
                                "author_id": author,
                                "created_at": _dated(p.updated_on, now),
                                "status": p.status or old.status,
                                "progress_note": p.progress_note if note_changed else None,
                                "effective_on": day,
                            }
                        ],
                    )
                if "due_on" in changes:
                    pending.insert(
                        db.due_date_change,
                        [
                            {
                                "action_id": old.id,
                                "old_due_on": old.due_on,
                                "new_due_on": p.due_on,
                                "reason": "Target date changed in the imported tracker "
                                f"({plan.source})",
                                "requested_by": actor.email,
                                "requested_at": now,
                                "decision": "approved",
                                "decided_by": actor.email,
                                "decided_at": now,
                                "effective_on": day,
                            }
                        ],
                    )
        changed_actions += len(changed)
        done += len(batch)
        report(0.1 + 0.8 * done / total, f"Prepared actions: {done} of {total}")
    summary.updated = changed_actions
    summary.unchanged = len(plan.actions) - created_actions - changed_actions
    summary.problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    summary.written = write
    report(1.0, "Done")
    return summary
