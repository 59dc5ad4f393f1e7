"""Static chart images (PNG) through kaleido 1.x and a local Chromium.

Kaleido 1.x drives a Chrome or Chromium it finds on the machine (Debian's ``chromium`` package,
installed by ``make browser``); it never downloads one here. :func:`render_png` opens one
browser for a whole export run and renders every figure in it (one warm process, not one per
chart). MathJax is off so that no external script is fetched.

Drawing is bounded (case 11): it gives up after :func:`monitoring.config.chart_timeout_seconds`
(60 s by default), kills every process the browser started (no stray browser is left behind) and
raises :class:`ChartTimeout`; the exports then write the pack without chart images and say so on
its cover.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
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


def _end(pids: set[int]) -> None:
    """Kill these processes and wait (briefly) for them, so none is left behind."""
    procs = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            procs.extend(proc.children(recursive=True))
            procs.append(proc)
        except psutil.Error:
            continue
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(procs, timeout=5)


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


def render_png(
    figures: Mapping[str, go.Figure],
    *,
    width: int = 800,
    scale: float = 2.5,
    timeout: float | None = None,
) -> dict[str, bytes]:
    """Render every figure to PNG bytes in one browser session.

    :param figures: name → Plotly figure; each keeps its own height (or 450 px).
    :param width: image width in CSS pixels; ``scale`` multiplies it for sharp print.
    :param timeout: seconds allowed for all of them (default
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
    result: dict[str, bytes] = {}
    error: list[BaseException] = []

    async def _render() -> None:
        import kaleido

        async with kaleido.Kaleido(n=1, mathjax=False, path=str(browser)) as k:
            for name, fig in figures.items():
                opts = {"format": "png", "width": width, "height": fig.layout.height or 450}
                opts["scale"] = scale
                result[name] = await k.calc_fig(fig, opts=opts)

    def _thread() -> None:  # a fresh event loop, whether or not the caller runs one
        try:
            asyncio.run(_render())
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    before = _children()
    worker = threading.Thread(target=_thread, name="kaleido-export", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        _end(_children() - before)
        worker.join(5)
        raise ChartTimeout(
            f"The chart browser did not draw the charts within {timeout:g} seconds; it was "
            "stopped and the pack was made without chart images."
        )
    if error:
        exc = error[0]
        if type(exc).__name__ == "ChromeNotFoundError":
            raise BrowserNotFound(f"{exc} {INSTALL_HINT}") from exc
        raise ChartRenderError(f"Chart image could not be drawn: {exc}") from exc
    return result
