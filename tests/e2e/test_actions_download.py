"""The Actions page's download in Chromium: the CSV a board member gets holds every action of the
view, built when the button is clicked (a user had found an "all actions" file cut at the 500
rows the table shows)."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import expect
from sqlalchemy import text

from tests.e2e import browser
from tests.e2e.browser import BOARD, main


def test_the_actions_csv_holds_every_action_of_the_view(page, app_server, server_engine):
    with server_engine.connect() as conn:
        total = conn.execute(text("select count(*) from action")).scalar()
    browser.login(page, app_server.url, BOARD)
    browser.go_to(page, "Actions")
    button = main(page).get_by_test_id("stDownloadButton").filter(has_text="Download CSV")
    expect(button).to_have_count(1)
    with page.expect_download() as download:
        button.get_by_role("button").click()
    body = download.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["Review", "Action", "RAG", "Days overdue"]
    assert len(rows) - 1 == total > 0
