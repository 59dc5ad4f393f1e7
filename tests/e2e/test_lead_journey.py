"""An agency lead updates an action with a note and signs out; a board member then sees the change
(the overview's overdue figure, and the action's history opened from a reminder-style link)."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect
from sqlalchemy import Engine, text

from monitoring import rules
from tests.conftest import ANCHOR
from tests.e2e import browser
from tests.e2e.browser import BOARD, POLICE_LEAD, main, sidebar

OVERDUE = (
    "a.status IN ('not_started', 'in_progress') AND a.due_on IS NOT NULL AND a.due_on <> ''"
    " AND a.due_on < :today"
)


def one(engine: Engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).one()


def overdue_count(engine: Engine) -> int:
    return one(engine, f"SELECT count(*) FROM action a WHERE {OVERDUE}", today=ANCHOR.isoformat())[
        0
    ]


def test_agency_lead_update_is_seen_by_the_board(open_browser, app_server, server_engine):
    note = f"Audit of referrals finished; findings to the March board ({uuid.uuid4().hex[:8]})."
    action_id, ref, number, version = one(
        server_engine,
        "SELECT a.id, rv.ref, a.number, a.version FROM action a"
        " JOIN recommendation r ON r.id = a.recommendation_id JOIN review rv ON rv.id = r.review_id"
        " JOIN agency ag ON ag.id = a.lead_agency_id"
        f" WHERE ag.short_name = 'POL' AND {OVERDUE} ORDER BY a.due_on, a.id LIMIT 1",
        today=ANCHOR.isoformat(),
    )
    lead_id = one(server_engine, "SELECT id FROM app_user WHERE email = :email", email=POLICE_LEAD)[
        0
    ]
    overdue_before = overdue_count(server_engine)

    # The agency lead, at their own desk.
    lead = open_browser().pages[0]
    browser.login(lead, app_server.url, POLICE_LEAD)
    browser.go_to(lead, "My actions")
    browser.screenshot(lead, "journey-lead-my-actions")
    # The work queue: find the review, whose most overdue action is then chosen and shown.
    main(lead).get_by_label("Find actions").fill(ref)
    main(lead).get_by_label("Find actions").press("Enter")
    browser.wait_for_app(lead)
    expect(main(lead).get_by_text(f"{ref} action {number}", exact=True)).to_be_visible()
    form = main(lead).get_by_role("tabpanel", name="Work queue").get_by_test_id("stForm")
    expect(form).to_be_visible()
    browser.choose(
        lead,
        form.get_by_test_id("stSelectbox").filter(has_text="Status"),
        rules.STATUS_LABELS["completed"],
    )
    form.get_by_label("Progress note").fill(note)
    browser.screenshot(lead, "journey-lead-update-form")
    form.get_by_role("button", name="Save update").click()
    browser.wait_for_app(lead)
    expect(main(lead).get_by_test_id("stAlert").first).to_be_visible()
    found = browser.blocking(browser.run_axe(lead))
    assert not found, browser.describe(found)
    browser.logout(lead)
    expect(sidebar(lead).get_by_text("Signed in as")).to_have_count(0)

    # What was written: the status, one update with the note by the lead, a newer version.
    status, new_version = one(
        server_engine, "SELECT status, version FROM action WHERE id = :id", id=action_id
    )
    assert status == "completed"
    assert new_version > version
    authors = one(
        server_engine,
        "SELECT count(*), min(author_id) FROM action_update"
        " WHERE action_id = :id AND progress_note = :note",
        id=action_id,
        note=note,
    )
    assert tuple(authors) == (1, lead_id)
    assert overdue_count(server_engine) == overdue_before - 1

    # The board member, at another desk, opens the overview and then the action's history link.
    board = open_browser().pages[0]
    browser.login(board, app_server.url, BOARD)
    tile = main(board).get_by_test_id("stMetric").filter(has_text="Overdue actions")
    expect(tile.get_by_test_id("stMetricValue")).to_have_text(str(overdue_before - 1))
    board.goto(f"{app_server.url}/history?action={action_id}")
    browser.wait_for_app(board)
    board.get_by_label("E-mail address").fill(BOARD)
    board.get_by_label("Password", exact=True).fill(browser.password(BOARD))
    board.get_by_role("button", name="Sign in").click()
    expect(main(board).get_by_role("heading", name="History", level=1)).to_be_visible()
    browser.wait_for_app(board)
    expect(main(board).get_by_text(f"{ref} action {number}", exact=True)).to_be_visible()
    expect(main(board).get_by_text("status completed")).to_be_visible()
    browser.screenshot(board, "journey-board-sees-history")
