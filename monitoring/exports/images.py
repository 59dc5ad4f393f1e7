"""Static chart images (PNG) through kaleido 1.x and a local Chromium.

Kaleido 1.x drives a Chrome or Chromium it finds on the machine (Debian's ``chromium`` package,
installed by ``make browser``); it never downloads one here. MathJax is off so that no external
script is fetched.

Starting the browser and loading plotly.js into its page costs about 3 s; drawing one chart in a
warm page about 0.3-0.5 s. So the browser is kept warm for the process (:class:`_WarmBrowser`: one
Kaleido session on its own event loop thread): every chart of a pack, and of the next pack, is
drawn in it, and it is closed after :data:`IDLE_SECONDS` without work, when ``BROWSER_PATH``
changes, and when the process exits.

Drawing is bounded (case 11): :func:`render_png` gives up after
:func:`monitoring.config.chart_timeout_seconds` (60 s by default, the browser's start included),
kills every process the browser started (no stray browser is left behind) and raises
:class:`ChartTimeout`; the exports then write the pack without chart images and say so on its
cover. The next call starts a fresh browser.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import plotly.graph_objects as go
import psutil

from monitoring import config

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL_HINT = (
    "Chart images need Chromium. Install Debian's chromium with `make browser` "
    "(or `apt-get install chromium`), or set BROWSER_PATH to a Chrome or Chromium executable."
)


class BrowserNotFound(RuntimeError):
    """No Chrome or Chromium executable was found, so chart images cannot be drawn."""


class ChartRenderError(RuntimeError):
    """The browser was found but a chart could not be rendered."""


class ChartTimeout(ChartRenderError):
    """The browser did not draw the charts within the time allowed; its processes were ended."""


def _children() -> set[int]:
    """Process ids of every process this one started (and theirs)."""
    try:
        return {child.pid for child in psutil.Process().children(recursive=True)}
    except psutil.Error:  # pragma: no cover - our own process is always readable
        return set()


BROWSER_MARK = "MONITORING_CHART_BROWSER"
"""An environment variable set, while a browser starts, to a value unique to that start: every
process of that browser inherits it, so a timeout finds them all even once one has left our
process tree (the browser's wrapper, told to stop, ends its child and exits, and the child's
own child is then an orphan: case 11 under load)."""


def _marked(token: str | None) -> set[int]:
    """Ids of the processes (other than this one) started with ``BROWSER_MARK`` = ``token``."""
    if not token:
        return set()
    found = set()
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get(BROWSER_MARK) == token:
                found.add(proc.pid)
        except psutil.Error:  # another user's process, or gone meanwhile
            continue
    return found


def _end(pids: set[int]) -> None:
    """Kill these processes and every process they started, and wait (briefly) for them, so none
    is left behind. Each is stopped (SIGSTOP) before its children are listed, so that none can
    start another process between the listing and the kill (a browser starting under load did,
    and its child outlived it)."""
    procs: dict[int, psutil.Process] = {}
    frontier = set(pids)
    while frontier:
        found: set[int] = set()
        for pid in frontier:
            try:
                proc = psutil.Process(pid)
                proc.suspend()
                procs[pid] = proc
                found.update(child.pid for child in proc.children(recursive=True))
            except psutil.Error:
                continue
        frontier = found - set(procs)
    for proc in procs.values():
        try:
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(list(procs.values()), timeout=5)


def find_browser() -> Path:
    """The Chrome/Chromium executable: ``BROWSER_PATH`` when set, else the first on ``PATH``.

    :raises BrowserNotFound: when ``BROWSER_PATH`` names no executable, or none is on ``PATH``.
    """
    configured = os.environ.get("BROWSER_PATH", "").strip()
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise BrowserNotFound(f"BROWSER_PATH={configured!r} is not an executable. {INSTALL_HINT}")
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise BrowserNotFound(f"No Chrome or Chromium found on PATH. {INSTALL_HINT}")


ABANDON_SECONDS = 10.0
"""After a timeout, how long (seconds) to wait for a browser start already under way, killing
what it starts, before giving up on it."""

IDLE_SECONDS = 300.0
"""A warm browser idle this long (seconds) is closed; the next pack starts a new one (about 3 s)."""
PAGE_NOT_READY = "kaleido_scopes is not defined"
"""What the browser answers when asked to draw before kaleido's script has run in its page."""
PAGE_NOT_READY_TRIES = 3
"""Browser starts tried for one figure when the page was not ready (:meth:`_WarmBrowser._calc`)."""


class _WarmBrowser:
    """One Kaleido session (one Chromium, one tab) on its own event loop thread, kept for the
    process and shared by every caller (one drawing at a time).

    The browser's process ids are noted when it starts (the processes this one gained meanwhile),
    so that a timeout can kill exactly them.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.kaleido = None
        self.path: Path | None = None
        self.pids: set[int] = set()
        self.token: str | None = None
        self.idle_close: asyncio.TimerHandle | None = None
        self.executor: concurrent.futures.ThreadPoolExecutor | None = None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self.loop is None or self.thread is None or not self.thread.is_alive():
            loop = asyncio.new_event_loop()
            # the loop's own thread pool: the browser is started (Popen) and its pipe read in it,
            # so that a timeout can wait for a start already under way and then end what it began
            executor = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="kaleido-io")
            loop.set_default_executor(executor)
            self.executor = executor
            thread = threading.Thread(target=loop.run_forever, name="kaleido-browser", daemon=True)
            thread.start()
            self.loop, self.thread = loop, thread
        return self.loop

    async def _open(self, path: Path) -> None:
        import kaleido

        before = _children()
        self.path = path
        # every process of this browser inherits the mark (only while it starts: a later
        # subprocess of ours must not carry it)
        self.token = f"{os.getpid()}-{time.monotonic_ns()}"
        os.environ[BROWSER_MARK] = self.token
        browser = kaleido.Kaleido(n=1, mathjax=False, path=str(path))
        self.kaleido = browser
        try:
            await browser.__aenter__()
        finally:
            os.environ.pop(BROWSER_MARK, None)
            self.pids = _children() - before

    async def _draw(self, path: Path, figures, width: int, scale: float) -> dict[str, bytes]:
        if self.idle_close is not None:
            self.idle_close.cancel()
            self.idle_close = None
        if self.kaleido is not None and self.path != path:
            await self._close()
        if self.kaleido is None:
            await self._open(path)
        result = {}
        for name, fig in figures.items():
            opts = {"format": "png", "width": width, "height": fig.layout.height or 450}
            opts["scale"] = scale
            result[name] = await self._calc(fig, opts)
        self.idle_close = asyncio.get_running_loop().call_later(
            IDLE_SECONDS, lambda: asyncio.ensure_future(self._close())
        )
        return result

    async def _calc(self, fig, opts: dict) -> bytes:
        """One figure's image. A browser whose page had not finished loading kaleido's script
        answers "kaleido_scopes is not defined" (kaleido 1.5 took the page's script context before
        the script ran; CI saw it under load): that browser is closed and a fresh one started, up
        to :data:`PAGE_NOT_READY_TRIES` times in all, within the caller's timeout."""
        for attempt in range(1, PAGE_NOT_READY_TRIES + 1):
            try:
                return await self.kaleido.calc_fig(fig, opts=opts)
            except Exception as exc:
                if PAGE_NOT_READY not in str(exc) or attempt == PAGE_NOT_READY_TRIES:
                    raise
                path = self.path
                await self._close()
                await self._open(path)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _close(self) -> None:
        browser, self.kaleido = self.kaleido, None
        if browser is not None:
            with contextlib.suppress(Exception):  # whatever it says, the processes are ended
                await asyncio.wait_for(browser.__aexit__(None, None, None), 10)
        _end(self.pids | _marked(self.token))
        self.pids, self.token = set(), None

    def draw(self, path: Path, figures, width: int, scale: float, timeout: float):
        """Draw in the warm browser (starting it when needed) within ``timeout`` seconds.

        :raises TimeoutError: when not done in time; the browser's processes are then killed and
            the session forgotten.
        """
        started = time.monotonic()
        if not self.lock.acquire(timeout=timeout):
            raise TimeoutError
        try:
            loop = self._ensure_loop()
            before = _children()
            future = asyncio.run_coroutine_threadsafe(self._draw(path, figures, width, scale), loop)
            try:
                return future.result(max(0.0, timeout - (time.monotonic() - started)))
            except concurrent.futures.TimeoutError:
                future.cancel()
                self._abandon(before)
                raise TimeoutError from None
            except BaseException:
                self._abandon(before)
                raise
        finally:
            self.lock.release()

    def _abandon(self, before: set[int]) -> None:
        """Kill the browser (the processes it was seen to start, and any this process gained
        during the failed call) and forget the session and its loop thread.

        The loop is stopped first (waiting up to 5 s for its thread), so the cancelled drawing
        cannot go on. The browser itself is started (``Popen``) in the loop's thread pool, which
        stopping the loop does not stop: a start under way when the time ran out (a loaded
        machine) would leave a browser behind the kill. So the pool is shut down and, until its
        threads have ended (at most :data:`ABANDON_SECONDS`), every new child is killed again.
        """
        loop, thread, executor = self.loop, self.thread, self.executor
        self.kaleido, self.idle_close = None, None
        self.loop = self.thread = self.executor = None
        if loop is not None:
            # the cancelled drawing may still end in an error once its browser is gone: that is
            # expected, already reported as the timeout, so the loop does not print it
            loop.set_exception_handler(lambda _loop, _context: None)
            loop.call_soon_threadsafe(loop.stop)
            if thread is not None and thread is not threading.current_thread():
                thread.join(5)
        pool_done = threading.Event()
        if executor is not None:

            def shut_pool() -> None:
                executor.shutdown(wait=True, cancel_futures=True)
                pool_done.set()

            threading.Thread(target=shut_pool, name="kaleido-io-end", daemon=True).start()
        else:
            pool_done.set()
        token = self.token
        deadline = time.monotonic() + ABANDON_SECONDS
        while True:
            _end(self.pids | (_children() - before) | _marked(token))
            # a pipe read in the pool ends once the browser is gone; a Popen once it has started
            if pool_done.wait(0.2) or time.monotonic() > deadline:
                break
        os.environ.pop(BROWSER_MARK, None)  # the start that set it will never pop it now
        # whatever the last pool thread started before it ended
        _end((_children() - before) | _marked(token))
        self.pids, self.token = set(), None

    def close(self) -> None:
        """Close the browser now (at exit; a later call starts a new one)."""
        with self.lock:
            if self.loop is None or self.kaleido is None:
                _end(self.pids | _marked(self.token))
                return
            try:
                asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(15)
            except BaseException:  # noqa: BLE001 - at exit: end the processes whatever happened
                _end(self.pids | _marked(self.token))


_WARM = _WarmBrowser()
atexit.register(_WARM.close)


def close_browser() -> None:
    """Close the warm chart browser now (the next drawing starts a new one)."""
    _WARM.close()


def render_png(
    figures: Mapping[str, go.Figure],
    *,
    width: int = 800,
    scale: float = 2.5,
    timeout: float | None = None,
) -> dict[str, bytes]:
    """Render every figure to PNG bytes in the process's warm browser (started when needed).

    :param figures: name → Plotly figure; each keeps its own height (or 450 px).
    :param width: image width in CSS pixels; ``scale`` multiplies it for sharp print.
    :param timeout: seconds allowed for all of them, a browser start included (default
        :func:`monitoring.config.chart_timeout_seconds`, 60 s).
    :returns: name → PNG bytes, in the order given.
    :raises BrowserNotFound: when no Chromium is installed (see :func:`find_browser`).
    :raises ChartTimeout: when the browser has not drawn them in time (its processes ended).
    :raises ChartRenderError: when the browser fails to render a figure.
    """
    timeout = config.chart_timeout_seconds() if timeout is None else timeout
    if not figures:
        return {}
    browser = find_browser()
    try:
        return _WARM.draw(browser, dict(figures), width, scale, timeout)
    except TimeoutError:
        raise ChartTimeout(
            f"The chart browser did not draw the charts within {timeout:g} seconds; it was "
            "stopped and the pack was made without chart images."
        ) from None
    except Exception as exc:
        if type(exc).__name__ == "ChromeNotFoundError":
            raise BrowserNotFound(f"{exc} {INSTALL_HINT}") from exc
        raise ChartRenderError(f"Chart image could not be drawn: {exc}") from exc
