"""The benchmark: synthetic data with the promised shape, three approaches that agree, and a
tiny-size run that writes the JSON and the Markdown table with every measurement (no timing
assertions: speed is measured by the command only)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import timedelta

import pytest

from monitoring import bench, bench_data, cli, config, db, rollups

SMALL = 3000


@pytest.fixture(scope="module")
def bench_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "bench.db"
    counts = bench_data.generate(path, SMALL)
    return path, counts


def rows(path, sql, *params):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_generated_database_has_the_promised_shape(bench_db):
    path, counts = bench_db
    for table in ("action", "action_update", "recommendation", "review", "agency"):
        assert counts[table] == rows(path, f"SELECT count(*) FROM {table}")[0][0]
    assert counts["action"] == SMALL
    assert 2.4 <= counts["action_update"] / counts["action"] <= 3.3
    statuses = dict(rows(path, "SELECT status, count(*) FROM action GROUP BY status"))
    assert set(statuses) == set(db.ACTION_STATUSES)
    assert len(rows(path, "SELECT DISTINCT review_type FROM review")) >= 4
    # The carried columns agree with the rows they summarise.
    assert rows(
        path,
        "SELECT count(*) FROM action a JOIN recommendation r ON r.id = a.recommendation_id"
        " WHERE a.review_id <> r.review_id",
    ) == [(0,)]
    assert rows(
        path,
        "SELECT count(*) FROM action a WHERE coalesce(a.last_update_on, '') <> coalesce("
        "(SELECT max(substr(u.created_at, 1, 10)) FROM action_update u WHERE u.action_id = a.id),"
        " '')",
    ) == [(0,)]
    assert rows(
        path,
        "SELECT count(*) FROM action a WHERE a.due_date_changes <> (SELECT count(*) FROM"
        " due_date_change c WHERE c.action_id = a.id AND c.decision = 'approved')",
    ) == [(0,)]
    today = bench_data.BENCH_TODAY.isoformat()
    overdue = rows(
        path,
        "SELECT count(*) FROM action WHERE status IN ('not_started', 'in_progress') AND due_on < ?",
        today,
    )[0][0]
    assert 0 < overdue < SMALL
    assert rows(path, "SELECT role FROM app_user WHERE email = ?", bench_data.BOARD_EMAIL) == [
        ("board",)
    ]


def test_same_seed_same_database(bench_db, tmp_path):
    path, _ = bench_db
    again = tmp_path / "again.db"
    bench_data.generate(again, SMALL)
    sql = "SELECT id, status, due_on, lead_agency_id, review_id FROM action ORDER BY id"
    assert rows(again, sql) == rows(path, sql)


def test_three_approaches_give_the_same_figures(bench_db, tmp_path):
    path, _ = bench_db
    today, limits = bench_data.BENCH_TODAY, config.Thresholds()
    # assured recommendations that do not count as assured (rules.counts_as_assured: a response
    # not accepted; every action withdrawn), so that all three must apply that rule: written
    # into a copy, its roll-ups then recounted
    copy = tmp_path / "bench-copy.db"
    shutil.copyfile(path, copy)
    path = copy
    conn = sqlite3.connect(path)
    try:
        first, second = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM recommendation WHERE assurance_status = 'assured' ORDER BY id"
                " LIMIT 2"
            )
        ]
        conn.execute(
            "UPDATE recommendation SET response_status = 'not_accepted' WHERE id = ?", (first,)
        )
        conn.execute(
            "UPDATE action SET status = 'superseded' WHERE recommendation_id = ?", (second,)
        )
        conn.commit()
    finally:
        conn.close()
    recount = db.make_engine(f"sqlite:///{path}")
    bench.recount_rollups(recount, today, limits)
    recount.dispose()
    plain = tmp_path / "plain.db"
    bench_data.make_plain_copy(path, plain)
    plain_columns = {r[1] for r in rows(plain, "PRAGMA table_info(action)")}
    assert not plain_columns & {"review_id", "due_date_changes", "last_update_on"}
    assert rows(plain, "SELECT count(*) FROM sqlite_master WHERE type = 'index'") == [(0,)]
    engine = db.make_engine(f"sqlite:///{path}")
    plain_engine = db.make_engine(f"sqlite:///{plain}")
    try:
        ours = bench.overview_sql(engine, today, limits)
        assert bench.overview_plain_sql(plain_engine, today, limits) == ours
        assert bench.overview_pandas(engine, today, limits) == ours
    finally:
        engine.dispose()
        plain_engine.dispose()
    # ... and they equal independent SQL.
    t = today.isoformat()
    figures = ours["figures"]
    assert (
        figures["overdue"]
        == rows(
            path,
            "SELECT count(*) FROM action WHERE status IN ('not_started','in_progress') AND due_on < ?",
            t,
        )[0][0]
    )
    assert figures["actions"] == SMALL
    assert sum(n for *_, n in ours["rag_by_review"]) == SMALL
    assert [r[0] for r in ours["most_overdue"]] == [
        r[0]
        for r in rows(
            path,
            "SELECT id FROM action WHERE status IN ('not_started','in_progress') AND due_on < ?"
            " ORDER BY due_on, id LIMIT 10",
            t,
        )
    ]


def test_bench_database_has_its_rollups_counted_for_its_today(bench_db):
    """The roll-ups the overview reads at the bench's today: clean, one row per review, summing
    to the actions and recommendations, and none left to count live."""
    path, counts = bench_db
    today = bench_data.BENCH_TODAY.isoformat()
    assert rows(
        path,
        "SELECT count(*), sum(dirty), min(counted_for), max(counted_for), sum(actions),"
        " sum(recommendations) FROM review_rollup",
    ) == [(counts["review"], 0, today, today, SMALL, counts["recommendation"])]
    assert rows(path, "SELECT sum(overdue) FROM review_agency_rollup") == rows(
        path,
        "SELECT count(*) FROM action WHERE status IN ('not_started','in_progress') AND due_on < ?",
        today,
    )
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with db.read_connection(engine) as conn:
            cover = rollups.coverage(conn, bench_data.BENCH_TODAY, window_days=30, stale_days=90)
    finally:
        engine.dispose()
    assert cover.reviews == counts["review"] and cover.live == ()


def test_tracker_csv_has_one_row_per_action(bench_db, tmp_path):
    path, _ = bench_db
    target = tmp_path / "tracker.csv"
    assert bench_data.write_tracker_csv(path, target, 250) == 250
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == bench_data.TRACKER_COLUMNS
    assert len(lines) == 251


def test_tiny_run_writes_json_and_markdown(tmp_path):
    sizes = [200, 400]
    assert (
        cli.main(["bench", "--sizes", "200,400", "--out-dir", str(tmp_path), "--repeats", "1"]) == 0
    )
    report = json.loads((tmp_path / "benchmarks" / "results.json").read_text())
    assert [s["actions"] for s in report["sizes"]] == sizes
    assert report["machine"]["cpus"] >= 1
    for size in report["sizes"]:
        assert set(size["measurements"]) == set(bench.LABELS)
        for key, item in size["measurements"].items():
            assert item["median_s"] > 0, key
            assert len(item["runs_s"]) == 1, key
        assert size["memory"]["peak_rss_mb"] >= size["memory"]["baseline_rss_mb"] > 0
        assert size["agree"] is True
        assert size["rows"]["action"] == size["actions"]
    assert {g["goal"] for g in report["goals"]} >= {
        "warm rerun ≤ (e0) + 0.1 s",
        "import ≤ 3 × (d0)",
    }
    # every page, signed in as its role, and the pack (live and the past meeting) at each size
    from monitoring.ui.navigation import PAGES

    for size in report["sizes"]:
        assert set(size["pages"]) == {spec.file for spec in PAGES}
        for file, item in size["pages"].items():
            assert item["first"]["median_s"] > 0 and item["rerun"]["median_s"] > 0, file
            assert item["elements"] > 3, file
        assert size["pages"]["my_actions.py"]["role"] == "agency_lead"
        assert size["pages"]["users.py"]["role"] == "admin"
        assert size["pages"]["assurance.py"]["role"] == "board"
        live, past = size["pack"]["live"], size["pack"]["past"]
        assert live["median_s"] > 0 and past["median_s"] > 0
        assert live["cold_s"] == live["runs_s"][0] > 0  # the run that started the chart browser
        assert past["meeting"] == max(
            (bench_data.BENCH_TODAY - timedelta(days=d)).isoformat() for d, _ in bench_data.MEETINGS
        )
        assert live["sheets"] == past["sheets"] == 8
        assert 0 < live["pdf_pages"] <= 40 and 0 < live["slides"] <= 25
    assert {g["goal"] for g in report["goals"]} >= {"past meeting's pack ≤ 1.5 × live"}
    markdown = (tmp_path / "BENCHMARKS.md").read_text()
    assert "### Every page" in markdown and "| my_actions.py (agency_lead) |" in markdown
    assert "| next meeting (records now) | " in markdown and ", first " in markdown
    for label in bench.LABELS.values():
        assert label in markdown
    assert "200" in markdown and "400" in markdown
    assert "400 → " not in markdown and "200 → 400" in markdown

    # A re-run replaces the generated block and keeps notes written around it.
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(markdown + "\n## Profiles and fixes\n\nKeep me.\n")
    bench.write_markdown(path, report)
    again = path.read_text()
    assert again.count(bench.BEGIN_MARK) == 1 and "Keep me." in again


def test_every_page_is_timed_up_to_100k_and_the_big_three_at_1m():
    from monitoring.ui.navigation import PAGES

    assert [f for f, _ in bench.pages_to_time(100_000)] == [spec.file for spec in PAGES]
    assert [f for f, _ in bench.pages_to_time(None)] == [spec.file for spec in PAGES]
    assert {f for f, _ in bench.pages_to_time(1_000_000)} == set(bench.BIG_PAGES)


def test_bench_sizes_are_checked():
    assert cli.main(["bench", "--sizes", "ten"]) == 2
    assert cli.main(["bench", "--sizes", "5"]) == 2


def test_overview_chart_draws_the_reviews_with_most_red_then_amber(bench_db):
    from collections import Counter

    from monitoring import charts, queries

    path, counts = bench_db
    engine = db.make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            frame = queries.rag_by_review(conn, bench_data.BENCH_TODAY)
    finally:
        engine.dispose()
    red, amber = Counter(), Counter()
    for row in frame.itertuples():
        if row.rag == "red":
            red[row.ref] += row.actions
        elif row.rag == "amber":
            amber[row.ref] += row.actions
    refs = sorted(set(frame["ref"]))
    assert (
        counts["review"] >= len(refs) > 5
    )  # a review whose recommendations have no actions is not charted
    expected = sorted(refs, key=lambda ref: (-red[ref], -amber[ref], ref))[:5]

    figure = charts.rag_by_review_chart(frame, max_reviews=5)
    for trace in figure.data:
        assert sorted(trace.y) == sorted(expected)
    assert f"5 of {len(refs)}" in figure.layout.title.text
    assert f"The other {len(refs) - 5} reviews" in figure.layout.title.subtitle.text

    everything = charts.rag_by_review_chart(frame, max_reviews=len(refs))
    assert sorted(everything.data[0].y) == refs
