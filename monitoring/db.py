"""The store: table metadata, the engine factory, transactions and ``data_version``.

Table and column names are part of the contract (DESIGN §3): tests and tools query them directly.
Dates are ISO ``YYYY-MM-DD`` text; timestamps are UTC ISO-8601 text. The same code runs on SQLite
(the embedded default) and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from monitoring import config, files
from monitoring.errors import DatabaseBusy, StorageFull

metadata = MetaData()

# Vocabularies stored as codes (DESIGN §3); labels and colours are configurable in rules.py.
ACTION_STATUSES = (
    "not_started",
    "in_progress",
    "completed",
    "assured",
    "not_implemented",
    "superseded",
)
OPEN_STATUSES = ("not_started", "in_progress")
RESPONSE_STATUSES = ("awaiting", "accepted", "partially_accepted", "not_accepted")
ASSURANCE_STATUSES = (
    "not_assessed",
    "ready_for_assessment",
    "assured",
    "closed_unacceptable",
    "superseded",
    "not_applicable",
)
REVIEW_TYPES = (
    "SCR",
    "LCSPR",
    "NCSPR",
    "rapid_review",
    "SAR",
    "DHR",
    "PFD",
    "inquiry",
    "audit",
    "other",
)
REVIEW_STATUSES = ("unpublished", "monitoring", "closed")
ROLES = ("admin", "board", "assurer", "agency_lead", "viewer")

agency = Table(
    "agency",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False, unique=True),
    Column("short_name", String(60)),
    Column("sector", String(60)),
    Column("is_statutory_partner", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("board_member_email", String(320)),
)

agency_alias = Table(
    "agency_alias",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alias", String(300), nullable=False, unique=True),
    Column("agency_id", Integer, ForeignKey("agency.id", ondelete="CASCADE"), nullable=False),
)

app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("agency_id", Integer, ForeignKey("agency.id")),
    Column("password_hash", String(200)),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", String(32)),
    Column("created_at", String(32)),
)

review = Table(
    "review",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ref", String(100), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("review_type", String(20), nullable=False, default="other"),
    Column("board", String(300)),
    Column("published_on", String(10)),
    Column("status", String(20), nullable=False, default="monitoring"),
    Column("summary", Text),
    Column("source_url", Text),
    Column("created_at", String(32)),
)

theme = Table(
    "theme",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
)

recommendation = Table(
    "recommendation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("review_id", Integer, ForeignKey("review.id", ondelete="CASCADE"), nullable=False),
    Column("number", String(50), nullable=False),
    Column("title", String(500)),
    Column("text", Text),
    Column("scope", String(20), nullable=False, default="local"),
    Column("priority", String(20)),
    Column("addressed_to", Text),
    Column("response_status", String(30), nullable=False, default="awaiting"),
    Column("response_due_on", String(10)),
    Column("responded_on", String(10)),
    Column("assurance_status", String(30), nullable=False, default="not_assessed"),
    Column("national_dependency", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", String(32)),
    Column("updated_at", String(32)),
    UniqueConstraint("review_id", "number", name="uq_recommendation_review_number"),
)

recommendation_theme = Table(
    "recommendation_theme",
    metadata,
    Column(
        "recommendation_id",
        Integer,
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("theme_id", Integer, ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True),
)

action = Table(
    "action",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "recommendation_id",
        Integer,
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Carried from the recommendation so that per-review roll-ups need no join (kept by services).
    Column("review_id", Integer, ForeignKey("review.id", ondelete="CASCADE"), nullable=False),
    Column("number", String(50), nullable=False),
    Column("description", Text, nullable=False),
    Column("success_measure", Text),
    Column("lead_agency_id", Integer, ForeignKey("agency.id")),
    Column("lead_officer", String(200)),
    Column("original_due_on", String(10)),
    Column("due_on", String(10)),
    Column("due_on_approximate", Boolean, nullable=False, default=False),
    # Approved target-date changes, kept by the services (the RAG rule needs it in SQL).
    Column("due_date_changes", Integer, nullable=False, default=0),
    Column("status", String(20), nullable=False, default="not_started"),
    Column("completed_on", String(10)),
    Column("closure_reason", Text),
    Column("rag_override", String(10)),
    Column("rag_override_reason", Text),
    Column("last_update_on", String(10)),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", String(32)),
    Column("updated_at", String(32)),
    UniqueConstraint("recommendation_id", "number", name="uq_action_recommendation_number"),
)

action_update = Table(
    "action_update",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_id", Integer, ForeignKey("action.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Integer, ForeignKey("app_user.id")),
    Column("created_at", String(32), nullable=False),
    Column("status", String(20)),
    Column("progress_note", Text),
    Column("evidence_url", Text),
    # When it happened in the world: a Europe/London date; NULL = date not known (0006).
    Column("effective_on", String(10)),
)

due_date_change = Table(
    "due_date_change",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_id", Integer, ForeignKey("action.id", ondelete="CASCADE"), nullable=False),
    Column("old_due_on", String(10)),
    Column("new_due_on", String(10), nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_by", String(320)),
    Column("requested_at", String(32), nullable=False),
    Column("decision", String(20), nullable=False, default="pending"),
    Column("decided_by", String(320)),
    Column("decided_at", String(32)),
    Column("effective_on", String(10)),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_id", Integer, ForeignKey("action.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(300), nullable=False),
    Column("url", Text),
    Column("file_path", Text),
    Column("sha256", String(64)),
    Column("size_bytes", Integer),
    Column("content_type", String(100)),
    Column("uploaded_by", String(320)),
    Column("uploaded_at", String(32)),
    Column("verified_by", String(320)),
    Column("verified_at", String(32)),
)

meeting = Table(
    "meeting",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("held_on", String(10), nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("baseline_meeting_id", Integer, ForeignKey("meeting.id")),
)

meeting_decision = Table(
    "meeting_decision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("meeting_id", Integer, ForeignKey("meeting.id", ondelete="CASCADE")),
    Column("entity", String(30), nullable=False),
    Column("entity_id", Integer),
    Column("decision", Text, nullable=False),
    Column("decided_by", String(320)),
    Column("decided_at", String(32)),
)

escalation = Table(
    "escalation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_id", Integer, ForeignKey("action.id", ondelete="CASCADE"), nullable=False),
    Column("level", Integer, nullable=False),
    Column("level_name", String(60)),
    Column("days_overdue", Integer),
    Column("reached_on", String(10), nullable=False),
    UniqueConstraint("action_id", "level", "reached_on", name="uq_escalation_action_level_day"),
)

reminder_log = Table(
    "reminder_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sent_on", String(10), nullable=False),
    Column("sent_at", String(32), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("agency_id", Integer, ForeignKey("agency.id")),
    Column("subject", String(300)),
    Column("action_ids", Text),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", String(32), nullable=False),
    Column("actor", String(320), nullable=False),
    Column("entity", String(30), nullable=False),
    Column("entity_id", Integer),
    Column("field", String(60), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    # When the change happened in the world (London date; NULL = not known); ``at`` is when it
    # was recorded here (UTC). Migration 0006_effective_dates.
    Column("effective_on", String(10)),
)

data_version = Table(
    "data_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False, default=0),
)

# Agency merges (migration 0008_agency_merge, kept by monitoring.agencies): what each merge moved
# (``moved``: JSON ids), so that an undo restores it exactly.
agency_merge = Table(
    "agency_merge",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kept_agency_id", Integer, ForeignKey("agency.id"), nullable=False),
    Column("merged_agency_id", Integer, ForeignKey("agency.id"), nullable=False),
    Column("merged_name", String(300), nullable=False),
    Column("merged_by", String(320), nullable=False),
    Column("merged_at", String(32), nullable=False),
    Column("moved", Text, nullable=False),
    Column("undone_by", String(320)),
    Column("undone_at", String(32)),
)
Index("ix_agency_merge_kept", agency_merge.c.kept_agency_id)
Index("ix_agency_merge_merged", agency_merge.c.merged_agency_id)

# Impact measures (migration 0007_measures, written by monitoring.measures): did practice change?
MEASURE_UNITS = ("percent", "count", "days")
MEASURE_DIRECTIONS = ("up", "down")
MEASURE_SOURCES = ("audit", "performance", "feedback")
MEASURE_FREQUENCIES = ("monthly", "quarterly")

measure = Table(
    "measure",
    metadata,
    Column("id", Integer, primary_key=True),
    # A measure belongs to a recommendation or to a theme (at least one is set).
    Column("recommendation_id", Integer, ForeignKey("recommendation.id", ondelete="CASCADE")),
    Column("theme_id", Integer, ForeignKey("theme.id", ondelete="CASCADE")),
    Column("name", String(300), nullable=False),
    Column("numerator", Text),  # the definition in words: what is counted ...
    Column("denominator", Text),  # ... out of what (a share's denominator)
    Column("unit", String(10), nullable=False, default="percent"),
    Column("better", String(4), nullable=False, default="up"),
    Column("baseline_value", Float),
    Column("baseline_from", String(10)),
    Column("baseline_to", String(10)),
    Column("target_value", Float),
    Column("target_on", String(10)),
    Column("source", String(20), nullable=False, default="performance"),
    Column("agency_id", Integer, ForeignKey("agency.id")),  # the owning agency
    Column("frequency", String(10), nullable=False, default="monthly"),
    # A change in practice recorded on this period end: the process limits are recalculated from it.
    Column("change_from", String(10)),
    Column("change_note", Text),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(320)),
    Column("updated_at", String(32)),
)

measure_observation = Table(
    "measure_observation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("measure_id", Integer, ForeignKey("measure.id", ondelete="CASCADE"), nullable=False),
    Column("period_end", String(10), nullable=False),
    Column("value", Float, nullable=False),
    Column("numerator", Float),
    Column("denominator", Float),
    # Append-only: a correction is a new row with the next version; the row in force on a date
    # is the highest version recorded by then.
    Column("version", Integer, nullable=False, default=1),
    Column("recorded_at", String(32), nullable=False),
    Column("recorded_by", String(320)),
    UniqueConstraint(
        "measure_id", "period_end", "version", name="uq_measure_observation_period_version"
    ),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "recommendation_id",
        Integer,
        ForeignKey("recommendation.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("received_on", String(10), nullable=False),
    Column("source", String(200), nullable=False),
    Column("summary", Text, nullable=False),  # anonymised: no names
    Column("recorded_at", String(32), nullable=False),
    Column("recorded_by", String(320)),
)
Index("ix_measure_recommendation", measure.c.recommendation_id)
Index(
    "ix_measure_observation_measure",
    measure_observation.c.measure_id,
    measure_observation.c.period_end,
    measure_observation.c.recorded_at,
)
Index("ix_feedback_recommendation", feedback.c.recommendation_id, feedback.c.received_on)

# Roll-ups (migration 0005_rollups, kept by monitoring.rollups): derived counts per review, not
# records. They live in their own MetaData so that copying, the demo loader's reset and
# table_counts see only the records; triggers mark a review's row dirty on any write.
derived_metadata = MetaData()

review_rollup = Table(
    "review_rollup",
    derived_metadata,
    Column("review_id", Integer, primary_key=True, autoincrement=False),
    Column("dirty", Boolean, nullable=False, default=True),
    # The "today" (ISO date) and thresholds (days) the counts were made for.
    Column("counted_for", String(10)),
    Column("window_days", Integer),
    Column("stale_days", Integer),
    Column("counted_at", String(32)),
    # The escalation ladder's board-level days the "escalated" count was made for (0011).
    Column("board_days", Integer),
    *(
        Column(name, Integer, nullable=False, default=0)
        for name in (
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
            # The Overview's board tiles (migration 0011_tile_rollup; rollups.TILE_COUNTS).
            "escalated",
            "reported_completed",
            "ready_for_assurance",
            "completed_not_assured",
        )
    ),
)

review_agency_rollup = Table(
    "review_agency_rollup",
    derived_metadata,
    Column("id", Integer, primary_key=True),
    Column("review_id", Integer, nullable=False),
    Column("lead_agency_id", Integer),
    Column("overdue", Integer, nullable=False),
    # The scorecard's counts (migration 0010_agency_scorecard_rollup; queries.AGENCY_COUNTS).
    *(
        Column(name, Integer, nullable=False, default=0)
        for name in (
            "actions",
            "open_actions",
            "overdue_90",
            "completed",
            "timed",
            "on_time",
            "date_changes",
        )
    ),
    Column("last_update_on", String(10)),
)
Index("ix_review_agency_rollup_review", review_agency_rollup.c.review_id)
Index(
    "ix_review_agency_rollup_agency",
    review_agency_rollup.c.lead_agency_id,
    review_agency_rollup.c.review_id,
    review_agency_rollup.c.overdue,
)

# Work an import left to do after its commit (migration 0009_search_catchup, kept by
# monitoring.importer.writer.catch_up): ``kind`` "recommendation"/"action": ids first_id..last_id
# not yet in SQLite's search index (monitoring.search also reads them with LIKE); "review": the
# roll-up of review first_id (= last_id) left dirty for the catch-up, not for the next save.
import_catchup = Table(
    "import_catchup",
    derived_metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("first_id", Integer, nullable=False),
    Column("last_id", Integer, nullable=False),
)
Index("ix_import_catchup_kind", import_catchup.c.kind, import_catchup.c.first_id)

# Covering indexes for the overview's queries (widened in migration 0004_bench_indexes).
Index(
    "ix_action_status_due",
    action.c.status,
    action.c.due_on,
    action.c.last_update_on,
    action.c.created_at,
)
Index("ix_action_lead_agency", action.c.lead_agency_id, action.c.status, action.c.due_on)
# The open actions in target-date order per agency: the scorecard's median days overdue
# (migration 0010_agency_scorecard_rollup; monitoring.rollups.agency_scorecard).
Index(
    "ix_action_open_agency_due",
    action.c.lead_agency_id,
    action.c.due_on,
    action.c.status,  # covering: the query repeats the WHERE clause's status test
    sqlite_where=text("status IN ('not_started', 'in_progress')"),
    postgresql_where=text("status IN ('not_started', 'in_progress')"),
)
Index(
    "ix_action_review",
    action.c.review_id,
    action.c.status,
    action.c.due_on,
    action.c.due_date_changes,
    action.c.rag_override,
    action.c.rag_override_reason,
)
Index("ix_action_recommendation", action.c.recommendation_id, action.c.status)
Index("ix_recommendation_review", recommendation.c.review_id)
Index("ix_action_update_action", action_update.c.action_id, action_update.c.created_at)
Index("ix_action_update_created", action_update.c.created_at)
Index("ix_due_date_change_action", due_date_change.c.action_id)
# The board tiles' live part "responses overdue" (migration 0011_tile_rollup), found by a range
# search instead of a pass over every row.
Index(
    "ix_recommendation_response",
    recommendation.c.response_status,
    recommendation.c.response_due_on,
)
Index("ix_audit_entity", audit_log.c.entity, audit_log.c.entity_id)
Index("ix_audit_at", audit_log.c.at)
Index("ix_audit_effective", audit_log.c.effective_on)
Index(
    "ix_audit_entity_field_effective",
    audit_log.c.entity,
    audit_log.c.field,
    audit_log.c.effective_on,
    audit_log.c.at,
)
Index("ix_action_status_completed", action.c.status, action.c.completed_on)
Index("ix_action_update_effective", action_update.c.effective_on)
Index("ix_evidence_action", evidence.c.action_id)
Index("ix_escalation_action", escalation.c.action_id)
Index("ix_reminder_log_day", reminder_log.c.sent_on, reminder_log.c.recipient)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling is switched off so that BEGIN is ours (see _begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # A writer waits this long for another's lock, then gives up plainly (DatabaseBusy).
    cursor.execute(f"PRAGMA busy_timeout={int(config.write_wait_seconds() * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Up to 64 MiB of page cache per connection (used only as needed): a large import's index
    # updates stay in memory, so its short write transaction stays short.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the write lock at BEGIN, so two writers queue instead of failing mid-way.
    immediate = conn.get_execution_options().get("immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str | None = None) -> Engine:
    """Create an Engine for ``url`` (default :func:`monitoring.config.database_url`).

    SQLite gets WAL journal, foreign keys on, a busy timeout of
    :func:`monitoring.config.write_wait_seconds` (10 s) and ``BEGIN IMMEDIATE`` for writes; its
    folder is created if missing, the file and its WAL/SHM owner-only
    (:func:`monitoring.files.secure_sqlite`). PostgreSQL gets a pre-ping pool.
    """
    url = url or config.database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            files.secure_sqlite(parsed.database)  # owner-only database, WAL and SHM (case 19)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": config.write_wait_seconds()},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


STATISTICS_TABLES = (
    "action",
    "action_update",
    "audit_log",
    "due_date_change",
    "recommendation",
    "review",
    "agency",
)
"""The tables whose planner statistics :func:`optimize` keeps: the as-at reconstruction
(:mod:`monitoring.asat`) joins the history tables, and without statistics SQLite picks full
scans for its ``audit_log`` lookups (a past date's read at 100k actions and 60,000 audit rows did
not finish in 240 s; 3.9 s after ``ANALYZE audit_log``)."""

ANALYSIS_LIMIT = 1000
"""SQLite ``PRAGMA analysis_limit``: rows ``ANALYZE`` samples per index (an approximate, fast
analysis: well under a second at a million actions; sqlite.org/lang_analyze.html)."""


def optimize(engine: Engine, *, after_write: bool = False) -> bool:
    """Keep the query planner's statistics (``sqlite_stat1``; PostgreSQL's ``pg_statistic``).

    - SQLite: ``ANALYZE`` (with :data:`ANALYSIS_LIMIT`) when ``after_write`` (a bulk write, e.g.
      an import, just changed the tables' sizes) or when any of :data:`STATISTICS_TABLES` holding
      rows has no statistics yet; otherwise only ``PRAGMA optimize`` (cheap: a no-op unless a
      table grew a lot). Called when the app or a command opens the database, after an import
      and after the demo and benchmark data are built.
    - PostgreSQL: ``ANALYZE`` of :data:`STATISTICS_TABLES` when ``after_write`` (autovacuum keeps
      them otherwise).

    Never raises for a busy or read-only database (statistics are an optimisation: the next call
    tries again).

    :returns: True when statistics were gathered.
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                if not after_write:
                    return False
                present = _present_tables(conn)
                names = ", ".join(f'"{t}"' for t in STATISTICS_TABLES if t in present)
                if names:
                    conn.exec_driver_sql(f"ANALYZE {names}")
                conn.commit()
                return bool(names)
            if conn.dialect.name != "sqlite":
                return False
            conn.exec_driver_sql("PRAGMA busy_timeout=500")  # never hold up a start for a writer
            try:
                needed = after_write or _sqlite_missing_statistics(conn)
                conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
                conn.exec_driver_sql("ANALYZE" if needed else "PRAGMA optimize")
                conn.commit()
            finally:
                conn.exec_driver_sql(
                    f"PRAGMA busy_timeout={int(config.write_wait_seconds() * 1000)}"
                )
            return needed
    except SQLAlchemyError:
        return False


def _present_tables(conn: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names())


def _sqlite_missing_statistics(conn: Connection) -> bool:
    """True when a table of :data:`STATISTICS_TABLES` holds rows but ``sqlite_stat1`` says nothing
    of it (never analysed, or analysed while empty)."""
    present = _present_tables(conn)
    analysed: set[str] = set()
    if "sqlite_stat1" in {
        r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    }:
        analysed = {r[0] for r in conn.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1")}
    return any(
        table in present
        and table not in analysed
        and conn.exec_driver_sql(f'SELECT 1 FROM "{table}" LIMIT 1').first() is not None
        for table in STATISTICS_TABLES
    )


_engines: dict[str, Engine] = {}


def get_engine(url: str | None = None) -> Engine:
    """A process-wide Engine for ``url``, created once (an Engine is a thread-safe pool); its
    planner statistics are checked then (:func:`optimize`)."""
    url = url or config.database_url()
    if url not in _engines:
        _engines[url] = make_engine(url)
        optimize(_engines[url])
    return _engines[url]


def dispose_engines() -> None:
    """Close every pooled connection (tests and tools that switch databases call this)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


_BUSY_SQLSTATES = ("55P03", "40P01")  # PostgreSQL: lock not available, deadlock detected
_FULL_SQLSTATES = ("53100",)  # PostgreSQL: disk full


def store_error(exc: BaseException) -> DatabaseBusy | StorageFull | None:
    """The plain error a driver error stands for: the database stayed busy past the bounded wait
    (SQLite "database is locked", PostgreSQL lock timeout or deadlock) or the disk is full
    (SQLite ``SQLITE_FULL``, PostgreSQL 53100); None for any other error."""
    orig = getattr(exc, "orig", exc)
    text_ = str(orig).lower()
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    code = getattr(orig, "sqlite_errorcode", None)
    if state in _FULL_SQLSTATES or code == 13 or "database or disk is full" in text_:
        return StorageFull()
    if state in _BUSY_SQLSTATES or code in (5, 6) or "database is locked" in text_:
        return DatabaseBusy()
    return None


@contextmanager
def _open(engine: Engine, connection: Connection | None) -> Iterator[Connection]:
    if connection is not None:
        yield connection
        return
    with engine.connect() as conn:
        yield conn


@contextmanager
def write_transaction(
    engine: Engine, *, connection: Connection | None = None, derived: bool = False
) -> Iterator[Connection]:
    """One write transaction: commits on success, rolls back on any error, bumps ``data_version``.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``. Just before the commit the roll-ups
    of the reviews this write touched are recounted (:func:`monitoring.rollups.refresh_pending`).
    Every wait for another writer's lock is bounded by
    :func:`monitoring.config.write_wait_seconds` (SQLite's busy timeout, PostgreSQL's
    ``lock_timeout``).

    :param connection: an open connection of ``engine`` to write on (not in a transaction; the
        importer's, whose temporary staging tables the write moves in); default a new one.
    :param derived: the write changes only derived data (the search index, roll-ups the caller
        recounts: :func:`monitoring.importer.writer.catch_up`), so no figure or search result
        changes: no roll-up recount before the commit and no ``data_version`` bump.
    :raises monitoring.errors.DatabaseBusy: the database stayed busy for longer than that wait
        (nothing written; the message says to press Save again).
    :raises monitoring.errors.StorageFull: the disk is full (nothing written).
    """
    from monitoring import rollups

    try:
        with _open(engine, connection) as conn:
            conn.execution_options(immediate=True)
            try:
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        wait_ms = int(config.write_wait_seconds() * 1000)
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
                    yield conn
                    if not derived:
                        rollups.refresh_pending(conn)
                        bump_data_version(conn)
            finally:
                conn.execution_options(immediate=False)
    except DBAPIError as exc:
        plain = store_error(exc)
        if plain is None:
            raise
        raise plain from exc


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reads (one consistent snapshot while it is open)."""
    with engine.connect() as conn, conn.begin():
        yield conn


def bump_data_version(conn: Connection) -> None:
    """Increase ``data_version`` by one inside the caller's transaction."""
    result = conn.execute(
        update(data_version)
        .where(data_version.c.id == 1)
        .values(version=data_version.c.version + 1)
    )
    if result.rowcount == 0:
        if conn.dialect.name == "postgresql":
            # Two processes' first writes may race here; the loser increments the winner's row.
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(
                pg_insert(data_version)
                .values(id=1, version=1)
                .on_conflict_do_update(
                    index_elements=[data_version.c.id],
                    set_={"version": data_version.c.version + 1},
                )
            )
        else:
            conn.execute(data_version.insert().values(id=1, version=1))


def reset_sequences(conn: Connection, tables: list[Table] | None = None) -> None:
    """After rows were inserted with explicit ids, move PostgreSQL's id sequences past them.

    Each table with an integer ``id`` key gets its sequence set to ``max(id) + 1``, so the next
    insert without an id gets a fresh one. A no-op on SQLite (which uses ``max(rowid) + 1``).

    :param tables: the tables to fix (default every table in :data:`metadata`).
    """
    if conn.dialect.name != "postgresql":
        return
    for table in tables if tables is not None else metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f'COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'
            ),
            {"table": f'"{table.name}"'},
        )


def get_data_version(engine: Engine) -> int:
    """The current ``data_version``: cheap to read; every cached read is keyed on it."""
    with engine.connect() as conn:
        value = conn.execute(select(data_version.c.version).where(data_version.c.id == 1)).scalar()
    return int(value or 0)


def is_empty(engine: Engine) -> bool:
    """True when the database has no review, agency or user yet."""
    with engine.connect() as conn:
        for table in (review, agency, app_user):
            if conn.execute(select(table.c.id).limit(1)).first() is not None:
                return False
    return True


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of every table, by name (used by ``copy`` and tests)."""
    with engine.connect() as conn:
        return {
            name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() or 0)
            for name in metadata.tables
        }
