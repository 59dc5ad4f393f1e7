"""The board's pages at a desktop window (1400 px) and a phone (390 px), in Chromium (issue 19):
"Days overdue" is in view without scrolling sideways on the Overview and the Actions page; on a
phone the sidebar closes once a page is chosen in it, the Overview's tiles are two a row and
nothing is wider than the window; a click on a tile opens its list. The screenshots are the user
guide's (docs/user-guide.md)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import browser
from tests.e2e.browser import BOARD, main

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"

# The grid draws on a canvas; its hidden accessible table holds a header cell only for the columns
# drawn in view (the grid is virtual), so the headers listed are those the reader sees.
HEADERS_IN_VIEW = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
    .filter(df => df.getBoundingClientRect().width > 0)
    .map(df => ({
        headers: [...df.querySelectorAll('[role=columnheader]')].map(th => th.innerText.trim()),
        scrolled: [...df.querySelectorAll('.dvn-scroller')].map(s => s.scrollLeft),
        client: [...df.querySelectorAll('.dvn-scroller')].map(s => s.clientWidth),
    }))"""


def sidebar_closed(page) -> bool:
    expand = page.get_by_test_id("stExpandSidebarButton")
    return bool(expand.count()) and expand.first.is_visible()


def expect_sidebar_closed(page) -> None:
    """The sidebar closes (it slides away: wait for it, up to 10 s)."""
    expect(page.get_by_test_id("stExpandSidebarButton").first).to_be_visible(timeout=10_000)


def choose_page(page, title: str) -> None:
    """Choose a page in the sidebar as a reader does: on a phone, open the sidebar first."""
    if sidebar_closed(page):
        page.get_by_test_id("stExpandSidebarButton").first.click()
        browser.wait_for_app(page)
    browser.go_to(page, title)


def grids_in_view(page, at_least: int = 1) -> list[dict]:
    expect(main(page).get_by_test_id("stDataFrame").first).to_be_visible()
    browser.wait_for_app(page)
    page.wait_for_function(
        f"() => ({HEADERS_IN_VIEW})().filter(g => g.headers.length).length >= {at_least}",
        timeout=30_000,
    )
    return page.evaluate(HEADERS_IN_VIEW)


def no_sideways_scroll(page) -> None:
    scroll, inner = page.evaluate(PAGE_WIDTH)
    assert scroll <= inner, (scroll, inner)


@pytest.mark.parametrize("width", [1400, 390])
def test_days_overdue_is_in_view_on_the_overview_and_actions(page, app_server, width):
    page.set_viewport_size({"width": width, "height": 1000})
    browser.login(page, app_server.url, BOARD)
    if width < 768:
        expect_sidebar_closed(page)  # a phone opens on the page, not the sidebar

    choose_page(page, "Actions")
    if width < 768:
        expect_sidebar_closed(page)
    (actions,) = grids_in_view(page)
    assert actions["scrolled"] == [0]
    for column in ("Review", "Action", "RAG", "Days overdue"):
        assert column in actions["headers"], (column, actions["headers"])
    no_sideways_scroll(page)
    if width < 768:
        browser.screenshot(page, f"actions-{width}")

    choose_page(page, "Overview")
    if width < 768:
        expect_sidebar_closed(page)  # not left open over the chosen page
    (top,) = grids_in_view(page)
    assert top["scrolled"] == [0]
    for column in ("Review", "Action", "Days overdue"):
        assert column in top["headers"], (column, top["headers"])
    no_sideways_scroll(page)
    tiles = main(page).get_by_test_id("stMetric")
    first, second, third = (tiles.nth(i).bounding_box() for i in range(3))
    if width < 768:  # two a row
        assert abs(first["y"] - second["y"]) < 2 and third["y"] > first["y"] + first["height"]
        assert second["x"] + second["width"] <= width
    else:  # four a row
        assert abs(first["y"] - third["y"]) < 2
    browser.screenshot(page, f"overview-{width}")

    # a tile opens its list: the overdue actions, as many as the tile says
    overdue = main(page).get_by_test_id("stMetric").filter(has_text="Overdue actions")
    figure = int(overdue.get_by_test_id("stMetricValue").inner_text())
    main(page).locator(".st-key-overview_list_overdue").get_by_role("button").first.click()
    browser.wait_for_app(page)
    expect(main(page).get_by_role("heading", name=f"Overdue actions: {figure}")).to_be_visible()
    listed = grids_in_view(page, at_least=2)[0]
    assert "Days overdue" in listed["headers"] and "RAG" in listed["headers"]
    no_sideways_scroll(page)
    if width >= 768:
        browser.screenshot(page, f"overview-overdue-list-{width}")
        # a click on an agency's bar lists that agency's overdue actions
        chart = main(page).locator(".st-key-overview_agency_chart")
        bar = chart.locator("g.point path").first
        expect(bar).to_be_visible()
        bar.click(force=True)
        browser.wait_for_app(page)
        heading = main(page).get_by_role("heading", name=re.compile(r"^Overdue actions of "))
        expect(heading).to_be_visible()
        name, count = heading.inner_text().removeprefix("Overdue actions of ").rsplit(": ", 1)
        drawn = chart.locator("g.point").first.text_content()  # e.g. "3 overdue"
        assert int(count) == int(drawn.split()[0]) > 0, (name, count, drawn)
        browser.screenshot(page, f"overview-agency-click-{width}")


def test_a_filter_change_leaves_the_phone_sidebar_open(page, app_server):
    page.set_viewport_size({"width": 390, "height": 1000})
    browser.login(page, app_server.url, BOARD)
    choose_page(page, "Reviews")
    expect_sidebar_closed(page)
    page.get_by_test_id("stExpandSidebarButton").first.click()
    browser.wait_for_app(page)
    # a change in the sidebar reruns the same page: the sidebar stays open for the next choice
    agency = (
        browser.sidebar(page)
        .get_by_test_id("stMultiSelect")
        .filter(has=page.get_by_text("Lead agency", exact=True))
    )
    # the sidebar slides in: act once it is in the window, as a reader would (typing into it
    # while it was still off-screen left nothing chosen)
    page.wait_for_function(
        """() => { const s = document.querySelector('[data-testid="stSidebar"]');
                   return s && s.getBoundingClientRect().left >= 0; }""",
        timeout=10_000,
    )
    agency.locator("input").click()
    page.keyboard.type("Northbridge Police")
    page.get_by_role("option", name="Northbridge Police", exact=True).click()
    browser.wait_for_app(page)
    assert not sidebar_closed(page)
    expect(browser.sidebar(page).get_by_text("Northbridge Police")).to_be_visible()
