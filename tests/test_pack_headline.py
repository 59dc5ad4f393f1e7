"""The Meeting pack page reads only what it shows (issue 18): its figures and tile counts
(:func:`monitoring.exports.pack.headline`), each list on a click (:func:`...pack_list`) and the
baseline's figures on request (:func:`...baseline_figures`), without building the pack. Each must
equal the pack's own (:func:`monitoring.exports.pack.build_pack`) for the same meeting, filters
and reader: the next meeting and every recorded one, board member, viewer and agency lead, with
and without filters, on the demo data.

The workbook's cells take their formats from one style record per combination of formats
(:class:`monitoring.exports.workbook._Cells`): every cell of every sheet is checked against the
rule (date format, wrapped long text, quote prefix for risky text, RAG colour).
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text

from monitoring import asat, exports, reads
from monitoring.exports import pack as pack_module
from monitoring.exports import safe, workbook
from monitoring.queries import NO_FILTERS, Filters
from monitoring.source import FULL_SCOPE, Scope, source
from tests.conftest import ANCHOR

NOTE = '=HYPERLINK("http://x","y")'


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    return ANCHOR


def _agency_with_overdue(conn) -> int:
    return conn.execute(
        text(
            "select lead_agency_id from action where status in ('not_started','in_progress')"
            " and due_on < :t and lead_agency_id is not null"
            " group by lead_agency_id order by count(*) desc, lead_agency_id limit 1"
        ),
        {"t": ANCHOR.isoformat()},
    ).scalar()


def _readers(conn) -> list[tuple[str, Scope, Filters]]:
    agency = _agency_with_overdue(conn)
    return [
        ("board", FULL_SCOPE, NO_FILTERS),
        ("viewer", Scope("viewer"), NO_FILTERS),
        ("agency lead", Scope("agency_lead", agency), NO_FILTERS),
        ("board, one agency", FULL_SCOPE, Filters(agency_ids=(agency,))),
        ("board, overdue only", FULL_SCOPE, Filters(rag=("red",))),
    ]


def test_headline_lists_and_baseline_equal_the_packs(demo_engine, today):
    with demo_engine.connect() as conn:
        meetings = [None, *exports.list_meetings(conn)["held_on"]]
        assert len(meetings) >= 3  # the next meeting and at least two recorded ones
        readers = _readers(conn)
        checked = 0
        for held_on in meetings:
            for who, scope, filters in readers:
                where = f"{who}, meeting {held_on}"
                pack = exports.build_pack(conn, held_on, filters, scope=scope, annual=False)
                head = pack_module.headline(conn, held_on, filters, scope=scope)
                assert head.today == pack.today and head.as_at == pack.as_at, where
                assert head.meeting == pack.meeting and head.baseline == pack.baseline, where
                assert head.figures_label == pack.figures_label, where
                assert head.figures == pack.figures, where
                assert head.overdue == int((pack.tracker["days_overdue"] > 0).sum()), where
                assert head.red == len(pack.red_items), where
                assert head.changes == len(pack.changes), where
                assert head.decisions == len(pack.decisions), where
                lists = {
                    "overdue": pack.tracker[pack.tracker["days_overdue"] > 0],
                    "red": pack.red_items,
                    "changes": pack.changes,
                    "decisions": pack.decisions,
                }
                assert set(lists) == set(pack_module.PACK_LISTS)
                for kind, expected in lists.items():
                    got = pack_module.pack_list(conn, held_on, kind, filters, scope=scope)
                    pd.testing.assert_frame_equal(got, expected, obj=f"{kind} ({where})")
                then = pack_module.baseline_figures(conn, held_on, filters, scope=scope)
                assert then == pack.baseline_figures, where
                assert head.brought_in == pack.brought_in, where
                assert exports.figure_rows_of(
                    head.figures, then, head.brought_in, head.baseline
                ) == exports.figure_rows(pack)
                checked += 1
        assert checked == len(meetings) * len(readers)
        # the demo's lists are not empty, so the comparisons above compared rows
        pack = exports.build_pack(conn, None, annual=False)
        assert len(pack.red_items) and len(pack.changes) and len(pack.decisions)


def test_the_read_path_gives_the_same(demo_engine, today):
    with demo_engine.connect() as conn:
        src = source(ANCHOR, Scope("viewer"))
        held_on = exports.list_meetings(conn)["held_on"].iloc[0]
        pack = reads.meeting_pack(conn, src, held_on, annual=False)
        head = reads.meeting_pack_headline(conn, src, held_on)
        assert (head.figures, head.red, head.decisions) == (
            pack.figures,
            len(pack.red_items),
            len(pack.decisions),
        )
        pd.testing.assert_frame_equal(
            reads.meeting_pack_list(conn, src, held_on, "decisions"), pack.decisions
        )
        assert reads.meeting_pack_baseline(conn, src, held_on) == pack.baseline_figures
        with pytest.raises(ValueError, match="kind must be one of"):
            reads.meeting_pack_list(conn, src, held_on, "everything")


def test_baseline_figures_read_once_equal_the_reconstruction_per_figure(demo_engine, today):
    """The baseline's figures are read from its records rebuilt once (asat.materialised); they
    equal the overview read from the reconstruction itself, for every meeting as a baseline."""
    with demo_engine.connect() as conn:
        for held_on in exports.list_meetings(conn)["held_on"]:
            for scope in (FULL_SCOPE, Scope("viewer")):
                src = source(ANCHOR, scope)
                once = pack_module._baseline_figures(conn, src, held_on, ANCHOR, once=True)
                direct = pack_module._baseline_figures(conn, src, held_on, ANCHOR)
                assert once == direct, (held_on, scope)
                assert once[0] == reads.overview(conn, replace(src, as_at=held_on))
        assert asat._KEPT.get() in (None, {})  # nothing left materialised


def test_an_unknown_meeting_is_said_by_every_read(demo_engine, today):
    with demo_engine.connect() as conn:
        for read in (
            lambda: pack_module.headline(conn, date(1999, 1, 1)),
            lambda: pack_module.pack_list(conn, date(1999, 1, 1), "red"),
            lambda: pack_module.baseline_figures(conn, date(1999, 1, 1)),
        ):
            with pytest.raises(pack_module.MeetingNotFound, match="No meeting is recorded"):
                read()


def _expected_style(value, *, rag: str | None, header: bool):
    """(number format, wrapped, quote prefix, fill colour, bold) the rule gives a cell."""
    if header:
        return ("General", True, False, workbook.HEADER_FILL.fgColor.rgb, True)
    risky = safe.is_risky(value)
    dated = isinstance(value, date)
    wrapped = isinstance(value, str) and len(value) > 40
    fill = workbook.RAG_FILLS[rag].fgColor.rgb if rag else "00000000"
    return (workbook.DATE_FORMAT if dated else "General", wrapped, risky, fill, bool(rag))


def test_every_workbook_cell_has_its_formats(demo_engine, today):
    """Each combination of formats is resolved once and copied: every cell of every sheet still
    has exactly the formats its value calls for (and a risky note stays text)."""
    with demo_engine.begin() as conn:
        action_id = conn.execute(text("select min(id) from action")).scalar()
        conn.execute(
            text(
                "insert into action_update (action_id, status, progress_note, created_at)"
                " values (:a, 'in_progress', :n, '2026-06-29T10:00:00+00:00')"
            ),
            {"a": action_id, "n": NOTE},
        )
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, None, annual=False)
    buffer = io.BytesIO()
    exports.write(pack, "xlsx", buffer)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    rags = list(pack.tracker["rag"])
    formatted = 0
    notes = 0
    for ws in book.worksheets:
        rag_col = None
        for r, row in enumerate(ws.iter_rows(), start=1):
            if r == 1 and ws.title == "Tracker":
                rag_col = [c.value for c in row].index("RAG")
            for c, cell in enumerate(row):
                value = cell.value
                if cell.is_date:
                    value = value.date()
                rag = rags[r - 2] if rag_col is not None and c == rag_col and r > 1 else None
                got = (
                    cell.number_format,
                    bool(cell.alignment.wrap_text),
                    bool(cell.quotePrefix),
                    cell.fill.fgColor.rgb,
                    bool(cell.font.b),
                )
                want = _expected_style(value, rag=rag, header=r == 1)
                assert got == want, (ws.title, cell.coordinate, value)
                formatted += got != ("General", False, False, "00000000", False)
                if value == NOTE:
                    assert cell.data_type == "s"
                    notes += 1
    assert notes == 1
    assert formatted > len(rags)  # dates, wrapped text and RAG colours were all checked


@pytest.mark.usefixtures("shared_data")
def test_reviews_brought_in_after_the_baseline_are_said_apart_as_in_the_pack(demo_engine, today):
    """The real PFD file imported after the board's last meeting (tests/test_baseline.py): the
    page's figures, its "brought in" line and the baseline's figures equal the pack's."""
    from monitoring import importer
    from tests.test_baseline import PFD

    importer.import_path(PFD, demo_engine, preset="pfd", as_of=ANCHOR)
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, None, annual=False)
        head = pack_module.headline(conn, None)
        then = pack_module.baseline_figures(conn, None)
        changes_list = pack_module.pack_list(conn, None, "changes")
    assert pack.brought_in is not None and pack.brought_in.reviews > 700
    assert head.brought_in == pack.brought_in
    assert then == pack.baseline_figures
    assert head.changes == len(pack.changes) and "baseline" in set(pack.changes["kind"])
    pd.testing.assert_frame_equal(changes_list, pack.changes)
    rows = exports.figure_rows_of(head.figures, then, head.brought_in, head.baseline)
    assert rows == exports.figure_rows(pack)
    assert rows[-1][0].startswith("Of these, brought in by an import since")
