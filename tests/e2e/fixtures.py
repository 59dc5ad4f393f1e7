"""The browser fixtures, shared by every test that drives Chromium (tests/e2e/ and
tests/test_two_processes.py), registered once in tests/conftest.py.

One Playwright driver serves the whole test session: two session-scoped drivers in one process
fail ("Sync API inside the asyncio loop"), which happened when a worker ran the two-process test
and then an e2e journey.

- ``open_browser``: a factory; each call launches Chromium with a fresh profile, every request
  recorded; the test fails if one leaves localhost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, TIMEOUT_MS


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
