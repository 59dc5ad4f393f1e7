"""The board report as PDF (fpdf2), in a bundled TrueType font that prints every character.

fpdf2's core fonts only know Latin-1; the report uses DejaVu Sans (Debian's ``fonts-dejavu-core``,
installed by ``make fonts``) so that curly quotes, dashes, arrows and accented names print.
Landscape A4: one heading per section, tables with repeated headers, charts as PNG. A summary by
default; every row and the annual report with ``detail``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from fpdf import FPDF, FontFace

from monitoring import rules
from monitoring.exports.layout import CHART_ALT, Section, Table, sections
from monitoring.exports.pack import MeetingPack, uk_date

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts/dejavu",
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
HEADER_FILL = "#1F4E96"


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


def _table(pdf: _Report, table: Table) -> None:
    if pdf.will_page_break(25):  # keep a table's title with its first rows
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=8.5)
    if not table.rows:
        pdf.multi_cell(0, 5, table.empty, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        return
    heading = FontFace(emphasis="BOLD", color="#FFFFFF", fill_color=HEADER_FILL)
    with pdf.table(
        col_widths=tuple(table.widths),
        headings_style=heading,
        line_height=4.6,
        text_align="LEFT",
        repeat_headings=1,
        padding=1,
    ) as grid:
        header = grid.row()
        for text in table.headers:
            header.cell(text)
        for index, values in enumerate(table.rows):
            row = grid.row()
            for column, text in enumerate(values):
                if table.rag_column == column and index < len(table.rag):
                    colour = rules.RAG_COLOURS.get(table.rag[index], "#595959")
                    row.cell(
                        text,
                        style=FontFace(emphasis="BOLD", color="#FFFFFF", fill_color=colour),
                    )
                else:
                    row.cell(text)
    if table.note:
        pdf.ln(1)
        pdf.set_font("DejaVu", size=8.5)
        pdf.multi_cell(0, 4.6, table.note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _section(pdf: _Report, section: Section, images: dict[str, bytes]) -> None:
    pdf.add_page()
    pdf.start_section(section.title, level=0)
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, section.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(0, 5.5, section.intro, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for table in section.tables:
        _table(pdf, table)
    charts = [(name, images[name]) for name in section.charts if images.get(name)]
    if charts:  # side by side, half the page width each
        width = (pdf.epw - 6) / 2
        if pdf.will_page_break(80):
            pdf.add_page()
        top = pdf.get_y()
        heights = []
        for index, (name, png) in enumerate(charts):
            info = pdf.image(
                io.BytesIO(png),
                x=pdf.l_margin + index % 2 * (width + 6),
                y=top,
                w=width,
                alt_text=CHART_ALT.get(name, name),
            )
            heights.append(info.rendered_height)
        pdf.set_y(top + max(heights) + 4)


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
