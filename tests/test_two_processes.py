"""Two ``streamlit run`` processes on one database (the scale-out deployment, README "Deployment").

Both servers render the overview (so each process has the figures in its own ``st.cache_data``),
a write is made through :mod:`monitoring.services` from a third process (this one), and both
servers show the new figure on their next run: the cached reads are keyed on ``data_version``,
which every write bumps in the database, not on anything one process keeps. The database is the
backend under test: a SQLite file, or a PostgreSQL database when
``MONITORING_TEST_BACKEND=postgresql``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine, select

from monitoring import db, services
from monitoring.db import action
from monitoring.queries import is_overdue_sql
from tests.conftest import ANCHOR
from tests.e2e import browser
from tests.e2e import server as app_servers
from tests.e2e.browser import BOARD, main

pytestmark = pytest.mark.browser


@pytest.fixture
def two_servers(
    demo_engine: Engine, database_url: str, tmp_path: Path
) -> Iterator[list[app_servers.AppServer]]:
    """Two app processes on the test's demo database (started together, stopped after)."""
    servers = [app_servers.start(database_url, tmp_path, name) for name in ("first", "second")]
    try:
        for server in servers:
            app_servers.wait_until_healthy(server)
        yield servers
    finally:
        app_servers.stop(*servers)


def overdue_tile(page) -> int:
    tile = (
        main(page)
        .get_by_test_id("stMetric")
        .filter(has=page.get_by_test_id("stMetricLabel").get_by_text("Overdue actions", exact=True))
    )
    expect(tile).to_have_count(1)
    return int(tile.get_by_test_id("stMetricValue").inner_text().strip())


def overdue_in_sql(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(action.c.id).where(is_overdue_sql(ANCHOR))).all())


def test_a_write_is_seen_by_both_app_processes_on_their_next_run(
    two_servers, demo_engine, open_browser, monkeypatch
):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    first, second = two_servers
    pages = [open_browser().new_page(), open_browser().new_page()]
    before = overdue_in_sql(demo_engine)
    assert before > 1
    for page, server in zip(pages, (first, second), strict=True):
        browser.login(page, server.url, BOARD)
        assert overdue_tile(page) == before

    # A write from outside both processes: an agency marks its oldest overdue action completed.
    with demo_engine.connect() as conn:
        target = conn.execute(
            select(action.c.id, action.c.version)
            .where(is_overdue_sql(ANCHOR))
            .order_by(action.c.due_on, action.c.id)
            .limit(1)
        ).one()
    version_before = db.get_data_version(demo_engine)
    services.mark_completed(
        demo_engine, services.Actor.system("two-process test"), target.id, version=target.version
    )
    assert db.get_data_version(demo_engine) > version_before
    after = overdue_in_sql(demo_engine)
    assert after == before - 1

    # Each process's next run (a reload, then signing in again) shows the new figure.
    for page, server in zip(pages, (second, first), strict=True):
        page.reload()
        browser.login(page, server.url, BOARD)
        assert overdue_tile(page) == after
