"""The board office sends an agency its update workbook and reads the returned copy back (issue 20):
download in Chromium, fill in with openpyxl as the lead would, upload, read the preview, confirm;
then the Overview's figures and the Meetings page's "changes since the last meeting" show the
updates. The app runs with a signing key, and with today's real date as "today" (the demo is
anchored there), so changes recorded now fall inside "since the last meeting"."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import Engine, text

from monitoring import changes, config, db, demo, migrations
from tests.conftest import ROOT
from tests.e2e import browser
from tests.e2e import server as app_servers
from tests.e2e.browser import ADMIN, POLICE_LEAD, main
from tests.test_update_workbook import SECRET

OVERDUE = (
    "a.status IN ('not_started', 'in_progress') AND a.due_on IS NOT NULL AND a.due_on <> ''"
    " AND a.due_on < :today"
)


@pytest.fixture(scope="module")
def today():
    return datetime.now(config.LONDON).date()


@pytest.fixture(scope="module")
def workbook_server(tmp_path_factory, today) -> Iterator[app_servers.AppServer]:
    """The app with a signing key, its own demo database anchored at today's date."""
    folder = tmp_path_factory.mktemp("workbook_server")
    database_url = f"sqlite:///{folder / 'monitoring.db'}"
    engine = db.make_engine(database_url)
    migrations.upgrade(engine)
    demo.load_demo(engine, today)
    engine.dispose()
    port = app_servers.free_port()
    env = {
        **os.environ,
        "MONITORING_DATABASE_URL": database_url,
        "MONITORING_TODAY": today.isoformat(),
        "MONITORING_EVIDENCE_DIR": str(folder / "evidence"),
        "MONITORING_WORKBOOK_SECRET": SECRET,
    }
    log_path = folder / "streamlit.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            app_servers.streamlit_command(port),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = app_servers.AppServer(f"http://127.0.0.1:{port}", database_url, log_path, process)
    try:
        app_servers.wait_until_healthy(server)
        yield server
    finally:
        app_servers.stop(server)


@pytest.fixture
def wb_engine(workbook_server) -> Iterator[Engine]:
    engine = db.make_engine(workbook_server.database_url)
    yield engine
    engine.dispose()


def one(engine: Engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).one()


def tile(page, label: str):
    return (
        main(page).get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")
    )


def test_board_office_sends_and_reads_back_a_workbook(
    open_browser, workbook_server, wb_engine, today, tmp_path: Path
):
    police_id = one(wb_engine, "SELECT id FROM agency WHERE short_name = 'POL'")[0]
    worst, worst_number, worst_ref = one(
        wb_engine,
        "SELECT a.id, a.number, rv.ref FROM action a JOIN review rv ON rv.id = a.review_id"
        f" WHERE a.lead_agency_id = :p AND {OVERDUE} ORDER BY a.due_on, a.id LIMIT 1",
        p=police_id,
        today=today.isoformat(),
    )
    other = one(
        wb_engine,
        "SELECT a.id FROM action a WHERE a.lead_agency_id = :p AND a.id <> :w"
        " AND a.status IN ('not_started', 'in_progress') ORDER BY a.id LIMIT 1",
        p=police_id,
        w=worst,
    )[0]
    overdue_before = one(
        wb_engine, f"SELECT count(*) FROM action a WHERE {OVERDUE}", today=today.isoformat()
    )[0]
    with wb_engine.connect() as conn:
        last_meeting = max(changes.meetings(conn)["held_on"])
        completed_before = len(
            (found := changes.changes_between(conn, last_meeting, today))[
                found["kind"] == "newly_completed"
            ]
        )

    # The board office downloads the police workbook.
    page = open_browser().pages[0]
    browser.login(page, workbook_server.url, ADMIN)
    browser.go_to(page, "Update workbooks")
    agency = main(page).get_by_test_id("stSelectbox").filter(has_text="Agency")
    browser.choose(page, agency, "Northbridge Police")
    browser.wait_for_app(page)
    main(page).get_by_role("button", name="Make the workbook for Northbridge Police").click()
    browser.wait_for_app(page)
    download_button = main(page).get_by_role("button", name="Download update-workbook-pol-")
    expect(download_button).to_be_visible()
    browser.screenshot(page, "workbook-office-download")
    with page.expect_download() as download_info:
        download_button.click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    assert path.suffix == ".xlsx"

    # The lead fills it in (outside the monitor) and sends it back.
    book = load_workbook(path)
    sheet = book["Actions"]
    heads = {c.value: c.column for c in sheet[4] if c.value}
    filled = {}
    for row in sheet.iter_rows(min_row=5):
        action_id = row[heads["Action id (do not change)"] - 1].value
        if action_id == worst:
            row[heads["Status"] - 1].value = "Completed (agency reports)"
            row[heads["Progress note"] - 1].value = "Audit finished; report to the board."
            filled[worst] = row[0].row
        elif action_id == other:
            row[heads["Progress note"] - 1].value = "Training half done."
            filled[other] = row[0].row
    assert set(filled) == {worst, other}
    assert (
        sheet.cell(row=5, column=heads["Action id (do not change)"]).value == worst
    )  # worst first
    returned = tmp_path / "returned.xlsx"
    book.save(returned)

    main(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(returned))
    browser.wait_for_app(page)
    expect(
        main(page).get_by_role("heading", name="Preview: nothing is written until you confirm")
    ).to_be_visible()
    expect(tile(page, "Will apply")).to_have_text("2")
    assert one(wb_engine, "SELECT status FROM action WHERE id = :i", i=worst)[0] != "completed"
    browser.screenshot(page, "workbook-office-preview")
    found = browser.blocking(browser.run_axe(page))
    assert not found, browser.describe(found)
    main(page).get_by_role("button", name="Apply 2 changed rows").click()
    browser.wait_for_app(page)
    expect(main(page).get_by_text("Read in: 2 rows applied.")).to_be_visible()
    expect(tile(page, "Applied")).to_have_text("2")
    browser.screenshot(page, "workbook-office-applied")

    # Written through the services, audited as a returned workbook read by the office.
    assert one(wb_engine, "SELECT status FROM action WHERE id = :i", i=worst)[0] == "completed"
    via = one(
        wb_engine,
        "SELECT count(*), min(new_value) FROM audit_log WHERE field = 'via' AND actor = :a",
        a=ADMIN,
    )
    assert via[0] == 2
    assert via[1].startswith("returned workbook from Northbridge Police, sent ")

    # The Overview shows one overdue action fewer; Meetings lists the changes since the last one.
    browser.go_to(page, "Overview")
    expect(tile(page, "Overdue actions")).to_have_text(str(overdue_before - 1))
    browser.go_to(page, "Meetings")
    expect(tile(page, "Newly completed")).to_have_text(str(completed_before + 1))
    with wb_engine.connect() as conn:
        listed = changes.changes_between(conn, last_meeting, today)
    mine = listed[listed["action_id"] == worst]
    assert list(mine["kind"]) == ["newly_completed"]
    assert (mine["review_ref"].iloc[0], mine["number"].iloc[0]) == (worst_ref, worst_number)
    browser.screenshot(page, "workbook-meetings-changes")

    # A lead sees the same tools on My actions.
    lead = open_browser().pages[0]
    browser.login(lead, workbook_server.url, POLICE_LEAD)
    browser.go_to(lead, "My actions")
    panel = main(lead).get_by_test_id("stExpander").filter(has_text="Update by workbook (Excel)")
    panel.locator("summary").click()
    expect(
        panel.get_by_role("button", name="Make the workbook for Northbridge Police")
    ).to_be_visible()
    expect(panel.get_by_test_id("stFileUploader")).to_be_visible()
    lead.wait_for_function(  # the expander's opening animation has finished
        """() => [...document.querySelectorAll('[data-testid="stExpander"] details[open]')]
            .every(e => !e.getAnimations({subtree: true}).some(a => a.playState === 'running'))"""
    )
    browser.screenshot(lead, "workbook-lead-panel")
