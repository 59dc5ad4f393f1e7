"""The meeting pack on the real PFD import (../shared/realdata, 770 reports, 1,364 actions, 609
agencies): it made a 603-page PDF, 782 slides and an Excel file of 776 sheets (issue 18). A board
can now read it: a summary PDF of at most 40 pages, at most 25 slides and a handful of sheets,
whose figures equal the pack's and independent SQL, for the records now and a past meeting."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import text

from monitoring import exports, importer, services
from monitoring.exports import layout
from tests.conftest import ANCHOR, REALDATA

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
MAX_PDF_PAGES = 40
MAX_SLIDES = 25
SHEETS = 8


def scalar(engine, sql, **values):
    with engine.connect() as conn:
        return conn.execute(text(sql), values).scalar()


MEETING = date.today() + timedelta(days=1)
"""A meeting held after the import (recorded today, so the records as at an earlier date are
empty), and before "today" (:data:`TODAY`): its pack is read as the records stood then."""
TODAY = date.today() + timedelta(days=40)


@pytest.fixture
def pfd_engine(engine, monkeypatch):
    """The real PFD file imported, with a meeting recorded (:data:`MEETING`)."""
    importer.import_path(PFD, engine, preset="pfd", create_agencies=True)
    services.create_meeting(engine, services.Actor.system("test"), MEETING, "Board meeting")
    return engine


def check_files(engine, pack, today: date) -> None:
    files = exports.write_files(pack)
    overdue = pack.figures.overdue
    live = scalar(
        engine,
        "select count(*) from action where status in ('not_started', 'in_progress')"
        " and due_on < :t",
        t=today.isoformat(),
    )
    assert overdue == live  # nothing was written after the import: as at the meeting is now
    actions = scalar(engine, "select count(*) from action")

    reader = PdfReader(io.BytesIO(files["pdf"]))
    assert 5 <= len(reader.pages) <= MAX_PDF_PAGES
    pdf = "\n".join(page.extract_text() for page in reader.pages)
    assert re.search(rf"Overdue actions {overdue}\b", pdf)
    assert f"{overdue} open actions are past their target date" in pdf.replace("\n", " ")
    if len(pack.red_items) > layout.SUMMARY_ROWS:  # a list cut short says where the rest are
        assert f"The first {layout.SUMMARY_ROWS} of {len(pack.red_items):,}" in pdf

    deck = Presentation(io.BytesIO(files["pptx"]))
    assert 5 <= len(deck.slides) <= MAX_SLIDES
    summary = [
        " | ".join(cell.text for cell in row.cells)
        for shape in deck.slides[1].shapes
        if shape.has_table
        for row in shape.table.rows
    ]
    assert f"Overdue actions | {overdue} |" in "\n".join(summary) + " |"

    wb = openpyxl.load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
    assert len(wb.sheetnames) == SHEETS
    figures = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert figures == {label: now for label, now, _ in exports.figure_rows(pack)}
    tracker = list(wb["Tracker"].iter_rows(min_row=2, values_only=True))
    assert len(tracker) == len(pack.tracker) == actions
    decisions = list(wb["Decisions"].iter_rows(min_row=2, values_only=True))
    assert len(decisions) == len(pack.decisions)
    changes = list(wb["Changes since last meeting"].iter_rows(min_row=2, values_only=True))
    assert len(changes) == len(pack.changes)
    by_agency = {r[0]: r[1] for r in wb["Overdue by agency"].iter_rows(min_row=2, values_only=True)}
    assert sum(by_agency.values()) == overdue
    wb.close()


def test_the_live_pack_of_the_real_data_is_a_summary(pfd_engine, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    with pfd_engine.connect() as conn:
        pack = exports.build_pack(conn, None)
    assert pack.as_at is None and len(pack.tracker) > 1000
    check_files(pfd_engine, pack, ANCHOR)


def test_a_past_meeting_pack_of_the_real_data_is_a_summary(pfd_engine, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", TODAY.isoformat())
    with pfd_engine.connect() as conn:
        pack = exports.build_pack(conn, MEETING)
    assert pack.as_at == MEETING and len(pack.tracker) > 1000
    check_files(pfd_engine, pack, MEETING)
