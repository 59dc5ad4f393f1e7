"""Signing in (by mouse and by keyboard alone) and reading the overview in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import Engine, text

from tests.conftest import ANCHOR
from tests.e2e import browser
from tests.e2e.browser import BOARD, CSC_LEAD, main, sidebar


def tiles(
    page, must_show: tuple[str, ...] = ("Reviews", "Open actions", "Overdue actions")
) -> dict[str, str]:
    """The metric tiles in the main area: label -> value as shown, read once the tiles named in
    ``must_show`` are there and no script run is in progress (a run may still be drawing them)."""
    labels = main(page).get_by_test_id("stMetricLabel")
    for label in must_show:
        expect(labels.get_by_text(label, exact=True)).to_have_count(1)
    browser.wait_for_app(page)
    metrics = main(page).get_by_test_id("stMetric")
    return {
        metric.get_by_test_id("stMetricLabel").inner_text().strip(): metric.get_by_test_id(
            "stMetricValue"
        )
        .inner_text()
        .strip()
        for metric in metrics.all()
    }


def count(engine: Engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_board_member_reads_overview_figures_that_match_the_database(
    page, app_server, server_engine
):
    browser.login(page, app_server.url, BOARD)
    expect(main(page).get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(sidebar(page).get_by_text("Signed in as")).to_contain_text("board")
    expect(main(page).get_by_text("Figures as at 30 Jun 2026")).to_be_visible()

    reviews = count(server_engine, "SELECT count(*) FROM review")
    open_actions = count(
        server_engine,
        "SELECT count(*) FROM action WHERE status IN ('not_started', 'in_progress')",
    )
    overdue = count(
        server_engine,
        "SELECT count(*) FROM action WHERE status IN ('not_started', 'in_progress')"
        " AND due_on IS NOT NULL AND due_on <> '' AND due_on < :today",
        today=ANCHOR.isoformat(),
    )
    assert overdue > 0, "the demo data should have overdue actions at the anchor date"
    shown = tiles(page)
    assert shown["Reviews"] == str(reviews)
    assert shown["Open actions"] == str(open_actions)
    assert shown["Overdue actions"] == str(overdue)
    # Both overview charts are drawn, with their titles, and the top-ten table has its header.
    expect(main(page).locator(".js-plotly-plot")).to_have_count(2)
    # the heading says how many it lists: all of them when fewer than ten are overdue (issue 19)
    top = "The ten most overdue actions" if overdue > 10 else f"All {overdue} overdue actions"
    expect(main(page).get_by_role("heading", name=re.compile("^" + top))).to_be_visible()
    expect(main(page).get_by_test_id("stDataFrame")).to_have_count(1)
    browser.screenshot(page, "overview-board")


def test_wrong_password_is_refused_with_a_clear_message(page, app_server):
    browser.open_app(page, app_server.url)
    page.get_by_label("E-mail address").fill(CSC_LEAD)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    browser.wait_for_app(page)
    expect(main(page).get_by_test_id("stAlert")).to_be_visible()
    expect(sidebar(page).get_by_text("Signed in as")).to_have_count(0)
    browser.screenshot(page, "login-refused")


def test_login_form_works_by_keyboard_alone(page, app_server):
    from monitoring.demo import DEMO_PASSWORDS

    browser.open_app(page, app_server.url)
    browser.screenshot(page, "login")
    email = page.get_by_label("E-mail address")
    password = page.get_by_label("Password", exact=True)
    # Tab from the top of the page until the e-mail field has the focus (no clicking).
    for _ in range(15):
        page.keyboard.press("Tab")
        if email.evaluate("element => element === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached the e-mail field")
    page.keyboard.type(BOARD)
    page.keyboard.press("Tab")
    assert password.evaluate("element => element === document.activeElement"), (
        "Tab from the e-mail field should reach the password field"
    )
    page.keyboard.type(DEMO_PASSWORDS[BOARD][3])
    page.keyboard.press("Enter")
    expect(sidebar(page).get_by_text("Signed in as")).to_be_visible()
    browser.wait_for_app(page)
    expect(main(page).get_by_role("heading", name="Overview", level=1)).to_be_visible()
