"""Reading impact measures in a real browser (1400 px Chromium): the Measures page shows every
measure's icons with their words beside them, worst first, with no serious WCAG 2.2 AA violation;
screenshots for the user guide (screenshots/measures-board.png, measures-lead-form.png)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from monitoring import measures
from tests.e2e import browser
from tests.e2e.browser import BOARD, POLICE_LEAD, main


def test_board_member_reads_the_measures_worst_first(page, app_server, server_engine):
    browser.login(page, app_server.url, BOARD)
    browser.go_to(page, "Measures")
    with server_engine.connect() as conn:
        table = measures.summaries(conn)
    assert len(table) >= 4
    expect(main(page).get_by_role("heading", name="Measures: did practice change?")).to_be_visible()
    # every measure's icons are drawn as images whose alt text is their meaning, and the same
    # words are written beside them
    for row in table.itertuples():
        for words in (row.variation_text, row.assurance_text):
            expect(main(page).get_by_role("img", name=words, exact=True).first).to_be_visible()
            beside = main(page).locator("span").filter(has_text=re.compile(f"^{re.escape(words)}$"))
            expect(beside.first).to_be_visible()
    # worst first: the first measure's heading comes before the last one's
    headings = main(page).get_by_role("heading", level=3).all_inner_texts()
    names = list(table["name"])
    shown = [h for h in headings if h in names]
    assert shown == names
    charts = main(page).locator(".js-plotly-plot")
    expect(charts).to_have_count(len(table))
    violations = browser.run_axe(page)
    browser.save_report("measures-board", violations)
    assert not browser.blocking(violations), browser.describe(browser.blocking(violations))
    browser.screenshot(page, "measures-board")


def test_agency_lead_sees_the_form_for_their_measures(page, app_server):
    browser.login(page, app_server.url, POLICE_LEAD)
    browser.go_to(page, "Measures")
    form = main(page).get_by_test_id("stForm").first
    expect(form.get_by_role("button", name="Save the value")).to_be_visible()
    violations = browser.run_axe(page)
    browser.save_report("measures-lead", violations)
    assert not browser.blocking(violations), browser.describe(browser.blocking(violations))
    browser.screenshot(page, "measures-lead-form")
