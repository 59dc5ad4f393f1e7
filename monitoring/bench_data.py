"""Synthetic databases for the benchmark (``python -m monitoring bench``).

:func:`generate` writes a migrated SQLite database with ``actions`` actions: a fixed seed, reviews
of every type published over eight years, recommendations with about three actions each (some with
none, a data-quality flag), lead agencies with a skewed share of the work, target dates around
"today" (some moved, a few missing), statuses that follow the dates, and about three
``action_update`` rows per action, with the ``audit_log`` rows the services write for each status
change, completion, assurance and approved target-date move (the dated history past-date reads
rebuild from). Rows go in through ``executemany`` batches on one raw ``sqlite3``
connection with the secondary indexes dropped, then rebuilt, and the migrations after the first run
over the loaded rows; the per-review roll-ups are then counted for ``today``. 1M actions take about
two minutes.

:func:`make_plain_copy` copies the same records into a plain schema (primary keys only, no carried
``review_id``, ``due_date_changes`` or ``last_update_on``): the baseline a straightforward design
would query. :func:`write_tracker_csv` writes an N-row tracker CSV for the import measurement.
"""

from __future__ import annotations

import csv
import random
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from alembic import command

from monitoring import config, db, migrations, rollups

SEED = 20260630
"""The fixed seed: the same size always gives the same database."""

BENCH_TODAY = date(2026, 6, 30)
"""The "today" every benchmark database is built around and measured at."""

BOARD_EMAIL = "board@bench.example"
"""The board member the page measurements sign in as."""
ADMIN_EMAIL = "admin@bench.example"
"""The administrator (Users and Import pages)."""
LEAD_EMAIL = "lead@bench.example"
"""The lead of agency 1, the agency with most actions (My actions)."""
MEETINGS = ((180, "Board meeting (two quarters ago)"), (90, "Board meeting (last quarter)"))
"""Meetings recorded, as days before "today" and title: the later one is the past meeting whose
pack the benchmark prepares, the earlier its baseline."""

BATCH = 50_000

REVIEW_TYPES = [
    # code, weight, prefix
    ("LCSPR", 30, "Child Safeguarding Practice Review"),
    ("SAR", 22, "Safeguarding Adults Review"),
    ("DHR", 16, "Domestic Homicide Review"),
    ("SCR", 10, "Serious Case Review"),
    ("rapid_review", 8, "Rapid Review"),
    ("PFD", 8, "Prevention of Future Deaths report"),
    ("inquiry", 2, "Inquiry"),
    ("audit", 3, "Multi-agency audit"),
    ("other", 1, "Learning review"),
]
PSEUDONYMS = [
    "Jack", "Child A", "Amira", "Kieran", "Baby L", "Mr B", "Ms C", "Family D", "Ellie", "Tom",
    "Adult E", "Grace", "Harry", "Isla", "Joseph", "Child K", "Leo", "Maya", "Noah", "Olivia",
]  # fmt: skip
SECTORS = [
    "police",
    "local authority",
    "health",
    "education",
    "criminal justice",
    "housing",
    "voluntary",
]
VERBS = [
    "Review and reissue",
    "Audit",
    "Deliver training on",
    "Agree a protocol for",
    "Strengthen supervision of",
    "Publish a briefing on",
    "Embed",
    "Re-audit",
]
SUBJECTS = [
    "the multi-agency child exploitation procedure",
    "information sharing at the front door",
    "professional curiosity about online contact",
    "the escalation policy for strategy meetings",
    "neglect assessment using the graded care profile",
    "mental capacity assessments for self-neglect",
    "domestic abuse risk assessment (DASH) referrals",
    "return home interviews for missing children",
    "transition from children's to adult services",
    "hospital discharge planning for vulnerable adults",
]
MEASURES = [
    "Audit of 20 case files shows the procedure followed",
    "90% of staff trained within six months",
    "Protocol signed by every partner",
    "Re-audit shows improved practice",
    "Briefing read by the subgroup",
]
NOTES = [
    "Work started; lead officer named.",
    "Draft circulated to partners for comment.",
    "Training sessions booked for the next quarter.",
    "Audit under way; findings due at the next subgroup.",
    "Delayed by staffing; revised plan agreed.",
    "Completed: evidence supplied to the business unit.",
]


def sizes_for(actions: int) -> dict[str, int]:
    """How many agencies, reviews and recommendations a database of ``actions`` actions has.

    A region's many boards (issue 18): about 2,000 reviews and 300 agencies from 10,000 actions
    up (fewer below, five actions per review and one agency per 30 actions), three actions per
    recommendation.
    """
    return {
        "agencies": max(10, min(300, actions // 30)),
        "reviews": max(4, min(2000, actions // 5)),
        "recommendations": max(1, actions // 3),
    }


def _batched(rows: Iterator[tuple], size: int = BATCH) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert(conn: sqlite3.Connection, table: str, columns: list[str], rows) -> int:
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    count = 0
    for batch in _batched(iter(rows)):
        conn.executemany(sql, batch)
        count += len(batch)
    return count


def _ts(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00+00:00"


def generate(
    path: Path, actions: int, *, seed: int = SEED, today: date = BENCH_TODAY
) -> dict[str, int]:
    """Create a migrated SQLite database at ``path`` holding ``actions`` synthetic actions.

    :param path: a file that does not exist yet.
    :param actions: number of ``action`` rows (``action_update`` gets about three times as many).
    :returns: row counts by table name.
    :raises FileExistsError: when ``path`` exists.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    # The first schema only: the later migrations (full-text search, covering indexes) then build
    # over the loaded rows in one pass each, as they would on a real database.
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    cfg = migrations.alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()

    rng = random.Random(seed)
    shape = sizes_for(actions)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    indexes = [
        (name, sql)
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('action', 'action_update', 'recommendation', 'due_date_change',"
            " 'audit_log')"
        )
    ]
    conn.execute("BEGIN")
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')

    # Agencies: the statutory partners carry most of the work.
    n_agencies = shape["agencies"]
    agency_rows = []
    for i in range(1, n_agencies + 1):
        sector = SECTORS[(i - 1) % len(SECTORS)]
        agency_rows.append(
            (i, f"Agency {i:03d} ({sector})", f"A{i:03d}", sector, i <= 3, True, None)
        )
    _insert(
        conn,
        "agency",
        ["id", "name", "short_name", "sector", "is_statutory_partner", "active",
         "board_member_email"],
        agency_rows,
    )  # fmt: skip
    agency_weights = [1.0 / (i**0.8) for i in range(1, n_agencies + 1)]
    agency_ids = list(range(1, n_agencies + 1))

    _insert(
        conn,
        "app_user",
        ["id", "email", "display_name", "role", "agency_id", "password_hash", "active",
         "failed_logins", "created_at"],
        [
            (1, BOARD_EMAIL, "Bench Board Member", "board", None, None, True, 0, _ts(today, 9)),
            (2, ADMIN_EMAIL, "Bench Admin", "admin", None, None, True, 0, _ts(today, 9)),
            (3, LEAD_EMAIL, "Bench Lead", "agency_lead", 1, None, True, 0, _ts(today, 9)),
        ],
    )  # fmt: skip
    _insert(
        conn,
        "meeting",
        ["id", "held_on", "title", "baseline_meeting_id"],
        [
            (i, (today - timedelta(days=days)).isoformat(), title, i - 1 if i > 1 else None)
            for i, (days, title) in enumerate(MEETINGS, 1)
        ],
    )

    # Reviews published over eight years; older ones are more often closed.
    n_reviews = shape["reviews"]
    type_codes = [t[0] for t in REVIEW_TYPES]
    type_weights = [t[1] for t in REVIEW_TYPES]
    prefixes = {t[0]: t[2] for t in REVIEW_TYPES}
    review_rows = []
    published: list[date] = []
    for i in range(1, n_reviews + 1):
        rtype = rng.choices(type_codes, type_weights)[0]
        day = today - timedelta(days=rng.randint(30, 8 * 365))
        published.append(day)
        status = "closed" if (today - day).days > 6 * 365 and rng.random() < 0.5 else "monitoring"
        name = PSEUDONYMS[i % len(PSEUDONYMS)]
        review_rows.append(
            (i, f"R{i:05d}-{rtype}", f'{prefixes[rtype]}: "{name}"', rtype, f"Board {i % 12 + 1}",
             day.isoformat(), status, f"Learning from the review about {name}.",
             _ts(day, 10))
        )  # fmt: skip
    _insert(
        conn,
        "review",
        ["id", "ref", "title", "review_type", "board", "published_on", "status", "summary",
         "created_at"],
        review_rows,
    )  # fmt: skip
    review_weights = [rng.lognormvariate(0, 0.6) for _ in range(n_reviews)]

    # Recommendations, spread over reviews by weight (sorted so each review's are contiguous).
    n_recs = shape["recommendations"]
    rec_review = sorted(rng.choices(range(1, n_reviews + 1), review_weights, k=n_recs))
    rec_rows = []
    rec_number: dict[int, int] = {}
    for rec_id, review_id in enumerate(rec_review, 1):
        k = rec_number[review_id] = rec_number.get(review_id, 0) + 1
        assurance = rng.choices(
            ["not_assessed", "ready_for_assessment", "assured", "not_applicable"], [55, 10, 30, 5]
        )[0]
        response = rng.choices(["accepted", "partially_accepted", "awaiting"], [85, 10, 5])[0]
        rec_rows.append(
            (rec_id, review_id, str(k), f"Recommendation {k}", "Agencies should " +
             rng.choice(SUBJECTS) + ".", "local", response, assurance, rng.random() < 0.01, 1,
             review_rows[review_id - 1][8])
        )  # fmt: skip
    _insert(
        conn,
        "recommendation",
        ["id", "review_id", "number", "title", "text", "scope", "response_status",
         "assurance_status", "national_dependency", "version", "created_at"],
        rec_rows,
    )  # fmt: skip

    # Actions: each lands on a random recommendation (Poisson, mean three; a few get none).
    action_rec = sorted(rng.randrange(1, n_recs + 1) for _ in range(actions))
    action_cols = [
        "id", "recommendation_id", "review_id", "number", "description", "success_measure",
        "lead_agency_id", "lead_officer", "original_due_on", "due_on", "due_on_approximate",
        "due_date_changes", "status", "completed_on", "closure_reason", "rag_override",
        "rag_override_reason", "last_update_on", "version", "created_at", "updated_at",
    ]  # fmt: skip
    update_cols = ["action_id", "author_id", "created_at", "status", "progress_note"]
    change_cols = [
        "action_id", "old_due_on", "new_due_on", "reason", "requested_by", "requested_at",
        "decision", "decided_by", "decided_at",
    ]  # fmt: skip
    lead_agencies = rng.choices(agency_ids, agency_weights, k=actions)
    audit_cols = ["at", "actor", "entity", "entity_id", "field", "old_value", "new_value"]
    counts = {"action": 0, "action_update": 0, "due_date_change": 0, "audit_log": 0}
    action_sql = (
        f"INSERT INTO action ({', '.join(action_cols)}) "
        f"VALUES ({', '.join('?' * len(action_cols))})"
    )
    update_sql = (
        f"INSERT INTO action_update ({', '.join(update_cols)}) "
        f"VALUES ({', '.join('?' * len(update_cols))})"
    )
    change_sql = (
        f"INSERT INTO due_date_change ({', '.join(change_cols)}) "
        f"VALUES ({', '.join('?' * len(change_cols))})"
    )
    audit_sql = (
        f"INSERT INTO audit_log ({', '.join(audit_cols)}) "
        f"VALUES ({', '.join('?' * len(audit_cols))})"
    )
    l_batch: list[tuple] = []
    a_batch: list[tuple] = []
    u_batch: list[tuple] = []
    c_batch: list[tuple] = []
    action_number: dict[int, int] = {}
    rand = rng.random
    # Dates as day numbers (ordinals) with their ISO texts looked up: the loop runs a million
    # times, so it avoids date objects and ``randint``.
    t = today.toordinal()
    first = t - 9 * 365
    iso_of = [date.fromordinal(d).isoformat() for d in range(first, t + 1500)]

    def iso(day: int) -> str:
        return iso_of[day - first]

    def ts(day: int, hour: int) -> str:
        return f"{iso_of[day - first]}T{hour:02d}:00:00+00:00"

    published_day = [d.toordinal() for d in published]
    for action_id, rec_id in enumerate(action_rec, 1):
        review_id = rec_review[rec_id - 1]
        k = action_number[rec_id] = action_number.get(rec_id, 0) + 1
        created = min(published_day[review_id - 1] + 7 + int(rand() * 84), t)
        no_date = rand() < 0.015
        original = None if no_date else created + 30 + int(rand() * 511)
        roll = rand()
        moves = 0 if roll < 0.8 else 1 if roll < 0.94 else 2 if roll < 0.985 else 3
        due = original
        changes = []
        if original is not None:
            for _ in range(moves):
                new = due + 30 + int(rand() * 91)
                asked = min(due - int(rand() * 21), t)
                changes.append((due, new, asked))
                due = new
        else:
            moves = 0
        # Status follows the dates: work past its date is mostly closed, a quarter left open.
        r = rand()
        if due is not None and due < t:
            status = (
                "completed" if r < 0.38 else "assured" if r < 0.68 else
                "not_implemented" if r < 0.71 else "superseded" if r < 0.73 else
                "in_progress" if r < 0.90 else "not_started"
            )  # fmt: skip
        else:
            status = (
                "completed" if r < 0.10 else "assured" if r < 0.14 else
                "in_progress" if r < 0.70 else "not_started"
            )  # fmt: skip
        completed_on = None
        end = t
        if status in ("completed", "assured"):
            latest = min(t, (due or t) + 90)
            span = max(0, latest - created)
            low = min(span, 20)
            completed_on = created + low + int(rand() * (span - low + 1))
            end = completed_on
        agency_id = lead_agencies[action_id - 1] if rand() > 0.01 else None
        override = rand() < 0.005
        n_updates = int(rand() * 7) if status != "not_started" else int(rand() * 3)
        span = max(0, end - created) + 1
        days = sorted(int(rand() * span) for _ in range(n_updates))
        # The dated history the services write (issue 18: past dates read truthfully): each
        # update an ``action_update`` row; each status change one ``audit_log`` row (old, new)
        # at the same moment, completion its ``completed_on`` row, assurance a later update.
        final = "completed" if status == "assured" else status
        if completed_on is not None and days:
            days[-1] = completed_on - created  # the work is reported done on the day it was
        last = None
        previous = "not_started"
        for j, d in enumerate(days):
            is_last = j == n_updates - 1
            last = created + d
            new_status = final if is_last else "in_progress"
            at = ts(last, 11)
            u_batch.append(
                (action_id, 3, at, new_status,
                 NOTES[-1] if is_last and completed_on else NOTES[j % 5])
            )  # fmt: skip
            if new_status != previous:
                l_batch.append(
                    (at, LEAD_EMAIL, "action", action_id, "status", previous, new_status)
                )
                if new_status == "completed":
                    l_batch.append(
                        (at, LEAD_EMAIL, "action", action_id, "completed_on", None, iso(last))
                    )
                previous = new_status
        if status == "assured" and days:
            last = min(t, last + 7 + int(rand() * 60))
            at = ts(last, 15)
            u_batch.append((action_id, 1, at, "assured", "Assured by the board."))
            l_batch.append((at, BOARD_EMAIL, "action", action_id, "status", previous, "assured"))
        for old, new, asked in changes:
            c_batch.append(
                (action_id, iso(old), iso(new), "Staffing and revised plan",
                 "lead@bench.example", ts(asked, 12), "approved", BOARD_EMAIL, ts(asked, 14))
            )  # fmt: skip
            l_batch.append(
                (ts(asked, 14), BOARD_EMAIL, "action", action_id, "due_on", iso(old), iso(new))
            )
        if moves and rand() < 0.05:
            c_batch.append(
                (action_id, iso(due), iso(due + 60), "More time asked", "lead@bench.example",
                 ts(min(due, t), 12), "pending", None, None)
            )  # fmt: skip
        a_batch.append(
            (action_id, rec_id, review_id, str(k),
             f"{VERBS[action_id % len(VERBS)]} {SUBJECTS[rec_id % len(SUBJECTS)]}",
             MEASURES[action_id % len(MEASURES)], agency_id, f"Officer {action_id % 997}",
             None if original is None else iso(original), None if due is None else iso(due),
             False, moves, status, None if completed_on is None else iso(completed_on),
             "Superseded by a regional procedure." if status == "superseded" else None,
             "amber" if override else None,
             "Board judged the plan at risk." if override else None,
             None if last is None else iso(last), 1, ts(created, 9),
             ts(created if last is None else last, 11))
        )  # fmt: skip
        if len(a_batch) >= BATCH:
            conn.executemany(action_sql, a_batch)
            conn.executemany(update_sql, u_batch)
            conn.executemany(change_sql, c_batch)
            conn.executemany(audit_sql, l_batch)
            counts["action"] += len(a_batch)
            counts["action_update"] += len(u_batch)
            counts["due_date_change"] += len(c_batch)
            counts["audit_log"] += len(l_batch)
            a_batch, u_batch, c_batch, l_batch = [], [], [], []
    conn.executemany(action_sql, a_batch)
    conn.executemany(update_sql, u_batch)
    conn.executemany(change_sql, c_batch)
    conn.executemany(audit_sql, l_batch)
    counts["action"] += len(a_batch)
    counts["action_update"] += len(u_batch)
    counts["due_date_change"] += len(c_batch)
    counts["audit_log"] += len(l_batch)

    conn.execute("INSERT OR REPLACE INTO data_version (id, version) VALUES (1, 1)")
    for _name, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    # The roll-ups counted for the benchmark's today, as the first write of that day would.
    limits = config.thresholds()
    with engine.begin() as conn:
        rollups.refresh(conn, today, window_days=limits.due_soon_days, stale_days=limits.stale_days)
    db.optimize(engine, after_write=True)  # planner statistics, as after an import
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    counts.update(
        agency=n_agencies,
        review=n_reviews,
        recommendation=n_recs,
        app_user=3,
        meeting=len(MEETINGS),
        data_version=1,
    )
    return counts


PLAIN_SCHEMA = """
CREATE TABLE agency (id INTEGER PRIMARY KEY, name TEXT, short_name TEXT, sector TEXT);
CREATE TABLE review (id INTEGER PRIMARY KEY, ref TEXT, title TEXT, review_type TEXT,
    published_on TEXT, status TEXT);
CREATE TABLE recommendation (id INTEGER PRIMARY KEY, review_id INTEGER, number TEXT, title TEXT,
    response_status TEXT, assurance_status TEXT, national_dependency BOOLEAN);
CREATE TABLE action (id INTEGER PRIMARY KEY, recommendation_id INTEGER, number TEXT,
    description TEXT, success_measure TEXT, lead_agency_id INTEGER, lead_officer TEXT,
    original_due_on TEXT, due_on TEXT, status TEXT, completed_on TEXT, rag_override TEXT,
    rag_override_reason TEXT, created_at TEXT, updated_at TEXT);
CREATE TABLE action_update (id INTEGER PRIMARY KEY, action_id INTEGER, created_at TEXT,
    status TEXT, progress_note TEXT);
CREATE TABLE due_date_change (id INTEGER PRIMARY KEY, action_id INTEGER, old_due_on TEXT,
    new_due_on TEXT, decision TEXT);
"""


def make_plain_copy(source: Path, target: Path) -> None:
    """Copy the records of ``source`` into a plain schema at ``target``: primary keys only.

    The plain ``action`` has no carried ``review_id``, ``due_date_changes`` or ``last_update_on``;
    a query must join ``recommendation``, ``due_date_change`` and ``action_update`` for them.

    :raises FileExistsError: when ``target`` exists.
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(target)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.executescript(PLAIN_SCHEMA)
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    conn.execute("BEGIN")
    for table in ("agency", "review", "recommendation", "action", "action_update"):
        cols = [row[1] for row in conn.execute(f"PRAGMA main.table_info({table})")]
        names = ", ".join(cols)
        conn.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM src.{table}")
    conn.execute(
        "INSERT INTO main.due_date_change (id, action_id, old_due_on, new_due_on, decision)"
        " SELECT id, action_id, old_due_on, new_due_on, decision FROM src.due_date_change"
    )
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE src")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()


TRACKER_COLUMNS = [
    "Review",
    "Rec number",
    "Action number",
    "Action description",
    "Lead agency",
    "Lead officer",
    "Target date",
    "Status",
    "Success measure",
]
STATUS_WORDS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "completed": "Completed",
    "assured": "Assured",
    "not_implemented": "Not implemented",
    "superseded": "Superseded",
}


def write_tracker_csv(source: Path, target: Path, rows: int) -> int:
    """Write the first ``rows`` actions of the benchmark database ``source`` as a tracker CSV.

    Columns: :data:`TRACKER_COLUMNS` (review ref, recommendation number, action number,
    description, lead agency name, lead officer, target date ``YYYY-MM-DD``, status in words as
    trackers write it, success measure).

    :returns: the number of data rows written.
    """
    conn = sqlite3.connect(source)
    cursor = conn.execute(
        "SELECT r.ref, rec.number, a.number, a.description, g.name, a.lead_officer, a.due_on,"
        " a.status, a.success_measure FROM action a JOIN recommendation rec"
        " ON rec.id = a.recommendation_id JOIN review r ON r.id = a.review_id"
        " LEFT JOIN agency g ON g.id = a.lead_agency_id ORDER BY a.id LIMIT ?",
        (rows,),
    )
    written = 0
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRACKER_COLUMNS)
        for batch in iter(lambda: cursor.fetchmany(BATCH), []):
            writer.writerows(row[:7] + (STATUS_WORDS[row[7]], row[8]) for row in batch)
            written += len(batch)
    conn.close()
    return written


def make_import_base(source: Path, target: Path) -> None:
    """A migrated database at ``target`` holding only the agencies and users of ``source``: what
    a partnership has before it imports its first tracker.

    :raises FileExistsError: when ``target`` exists.
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(target)
    engine = db.make_engine(f"sqlite:///{target}")
    migrations.upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    conn.execute("BEGIN")
    conn.execute("INSERT INTO main.agency SELECT * FROM src.agency")
    conn.execute("INSERT INTO main.app_user SELECT * FROM src.app_user")
    conn.execute("INSERT OR REPLACE INTO main.data_version (id, version) VALUES (1, 1)")
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE src")
    conn.close()
