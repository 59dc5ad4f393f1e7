"""The board report as PowerPoint slides (python-pptx): a title slide, then one slide per section.

The sections are the summary PDF's (:func:`monitoring.exports.layout.sections`), whatever the size
of the data: about ten slides (the per-review annual report is the PDF's, with its detail). Long
tables show their first rows and say how many more the paper and the Excel tracker hold. RAG cells
carry the board's word on the RAG colour; charts carry alt text.
"""

from __future__ import annotations

import io
from pathlib import Path

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from monitoring import vocabulary
from monitoring.exports.layout import CHART_ALT, Section, Table, sections
from monitoring.exports.pack import MeetingPack, uk_date

SLIDE_WIDTH = Inches(13.333)
SLIDE_HEIGHT = Inches(7.5)
MARGIN = Inches(0.5)
TOP = Inches(1.35)
HEADER_FILL = "1F4E96"


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _title_only(prs: Presentation, title: str, subtitle: str = ""):
    slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
    slide.shapes.title.text = title
    slide.shapes.title.text_frame.paragraphs[0].font.size = Pt(28)
    if subtitle:
        box = slide.shapes.add_textbox(MARGIN, Inches(1.0), SLIDE_WIDTH - 2 * MARGIN, Inches(0.4))
        box.text_frame.text = subtitle
        # a long introduction (a warning with the changes) wraps to two smaller lines in the box
        box.text_frame.word_wrap = True
        box.text_frame.margin_top = box.text_frame.margin_bottom = 0
        box.text_frame.paragraphs[0].font.size = Pt(13 if len(subtitle) <= 120 else 10.5)
    return slide


CHARS_PER_INCH = 13  # 10 pt text, a conservative average
LINE = Inches(0.17)
NOTE_HEIGHT = Inches(0.3)


def _row_heights(rows: list[list[str]], widths: list[int]) -> list[int]:
    """Estimated height of each row (EMU) from its longest wrapped cell."""
    heights = []
    for values in rows:
        lines = 1
        for text, width in zip(values, widths, strict=True):
            per_line = max(4, int(Emu(width).inches * CHARS_PER_INCH))
            lines = max(lines, sum(-(-max(1, len(part)) // per_line) for part in text.split("\n")))
        heights.append(Inches(0.1) + LINE * lines)
    return heights


def _add_table(slide, table: Table, left, top, width, space: int) -> int:
    """Add ``table``: its title, then as many rows as fit in ``space`` (EMU), with a note saying
    how many more the paper holds. Returns the height used (EMU)."""
    title = slide.shapes.add_textbox(left, top, width, Inches(0.35))
    title.text_frame.text = table.title
    title.text_frame.paragraphs[0].font.size = Pt(14)
    title.text_frame.paragraphs[0].font.bold = True
    top += Inches(0.38)
    if not table.rows:
        note = slide.shapes.add_textbox(left, top, width, Inches(0.3))
        note.text_frame.text = table.empty
        note.text_frame.paragraphs[0].font.size = Pt(12)
        return Inches(0.38 + 0.4)
    total = sum(table.widths)
    widths = [int(width * share / total) for share in table.widths]
    heights = _row_heights([table.headers, *table.rows], widths)
    room = space - Inches(0.38) - NOTE_HEIGHT - heights[0]
    shown = 0
    while shown < len(table.rows) and (shown == 0 or heights[shown + 1] <= room):
        room -= heights[shown + 1]
        shown += 1
    rows = [table.headers, *table.rows[:shown]]
    table_height = sum(heights[: shown + 1])
    grid = slide.shapes.add_table(len(rows), len(table.headers), left, top, width, table_height)
    grid = grid.table
    for i, column_width in enumerate(widths):
        grid.columns[i].width = Emu(column_width)
    for r, values in enumerate(rows):
        grid.rows[r].height = Emu(heights[r])
        for c, text in enumerate(values):
            cell = grid.cell(r, c)
            cell.text = text
            paragraph = cell.text_frame.paragraphs[0]
            paragraph.font.size = Pt(10)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            if r == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb(HEADER_FILL)
                paragraph.font.bold = True
                paragraph.font.color.rgb = _rgb("FFFFFF")
            elif table.rag_column == c and r - 1 < len(table.rag):
                cell.fill.solid()
                cell.fill.fore_color.rgb = _rgb(
                    vocabulary.RAG_COLOURS.get(table.rag[r - 1], "595959")
                )
                paragraph.font.bold = True
                paragraph.font.color.rgb = _rgb("FFFFFF")
    used = Inches(0.38) + table_height + Inches(0.15)
    hidden = len(table.rows) - shown + table.hidden
    if hidden:
        note = slide.shapes.add_textbox(left, top + table_height, width, NOTE_HEIGHT)
        note.text_frame.text = f"… and {hidden} more: see the paper or the Excel tracker."
        note.text_frame.paragraphs[0].font.size = Pt(10)
        used += NOTE_HEIGHT
    return used


def _picture(slide, png: bytes, name: str, left, top, width):
    picture = slide.shapes.add_picture(io.BytesIO(png), left, top, width=width)
    picture._element.nvPicPr.cNvPr.set("descr", CHART_ALT.get(name, name))
    return picture


def _section_slide(prs: Presentation, section: Section, images: dict[str, bytes], title: str):
    slide = _title_only(prs, title, section.intro)
    charts = [n for n in section.charts if images.get(n)]
    table_width = (SLIDE_WIDTH - 2 * MARGIN) if not charts else Inches(5.6)
    top = TOP
    bottom = SLIDE_HEIGHT - Inches(0.3)
    for index, table in enumerate(section.tables):
        space = (bottom - top) // (len(section.tables) - index)
        top += _add_table(slide, table, MARGIN, top, table_width, space)
    if charts:  # side by side in the space right of the tables, each inside the slide
        left = MARGIN + table_width + Inches(0.3)
        gap = Inches(0.2)
        width = (SLIDE_WIDTH - left - MARGIN - gap * (len(charts) - 1)) // len(charts)
        top = Inches(1.45)  # below the introduction's box (1.0 to 1.4 in)
        height = SLIDE_HEIGHT - top - Inches(0.2)
        for index, name in enumerate(charts):
            picture = _picture(slide, images[name], name, left + index * (width + gap), top, width)
            if picture.height > height:  # keep the aspect ratio, fit the slide's height
                scale = height / picture.height
                picture.height = int(picture.height * scale)
                picture.width = int(picture.width * scale)
    return slide


def write_pptx(pack: MeetingPack, images: dict[str, bytes], out: Path | str | io.BytesIO) -> None:
    """Write the board report for ``pack`` as a PowerPoint deck (16:9).

    :param images: chart PNGs by name (see :func:`monitoring.exports.images.render_png`).
    :param out: a file path or a binary buffer.
    """
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    prs.core_properties.title = pack.title
    prs.core_properties.author = pack.board
    prs.core_properties.subject = f"Monitoring report as at {uk_date(pack.today)}"
    cover = prs.slides.add_slide(prs.slide_layouts[0])
    cover.shapes.title.text = pack.title
    cover.placeholders[1].text = (
        f"{pack.board}\nLearning from case reviews: {pack.figures_label[0].lower()}"
        f"{pack.figures_label[1:]}; changes {pack.since_label}"
        + (f"\n{pack.charts_missing}" if pack.charts_missing else "")
    )
    for section in sections(pack):
        _section_slide(prs, section, images, section.title)
    prs.save(out)
