"""The meeting pack PDF wraps a table cell's text between words only: a reference (a review's
ref, a PFD report's ``2025-0123``, an action number), a date (``3 Jun 2026``), a number or a
heading word is never split across lines (a fresh user saw references broken mid-word). Checked
on the text of the written PDF (pypdf), for the demo and for trackers with long references, in
the summary and the detailed pack."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from monitoring import exports, importer
from monitoring.exports import layout, pdf

LONG_REVIEW = "NORTHBRIDGE-SAB-SAR-2025-0123-ADULT-J-ADDENDUM-2"
"""A review ref of 48 characters with no space (refs may have 50): wider than the Review column."""
LONG_ACTIONS = ("R14.2(a)/2025-0123-ADDENDUM", "R14.2(b)/2025-0123-ADDENDUM")
"""Action numbers far wider than the Action column."""
PFD_REF = "2025-0123"
LONG_AGENCY = "Northbridge-and-Southmoor-Integrated-Care-Board"
"""An agency name of one 47-character word."""


def content_of(sections: list[layout.Section]) -> list[str]:
    """Every text the sections put on the PDF's pages after the cover: section titles and
    introductions, and each table's title, headers (once), cells and note, or its title and
    the sentence saying it is empty."""
    out = []
    for section in sections:
        out += [section.title, section.intro]
        for table in section.tables:
            if table.rows:
                out += [table.title, *table.headers, table.note]
                out += [cell for row in table.rows for cell in row]
            else:
                out += [table.title, table.empty]
    return out


def normalised(value: str) -> str:
    """Spaces as pypdf reads them back: one plain space for any run of spaces."""
    return re.sub(r"[ \u00a0]+", " ", value)


def pdf_pages(pack, detail: bool) -> str:
    """The text of the pack's PDF after its cover (charts left out: they are pictures)."""
    buffer = io.BytesIO()
    pdf.write_pdf(pack, {}, buffer, detail=detail)
    pages = PdfReader(io.BytesIO(buffer.getvalue())).pages
    return normalised("\n".join(page.extract_text() for page in pages[1:]))


def occurrences(whole: str, value: str) -> int:
    """How often ``whole`` stands as a token of its own in ``value`` (not inside a longer
    reference or date, nor made of the end of one cell and the start of the next)."""
    return len(re.findall(rf"(?<![\w/.-]){re.escape(whole)}(?![\w/-])", value))


def assert_nothing_broken(pack, refs: set[str], detail: bool) -> dict[str, int]:
    """Every reference and date of the pack is printed whole as often as the sections hold it,
    and every word is printed whole at least that often (headings repeat on each page); returns
    the references' counts."""
    sections = layout.sections(pack, detail=detail)
    content = [normalised(value) for value in content_of(sections)]
    printed = pdf_pages(pack, detail)
    dates = {d for value in content for d in re.findall(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}\b", value)}
    in_headers = {
        normalised(h) for s in sections for t in s.tables if t.rows for h in t.headers
    }  # a heading row repeats on each page a table spans
    counts = {}
    for whole in sorted(refs | dates):
        expected = sum(occurrences(whole, value) for value in content)
        if any(whole in header for header in in_headers):
            assert occurrences(whole, printed) >= expected, whole
        else:
            assert occurrences(whole, printed) == expected, whole
        counts[whole] = expected
    words = {word for value in content for word in value.split() if len(word) > 1}
    broken = [w for w in words if printed.count(w) < sum(v.count(w) for v in content)]
    assert broken == []
    return counts


def review_refs(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("select ref from review")).scalars())


@pytest.mark.parametrize("detail", [False, True], ids=["summary", "detail"])
def test_the_demo_packs_references_dates_and_words_print_whole(demo_engine, detail):
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, annual=detail)
    counts = assert_nothing_broken(pack, review_refs(demo_engine), detail)
    assert counts["NSCP-LCSPR-2025-01"] >= 10  # the demo's references are in the tables
    assert sum(1 for key in counts if re.match(r"\d", key)) >= 20  # and so are its dates


@pytest.fixture
def long_refs_engine(demo_engine, tmp_path):
    """The demo with a PFD report ``2025-0123`` and a review whose ref, action numbers and
    lead agency are single words wider than their columns, imported as a user would."""
    today = date.today()
    pfd = tmp_path / "pfd.csv"
    report_on = today - timedelta(days=120)  # its reply, due 56 days later, is overdue
    pfd.write_text(
        "ref,date_added,date_of_report,coroner_area,category,sent_to,all_recipients,"
        "no. recipients,no. replies,response status,status\n"
        f"{PFD_REF},{report_on:%d/%m/%Y},{report_on:%d/%m/%Y},Northbridge,Care home deaths,"
        f"{LONG_AGENCY},{LONG_AGENCY},1,0,overdue,overdue\n",
        encoding="utf-8",
    )
    importer.import_path(pfd, demo_engine, preset="pfd", create_agencies=True)
    tracker = tmp_path / "tracker.csv"
    overdue, due_soon = today - timedelta(days=45), today + timedelta(days=10)
    tracker.write_text(
        "Review ref,Ref,Action,Lead agency,Target date,Status\n"
        f"{LONG_REVIEW},{LONG_ACTIONS[0]},Audit the self-neglect pathway,{LONG_AGENCY},"
        f"{overdue:%d/%m/%Y},In progress\n"
        f"{LONG_REVIEW},{LONG_ACTIONS[1]},Train housing officers,Northbridge Homes,"
        f"{due_soon:%d/%m/%Y},Not started\n",
        encoding="utf-8",
    )
    importer.import_path(tracker, demo_engine, create_agencies=True)
    return demo_engine


@pytest.mark.parametrize("detail", [False, True], ids=["summary", "detail"])
def test_long_references_print_whole(long_refs_engine, detail):
    with long_refs_engine.connect() as conn:
        pack = exports.build_pack(conn, annual=detail)
    refs = review_refs(long_refs_engine) | set(LONG_ACTIONS) | {LONG_AGENCY}
    assert {PFD_REF, LONG_REVIEW} <= refs
    counts = assert_nothing_broken(pack, refs, detail)
    assert counts[LONG_REVIEW] >= 3  # red items, scorecard of reviews, changes ...
    assert counts[PFD_REF] >= 2
    assert counts[LONG_ACTIONS[0]] >= 1
    assert counts[LONG_AGENCY] >= 2


def test_a_column_is_widened_to_its_longest_word_and_the_rest_share_what_is_left():
    report = pdf._Report("Widths")
    table = layout.Table(
        "Red items",
        ["Review", "Action", "Description"],
        [[LONG_REVIEW, LONG_ACTIONS[0], "Audit the self-neglect pathway " * 8]],
        [1.9, 0.7, 4],
    )
    widths = pdf.column_widths(report, table, report.epw)
    assert sum(widths) == pytest.approx(report.epw)
    report.set_font("DejaVu", size=pdf.TABLE_FONT_SIZE)
    for width, word in zip(widths[:2], [LONG_REVIEW, LONG_ACTIONS[0]], strict=True):
        room = width - 2 * pdf.CELL_PADDING
        assert report.get_string_width(word) < room
    # the description keeps the rest, and still fits its longest word
    assert widths[2] == pytest.approx(report.epw - widths[0] - widths[1])
    assert report.get_string_width("self-neglect") < widths[2]


def test_words_too_wide_for_the_page_together_are_printed_smaller_not_split():
    word = "X" * 50  # the longest reference an import accepts, in four columns
    report = pdf._Report("Widths")
    table = layout.Table("Wide", list("ABCD"), [[word, word, word, "short"]], [1, 1, 1, 1])
    widths = pdf.column_widths(report, table, report.epw)
    assert sum(widths) == pytest.approx(report.epw)
    assert widths[0] == widths[1] == widths[2] > widths[3]
    size = pdf._fitted_size(report, word, "", widths[0])
    assert pdf.SMALLEST_FONT_SIZE < size < pdf.TABLE_FONT_SIZE
    report.set_font("DejaVu", size=size)
    assert report.get_string_width(word) <= widths[0] - 2 * pdf.CELL_PADDING
    assert pdf._fitted_size(report, "short", "", widths[3]) is None


def test_dates_keep_their_spaces_unbreakable():
    assert pdf.unbreakable("moved from 5 May 2027 to 3 Aug 2027") == (
        "moved from 5\u00a0May\u00a02027 to 3\u00a0Aug\u00a02027"
    )
    assert pdf.words("Target date 28 Nov 2026 passed") == [
        "Target",
        "date",
        "28\u00a0Nov\u00a02026",
        "passed",
    ]
