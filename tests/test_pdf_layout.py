"""Charts in the meeting pack stay on their page and their titles stay off their bars.

A fresh user imported the real PFD data and found page 2 of the PDF broken: both charts ran off
the bottom of the page and the footer ("Monitoring report — page 2 of 18") was printed across a
bar; and the RAG-by-review chart's subtitle ("The other 751 reviews (not drawn): …") lay over its
first bar, in the PDF and on the Overview page.

Checked on the written files themselves: every chart image's drawn rectangle (read from each
page's content stream with pypdf) lies inside the page margins and above the footer, and no
footer text lies inside one; every picture of the PowerPoint deck lies inside its slide; and the
chart's title and subtitle fit inside its top margin, by the figure's layout and by the pixels of
the rendered image. Real PFD data and the demo, on both backends; real Chromium for the images.
"""

from __future__ import annotations

import io
import itertools
from datetime import date

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches
from pypdf import PdfReader

from monitoring import charts, exports, importer, rules
from monitoring.exports import pack as pack_module
from monitoring.exports import pdf
from monitoring.exports.deck import write_pptx
from monitoring.exports.images import render_png
from tests.conftest import REALDATA

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
MM = 72 / 25.4
"""PDF points in a millimetre."""
PAGE_W, PAGE_H = 297.0, 210.0
"""Millimetres: landscape A4."""
SIDE_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = 12.0, 12.0, 15.0
"""Millimetres: the report's margins (:class:`monitoring.exports.pdf._Report`)."""
FOOTER_TOP = PAGE_H - 11.0
"""Millimetres from the top: where the footer's line starts."""
TOLERANCE = 0.01


def _multiply(a: list[float], b: list[float]) -> list[float]:
    """The PDF matrix product ``a × b`` (each ``[a b c d e f]``)."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def image_boxes(page) -> list[tuple[float, float, float, float]]:
    """Millimetres from the page's top-left corner: ``(left, top, right, bottom)`` of every image
    the page draws, from its content stream (``q``/``Q``/``cm`` track the transformation; ``Do``
    of an image XObject draws the unit square through it)."""
    from pypdf.generic import ContentStream

    xobjects = page["/Resources"].get("/XObject", {})
    images = {name for name, ref in xobjects.items() if ref.get_object()["/Subtype"] == "/Image"}
    height = float(page.mediabox.height)
    stack, matrix, boxes = [], [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], []
    for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"q":
            stack.append(matrix)
        elif operator == b"Q":
            matrix = stack.pop()
        elif operator == b"cm":
            matrix = _multiply([float(v) for v in operands], matrix)
        elif operator == b"Do" and operands[0] in images:
            corners = [(matrix[0] * x + matrix[2] * y + matrix[4],
                        matrix[1] * x + matrix[3] * y + matrix[5])
                       for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]  # fmt: skip
            xs = [x for x, _ in corners]
            ys = [y for _, y in corners]
            boxes.append(
                (min(xs) / MM, (height - max(ys)) / MM, max(xs) / MM, (height - min(ys)) / MM)
            )
    return boxes


def footer_points(page) -> list[tuple[float, float]]:
    """Millimetres from the page's top-left corner: where each piece of footer text starts."""
    height = float(page.mediabox.height)
    found = []

    def visit(text, cm, tm, _font, _size):
        if "page" in text and " of " in text:
            matrix = _multiply(tm, cm)
            found.append((matrix[4] / MM, (height - matrix[5]) / MM))

    page.extract_text(visitor_text=visit)
    return found


def check_pdf(data: bytes) -> int:
    """Assert that every image of the PDF lies inside the margins, above the footer, with no
    footer text inside it; return how many images were found."""
    reader = PdfReader(io.BytesIO(data))
    count = 0
    for number, page in enumerate(reader.pages, start=1):
        footers = footer_points(page)
        assert len(footers) == 1, (number, footers)
        boxes = image_boxes(page)
        count += len(boxes)
        for left, top, right, bottom in boxes:
            where = f"page {number}: image at {left:.1f},{top:.1f}-{right:.1f},{bottom:.1f} mm"
            assert left >= SIDE_MARGIN - TOLERANCE, where
            assert right <= PAGE_W - SIDE_MARGIN + TOLERANCE, where
            assert top >= TOP_MARGIN - TOLERANCE, where
            assert bottom <= PAGE_H - BOTTOM_MARGIN + TOLERANCE, where
            assert bottom < FOOTER_TOP, where
            for x, y in footers:
                assert not (left <= x <= right and top <= y <= bottom), (where, x, y)
    return count


def check_pptx(data: bytes) -> int:
    """Assert that every picture of the deck lies inside its slide, below the section's
    introduction and clear of the other pictures; return how many there are."""
    deck = Presentation(io.BytesIO(data))
    count = 0
    for number, slide in enumerate(deck.slides, start=1):
        pictures = [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
        count += len(pictures)
        for shape in pictures:
            where = (number, shape.left, shape.top, shape.width, shape.height)
            assert shape.left >= 0 and shape.top >= Inches(1.4), where
            assert shape.left + shape.width <= deck.slide_width, where
            assert shape.top + shape.height <= deck.slide_height, where
        for one, other in itertools.combinations(pictures, 2):
            apart = (
                one.left + one.width <= other.left
                or other.left + other.width <= one.left
                or one.top + one.height <= other.top
                or other.top + other.height <= one.top
            )
            assert apart, (number, one.name, other.name)
    return count


@pytest.fixture
def pfd_engine(engine):
    """The real PFD data set, imported as a fresh user would (``--preset pfd``)."""
    importer.import_path(PFD, engine, preset="pfd", as_of=date(2026, 1, 31))
    return engine


def _files(engine) -> tuple[bytes, bytes, pack_module.MeetingPack]:
    with engine.connect() as conn:
        pack = pack_module.build_pack(conn, annual=False)
    images = exports.chart_images(pack)
    assert set(images) == {"rag_by_review", "overdue_by_agency"}
    pdf_out, pptx_out = io.BytesIO(), io.BytesIO()
    pdf.write_pdf(pack, images, pdf_out)
    write_pptx(pack, images, pptx_out)
    return pdf_out.getvalue(), pptx_out.getvalue(), pack


@pytest.mark.usefixtures("shared_data")
def test_pfd_pack_charts_stay_inside_the_page_and_off_the_footer(pfd_engine):
    pdf_data, pptx_data, pack = _files(pfd_engine)
    assert pack.rag_by_review["ref"].nunique() > charts.MAX_REVIEWS_CHARTED  # the subtitle shows
    assert check_pdf(pdf_data) == 2
    assert check_pptx(pptx_data) == 2


def test_demo_pack_charts_stay_inside_the_page_and_off_the_footer(demo_engine):
    pdf_data, pptx_data, _pack = _files(demo_engine)
    assert check_pdf(pdf_data) == 2
    assert check_pptx(pptx_data) == 2


def rag_frame(reviews: int) -> pd.DataFrame:
    """``review_id, ref, title, rag, actions`` for ``reviews`` reviews: red, amber and green
    actions in varying numbers."""
    rows = []
    for number in range(1, reviews + 1):
        for rag, actions in (("red", number % 4), ("amber", number % 3), ("green", 2)):
            if actions:
                rows.append((number, f"2025-{number:04d}", f"Review {number}", rag, actions))
    return pd.DataFrame(rows, columns=["review_id", "ref", "title", "rag", "actions"])


@pytest.mark.parametrize("reviews", [1, 5, 20, 21, 750])
def test_chart_boxes_fit_the_page_at_any_size(reviews):
    """Every size of data, wherever the charts start on the page: the row of charts ends above
    the bottom margin, inside the side margins, each keeping its aspect ratio."""
    figure = charts.rag_by_review_chart(rag_frame(reviews))
    sizes = [(2000, int(figure.layout.height * 2.5)), (2000, 1710)]
    bottom = PAGE_H - BOTTOM_MARGIN
    for top in (TOP_MARGIN, 60.0, 150.0, 190.0):
        boxes = pdf.chart_boxes(
            sizes, left=SIDE_MARGIN, width=PAGE_W - 2 * SIDE_MARGIN, top=top, bottom=bottom
        )
        for (x, y, w, h), (pw, ph) in zip(boxes, sizes, strict=True):
            assert y == top and y + h <= bottom + 1e-9
            assert x >= SIDE_MARGIN and x + w <= PAGE_W - SIDE_MARGIN + 1e-9
            assert abs(h / w - ph / pw) < 1e-9


def test_a_short_chart_is_drawn_at_full_width_and_a_tall_one_scaled_to_the_page():
    width = PAGE_W - 2 * SIDE_MARGIN
    column = (width - pdf.CHART_GAP) / 2
    short = pdf.chart_boxes([(2000, 1000)], left=12, width=width, top=12, bottom=195)
    assert short[0][2] == pytest.approx(width)  # one chart: the whole width
    pair = pdf.chart_boxes([(2000, 1000), (2000, 4000)], left=12, width=width, top=12, bottom=195)
    assert pair[1][3] == pytest.approx(183)  # the tall one fills the page's height
    assert pair[0][2] == pair[1][2] < column  # both scaled alike
    assert pair[1][0] == pytest.approx(12 + column + pdf.CHART_GAP)


def _text_bands(png: bytes) -> tuple[list[tuple[int, int]], int]:
    """Rows (pixels) of dark text runs ``(first, last)`` in a rendered chart, and the first row
    holding a bar's colour."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    dark = (pixels.sum(axis=2) < 250).any(axis=1)
    red = np.array([int(rules.RAG_COLOURS["red"][i : i + 2], 16) for i in (1, 3, 5)])
    bar = (np.abs(pixels - red).sum(axis=2) < 30).any(axis=1)
    bands, start = [], None
    for row, is_dark in enumerate(dark):
        if is_dark and start is None:
            start = row
        if not is_dark and start is not None:
            bands.append((start, row - 1))
            start = None
    return bands, int(np.argmax(bar))


@pytest.mark.parametrize("reviews", [20, 750])
def test_title_and_subtitle_fit_inside_the_top_margin(reviews):
    """From the layout: the title's and subtitle's lines × their font sizes (Plotly's 1.3 line
    height, its 1.6 em gap before a subtitle) fit in margin.t; and from the pixels, at the
    Overview's column widths on a desktop (1400 px: about 600) and on a phone (390 px: about
    358): every text line that starts above the plot ends above it, and above the first bar."""
    figure = charts.rag_by_review_chart(rag_frame(reviews))
    title, subtitle = figure.layout.title, figure.layout.title.subtitle
    needed = (
        title.pad.t
        + (title.text.count("<br>") + 1) * title.font.size * 1.3
        + (
            (1.6 + (subtitle.text.count("<br>") + 1) * 1.3) * subtitle.font.size
            if subtitle.text
            else 0
        )
    )
    assert figure.layout.margin.t >= needed
    assert title.yref == "container" and title.y == 1 and title.yanchor == "top"
    if reviews > charts.MAX_REVIEWS_CHARTED:
        assert "The other 730 reviews (not drawn)" in subtitle.text
    else:
        assert not subtitle.text
    for width in (600, 358):
        png = render_png({"chart": figure}, width=width, scale=1)["chart"]
        bands, first_bar = _text_bands(png)
        top = figure.layout.margin.t
        above = [band for band in bands if band[0] < top]
        assert len(above) >= (5 if reviews > charts.MAX_REVIEWS_CHARTED else 1), above
        assert above[0][0] > 0  # the first line is not cut off at the top edge
        for first, last in above:
            assert last < top and last < first_bar, (width, first, last, top, first_bar)
        # no title line runs off the right of a phone's chart
        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
        assert not (pixels[:top, -3:].sum(axis=2) < 250).any()
