"""Browser fixtures: the real app served by ``streamlit run`` and Debian's Chromium driven by Playwright.

- ``app_server`` (one per test session, per xdist worker): ``streamlit run dashboard.py`` on a free
  localhost port, with its own temporary SQLite database loaded with the demo data and
  ``MONITORING_TODAY`` set to :data:`tests.conftest.ANCHOR`.
- ``browser_context``: a fresh Chromium profile for each test (from ``open_browser``, in
  tests/e2e/fixtures.py, registered in tests/conftest.py), with a request recorder that fails the
  test on any request to a host other than localhost/127.0.0.1.
- ``page``: a page in that context; ``new_page`` opens another (a second person at another desk).

Every test in this folder is marked ``browser``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from monitoring import db, demo, migrations
from tests.conftest import ANCHOR
from tests.e2e import server as app_servers
from tests.e2e.server import AppServer


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in tests/e2e/ as a browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app on a free localhost port with a demo database of its own (anchored at ANCHOR)."""
    folder = tmp_path_factory.mktemp("app_server")
    database_url = f"sqlite:///{folder / 'monitoring.db'}"
    engine = db.make_engine(database_url)
    migrations.upgrade(engine)
    demo.load_demo(engine, ANCHOR)
    engine.dispose()

    server = app_servers.start(database_url, folder)
    try:
        app_servers.wait_until_healthy(server)
        yield server
    finally:
        app_servers.stop(server)


@pytest.fixture
def server_engine(app_server: AppServer) -> Iterator[Engine]:
    """An engine on the server's database, for independent SQL checks of what the browser shows."""
    engine = db.make_engine(app_server.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def browser_context(open_browser):
    """One fresh Chromium profile for the test."""
    return open_browser()


@pytest.fixture
def page(browser_context):
    """The first page of the test's browser profile."""
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()
