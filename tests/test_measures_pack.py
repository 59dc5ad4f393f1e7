"""The meeting pack's page of measures (issue 21): the PDF's text (pypdf), the slide's table and
the Excel "Measures" sheet equal the Measures page's table as at the meeting, on the demo data,
for a past meeting (only values recorded by the end of its day) and for today."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import text

from monitoring import exports, measures
from monitoring.exports.deck import write_pptx
from monitoring.exports.layout import MEASURE_COLUMNS
from monitoring.exports.pdf import write_pdf
from monitoring.exports.workbook import write_xlsx
from tests.conftest import ANCHOR

TITLE = "Measures: did practice change?"


def page_table(engine, held_on: date | None):
    """The Measures page's table as the board reads it at the meeting: with "As at" set to a
    past meeting's date, with no "As at" for a meeting today."""
    as_at = held_on if held_on is not None and held_on < ANCHOR else None
    with engine.connect() as conn:
        return measures.display_table(measures.summaries(conn, as_at))


@pytest.fixture
def meetings(demo_engine, monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    with demo_engine.connect() as conn:
        past = conn.execute(text("select max(held_on) from meeting")).scalar()
    return {"past": date.fromisoformat(str(past)[:10]), "today": None}


@pytest.mark.parametrize("which", ["past", "today"])
def test_the_packs_measures_equal_the_measures_page_at_the_meeting(demo_engine, meetings, which):
    held_on = meetings[which]
    expected = page_table(demo_engine, held_on)
    assert len(expected) == 5  # the demo's measures, every one shown (fewer than 20)
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, held_on, annual=False)
    assert pack.measures.equals(expected)
    rows = [[str(v) for v in r] for r in expected[MEASURE_COLUMNS].itertuples(index=False)]

    # the PDF: one section, its rows in the page's order (worst first), the icons as words
    buffer = io.BytesIO()
    write_pdf(pack, {}, buffer)
    reader = PdfReader(buffer)
    assert len(reader.pages) <= 40
    pages = [p.extract_text() for p in reader.pages]
    section = [t for t in pages if t.startswith(TITLE)]
    assert len(section) == 1
    flat = " ".join(section[0].split())
    assert " ".join(MEASURE_COLUMNS) in flat
    at = 0
    for row in rows:
        line = " ".join(" ".join(row).split())
        found = flat.find(line, at)
        assert found > at, line
        at = found
    day = held_on or ANCHOR
    stood = "as the records stood on" if which == "past" else "as at"
    assert f"figures {stood} {day.day} {day:%b %Y}" in flat

    # the slides: one slide whose table is the page's rows
    buffer = io.BytesIO()
    write_pptx(pack, {}, buffer)
    deck = Presentation(buffer)
    assert len(deck.slides) <= 25
    slides = [s for s in deck.slides if s.shapes.title.text == TITLE]
    assert len(slides) == 1
    (grid,) = [sh.table for sh in slides[0].shapes if sh.has_table]
    cells = [[c.text for c in r.cells] for r in grid.rows]
    assert cells == [MEASURE_COLUMNS, *rows]

    # the Excel tracker: a "Measures" sheet holding the page's table, every column
    buffer = io.BytesIO()
    write_xlsx(pack, buffer)
    sheet = openpyxl.load_workbook(buffer)["Measures"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == list(measures.DISPLAY_COLUMNS)
    assert values[1:] == [list(r) for r in expected.itertuples(index=False)]


def test_a_past_meetings_measures_hold_only_values_recorded_by_then(demo_engine, meetings):
    with demo_engine.connect() as conn:
        past = exports.build_pack(conn, meetings["past"], annual=False).measures
        now = exports.build_pack(conn, None, annual=False).measures
    assert past["Values"].sum() < now["Values"].sum()
    assert not past.equals(now)


def test_a_pack_without_measures_says_so(demo_engine, meetings):
    with demo_engine.begin() as conn:
        conn.execute(text("delete from measure_observation"))
        conn.execute(text("delete from measure"))
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, None, annual=False)
    assert pack.measures.empty
    buffer = io.BytesIO()
    write_pdf(pack, {}, buffer)
    flat = " ".join(" ".join(p.extract_text() for p in PdfReader(buffer).pages).split())
    assert f"{TITLE} " in flat and "No measures are recorded." in flat
    buffer = io.BytesIO()
    write_xlsx(pack, buffer)
    sheet = openpyxl.load_workbook(buffer)["Measures"]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [list(measures.DISPLAY_COLUMNS)]


def test_a_viewers_pack_holds_only_published_reviews_measures(demo_engine, meetings):
    from monitoring.source import Scope

    with demo_engine.begin() as conn:
        review_id = conn.execute(
            text(
                "select r.review_id from measure m join recommendation r "
                "on r.id = m.recommendation_id order by m.id limit 1"
            )
        ).scalar()
        conn.execute(text("update review set published_on = null where id = :i"), {"i": review_id})
        ref = conn.execute(text("select ref from review where id = :i"), {"i": review_id}).scalar()
    with demo_engine.connect() as conn:
        full = exports.build_pack(conn, None, annual=False).measures
        viewer = exports.build_pack(conn, None, annual=False, scope=Scope("viewer")).measures
    assert (full["Review"] == ref).any()
    assert not (viewer["Review"] == ref).any()
    assert viewer.equals(full[full["Review"] != ref].reset_index(drop=True))
