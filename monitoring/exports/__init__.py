"""The meeting pack and the public register.

:func:`build_pack` reads one meeting's figures and tables once; the writers lay them out as PDF
(:mod:`.pdf`), PowerPoint (:mod:`.deck`), Excel (:mod:`.workbook`) and CSV (:mod:`.csvfile`).
:func:`write_files` produces several formats in one run, drawing the charts once in one warm
browser (:mod:`.images`). :func:`monitoring.exports.public.publish` builds the public register.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import plotly.graph_objects as go

from monitoring import charts
from monitoring.exports.images import BrowserNotFound, ChartRenderError, ChartTimeout, render_png
from monitoring.exports.pack import (
    MeetingNotFound,
    MeetingPack,
    PackHeadline,
    build_pack,
    figure_rows,
    figure_rows_of,
    list_meetings,
)

FORMATS = ("pdf", "pptx", "xlsx", "csv")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
NEEDS_CHARTS = frozenset({"pdf", "pptx"})


def pack_figures(pack: MeetingPack) -> dict[str, go.Figure]:
    """The pack's charts (the dashboard's own figure builders): ``rag_by_review`` and, when
    anything is overdue, ``overdue_by_agency``."""
    figures = {}
    if not pack.rag_by_review.empty:
        figures["rag_by_review"] = charts.rag_by_review_chart(pack.rag_by_review)
    if not pack.overdue_by_agency.empty:
        figures["overdue_by_agency"] = charts.overdue_by_agency_chart(pack.overdue_by_agency)
    return figures


def chart_images(pack: MeetingPack) -> dict[str, bytes]:
    """The pack's charts as PNG, drawn in one browser session.

    When the browser does not draw them in time (:class:`~monitoring.exports.images.ChartTimeout`,
    case 11) the pack goes on without chart images: none are returned and ``pack.charts_missing``
    says why (the PDF and PowerPoint covers show it).

    :raises BrowserNotFound: when no Chromium is installed.
    """
    try:
        return render_png(pack_figures(pack))
    except ChartTimeout as exc:
        pack.charts_missing = f"Charts left out: {exc}"
        return {}


def write(
    pack: MeetingPack,
    fmt: str,
    out,
    images: dict[str, bytes] | None = None,
    *,
    detail: bool = False,
) -> None:
    """Write ``pack`` as ``fmt`` (one of :data:`FORMATS`) to ``out`` (a path or binary buffer).

    PDF and PowerPoint draw the charts when ``images`` is not given. The PDF is a summary unless
    ``detail`` (every row and the per-review annual report: :func:`.layout.sections`).

    :raises ValueError: for an unknown format.
    :raises BrowserNotFound: for PDF or PowerPoint when no Chromium is installed.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt in NEEDS_CHARTS and images is None:
        images = chart_images(pack)
    if fmt == "pdf":
        from monitoring.exports.pdf import write_pdf

        write_pdf(pack, images or {}, out, detail=detail)
    elif fmt == "pptx":
        from monitoring.exports.deck import write_pptx

        write_pptx(pack, images or {}, out)
    elif fmt == "xlsx":
        from monitoring.exports.workbook import write_xlsx

        write_xlsx(pack, out)
    else:
        from monitoring.exports.csvfile import write_csv

        write_csv(pack, out)


def write_files(
    pack: MeetingPack, formats: Iterable[str] = FORMATS, *, detail: bool = False
) -> dict[str, bytes]:
    """Every requested format as bytes, the charts drawn once for all of them (``detail``: the
    PDF lists every row and adds the annual report).

    :raises BrowserNotFound: when PDF or PowerPoint is asked for and no Chromium is installed.
    """
    formats = list(formats)
    images = chart_images(pack) if NEEDS_CHARTS & set(formats) else {}
    files = {}
    for fmt in formats:
        buffer = io.BytesIO()
        write(pack, fmt, buffer, images, detail=detail)
        files[fmt] = buffer.getvalue()
    return files


def prepare_files(pack: MeetingPack, *, detail: bool = False) -> tuple[dict[str, bytes], list[str]]:
    """Every format for the meeting page's download buttons, charts drawn once (``detail``: the
    PDF lists every row and adds the annual report).

    When the charts cannot be drawn (no browser) or the PDF font is missing, the spreadsheets
    are still produced and the problem is returned instead of raised.

    :returns: ``(files by format, problems)``: problems are messages for the user.
    """
    from monitoring.exports.pdf import FontNotFound

    try:
        return write_files(pack, detail=detail), []
    except (BrowserNotFound, ChartRenderError, FontNotFound) as exc:
        return write_files(pack, ["xlsx", "csv"]), [
            f"The PDF and PowerPoint could not be made: {exc}"
        ]


def file_name(pack: MeetingPack | PackHeadline, fmt: str) -> str:
    """A download name such as ``meeting-pack-2026-03-30.pdf`` (``tracker-...`` for Excel and
    CSV), from the pack's date (a :class:`PackHeadline` has the same)."""
    stem = "tracker" if fmt in ("xlsx", "csv") else "meeting-pack"
    return f"{stem}-{pack.today.isoformat()}.{fmt}"


__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "BrowserNotFound",
    "ChartRenderError",
    "ChartTimeout",
    "MeetingNotFound",
    "MeetingPack",
    "PackHeadline",
    "build_pack",
    "chart_images",
    "figure_rows",
    "figure_rows_of",
    "file_name",
    "list_meetings",
    "pack_figures",
    "prepare_files",
    "write",
    "write_files",
]
