"""The write core under load (issue 15) and its two dates (issue 17), on SQLite and PostgreSQL.

Cases read from ``../shared/cases``:

- ``08-save-during-long-import``: a save during an import waits a bounded time and succeeds, or
  says plainly that the database is busy and keeps the text for one click; never a traceback. The
  import compares outside the write lock, so saves go on meanwhile.
- ``09-update-after-midnight-summer-time``: a change's dates are the Europe/London date of its
  moment, either side of midnight in summer and winter; timestamps are stored in UTC.
- ``10-same-user-false-conflict``: a conflict lists only changes made after the version the user
  started from; after a save every view of the action on the page shows the new version.
"""

from __future__ import annotations

import csv
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from monitoring import config, db, migrations, services
from monitoring.importer import import_path
from tests.conftest import BACKEND, SHARED, make_app

CASES = SHARED / "cases"
CASE_08 = CASES / "08-save-during-long-import"
CASE_09 = CASES / "09-update-after-midnight-summer-time"
CASE_10 = CASES / "10-same-user-false-conflict"
POLICE = "police.lead@northbridge.example"


def sql(engine, query, **params):
    with engine.connect() as conn:
        return conn.execute(text(query), params).scalar()


def rows(engine, query, **params):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(query), params).mappings()]


def actor(engine, email: str) -> services.Actor:
    return services.Actor.from_user(
        rows(engine, "select * from app_user where email = :e", e=email)[0]
    )


def police_action(engine) -> dict:
    return rows(
        engine,
        "select a.* from action a join agency g on g.id = a.lead_agency_id where g.short_name ="
        " 'POL' and a.status in ('not_started', 'in_progress') order by a.due_on, a.id limit 1",
    )[0]


def write_tracker(path: Path, n: int, *, status: str = "In progress", updated: str | None = None):
    """A tracker CSV shaped as case 08's (Ref, Action, Lead agency, Due date, Status)."""
    header = ["Ref", "Action", "Lead agency", "Due date", "Status"]
    if updated:
        header.append("Last updated")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        for i in range(n):
            line = [f"{i // 10 + 1}.{i % 10 + 1}", f"Imported action {i}", "Police", "2027-01-15"]
            out.writerow([*line, status, *([updated] if updated else [])])
    return path


@pytest.fixture(autouse=True)
def _clock(monkeypatch, tmp_path):
    monkeypatch.delenv("MONITORING_TODAY", raising=False)
    monkeypatch.setenv("MONITORING_EVIDENCE_DIR", str(tmp_path / "evidence"))


def test_case_08_readme_is_the_one_tested():
    readme = (CASE_08 / "README.md").read_text(encoding="utf-8")
    assert "never a traceback" in readme and "keeps" in readme


# --- case 08: saves during an import -----------------------------------------------------------


def test_a_save_goes_through_while_an_import_is_being_compared(demo_engine, tmp_path):
    """Case 08: the import reads and matches outside the write lock; a lead's save made while it
    does so is written at once, and the import is then written whole."""
    tracker = write_tracker(tmp_path / "big.csv", 600)
    lead = actor(demo_engine, POLICE)
    row = police_action(demo_engine)
    outcome: dict = {}

    def save() -> None:
        try:
            outcome["saved"] = services.add_progress_update(
                demo_engine, lead, row["id"], "Saved during the import.", version=row["version"]
            )
        except Exception as exc:  # noqa: BLE001 - recorded and asserted below
            outcome["error"] = exc

    def progress(_fraction: float, message: str) -> None:
        if message.startswith("Prepared actions") and "thread" not in outcome:
            outcome["thread"] = threading.Thread(target=save)
            outcome["thread"].start()
            outcome["thread"].join(timeout=30)
            outcome["done_during_import"] = not outcome["thread"].is_alive()

    from monitoring.importer import TrackerOptions, build_plan, read_path

    plan = build_plan(read_path(tracker), options=TrackerOptions(review_ref="BIG-1"))
    plan.create_agencies = True
    summary = services.import_tracker(
        demo_engine, services.Actor.system("cli"), plan, progress=progress
    )
    assert outcome["done_during_import"] is True
    assert "error" not in outcome, outcome.get("error")
    assert summary.written and summary.created["action"] == 600
    assert (
        sql(
            demo_engine,
            "select count(*) from action a join review r on r.id = a.review_id"
            " where r.ref = 'BIG-1'",
        )
        == 600
    )
    note = "Saved during the import."
    assert (
        sql(demo_engine, "select count(*) from action_update where progress_note = :n", n=note) == 1
    )
    assert (
        sql(
            demo_engine,
            "select count(*) from audit_log where entity = 'action' and entity_id = :a"
            " and field = 'progress_note' and new_value = :n",
            a=row["id"],
            n=note,
        )
        == 1
    )


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite has one writer at a time by design")
def test_postgresql_import_does_not_block_saves_on_other_reviews(demo_engine, tmp_path):
    """Case 08 on PostgreSQL: while the import's write transaction is open, a save on another
    review's action commits."""
    tracker = write_tracker(tmp_path / "big.csv", 300)
    lead = actor(demo_engine, POLICE)
    row = police_action(demo_engine)
    outcome: dict = {}

    def save() -> None:
        try:
            services.add_progress_update(
                demo_engine, lead, row["id"], "Saved while the import writes.", version=None
            )
            outcome["ok"] = True
        except Exception as exc:  # noqa: BLE001
            outcome["error"] = exc

    def progress(_fraction: float, message: str) -> None:
        if message.startswith("Writing") and "thread" not in outcome:
            outcome["thread"] = threading.Thread(target=save)
            outcome["thread"].start()
            outcome["thread"].join(timeout=20)

    import_path_with = services.import_tracker
    from monitoring.importer import TrackerOptions, build_plan, read_path

    plan = build_plan(read_path(tracker), options=TrackerOptions(review_ref="BIG-2"))
    plan.create_agencies = True
    import_path_with(demo_engine, services.Actor.system("cli"), plan, progress=progress)
    assert outcome.get("ok") is True, outcome.get("error")


@pytest.fixture
def short_wait_engine(demo_engine, database_url, monkeypatch):
    """An engine whose writes wait at most 1 s for a busy database."""
    monkeypatch.setenv("MONITORING_WRITE_WAIT_SECONDS", "1")
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


class HeldLock:
    """Another writer holding the database (SQLite's write lock; on PostgreSQL the action row)."""

    def __init__(self, database_url: str, action_id: int):
        self.url, self.action_id = make_url(database_url), action_id

    def __enter__(self):
        if self.url.get_backend_name() == "sqlite":
            self.raw = sqlite3.connect(self.url.database, isolation_level=None)
            self.raw.execute("BEGIN IMMEDIATE")
            self.raw.execute("UPDATE data_version SET version = version")
        else:
            self.engine = db.make_engine(self.url.render_as_string(hide_password=False))
            self.conn = self.engine.connect()
            self.tx = self.conn.begin()
            self.conn.execute(
                text("select id from action where id = :a for update"), {"a": self.action_id}
            )
        return self

    def __exit__(self, *exc):
        if self.url.get_backend_name() == "sqlite":
            self.raw.execute("ROLLBACK")
            self.raw.close()
        else:
            self.tx.rollback()
            self.conn.close()
            self.engine.dispose()


def test_a_save_against_a_busy_database_fails_plainly_and_writes_nothing(
    short_wait_engine, database_url
):
    """Case 08: past the bounded wait the save says the database is busy (a ServiceError, so
    every page shows it as a message), nothing is written, and the next try succeeds."""
    engine = short_wait_engine
    lead = actor(engine, POLICE)
    row = police_action(engine)
    before = db.table_counts(engine)
    with HeldLock(database_url, row["id"]):
        started = datetime.now(UTC)
        with pytest.raises(services.DatabaseBusy) as caught:
            services.add_progress_update(
                engine, lead, row["id"], "Kept text", version=row["version"]
            )
        waited = (datetime.now(UTC) - started).total_seconds()
    assert isinstance(caught.value, services.ServiceError)
    assert "database is busy" in str(caught.value) and "press Save again" in str(caught.value)
    assert "Traceback" not in str(caught.value) and "SQL" not in str(caught.value)
    assert waited < 10  # bounded by the 1 s setting (generous for a loaded machine)
    assert db.table_counts(engine) == before
    saved = services.add_progress_update(
        engine, lead, row["id"], "Kept text", version=row["version"]
    )
    assert saved["version"] == row["version"] + 1


def test_my_actions_page_keeps_the_text_when_the_database_is_busy(
    demo_engine, app_env, database_url, monkeypatch
):
    """Case 08 on the page: a plain message, the note still in the form, one click to save."""
    monkeypatch.setenv("MONITORING_WRITE_WAIT_SECONDS", "1")
    db.dispose_engines()
    row = police_action(demo_engine)
    action_id = row["id"]
    page = make_app(POLICE, page="app_pages/my_actions.py")
    note = "Safeguarding audit booked for March."
    page.text_area(key=f"note_{action_id}_0").input(note)
    with HeldLock(database_url, action_id):
        page.button(key=f"save_{action_id}_0").click()
        page.run()
    assert not page.exception
    assert any("database is busy" in e.value for e in page.error)
    assert page.text_area(key=f"note_{action_id}_0").value == note
    assert (
        sql(demo_engine, "select count(*) from action_update where progress_note = :n", n=note) == 0
    )
    page.button(key=f"save_{action_id}_0").click()  # the one click
    page.run()
    assert not page.exception
    assert "update saved" in page.success[0].value
    assert (
        sql(demo_engine, "select count(*) from action_update where progress_note = :n", n=note) == 1
    )


# --- case 09: London dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "london_day"),
    [
        # summer (BST, UTC+1): 00:30 in London on 16 June is 23:30 UTC on 15 June
        (datetime(2026, 6, 15, 22, 30, tzinfo=UTC), "2026-06-15"),
        (datetime(2026, 6, 15, 23, 30, tzinfo=UTC), "2026-06-16"),
        # winter (GMT, UTC+0): the day turns at midnight UTC
        (datetime(2026, 1, 15, 23, 30, tzinfo=UTC), "2026-01-15"),
        (datetime(2026, 1, 16, 0, 30, tzinfo=UTC), "2026-01-16"),
    ],
)
def test_case_09_a_change_is_dated_by_its_london_day(demo_engine, moment, london_day):
    assert "16 June" in (CASE_09 / "README.md").read_text(encoding="utf-8")
    lead = actor(demo_engine, POLICE)
    row = police_action(demo_engine)
    saved = services.save_action_update(
        demo_engine,
        lead,
        row["id"],
        version=row["version"],
        status="completed",
        note="Done after midnight.",
        now=moment,
    )
    assert saved["completed_on"] == london_day
    assert saved["last_update_on"] == london_day
    update_row = rows(
        demo_engine,
        "select created_at, effective_on from action_update where action_id = :a"
        " order by id desc limit 1",
        a=row["id"],
    )[0]
    assert update_row["effective_on"] == london_day
    assert update_row["created_at"] == moment.isoformat()  # stored in UTC
    audit = rows(
        demo_engine,
        "select distinct at, effective_on from audit_log where entity = 'action'"
        " and entity_id = :a and field = 'status'",
        a=row["id"],
    )
    assert audit == [{"at": moment.isoformat(), "effective_on": london_day}]


# --- case 10: conflicts and rebuilt widgets ----------------------------------------------------


def test_case_10_a_conflict_lists_only_changes_after_the_users_version(demo_engine):
    """Two saves by one person in the same second, then a save from a page still at the first
    version: the conflict lists the second save only, never the first (the page's own)."""
    assert "same person" in (CASE_10 / "README.md").read_text(encoding="utf-8")
    lead = actor(demo_engine, POLICE)
    row = police_action(demo_engine)
    second = datetime(2026, 6, 30, 10, 0, 0, tzinfo=UTC)
    first = services.add_progress_update(
        demo_engine, lead, row["id"], "First note", version=row["version"]
    )
    services.save_action_update(
        demo_engine, lead, row["id"], version=first["version"], note="Other tab's note", now=second
    )
    with pytest.raises(services.VersionConflict) as caught:
        services.save_action_update(
            demo_engine, lead, row["id"], version=first["version"], note="Stale page", now=second
        )
    notes = [c["new_value"] for c in caught.value.changes if c["field"] == "progress_note"]
    assert notes == ["Other tab's note"]
    versions = [c["new_value"] for c in caught.value.changes if c["field"] == "version"]
    assert versions == [str(first["version"] + 1)]


def test_case_10_after_a_form_save_the_bulk_table_shows_the_new_version(demo_engine, app_env):
    row = police_action(demo_engine)
    action_id = row["id"]
    page = make_app(POLICE, page="app_pages/my_actions.py")
    table = page.session_state["bulk_original"]
    assert int(table.set_index("id").loc[action_id, "version"]) == row["version"]
    page.text_area(key=f"note_{action_id}_0").input("Form note.")
    page.button(key=f"save_{action_id}_0").click()
    page.run()
    assert not page.exception and "update saved" in page.success[0].value
    table = page.session_state["bulk_original"]
    assert int(table.set_index("id").loc[action_id, "version"]) == row["version"] + 1
    # a bulk-table save of the same action from that table is no conflict
    from monitoring import worklists

    changes = [
        {
            "id": action_id,
            "version": int(table.set_index("id").loc[action_id, "version"]),
            "status": None,
            "note": "Bulk note.",
        }
    ]
    result = services.bulk_update_actions(demo_engine, actor(demo_engine, POLICE), changes)
    assert result[0]["ok"] is True, result
    assert worklists  # the table came from worklists.bulk_table


# --- the importer writes through the core, with its source's dates -----------------------------


def test_reimport_bumps_versions_with_audit_and_source_dates(demo_engine, tmp_path):
    """A re-import changes actions through the write core: version + audit ``version`` rows, so a
    lead's stale save conflicts and is shown what the import changed; ``effective_on`` is the
    tracker's update date, and the import day where it gives none."""
    first = write_tracker(tmp_path / "t1.csv", 5, status="Not started")
    import_path(first, demo_engine, review="IMP-1", create_agencies=True)
    ids = [
        r["id"]
        for r in rows(
            demo_engine,
            "select a.id from action a join review r on"
            " r.id = a.review_id where r.ref = 'IMP-1' order by a.id",
        )
    ]
    assert len(ids) == 5
    created = rows(
        demo_engine, "select effective_on from action_update where action_id = :a", a=ids[0]
    )
    # no date in the file: the status is dated on the import day (it is known to hold from
    # then, never earlier). Adjusted: was None ("date not known")
    assert created == [{"effective_on": config.today().isoformat()}]
    before = sql(demo_engine, "select version from action where id = :a", a=ids[0])

    second = write_tracker(tmp_path / "t2.csv", 5, status="Completed", updated="2026-03-02")
    summary = import_path(second, demo_engine, review="IMP-1")
    assert summary.updated == 5
    assert sql(demo_engine, "select version from action where id = :a", a=ids[0]) == before + 1
    audit = rows(
        demo_engine,
        "select field, old_value, new_value, effective_on, actor from audit_log"
        " where entity = 'action' and entity_id = :a and field in ('status', 'version')"
        " order by id",
        a=ids[0],
    )
    assert {r["field"]: r["new_value"] for r in audit} == {
        "status": "completed",
        "version": str(before + 1),
    }
    assert {r["effective_on"] for r in audit} == {"2026-03-02"}
    latest = rows(
        demo_engine,
        "select effective_on from action_update where action_id = :a order by id desc limit 1",
        a=ids[0],
    )
    assert latest == [{"effective_on": "2026-03-02"}]
    with pytest.raises(services.VersionConflict) as caught:
        services.add_progress_update(
            demo_engine,
            actor(demo_engine, "admin@northbridge.example"),
            ids[0],
            "x",
            version=before,
        )
    assert ("status", "completed") in {(c["field"], c["new_value"]) for c in caught.value.changes}


def test_only_the_write_core_bumps_a_version():
    """Issue 14: grep proves the core (services.versioned_update) is the only place a version
    goes up."""
    root = Path(__file__).resolve().parent.parent / "monitoring"
    bumps = []
    for path in root.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            squeezed = line.replace(" ", "")
            if "version" in squeezed and "+1" in squeezed and "data_version" not in squeezed:
                bumps.append(f"{path.relative_to(root)}:{number}")
    assert bumps and all(b.startswith("services.py:") for b in bumps), bumps


def test_migration_0006_dates_existing_rows_by_their_london_day(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.make_engine(url)
    cfg = migrations.alembic_config(url)
    from alembic import command

    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005_rollups")
    with engine.begin() as conn:
        conn.execute(
            text(
                "insert into audit_log (at, actor, entity, entity_id, field) values"
                " ('2026-06-15T23:30:00+00:00', 'a', 'action', 1, 'status'),"
                " ('2026-01-15T23:30:00+00:00', 'a', 'action', 1, 'status')"
            )
        )
    migrations.upgrade(engine)
    assert rows(engine, "select at, effective_on from audit_log order by id") == [
        {"at": "2026-06-15T23:30:00+00:00", "effective_on": "2026-06-16"},
        {"at": "2026-01-15T23:30:00+00:00", "effective_on": "2026-01-15"},
    ]
    engine.dispose()


@pytest.mark.skipif(
    BACKEND != "sqlite", reason="on PostgreSQL an import takes no lock a save holds"
)
def test_the_import_command_says_plainly_when_the_database_stays_busy(
    short_wait_engine, database_url, tmp_path, monkeypatch, capsys
):
    """Case 08 from the other side: an import that cannot get the database within the bounded
    wait exits 1 with a plain message and writes nothing (no traceback)."""
    from monitoring import cli

    monkeypatch.setenv("MONITORING_DATABASE_URL", database_url)
    db.dispose_engines()
    tracker = write_tracker(tmp_path / "wait.csv", 50)
    before = db.table_counts(short_wait_engine)
    with HeldLock(database_url, police_action(short_wait_engine)["id"]):
        code = cli.main(["import", str(tracker), "--review", "WAIT-1", "--create-agencies"])
    err = capsys.readouterr().err
    assert code == 1
    assert "database is busy" in err and "Traceback" not in err
    assert db.table_counts(short_wait_engine) == before
    db.dispose_engines()


def test_pfd_reports_are_created_on_their_report_date(engine, tmp_path):
    """Issue 17's two dates, written by the importer: a PFD report (a review), its
    recommendations and actions are dated by the report's date (``effective_on``), whatever day
    they were imported (``at``); a report without a date is marked "date not known" (NULL)."""
    from tests.conftest import REALDATA

    source = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
    if not source.exists():
        pytest.skip("the real PFD data set is not in ../shared/realdata")
    small = tmp_path / "pfd_small.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    small.write_text("\n".join(lines[:41]) + "\n", encoding="utf-8")
    migrations.upgrade(engine)
    import_path(small, engine, preset="pfd", create_agencies=True)
    import csv

    from monitoring.importer.values import parse_date

    with small.open(encoding="utf-8", newline="") as handle:
        report_dates = {}
        for record in csv.DictReader(handle):
            parsed = parse_date(record["date_of_report"])
            report_dates[record["ref"].strip()] = parsed.value.isoformat() if parsed else None
    reviews = rows(
        engine,
        "select r.id, r.ref, r.published_on, l.effective_on, l.at from review r join audit_log l"
        " on l.entity = 'review' and l.entity_id = r.id and l.field = 'created'",
    )
    assert reviews and all(r["effective_on"] == report_dates[r["ref"]] for r in reviews)
    assert any(r["effective_on"] for r in reviews)
    # The report date is not a publication: an import never publishes (case 13).
    assert all(r["published_on"] is None for r in reviews)
    assert all(r["at"][:10] != r["effective_on"] for r in reviews if r["effective_on"])
    created = rows(
        engine,
        "select l.effective_on, r.ref from audit_log l join action a on l.entity = 'action' and"
        " l.entity_id = a.id and l.field = 'created' join review r on r.id = a.review_id",
    )
    assert created and all(c["effective_on"] == report_dates[c["ref"]] for c in created)


def test_case_10_bulk_rows_not_saved_are_kept_and_reapplied_with_one_click(demo_engine, app_env):
    """A bulk-table row refused by someone else's change keeps the user's text; one click
    re-applies it against the version now shown."""
    row = police_action(demo_engine)
    action_id = row["id"]
    lead = actor(demo_engine, POLICE)
    admin = actor(demo_engine, "admin@northbridge.example")
    page = make_app(POLICE, page="app_pages/my_actions.py")
    stale = int(page.session_state["bulk_original"].set_index("id").loc[action_id, "version"])
    services.add_progress_update(demo_engine, admin, action_id, "Admin's note.", version=None)
    change = {"id": action_id, "version": stale, "status": None, "note": "My bulk note."}
    result = services.bulk_update_actions(demo_engine, lead, [change])
    assert result[0]["ok"] is False and "Someone else saved" in result[0]["message"]
    # what the page keeps after that result (monitoring.ui.updates._save_bulk)
    page.session_state["bulk_kept"] = [{**change, "reason": None, "label": "kept row"}]
    del page.session_state["bulk_original"]  # the page rebuilds the table after a save
    page.run()
    assert not page.exception
    assert any("not saved; your text is kept" in w.value for w in page.warning)
    shown = [str(v) for frame in page.dataframe for v in frame.value.to_numpy().ravel()]
    assert "My bulk note." in shown
    page.button(key="bulk_reapply").click()
    page.run()
    assert not page.exception
    notes = [
        r["progress_note"]
        for r in rows(
            demo_engine,
            "select progress_note from action_update where action_id = :a order by id",
            a=action_id,
        )
    ]
    assert notes[-2:] == ["Admin's note.", "My bulk note."]
    assert "bulk_kept" not in page.session_state


def test_two_imports_of_one_file_at_once_write_it_once(demo_engine, tmp_path):
    """Two imports of the same tracker racing (each compared before the other wrote): one
    creates the records, the other is prepared again and finds them; no error, no duplicate."""
    from monitoring.importer import TrackerOptions, build_plan, read_path

    tracker = write_tracker(tmp_path / "twice.csv", 200)
    barrier = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []

    def run() -> None:
        plan = build_plan(read_path(tracker), options=TrackerOptions(review_ref="TWICE-1"))
        plan.create_agencies = True
        waited = []

        def progress(_fraction: float, message: str) -> None:
            if message.startswith("Prepared actions") and not waited:
                waited.append(True)
                barrier.wait()  # both have compared before either writes

        try:
            services.import_tracker(
                demo_engine, services.Actor.system("cli"), plan, progress=progress
            )
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert (
        sql(
            demo_engine,
            "select count(*) from action a join review r on r.id = a.review_id where r.ref = 'TWICE-1'",
        )
        == 200
    )
    assert sql(demo_engine, "select count(*) from review where ref = 'TWICE-1'") == 1
