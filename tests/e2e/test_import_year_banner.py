"""An administrator uploads a tracker whose dates have no year (a fresh user's finding): the
banner points to the page's "Year for dates written without one" field, the problems table shows
each problem whole (rows tall enough to wrap), and the year given there clears the errors."""

from __future__ import annotations

import io

import openpyxl
from playwright.sync_api import expect

from tests.e2e import browser
from tests.e2e.browser import ADMIN, main


def _no_year_tracker(path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Item", "Action", "Lead agency", "Target date", "Status"])
    book.active.append(
        ["A1", "Train reception staff on DA disclosure", "ICB", "12 March", "Not started"]
    )
    book.active.append(["A2", "Update the neglect toolkit", "CSC", "w/c 5 Jan", "In progress"])
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())


def test_year_banner_points_to_the_field_and_problems_read_whole(page, app_server, tmp_path):
    tracker = tmp_path / "t3_noyear.xlsx"
    _no_year_tracker(tracker)
    browser.login(page, app_server.url, ADMIN)
    browser.go_to(page, "Import a tracker")
    main(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(tracker))
    browser.wait_for_app(page)
    banner = main(page).get_by_test_id("stAlertContentError")
    expect(banner).to_contain_text("enter it in 'Year for dates written without one' above")
    grid = main(page).get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    assert box and box["height"] > 3 * 60  # header and two rows of several lines each
    browser.screenshot(page, "journey-admin-import-year-banner")
    year = main(page).get_by_role("spinbutton", name="Year for dates written without one")
    year.fill("2026")
    year.press("Enter")
    browser.wait_for_app(page)
    expect(main(page).get_by_test_id("stAlertContentError")).to_have_count(0)
