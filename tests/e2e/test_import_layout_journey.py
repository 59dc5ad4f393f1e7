"""An administrator previews trackers with section rows and year-less dates (cases
01-merged-section-rows and 02-year-less-dates): the preview says what was skipped and which dates
are approximate; screenshots for the user guide."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import CASES
from tests.e2e import browser
from tests.e2e.browser import ADMIN, main

pytestmark = pytest.mark.usefixtures("shared_data")


def test_preview_reports_section_rows_and_approximate_dates(page, app_server):
    browser.login(page, app_server.url, ADMIN)
    browser.go_to(page, "Import a tracker")
    upload = main(page).get_by_test_id("stFileUploaderDropzoneInput")
    upload.set_input_files(str(CASES / "02-year-less-dates" / "tracker.csv"))
    browser.wait_for_app(page)
    expect(main(page).get_by_role("heading", name="Preview (dry run)")).to_be_visible()
    expect(main(page).get_by_text("2 section row(s) skipped", exact=False)).to_be_visible()
    expect(main(page).get_by_text("2 date(s) are approximate", exact=False)).to_be_visible()
    tiles = main(page).get_by_test_id("stMetric")
    expect(tiles.filter(has_text="Actions to create").get_by_test_id("stMetricValue")).to_have_text(
        "3"
    )
    browser.screenshot(page, "journey-admin-import-sections-and-dates")
    found = browser.blocking(browser.run_axe(page))
    assert not found, browser.describe(found)
