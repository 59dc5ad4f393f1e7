"""An administrator imports a real board's tracker (a CSV) through the upload page."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests.conftest import REALDATA
from tests.e2e import browser
from tests.e2e.browser import ADMIN, main

pytestmark = pytest.mark.usefixtures("shared_data")

TRACKER = REALDATA / "trackers" / "stockton_lscb_review_progress_2017-12.csv"


def test_admin_imports_a_tracker_through_the_upload_page(page, app_server, server_engine):
    ref = TRACKER.stem
    with TRACKER.open(newline="", encoding="utf-8-sig") as handle:
        numbered = [row for row in csv.DictReader(handle) if (row.get("No.") or "").strip()]
    assert numbered, "the tracker should have numbered rows"
    with server_engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM review WHERE ref = :ref"), {"ref": ref})
        assert before.scalar_one() == 0

    browser.login(page, app_server.url, ADMIN)
    browser.go_to(page, "Import a tracker")
    main(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(TRACKER))
    browser.wait_for_app(page)
    expect(main(page).get_by_role("heading", name="Preview (dry run)")).to_be_visible()
    main(page).get_by_label("Review title (for a new review)").fill(
        "Stockton LSCB review progress, December 2017"
    )
    main(page).get_by_label("Review title (for a new review)").press("Enter")
    browser.wait_for_app(page)
    tiles = main(page).get_by_test_id("stMetric")
    expect(tiles.filter(has_text="Rows read").get_by_test_id("stMetricValue")).to_have_text(
        str(len(numbered))
    )
    expect(tiles.filter(has_text="Actions to create").get_by_test_id("stMetricValue")).to_have_text(
        str(len(numbered))
    )
    browser.screenshot(page, "journey-admin-import-preview")
    found = browser.blocking(browser.run_axe(page))
    assert not found, browser.describe(found)

    main(page).get_by_role("button", name="Import", exact=True).click()
    browser.wait_for_app(page)
    expect(main(page).get_by_text("Imported", exact=False).first).to_be_visible()
    browser.screenshot(page, "journey-admin-import-done")

    with server_engine.connect() as conn:
        review_id = conn.execute(
            text("SELECT id FROM review WHERE ref = :ref"), {"ref": ref}
        ).scalar_one()
        recommendations = conn.execute(
            text("SELECT count(*) FROM recommendation WHERE review_id = :id"), {"id": review_id}
        ).scalar_one()
        actions = conn.execute(
            text(
                "SELECT count(*) FROM action a JOIN recommendation r ON r.id = a.recommendation_id"
                " WHERE r.review_id = :id"
            ),
            {"id": review_id},
        ).scalar_one()
        audited = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE actor = :actor"), {"actor": ADMIN}
        ).scalar_one()
    # Every numbered row is a recommendation delivered by one action (the file has no action
    # column), and the import left an audit trail in the administrator's name.
    assert recommendations == len(numbered)
    assert actions == len(numbered)
    assert audited > 0
