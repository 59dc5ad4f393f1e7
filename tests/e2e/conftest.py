"""Browser fixtures: the real app served by ``streamlit run`` and Debian's Chromium driven by Playwright.

- ``app_server`` (one per test session, per xdist worker): ``streamlit run dashboard.py`` on a free
  localhost port, with its own temporary SQLite database loaded with the demo data and
  ``MONITORING_TODAY`` set to :data:`tests.conftest.ANCHOR`.
- ``browser_context``: a fresh Chromium profile (its own user-data dir) for each test, with a
  request recorder that fails the test on any request to a host other than localhost/127.0.0.1.
- ``page``: a page in that context; ``new_page`` opens another (a second person at another desk).

Every test in this folder is marked ``browser``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine

from monitoring import db, demo, migrations
from tests.conftest import ANCHOR, ROOT
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, TIMEOUT_MS

SERVER_START_SECONDS = 90


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in tests/e2e/ as a browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppServer:
    """A running ``streamlit run dashboard.py``: its URL, database URL and log file."""

    url: str
    database_url: str
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def log(self) -> str:
        """The server's output so far (for failure messages)."""
        return self.log_path.read_text(errors="replace")


def _wait_until_healthy(server: AppServer) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(
            0.25
        )  # polling the health endpoint while the server starts, not a wait in a test
    raise RuntimeError(f"streamlit did not answer within {SERVER_START_SECONDS} s:\n{server.log()}")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """The app on a free localhost port with a demo database of its own (anchored at ANCHOR)."""
    folder = tmp_path_factory.mktemp("app_server")
    database_url = f"sqlite:///{folder / 'monitoring.db'}"
    engine = db.make_engine(database_url)
    migrations.upgrade(engine)
    demo.load_demo(engine, ANCHOR)
    engine.dispose()

    port = _free_port()
    env = {
        **os.environ,
        "MONITORING_DATABASE_URL": database_url,
        "MONITORING_TODAY": ANCHOR.isoformat(),
        "MONITORING_EVIDENCE_DIR": str(folder / "evidence"),
    }
    log_path = folder / "streamlit.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "dashboard.py"),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = AppServer(f"http://127.0.0.1:{port}", database_url, log_path, process)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def server_engine(app_server: AppServer) -> Iterator[Engine]:
    """An engine on the server's database, for independent SQL checks of what the browser shows."""
    engine = db.make_engine(app_server.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def playwright_instance():
    """The Playwright driver (one per test session)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (installs Debian's chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        yield playwright


@dataclass
class RequestRecorder:
    """Every URL the browser asked for, and those whose host is not localhost."""

    urls: list[str] = field(default_factory=list)

    def record(self, url: str) -> None:
        self.urls.append(url)

    def external(self) -> list[str]:
        """URLs whose scheme has a host (http, https, ws, wss) that is not local."""
        outside = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about", "chrome-error"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                outside.append(url)
        return outside


@pytest.fixture
def request_recorder() -> RequestRecorder:
    """The recorder the browser context reports to."""
    return RequestRecorder()


@pytest.fixture
def open_browser(playwright_instance, tmp_path: Path, request_recorder: RequestRecorder):
    """A factory: each call launches Chromium with a fresh profile (its own user-data dir) and
    returns its context. Every request is recorded; the test fails if one leaves localhost."""
    contexts = []

    def launch():
        profile = tmp_path / f"chromium-profile-{len(contexts)}"
        context = playwright_instance.chromium.launch_persistent_context(
            user_data_dir=str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
            viewport={"width": 1400, "height": 1000},
            locale="en-GB",
            timezone_id="Europe/London",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", lambda request: request_recorder.record(request.url))

        def watch_page(page) -> None:
            page.on("websocket", lambda socket: request_recorder.record(socket.url))

        for page in context.pages:
            watch_page(page)
        context.on("page", watch_page)
        contexts.append(context)
        return context

    yield launch
    for context in contexts:
        context.close()
    outside = request_recorder.external()
    assert not outside, f"the browser made requests to hosts other than localhost: {outside}"
    if contexts:
        assert request_recorder.urls, "the request recorder saw no request at all"


@pytest.fixture
def browser_context(open_browser):
    """One fresh Chromium profile for the test."""
    return open_browser()


@pytest.fixture
def page(browser_context):
    """The first page of the test's browser profile."""
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()
