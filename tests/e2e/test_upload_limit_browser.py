"""One upload limit, one unit (case 22-upload-limit-units), in Chromium: the page's evidence
uploader takes a file of exactly the limit, 10 MB (10,000,000 bytes), and refuses one byte more,
as the evidence service does (tests/test_security.py gives the service the same two sizes)."""

from __future__ import annotations

from playwright.sync_api import expect

from monitoring import services
from tests.conftest import SHARED
from tests.e2e import browser
from tests.e2e.browser import POLICE_LEAD, main

CASE = SHARED / "cases" / "22-upload-limit-units" / "README.md"


def upload(page, size: int):
    """Put a text file of ``size`` bytes in the chosen action's evidence uploader (My actions
    shows the first action of the work queue); returns the uploader."""
    uploader = main(page).get_by_test_id("stFileUploader").first
    uploader.locator("input[type=file]").set_input_files(
        {"name": f"evidence-{size}.txt", "mimeType": "text/plain", "buffer": b"x" * size}
    )
    expect(uploader.get_by_role("button", name=f"Remove evidence-{size}.txt")).to_be_visible()
    browser.wait_for_app(page)
    return uploader


def test_the_page_takes_exactly_the_limit_and_refuses_one_byte_more(open_browser, app_server):
    assert "one limit, one unit" in CASE.read_text(encoding="utf-8").lower()
    assert services.MAX_EVIDENCE_BYTES == 10_000_000
    page = open_browser().pages[0]
    browser.login(page, app_server.url, POLICE_LEAD)
    browser.go_to(page, "My actions")

    exact = upload(page, services.MAX_EVIDENCE_BYTES)
    expect(exact.get_by_test_id("stFileChipIconSpinner")).to_have_count(0)
    expect(exact.get_by_test_id("stFileChipIconError")).to_have_count(0)  # taken
    exact.get_by_role("button", name=f"Remove evidence-{services.MAX_EVIDENCE_BYTES}.txt").click()
    browser.wait_for_app(page)
    over = upload(page, services.MAX_EVIDENCE_BYTES + 1)
    expect(over.get_by_test_id("stFileChipIconError")).to_be_visible()  # refused by the page
