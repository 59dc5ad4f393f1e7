"""How long does a lead's save wait while a large tracker is imported? (issue 15, case 08)

Builds a demo database in a temporary folder, writes an N-row tracker CSV (columns Ref, Action,
Lead agency, Due date, Status, as in case 08), starts ``python -m monitoring import`` on it in a
child process and, until the import ends, saves a progress note on one demo action every 0.2 s
through :func:`monitoring.services.add_progress_update`, timing each save. Prints a JSON line:
rows, import seconds, saves made, saves refused as busy, and the longest and median save (s).

Run once, on a quiet machine, and copy the figures to BENCHMARKS.md::

    .venv/bin/python benchmarks/save_wait.py --rows 100000

``--move-in`` measures instead the one transaction that makes the import appear, alone (no
saves, in this process): the same database and tracker, the rows prepared and staged first, then
the move-in's CPU time (user + system of this process) and wall time, the time of its SQL
statements grouped by kind, and the catch-up that follows (its total and its longest step, each
a transaction of its own). ``--inline-derived`` does the derived work (search index, roll-up
recount) inside the move-in, as before the catch-up existed (issue 15).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_csv(path: Path, rows: int) -> None:
    """An N-row tracker in the shape of case 08 (any values)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["Ref", "Action", "Lead agency", "Due date", "Status"])
        for i in range(rows):
            out.writerow(
                [
                    f"{i // 50 + 1}.{i % 50 + 1}",
                    f"Imported action {i}",
                    f"Agency {i % 7}",
                    "2027-01-15",
                    "In progress" if i % 3 else "Not started",
                ]
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--move-in", action="store_true", help="time the move-in transaction alone (no saves)"
    )
    parser.add_argument(
        "--inline-derived",
        action="store_true",
        help="with --move-in: search index and roll-up recount inside the move-in (as before)",
    )
    args = parser.parse_args()
    load_start = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="save-wait-"))
    url = f"sqlite:///{work / 'monitoring.db'}"
    env = {**os.environ, "MONITORING_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    env.pop("MONITORING_TODAY", None)
    os.environ.update(MONITORING_DATABASE_URL=url)
    subprocess.run([sys.executable, "-m", "monitoring", "demo"], env=env, check=True, stdout=-3)
    tracker = work / "big.csv"
    write_csv(tracker, args.rows)
    if args.move_in:
        return move_in_alone(url, tracker, args.rows, inline=args.inline_derived, load=load_start)

    from sqlalchemy import text

    from monitoring import db, services

    engine = db.make_engine(url)
    with engine.connect() as conn:
        lead = (
            conn.execute(
                text(
                    "SELECT u.* FROM app_user u JOIN action a ON a.lead_agency_id = u.agency_id"
                    " WHERE u.role = 'agency_lead' ORDER BY a.id LIMIT 1"
                )
            )
            .mappings()
            .first()
        )
        action_id = conn.execute(
            text("SELECT id FROM action WHERE lead_agency_id = :a ORDER BY id LIMIT 1"),
            {"a": lead["agency_id"]},
        ).scalar()
    actor = services.Actor.from_user(dict(lead))
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitoring",
            "import",
            str(tracker),
            "--create-agencies",
            "--review",
            "BIG-1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    waits: list[float] = []
    busy = 0
    usage = None
    while usage is None:
        pid, status, rusage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            usage = rusage
            child.returncode = os.waitstatus_to_exitcode(status)
            break
        before = time.perf_counter()
        try:
            services.add_progress_update(engine, actor, action_id, "Still on track.", version=None)
        except services.DatabaseBusy:
            busy += 1
        waits.append(time.perf_counter() - before)
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": args.rows,
                "import_exit": child.returncode,
                "import_seconds": round(seconds, 1),
                "saves": len(waits),
                "saves_refused_busy": busy,
                "longest_save_seconds": round(max(waits), 2) if waits else None,
                "median_save_seconds": round(statistics.median(waits), 3) if waits else None,
                "import_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
                "import_peak_mb": round(usage.ru_maxrss / 1024),
                "load_average_start": [round(x, 1) for x in load_start],
                "load_average_end": [round(x, 1) for x in os.getloadavg()],
            }
        )
    )
    engine.dispose()
    return 0 if child.returncode == 0 else 1


def _cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


def move_in_alone(url: str, tracker: Path, rows: int, *, inline: bool, load) -> int:
    """Prepare the import as ``monitoring import`` does, then time its move-in transaction
    alone (CPU and wall, by kind of statement) and the catch-up after it; prints a JSON line."""
    from sqlalchemy import event

    from monitoring import db, rollups, services
    from monitoring.importer import TrackerOptions, build_plan, read_path
    from monitoring.importer import writer as import_writer

    engine = db.make_engine(url)
    plan = build_plan(read_path(tracker), options=TrackerOptions(review_ref="BIG-1"))
    plan.create_agencies = True
    actor = services.Actor.system("cli")
    parts: dict[str, float] = {}
    started: list[float] = []

    def kind_of(statement: str) -> str:
        words = statement.split()
        if words[:2] == ["INSERT", "INTO"]:
            return f"insert {words[2].strip(chr(34))}"
        return " ".join(words[:2]).lower()

    def before(_conn, _cursor, _statement, _params, _context, _many):
        started.append(time.perf_counter())

    def after(_conn, _cursor, statement, _params, _context, _many):
        key = kind_of(statement)
        parts[key] = parts.get(key, 0.0) + time.perf_counter() - started.pop()

    real_refresh = rollups.refresh_pending
    recount: dict[str, float] = {}

    def timed_refresh(conn, *a, **kw):
        start = time.perf_counter()
        try:
            return real_refresh(conn, *a, **kw)
        finally:
            recount["seconds"] = time.perf_counter() - start

    with engine.connect() as conn:
        with conn.begin():
            _summary, pending = import_writer.prepare_plan(conn, plan, actor)
        pending.defer_derived = not inline
        rollups.refresh_pending = timed_refresh
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        cpu, wall = _cpu(), time.perf_counter()
        with db.write_transaction(engine, connection=conn) as write_conn:
            pending.apply(write_conn)
        cpu, wall = _cpu() - cpu, time.perf_counter() - wall
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        rollups.refresh_pending = real_refresh
        import_writer.drop_stages(conn)
    steps: list[float] = []
    real_short = import_writer._short_write

    @contextlib.contextmanager
    def timed_short(conn):
        start = time.perf_counter()
        with real_short(conn) as c:
            yield c
        steps.append(time.perf_counter() - start)

    import_writer._short_write = timed_short
    catch_cpu, catch_wall = _cpu(), time.perf_counter()
    done = import_writer.catch_up(engine)
    catch_cpu, catch_wall = _cpu() - catch_cpu, time.perf_counter() - catch_wall
    import_writer._short_write = real_short
    engine.dispose()
    print(
        json.dumps(
            {
                "rows": rows,
                "derived_work": "inside the move-in" if inline else "catch-up after the commit",
                "move_in_cpu_seconds": round(cpu, 2),
                "move_in_wall_seconds": round(wall, 2),
                "move_in_statements_seconds": {
                    k: round(v, 3)
                    for k, v in sorted(parts.items(), key=lambda kv: -kv[1])
                    if v >= 0.001
                },
                "move_in_rollup_recount_seconds": round(recount.get("seconds", 0.0), 3),
                "catch_up": done,
                "catch_up_cpu_seconds": round(catch_cpu, 2),
                "catch_up_wall_seconds": round(catch_wall, 2),
                "catch_up_transactions": len(steps),
                "catch_up_longest_transaction_seconds": round(max(steps, default=0.0), 3),
                "load_average_start": [round(x, 1) for x in load],
                "load_average_end": [round(x, 1) for x in os.getloadavg()],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
