"""How long does a lead's save wait while a large tracker is imported? (issue 15, case 08)

Builds a demo database in a temporary folder, writes an N-row tracker CSV (columns Ref, Action,
Lead agency, Due date, Status, as in case 08), starts ``python -m monitoring import`` on it in a
child process and, until the import ends, saves a progress note on one demo action every 0.2 s
through :func:`monitoring.services.add_progress_update`, timing each save. Prints a JSON line:
rows, import seconds, saves made, saves refused as busy, and the longest and median save (s).

Run once, on a quiet machine, and copy the figures to BENCHMARKS.md::

    .venv/bin/python benchmarks/save_wait.py --rows 100000
"""

from __future__ import annotations

import argparse
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


if __name__ == "__main__":
    raise SystemExit(main())
