"""Case ``11-chart-export-hangs``: chart drawing is bounded, leaves no process behind, and the pack
is written without chart images, saying so on its cover (PDF and PowerPoint alike)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from pptx import Presentation
from pypdf import PdfReader

from monitoring import exports
from tests.conftest import ROOT, SHARED

CASE = SHARED / "cases" / "11-chart-export-hangs"
FAKE = CASE / "fake_chromium_hangs.sh"


MARK = "MONITORING_TEST_CHART_MARK"


@pytest.fixture
def mark(monkeypatch) -> str:
    """A value, unique to this test, in the environment every process it starts inherits: the
    check for stray processes then sees only this test's (tests run in parallel workers)."""
    value = f"{os.getpid()}-{time.monotonic_ns()}"
    monkeypatch.setenv(MARK, value)
    return value


def running_fakes(mark: str) -> set[int]:
    """Ids of this test's processes running the hanging browser script or its ``sleep 600``."""
    found = set()
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        if str(FAKE) not in line and line != "sleep 600":
            continue
        try:
            if proc.environ().get(MARK) == mark:
                found.add(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def test_case_11_readme_asks_for_a_bounded_export():
    readme = (CASE / "README.md").read_text(encoding="utf-8")
    assert "no process is left behind" in readme and "without chart images" in readme


def test_export_command_gives_up_on_a_hanging_browser_and_writes_the_pack(
    demo_engine, tmp_path, mark
):
    out = tmp_path / "x.pdf"
    env = {
        **os.environ,
        "MONITORING_DATABASE_URL": demo_engine.url.render_as_string(hide_password=False),
        "BROWSER_PATH": str(FAKE),
        "MONITORING_CHART_TIMEOUT_SECONDS": "3",
        "PYTHONPATH": str(ROOT),
    }
    before = running_fakes(mark)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "monitoring", "export", "pdf", "--out", str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert took < 120  # the case hung until killed at 150 s
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    cover = reader.pages[0].extract_text()
    assert "Charts left out" in cover and "3 seconds" in cover
    assert sum(len(page.images) for page in reader.pages) == 0
    assert settled(
        lambda: running_fakes(mark) <= before
    )  # no stray browser wrapper (nor its sleep) is left


def test_meeting_pack_files_say_the_charts_are_missing(demo_engine, monkeypatch, mark):
    """The Meeting pack page's files (exports.prepare_files): PDF and PowerPoint are made, without
    charts, and their covers say so; no process is left behind."""
    from sqlalchemy import text

    from monitoring import db

    monkeypatch.setenv("BROWSER_PATH", str(FAKE))
    monkeypatch.setenv("MONITORING_CHART_TIMEOUT_SECONDS", "2")
    before = running_fakes(mark)
    with demo_engine.connect() as conn:
        held_on = conn.execute(text("select max(held_on) from meeting")).scalar()
    with db.read_connection(demo_engine) as conn:
        from datetime import date

        pack = exports.build_pack(conn, date.fromisoformat(held_on))
    files, problems = exports.prepare_files(pack)
    assert problems == []
    assert set(files) >= {"pdf", "pptx"}
    assert "Charts left out" in PdfReader(io.BytesIO(files["pdf"])).pages[0].extract_text()
    cover = Presentation(io.BytesIO(files["pptx"])).slides[0]
    assert "Charts left out" in cover.placeholders[1].text
    assert settled(lambda: running_fakes(mark) <= before)


def settled(check, seconds: float = 15.0) -> bool:
    """True once ``check()`` holds, polling for up to ``seconds`` (a killed process takes a moment
    to go, longer on a loaded machine); False if it never does."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _alive(pids: set[int]) -> set[int]:
    return {
        pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
    }


def test_the_chart_browser_is_started_once_and_reused_and_a_hang_does_not_spoil_it(
    monkeypatch, mark
):
    """One browser draws every chart of one pack and of the next (kept warm: starting it costs
    about 3 s); after a hanging browser times out (case 11) the next drawing starts a fresh one;
    closing it leaves no process behind."""
    import plotly.graph_objects as go

    from monitoring.exports import images

    figures = {
        "one": go.Figure(go.Bar(x=["a", "b"], y=[1, 2]), layout={"title": "one"}),
        "two": go.Figure(go.Bar(x=[3, 4], y=["c", "d"], orientation="h"), layout={"height": 300}),
    }
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    images.close_browser()
    first = images.render_png(figures)
    started = set(images._WARM.pids)
    # the browser runs (a short-lived helper process of Chromium's may already have gone: CI saw
    # one of a dozen exit between the start and this check)
    assert started and _alive(started)
    second = images.render_png(figures)
    assert images._WARM.pids == started  # the same browser drew the second pack
    assert set(first) == set(second) == {"one", "two"}
    assert all(png.startswith(b"\x89PNG") for png in [*first.values(), *second.values()])

    monkeypatch.setenv("BROWSER_PATH", str(FAKE))
    before = running_fakes(mark)
    with pytest.raises(images.ChartTimeout, match="within 2 seconds"):
        images.render_png(figures, timeout=2)
    assert settled(lambda: running_fakes(mark) <= before)
    assert settled(
        lambda: not _alive(started)
    )  # the warm browser was closed for the other BROWSER_PATH

    monkeypatch.delenv("BROWSER_PATH")
    third = images.render_png(figures)
    assert third["one"].startswith(b"\x89PNG")
    restarted = set(images._WARM.pids)
    assert restarted and not restarted & started
    images.close_browser()
    assert settled(lambda: not _alive(restarted))


def test_a_browser_process_that_left_our_process_tree_is_still_ended(monkeypatch, mark):
    """Under load the hanging browser's wrapper was told to stop: it ended its child and exited,
    and the child's own ``sleep`` was left an orphan outside this process's tree, where a search
    of our children cannot find it (CI left one behind). Every process of a browser start carries
    the start's mark in its environment, so it is found and ended wherever it is."""
    from monitoring.exports import images

    token = f"test-{mark}"
    monkeypatch.setenv(images.BROWSER_MARK, token)
    # a shell that starts "sleep 600" in the background and exits at once: the sleep's parent
    # is then init (or a subreaper), not this process
    subprocess.run(["sh", "-c", "sleep 600 >/dev/null 2>&1 &"], check=True)
    monkeypatch.delenv(images.BROWSER_MARK)
    orphans = images._marked(token)
    assert len(orphans) == 1
    assert not orphans & {child.pid for child in psutil.Process().children(recursive=True)}
    # the test's own check sees it too, once the forked shell has become "sleep 600" (under load
    # the orphan was found while it was still the shell between its fork and its exec)
    assert settled(lambda: running_fakes(mark) >= orphans)
    images._end(orphans)
    assert settled(lambda: not _alive(orphans))
    assert images._marked(token) == set()


class _Page:
    """Stands in for kaleido's page only to make its race repeatable: the real one (asked to
    draw before its script ran, "kaleido_scopes is not defined") came under load in CI and cannot
    be provoked on demand. ``fails`` answers that way that many times, then draws."""

    def __init__(self, fails: int, message: str = "ReferenceError: kaleido_scopes is not defined"):
        self.fails, self.message = fails, message

    async def calc_fig(self, fig, opts):
        if self.fails:
            self.fails -= 1
            raise RuntimeError(self.message)
        return b"\x89PNG drawn"


def _warm_with(page, monkeypatch):
    import asyncio

    from monitoring.exports import images

    warm = images._WarmBrowser()
    warm.kaleido, warm.path = page, Path("/usr/bin/chromium")
    starts: list = []

    async def close():
        starts.append("close")
        warm.kaleido = None

    async def open_(path):
        starts.append(("open", path))
        warm.kaleido = page

    monkeypatch.setattr(warm, "_close", close)
    monkeypatch.setattr(warm, "_open", open_)
    return warm, starts, asyncio


def test_a_page_not_ready_is_drawn_again_in_a_fresh_browser(monkeypatch):
    from monitoring.exports import images

    warm, starts, asyncio = _warm_with(_Page(fails=1), monkeypatch)
    assert asyncio.run(warm._calc(None, {})) == b"\x89PNG drawn"
    assert starts == ["close", ("open", Path("/usr/bin/chromium"))]  # one fresh start

    # never more than PAGE_NOT_READY_TRIES starts in all, then the error is the caller's
    warm, starts, asyncio = _warm_with(_Page(fails=images.PAGE_NOT_READY_TRIES), monkeypatch)
    with pytest.raises(RuntimeError, match="kaleido_scopes is not defined"):
        asyncio.run(warm._calc(None, {}))
    assert starts.count("close") == images.PAGE_NOT_READY_TRIES - 1

    # any other drawing error is not retried
    warm, starts, asyncio = _warm_with(_Page(fails=1, message="bad figure"), monkeypatch)
    with pytest.raises(RuntimeError, match="bad figure"):
        asyncio.run(warm._calc(None, {}))
    assert starts == []
