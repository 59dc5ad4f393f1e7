"""The board report as PDF (fpdf2), in a bundled TrueType font that prints every character.

fpdf2's core fonts only know Latin-1; the report uses DejaVu Sans (Debian's ``fonts-dejavu-core``,
installed by ``make fonts``) so that curly quotes, dashes, arrows and accented names print.
Landscape A4: one heading per section, tables with repeated headers, charts as PNG. A summary by
default; every row and the annual report with ``detail``.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from fpdf import FPDF, FontFace

from monitoring import vocabulary
from monitoring.exports.layout import CHART_ALT, Section, Table, sections
from monitoring.exports.pack import MeetingPack, uk_date

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts/dejavu",
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
HEADER_FILL = "#1F4E96"
TABLE_FONT_SIZE = 8.5
"""Points: the text of every table cell (a header's in bold)."""
CELL_PADDING = 1.0
"""Millimetres between a table cell's border and its text, on each side."""
SMALLEST_FONT_SIZE = 5.0
"""Points: the least a cell's text is shrunk to so that its longest word fits its column."""
FIT_SLACK = 0.6
"""Millimetres a column is given beyond its longest word (the cell border's width, rounding)."""
UK_DATE = re.compile(r"\b(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4})\b")
"""A date as the pack writes it (``d MMM yyyy``, :func:`~monitoring.exports.pack.uk_date`)."""
NO_BREAK_SPACE = "\u00a0"
BREAKS = re.compile(r"[^\S\u00a0]+")
"""Where fpdf2 may wrap a line: any run of white space but the non-breaking space."""


class FontNotFound(RuntimeError):
    """The TrueType font for the PDF is not installed."""


def font_dir() -> Path:
    """The folder holding DejaVu Sans: ``MONITORING_FONT_DIR`` or a standard Debian location.

    :raises FontNotFound: with the command that installs the font.
    """
    candidates = [os.environ.get("MONITORING_FONT_DIR", "").strip(), *FONT_DIRS]
    for folder in filter(None, candidates):
        if all((Path(folder) / name).is_file() for name in FONT_FILES.values()):
            return Path(folder)
    raise FontNotFound(
        "The PDF needs the DejaVu Sans font (DejaVuSans.ttf and DejaVuSans-Bold.ttf). Install "
        "Debian's fonts-dejavu-core with `make fonts`, or set MONITORING_FONT_DIR to a folder "
        "holding those files."
    )


class _Report(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="landscape", format="A4")
        self.report_title = title
        self.widest_words: dict[tuple[str, str], float] = {}
        """Millimetres: the widest word of a table cell's text, by (font style, text)."""
        folder = font_dir()
        for style, name in FONT_FILES.items():
            self.add_font("DejaVu", style, str(folder / name))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(12, 12, 12)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("DejaVu", size=8)
        self.set_text_color(80, 80, 80)
        self.cell(0, 6, f"{self.report_title} — page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def unbreakable(text: str) -> str:
    """``text`` with the spaces inside each date (``3 Jun 2026``) made non-breaking, so that a
    line only wraps between words and a date stays whole (fpdf2 prints them as spaces)."""
    return UK_DATE.sub(rf"\1{NO_BREAK_SPACE}\2{NO_BREAK_SPACE}\3", text)


def words(text: str) -> list[str]:
    """The pieces a table cell's line may wrap between: ``text`` split at spaces, each date
    (:func:`unbreakable`) one piece; a reference such as ``NSCP-LCSPR-2025-01`` or ``2025-0123``
    is one piece."""
    return [word for word in BREAKS.split(unbreakable(text)) if word]


def _longest_word(pdf: _Report, text: str, style: str) -> float:
    """Millimetres: the width of ``text``'s widest word in the table font (``style`` "" or "B")."""
    known = pdf.widest_words
    if (style, text) not in known:
        pdf.set_font("DejaVu", style, TABLE_FONT_SIZE)
        widths = [pdf.get_string_width(word) for word in words(text)]
        known[style, text] = max(widths, default=0.0)
    return known[style, text]


def column_widths(pdf: _Report, table: Table, total: float) -> list[float]:
    """Millimetres: each column's width, summing to ``total``, so that no word of the table
    (header or cell, a reference, date or number included) is wider than its column, where the
    table allows it.

    Each column starts at its share of ``total`` by :attr:`Table.widths`; a column too narrow
    for its widest word is widened to fit it, and the width is taken from the columns with room
    to spare (in proportion to their share), repeatedly, until every column fits. When the
    words together are wider than ``total`` the narrow columns get what they need and the
    widest share the rest equally; :func:`_table` prints a word that still does not fit in a
    smaller font (:func:`_fitted_size`).
    """
    need = []
    for column, header in enumerate(table.headers):
        widest = _longest_word(pdf, header, "B")
        style = "B" if column == table.rag_column else ""
        for row in table.rows:
            if column < len(row):
                widest = max(widest, _longest_word(pdf, row[column], style))
        need.append(widest + 2 * CELL_PADDING + FIT_SLACK)
    if sum(need) >= total:
        return _shared_out(need, total)
    weights = list(table.widths)
    fixed: dict[int, float] = {}
    while True:
        free = [c for c in range(len(need)) if c not in fixed]
        room = total - sum(fixed.values())
        share = sum(weights[c] for c in free)
        widths = {c: room * weights[c] / share for c in free}
        short = [c for c in free if widths[c] < need[c]]
        if not short:
            widths.update(fixed)
            return [widths[c] for c in range(len(need))]
        for c in short:
            fixed[c] = need[c]


def _shared_out(need: list[float], total: float) -> list[float]:
    """Millimetres: ``total`` shared among columns that together need more: every column gets
    what it needs up to one limit, set so that the widths sum to ``total`` (the narrow columns
    whole, the widest ones equally)."""
    limit = total / len(need)
    for count, width in enumerate(sorted(need)):
        if width > limit:
            break
        total -= width
        limit = total / (len(need) - count - 1) if count < len(need) - 1 else limit
    return [min(width, limit) for width in need]


def _fitted_size(pdf: _Report, text: str, style: str, width: float) -> float | None:
    """Points: a font size at which ``text``'s widest word fits ``width`` millimetres of column
    (at least :data:`SMALLEST_FONT_SIZE`), or None when it fits at :data:`TABLE_FONT_SIZE`."""
    room = width - 2 * CELL_PADDING - FIT_SLACK
    widest = _longest_word(pdf, text, style)
    if widest <= room:
        return None
    return max(SMALLEST_FONT_SIZE, TABLE_FONT_SIZE * room / widest)


def _table(pdf: _Report, table: Table) -> None:
    if pdf.will_page_break(25):  # keep a table's title with its first rows
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, unbreakable(table.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=8.5)
    if not table.rows:
        pdf.multi_cell(0, 5, unbreakable(table.empty), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        return
    widths = column_widths(pdf, table, pdf.epw)
    pdf.set_font("DejaVu", size=TABLE_FONT_SIZE)
    heading = FontFace(emphasis="BOLD", color="#FFFFFF", fill_color=HEADER_FILL)
    with pdf.table(
        col_widths=tuple(widths),
        width=pdf.epw,
        headings_style=heading,
        line_height=4.6,
        text_align="LEFT",
        repeat_headings=1,
        padding=CELL_PADDING,
    ) as grid:
        header = grid.row()
        for column, text in enumerate(table.headers):
            size = _fitted_size(pdf, text, "B", widths[column])
            header.cell(unbreakable(text), style=FontFace(size_pt=size) if size else None)
        for index, values in enumerate(table.rows):
            row = grid.row()
            for column, text in enumerate(values):
                rag = table.rag_column == column and index < len(table.rag)
                size = _fitted_size(pdf, text, "B" if rag else "", widths[column])
                if rag:
                    colour = vocabulary.RAG_COLOURS.get(table.rag[index], "#595959")
                    style = FontFace(
                        emphasis="BOLD", color="#FFFFFF", fill_color=colour, size_pt=size
                    )
                else:
                    style = FontFace(size_pt=size) if size else None
                row.cell(unbreakable(text), style=style)
        pdf.set_font("DejaVu", size=TABLE_FONT_SIZE)  # measuring set other fonts: render in this
    if table.note:
        pdf.ln(1)
        pdf.set_font("DejaVu", size=8.5)
        pdf.multi_cell(0, 4.6, unbreakable(table.note), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _section(pdf: _Report, section: Section, images: dict[str, bytes]) -> None:
    pdf.add_page()
    pdf.start_section(section.title, level=0)
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, section.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(0, 5.5, unbreakable(section.intro), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for table in section.tables:
        _table(pdf, table)
    charts = [(name, images[name]) for name in section.charts if images.get(name)]
    if charts:
        _charts(pdf, charts)


CHART_GAP = 6.0
"""Millimetres between two charts side by side, and below a row of charts."""


SHRINK_TO_STAY = 0.85
"""Charts that fit in what is left of the page at this share of the size they would have on a
new page (or more) are drawn there, scaled down; smaller than that, they start a new page."""


def _png_size(png: bytes) -> tuple[int, int]:
    """Pixels: a PNG's ``(width, height)``, from its header (IHDR)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("a chart image is not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def chart_boxes(
    sizes: list[tuple[int, int]], *, left: float, width: float, top: float, bottom: float
) -> list[tuple[float, float, float, float]]:
    """Millimetres: where each chart of a row is drawn, ``(x, y, w, h)``, side by side in
    ``width`` from ``left`` (two to a row, half the width each, less :data:`CHART_GAP`), at
    ``top``, each keeping its aspect ratio and scaled down, all alike, so that the tallest ends at
    ``bottom`` at the latest.

    :param sizes: each chart's ``(width, height)`` in pixels.
    """
    columns = min(2, len(sizes))
    column = (width - CHART_GAP * (columns - 1)) / columns
    tallest = max(column * h / w for w, h in sizes)
    scale = min(1.0, (bottom - top) / tallest)
    boxes = []
    for index, (w, h) in enumerate(sizes):
        drawn = column * scale
        boxes.append((left + index % columns * (column + CHART_GAP), top, drawn, drawn * h / w))
    return boxes


def _charts(pdf: _Report, charts: list[tuple[str, bytes]]) -> None:
    """Draw a section's charts side by side, never past the page's bottom margin (so never under
    the footer): in what is left of the page, scaled down (keeping their aspect ratio) to fit it,
    unless that makes them smaller than :data:`SHRINK_TO_STAY` of their size on a new page; then
    on a new page, scaled down when taller than a whole page."""
    sizes = [_png_size(png) for _name, png in charts]
    bottom = pdf.page_break_trigger  # the page's height less its bottom margin
    here = chart_boxes(sizes, left=pdf.l_margin, width=pdf.epw, top=pdf.get_y(), bottom=bottom)
    fresh = chart_boxes(sizes, left=pdf.l_margin, width=pdf.epw, top=pdf.t_margin, bottom=bottom)
    if here[0][2] < SHRINK_TO_STAY * fresh[0][2]:  # drawn much larger on a new page
        pdf.add_page()
    boxes = chart_boxes(sizes, left=pdf.l_margin, width=pdf.epw, top=pdf.get_y(), bottom=bottom)
    for (name, png), (x, y, w, h) in zip(charts, boxes, strict=True):
        pdf.image(io.BytesIO(png), x=x, y=y, w=w, h=h, alt_text=CHART_ALT.get(name, name))
    pdf.set_y(min(bottom, max(y + h for _x, y, _w, h in boxes) + CHART_GAP / 1.5))


def write_pdf(
    pack: MeetingPack,
    images: dict[str, bytes],
    out: Path | str | io.BytesIO,
    *,
    detail: bool = False,
) -> None:
    """Write the board report for ``pack`` as a PDF.

    By default a summary the board can read at any size (every figure; each list its worst rows,
    saying how many more the Excel tracker holds: :func:`monitoring.exports.layout.sections`);
    on the real PFD data (1,364 actions) about a dozen pages, where the full listing ran to 603.

    :param images: chart PNGs by name, from :func:`monitoring.exports.images.render_png`
        (``rag_by_review``, ``overdue_by_agency``); a missing chart is left out.
    :param out: a file path or a binary buffer.
    :param detail: list every row of every table and add the per-review annual report.
    :raises FontNotFound: when DejaVu Sans is not installed.
    """
    pdf = _Report(pack.title)
    pdf.set_title(pack.title)
    pdf.set_author(pack.board)
    pdf.set_subject(f"Monitoring report as at {uk_date(pack.today)}")
    pdf.set_lang("en-GB")
    pdf.set_creator("Safeguarding learning monitor")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 22)
    pdf.ln(30)
    pdf.multi_cell(0, 12, pack.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=13)
    pdf.multi_cell(
        0,
        8,
        f"{pack.board}\nLearning from case reviews: monitoring report\n"
        f"{pack.figures_label}; changes {pack.since_label}."
        + (f"\n{pack.charts_missing}" if pack.charts_missing else ""),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for section in sections(pack, detail=detail):
        _section(pdf, section, images)
    data = bytes(pdf.output())
    if isinstance(out, io.BytesIO):
        out.write(data)
    else:
        Path(out).write_bytes(data)
