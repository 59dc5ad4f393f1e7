"""Words, not codes, in every export too (issue 19): the meeting pack's PDF text, every slide's
text and table cell, every cell of the Excel tracker and the CSV tracker hold no stored status
code (action status, response, assurance, review status, RAG, decision), no "None", "nan", "NaT"
or "<NA>", and no "1 actions". Checked for the live pack and a past meeting's, summary and
detail, on the demo with one of each awkward value added (an open action with no target date,
an override, a superseded recommendation).

The pages are scanned by ``tests/test_words_on_pages.py``.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import text

from monitoring import db, exports
from tests.conftest import ANCHOR

CODES = {
    *db.ACTION_STATUSES,
    *db.RESPONSE_STATUSES,
    *db.ASSURANCE_STATUSES,
    *db.REVIEW_STATUSES,
    "pending",
    "approved",
    "rejected",
    "red",
    "amber",
    "green",
    "blue",
    "grey",
    "no_actions",
}
PLACEHOLDERS = re.compile(r"(?<![\w/])(?:None|nan|NaN|NaT|<NA>)(?![\w/])")
UNDERSCORED = re.compile(r"\b(?:" + "|".join(sorted(c for c in CODES if "_" in c)) + r")\b")
ONE_PLURAL = re.compile(r"(?<![\d,.])1 (?:actions|recommendations|reviews|days|agencies|items)\b")


def text_problems(where: str, words: str) -> list[str]:
    found = []
    for pattern in (PLACEHOLDERS, UNDERSCORED, ONE_PLURAL):
        for match in pattern.finditer(words):
            start = max(match.start() - 40, 0)
            found.append(f"{where}: {match.group(0)!r} in {words[start : match.end() + 40]!r}")
    return found


def cell_problems(where: str, value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, float) and value != value:
        return [f"{where}: NaN"]
    words = str(value)
    if words.strip() in CODES:
        return [f"{where}: code {words!r}"]
    return text_problems(where, words)


def pdf_problems(data: bytes) -> list[str]:
    found = []
    for number, page in enumerate(PdfReader(io.BytesIO(data)).pages, 1):
        found += text_problems(f"PDF page {number}", page.extract_text())
    return found


def slide_problems(data: bytes) -> list[str]:
    found = []
    for number, slide in enumerate(Presentation(io.BytesIO(data)).slides, 1):
        for shape in slide.shapes:
            if shape.has_text_frame:
                found += text_problems(f"slide {number}", shape.text_frame.text)
            if shape.has_table:
                for row in shape.table.rows:
                    for cell in row.cells:
                        found += cell_problems(f"slide {number} table", cell.text)
    return found


def workbook_problems(data: bytes) -> list[str]:
    found = []
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    for sheet in book.worksheets:
        for r, row in enumerate(sheet.iter_rows(values_only=True), 1):
            for c, value in enumerate(row, 1):
                found += cell_problems(f"sheet {sheet.title!r} R{r}C{c}", value)
    return found


def csv_problems(data: bytes) -> list[str]:
    found = []
    for r, row in enumerate(csv.reader(io.StringIO(data.decode("utf-8-sig"))), 1):
        for c, value in enumerate(row, 1):
            found += cell_problems(f"CSV R{r}C{c}", value)
    return found


def awkward_values(engine) -> None:
    """One of each value that once leaked as a code or placeholder."""
    with engine.begin() as conn:
        action_id = conn.execute(
            text("select min(id) from action where status = 'in_progress' and due_on is not null")
        ).scalar()
        conn.execute(
            text(
                "update action set rag_override = 'amber', rag_override_reason = 'Agreed'"
                " where id = :a"
            ),
            {"a": action_id},
        )
        conn.execute(
            text(
                "update recommendation set assurance_status = 'superseded'"
                " where id = (select min(id) from recommendation where assurance_status ="
                " 'not_assessed')"
            )
        )


def meeting_date(engine) -> date:
    with engine.connect() as conn:
        return date.fromisoformat(conn.execute(text("select max(held_on) from meeting")).scalar())


@pytest.mark.parametrize("when", ["now", "past meeting"])
def test_no_codes_none_or_nan_in_any_export(demo_engine, when, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    awkward_values(demo_engine)
    held_on = None if when == "now" else meeting_date(demo_engine)
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, held_on)
    files = exports.write_files(pack, ["pdf", "pptx", "xlsx", "csv"])
    detail = exports.write_files(pack, ["pdf"], detail=True)
    found = (
        pdf_problems(files["pdf"])
        + pdf_problems(detail["pdf"])
        + slide_problems(files["pptx"])
        + workbook_problems(files["xlsx"])
        + csv_problems(files["csv"])
    )
    assert not found, found[:20]
    # the scan reads real content: the tracker's rows and the PDF's words are there
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
    assert sum(1 for _ in book["Tracker"].iter_rows()) - 1 == len(pack.tracker) > 0
    assert any("Summary" in p.extract_text() for p in PdfReader(io.BytesIO(files["pdf"])).pages)


def test_the_scan_finds_what_it_looks_for():
    assert cell_problems("x", "not_assessed")
    assert cell_problems("x", "awaiting")
    assert cell_problems("x", "None")
    assert cell_problems("x", float("nan"))
    assert text_problems("x", "completed — None")
    assert text_problems("x", "1 actions overdue")
    assert not text_problems("x", "11 actions overdue; 21 reviews; 1 action")
    assert not cell_problems("x", "Not yet assessed")
