"""A review's first import is its baseline, listed once on Meetings (issue 17): a board member
opens Meetings after a rapid review's tracker was brought in (as at a date after the last
meeting) and sees one "Brought in (baseline)" change beside the demo's real changes, none of the
tracker's completed actions counted as newly completed. The screenshot illustrates the user
guide's baseline section (docs/user-guide.md: screenshots/meetings-baseline-1400.png)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import expect

from monitoring import changes, db, demo, importer, migrations, services
from monitoring.importer.plan import TrackerOptions
from tests.conftest import ANCHOR
from tests.e2e import browser
from tests.e2e import server as app_servers
from tests.e2e.browser import BOARD, main

AS_OF = date(2026, 3, 31)
"""The tracker speaks as at this date: the day after the demo's last meeting (so its baseline
line is the first of the changes listed, oldest first), before the demo's "today"."""
REVIEW = "NSCP-RR-2026-02"
TRACKER = """Rec,Ref,Recommendation,Action,Lead agency,Target date,Status,Update
1,1.1,Strategy discussions for children missing from home,Hold a strategy discussion after a third missing episode,Police,31/08/2026,In progress,Procedure drafted
1,1.2,Strategy discussions for children missing from home,Audit return home interviews,Children's Social Care,30/09/2026,Not started,
2,2.1,Health follow-up of missed appointments,Add a was-not-brought flag to the child health record,ICB,31/05/2026,Completed,Flag live since May
2,2.2,Health follow-up of missed appointments,Brief school nurses on the flag,Acute Trust,31/07/2026,In progress,Half of teams briefed
"""


@pytest.fixture(scope="module")
def baseline_server(tmp_path_factory) -> Iterator[tuple[app_servers.AppServer, dict]]:
    """The app on a demo database of its own into which a rapid review's tracker was imported
    as at :data:`AS_OF`; yields the server and the import's counts by table."""
    folder = tmp_path_factory.mktemp("baseline")
    url = f"sqlite:///{folder / 'monitoring.db'}"
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    demo.load_demo(engine, ANCHOR)
    path = folder / "rapid-review-child-l-action-plan.csv"
    path.write_text(TRACKER, encoding="utf-8")
    options = TrackerOptions(
        review_ref=REVIEW, review_title="Rapid review: Child L", review_type="rapid_review"
    )
    plan = importer.build_plan(importer.read_path(path), options=options)
    plan.as_of = AS_OF
    summary = services.import_tracker(engine, services.Actor.system("test"), plan)
    engine.dispose()
    server = app_servers.start(url, folder, name="baseline")
    try:
        app_servers.wait_until_healthy(server)
        yield server, summary.created
    finally:
        app_servers.stop(server)


def test_meetings_lists_a_first_import_once_as_its_baseline(baseline_server, page):
    server, created = baseline_server
    assert created["review"] == 1 and created["action"] == 4
    engine = db.make_engine(server.database_url)
    with engine.connect() as conn:
        last_meeting = max(d for d in changes.meetings(conn)["held_on"] if d < ANCHOR)
        found = changes.changes_between(conn, last_meeting, ANCHOR)
    engine.dispose()
    assert last_meeting < AS_OF
    baseline = found[found["kind"] == "baseline"]
    assert len(baseline) == 1
    assert baseline["at"].iloc[0] == AS_OF
    assert found["kind"].iloc[0] == "baseline"  # the table's first row
    detail = baseline["detail"].iloc[0]
    assert re.search(
        r"records as at 31 Mar 2026\): 7 records \(1 review, 2 recommendations, 4 ", detail
    ), detail
    mine = found[(found["review_ref"] == REVIEW) & (found["kind"] != "baseline")]
    assert mine.empty, mine  # its completed action is not "newly completed"

    page.set_viewport_size({"width": 1400, "height": 1000})
    browser.login(page, server.url, BOARD)
    browser.go_to(page, "Meetings")
    tiles = main(page).get_by_test_id("stMetric")
    expect(
        tiles.filter(has_text="Brought in (baseline)").get_by_test_id("stMetricValue")
    ).to_have_text("1")
    expect(tiles.filter(has_text="Newly completed").get_by_test_id("stMetricValue")).to_have_text(
        str(int((found["kind"] == "newly_completed").sum()))
    )
    expect(main(page).get_by_text(f"{len(found)} changes after", exact=False)).to_be_visible()
    expect(main(page).get_by_test_id("stDataFrame").last).to_be_visible()
    browser.screenshot(page, "meetings-baseline-1400")
