"""The real app as a test starts it: ``streamlit run dashboard.py`` on a free localhost port.

Written once for the browser journeys (tests/e2e/conftest.py) and the two-process deployment test
(tests/test_two_processes.py): the same command line, environment, health check and shutdown.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ANCHOR, ROOT

START_SECONDS = 120
"""Longest wait for a server to answer its health check (generous: the machine may be busy)."""


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


def free_port() -> int:
    """A localhost TCP port nobody is listening on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def streamlit_command(port: int) -> list[str]:
    """The command line that serves dashboard.py headless on 127.0.0.1:``port``, with usage
    statistics and the file watcher off."""
    return [
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
    ]


def start(database_url: str, folder: Path, name: str = "streamlit") -> AppServer:
    """Start the app on ``database_url`` with today set to :data:`tests.conftest.ANCHOR`, evidence
    files under ``folder`` and its output in ``folder/<name>.log``; returns without waiting (see
    :func:`wait_until_healthy`)."""
    port = free_port()
    env = {
        **os.environ,
        "MONITORING_DATABASE_URL": database_url,
        "MONITORING_TODAY": ANCHOR.isoformat(),
        "MONITORING_EVIDENCE_DIR": str(folder / "evidence"),
    }
    log_path = folder / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            streamlit_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return AppServer(f"http://127.0.0.1:{port}", database_url, log_path, process)


def wait_until_healthy(server: AppServer, seconds: float = START_SECONDS) -> None:
    """Poll ``/_stcore/health`` (the load balancer's check) until it answers ``ok``.

    :raises RuntimeError: with the server's log, when it exits or does not answer in time.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200 and response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)  # polling while the server starts; not a wait inside a test's checks
    raise RuntimeError(f"streamlit did not answer within {seconds} s:\n{server.log()}")


def stop(*servers: AppServer) -> None:
    """Terminate the servers (all first, then wait for each; killed after 15 s)."""
    for server in servers:
        server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
