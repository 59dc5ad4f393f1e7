"""At a 1400 px window the columns a board reads fit the tables without scrolling sideways
(the widths in monitoring.ui.widgets, checked against the real grid in Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from monitoring.ui import widgets
from tests.e2e import browser
from tests.e2e.browser import BOARD, POLICE_LEAD, main

GRIDS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
    .filter(s => s.clientWidth > 0).map(s => ({client: s.clientWidth, scroll: s.scrollWidth}))"""


def grids(page, at_least: int = 1) -> list[dict]:
    """The laid-out grids on the page, once ``at_least`` of them are drawn (a grid's scroller
    has no width for a moment after the run ends: CI once read none on the Agencies page)."""
    expect(main(page).get_by_test_id("stDataFrame").first).to_be_visible()
    browser.wait_for_app(page)
    page.wait_for_function(f"() => ({GRIDS})().length >= {at_least}", timeout=30_000)
    return page.evaluate(GRIDS)


@pytest.fixture
def wide_page(page):
    page.set_viewport_size({"width": 1400, "height": 1000})
    return page


def test_board_columns_fit_at_1400_px(wide_page, app_server):
    page = wide_page
    browser.login(page, app_server.url, BOARD)
    w = widgets.WIDTHS
    board = sum(w[k] for k in ("ref", "number", "description", "agency", "date", "status", "rag"))

    browser.go_to(page, "Actions")
    (actions,) = grids(page)
    assert actions["client"] >= widgets.GRID_WIDTH >= board  # the board's columns are in view
    assert actions["scroll"] > actions["client"]  # the other columns follow, sideways

    browser.go_to(page, "Reviews")
    register = grids(page)[0]
    assert register["scroll"] <= register["client"]  # every register column in view

    browser.go_to(page, "Agencies")
    scorecard, drill = grids(page, at_least=2)[:2]
    assert drill["scroll"] <= drill["client"]
    assert scorecard["client"] >= widgets.GRID_WIDTH
    browser.screenshot(page, "agencies-at-1400")


def test_bulk_update_table_fits_its_tab_at_1400_px(wide_page, app_server):
    page = wide_page
    browser.login(page, app_server.url, POLICE_LEAD)
    browser.go_to(page, "My actions")
    main(page).get_by_role("tab", name="Bulk update table").click()
    browser.wait_for_app(page)
    # the work queue's table is in the other tab, hidden: only the editor is measured
    bulk = main(page).get_by_role("tabpanel", name="Bulk update table")
    expect(bulk.get_by_test_id("stDataFrame")).to_be_visible()
    (editor,) = page.evaluate(GRIDS)
    assert editor["scroll"] <= editor["client"]
