"""The work queues (issue 18) in Chromium at a desktop window (1400 px) and a phone (390 px): one
table, the chosen row's detail and form below it, and no sideways scroll of the page (the table
scrolls inside itself). The screenshots are the user guide's (docs/user-guide.md)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import browser
from tests.e2e.browser import BOARD, POLICE_LEAD, main

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def open_sidebar(page) -> None:
    """On a phone the sidebar is closed: open it."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.count() and expand.first.is_visible():
        expand.first.click()
        browser.wait_for_app(page)


def go_to(page, title: str) -> None:
    """Open a page from the sidebar (opened first on a phone), then close it on a phone."""
    open_sidebar(page)
    browser.go_to(page, title)
    collapse = page.get_by_test_id("stSidebarCollapseButton")
    if page.viewport_size["width"] < 800 and collapse.count():
        collapse.first.click(force=True)  # the page itself, as a phone shows it
        browser.wait_for_app(page)


def no_sideways_scroll(page) -> None:
    scroll, inner = page.evaluate(PAGE_WIDTH)
    assert scroll <= inner, (scroll, inner)


@pytest.mark.parametrize("width", [1400, 390])
def test_work_queues_show_one_table_and_the_chosen_row(page, app_server, width):
    page.set_viewport_size({"width": width, "height": 1000})
    browser.login(page, app_server.url, POLICE_LEAD)
    go_to(page, "My actions")
    queue = main(page).get_by_role("tabpanel", name="Work queue")
    expect(queue.get_by_test_id("stDataFrame")).to_have_count(1)
    expect(queue.get_by_text("The action chosen")).to_be_visible()
    expect(queue.get_by_test_id("stForm")).to_have_count(1)
    no_sideways_scroll(page)
    browser.screenshot(page, f"queue-my-actions-{width}")
    open_sidebar(page)
    browser.logout(page)

    browser.login(page, app_server.url, BOARD)
    go_to(page, "Assurance")
    expect(main(page).get_by_test_id("stExpander")).to_have_count(0)
    expect(main(page).get_by_label("Find completed actions")).to_be_visible()
    no_sideways_scroll(page)
    browser.screenshot(page, f"queue-assurance-{width}")

    go_to(page, "History")
    expect(main(page).get_by_text("Audit trail")).to_be_visible()
    no_sideways_scroll(page)
    browser.screenshot(page, f"queue-history-{width}")
