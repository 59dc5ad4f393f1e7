"""A board member's journey: sign in, read the overview, filter by an agency, open a review and
download the Excel tracker; every figure is checked against independent SQL."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import Engine, text

from tests.conftest import ANCHOR
from tests.e2e import browser
from tests.e2e.browser import BOARD, main, sidebar

OPEN = "a.status IN ('not_started', 'in_progress')"
OVERDUE = f"{OPEN} AND a.due_on IS NOT NULL AND a.due_on <> '' AND a.due_on < :today"
PREPARE_TIMEOUT_MS = 300_000
"""Preparing the pack draws every chart with Chromium and writes four files."""


def scalar(engine: Engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def rows(engine: Engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def pick(page, container, label: str, option: str) -> None:
    """Choose ``option`` in the select box or multiselect labelled ``label`` inside ``container``."""
    widget = container.locator('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').filter(
        has=page.get_by_text(label, exact=True)
    )
    expect(widget).to_have_count(1)
    browser.choose(page, widget, option)
    page.keyboard.press("Escape")
    browser.wait_for_app(page)


def test_board_member_filters_opens_a_review_and_downloads_the_tracker(
    page, app_server, server_engine, tmp_path: Path
):
    today = ANCHOR.isoformat()
    police_id, police = rows(server_engine, "SELECT id, name FROM agency WHERE short_name = 'POL'")[
        0
    ]
    review_id, ref, title = rows(
        server_engine,
        "SELECT rv.id, rv.ref, rv.title FROM review rv"
        " JOIN recommendation r ON r.review_id = rv.id JOIN action a ON a.recommendation_id = r.id"
        " WHERE a.lead_agency_id = :agency GROUP BY rv.id, rv.ref, rv.title"
        " ORDER BY count(*) DESC, rv.ref LIMIT 1",
        agency=police_id,
    )[0]

    # 1. The overview, unfiltered.
    browser.login(page, app_server.url, BOARD)
    expect(main(page).get_by_role("heading", name="Overview", level=1)).to_be_visible()
    overdue_all = scalar(
        server_engine, f"SELECT count(*) FROM action a WHERE {OVERDUE}", today=today
    )
    expect(
        main(page).get_by_test_id("stMetric").filter(has_text="Overdue actions")
    ).to_contain_text(str(overdue_all))

    # 2. Filter by the police: the figures and the address follow.
    pick(page, sidebar(page), "Lead agency", police)
    overdue_police = scalar(
        server_engine,
        f"SELECT count(*) FROM action a WHERE {OVERDUE} AND a.lead_agency_id = :agency",
        today=today,
        agency=police_id,
    )
    open_police = scalar(
        server_engine,
        f"SELECT count(*) FROM action a WHERE {OPEN} AND a.lead_agency_id = :agency",
        agency=police_id,
    )
    assert 0 < overdue_police < overdue_all
    tiles = main(page).get_by_test_id("stMetric")
    expect(tiles.filter(has_text="Overdue actions").get_by_test_id("stMetricValue")).to_have_text(
        str(overdue_police)
    )
    expect(tiles.filter(has_text="Open actions").get_by_test_id("stMetricValue")).to_have_text(
        str(open_police)
    )
    assert re.search(rf"[?&]agency={police_id}(&|$)", page.url), page.url
    browser.screenshot(page, "journey-board-overview-police")

    # 3. Open the review with the most police actions, and one of its recommendations.
    browser.go_to(page, "Reviews")
    pick(page, main(page), "Review", f"{ref} – {title}")
    number, rec_title = rows(
        server_engine,
        "SELECT r.number, r.title FROM recommendation r JOIN action a ON a.recommendation_id = r.id"
        " WHERE r.review_id = :review AND a.lead_agency_id = :agency ORDER BY r.id LIMIT 1",
        review=review_id,
        agency=police_id,
    )[0]
    expander = main(page).get_by_test_id("stExpander").filter(has_text=f"{number}. {rec_title}")
    expander.first.get_by_role("button").or_(expander.first.locator("summary")).first.click()
    browser.wait_for_app(page)
    expect(expander.first.get_by_test_id("stDataFrame")).to_be_visible()
    browser.screenshot(page, "journey-board-review-open")
    found = browser.blocking(browser.run_axe(page))
    assert not found, browser.describe(found)

    # 4. The Excel tracker from the meeting pack, filtered to the police.
    browser.go_to(page, "Meeting pack")
    main(page).get_by_role("button", name="Prepare the meeting pack").click()
    button = main(page).get_by_role("button", name="Tracker (Excel)")
    expect(button).to_be_visible(timeout=PREPARE_TIMEOUT_MS)
    browser.wait_for_app(page)
    browser.screenshot(page, "journey-board-meeting-pack")
    with page.expect_download() as download_info:
        button.click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    assert path.suffix == ".xlsx"

    workbook = load_workbook(path, read_only=True)
    # One Tracker sheet holds every action with its review (not a sheet per review: issue 18).
    assert "Tracker" in workbook.sheetnames, workbook.sheetnames
    sheet = list(workbook["Tracker"].iter_rows(values_only=True))
    header = sheet[0]
    review_col = header.index("Review")
    body = [row for row in sheet[1:] if any(row) and row[review_col] == ref]
    recommendation_col = header.index("Recommendation")
    action_col = header.index("Action")
    agency_col = header.index("Lead agency")
    expected = {
        (str(rec), str(act))
        for rec, act in rows(
            server_engine,
            "SELECT r.number, a.number FROM action a"
            " JOIN recommendation r ON r.id = a.recommendation_id"
            " WHERE r.review_id = :review AND a.lead_agency_id = :agency",
            review=review_id,
            agency=police_id,
        )
    }
    assert {(str(row[recommendation_col]), str(row[action_col])) for row in body} == expected
    assert {row[agency_col] for row in body} == {police}
