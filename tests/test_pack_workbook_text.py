"""The meeting pack's Excel workbook (:func:`monitoring.exports.workbook.write_xlsx`, XlsxWriter)
keeps text from a person or a file as the text typed (issue 14, case folder
"15-table-download-keeps-formulas": no download path yields a live formula): an action's
description, its latest progress note and its lead agency's name that look like a formula, a link
or a number come out as literal strings, never a formula, a hyperlink or a number. The workbook is
the same bytes each time but for its creation time, and leaves nothing behind in the temporary
folder, even when it fails.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import openpyxl
import pytest
from sqlalchemy import text

from monitoring import exports, services
from monitoring.exports import safe
from monitoring.exports.workbook import write_xlsx
from tests.conftest import ANCHOR
from tests.test_security import case_readme

CASE_15 = "15-table-download-keeps-formulas"
HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "http://example.com", "0123"]
ADMIN = services.Actor("admin@northbridge.example", "admin")


@pytest.fixture
def hostile_pack(demo_engine, monkeypatch):
    """The demo's pack for today, where five open actions of five agencies have one of
    :data:`HOSTILE` each as their description, latest progress note and agency's name; with
    ``{(review, action number): value}`` of those actions."""
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    with demo_engine.connect() as conn:
        chosen = conn.execute(
            text(
                "select min(a.id) from action a"
                " where a.status in ('not_started', 'in_progress')"
                " and a.lead_agency_id is not null"
                " group by a.lead_agency_id order by min(a.id) limit 5"
            )
        ).scalars()
        chosen = list(chosen)
    assert len(chosen) == len(HOSTILE)
    keys = {}
    for action_id, value in zip(chosen, HOSTILE, strict=True):
        with demo_engine.begin() as conn:
            conn.execute(
                text("update action set description = :v where id = :i"),
                {"v": value, "i": action_id},
            )
            conn.execute(
                text(
                    "update agency set name = :v"
                    " where id = (select lead_agency_id from action where id = :i)"
                ),
                {"v": value, "i": action_id},
            )
            ref, number = conn.execute(
                text(
                    "select r.ref, a.number from action a join review r on r.id = a.review_id"
                    " where a.id = :i"
                ),
                {"i": action_id},
            ).one()
        services.add_progress_update(demo_engine, ADMIN, action_id, value, version=None)
        keys[(ref, number)] = value
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, None, annual=False)
    return pack, keys


def _written(pack) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(pack, buffer)
    return buffer.getvalue()


def test_text_from_people_and_files_stays_literal_text(hostile_pack):
    assert "no download path yields a live formula" in case_readme(CASE_15)
    pack, keys = hostile_pack
    data = _written(pack)
    book = openpyxl.load_workbook(io.BytesIO(data))

    ws = book["Tracker"]
    header = [c.value for c in ws[1]]
    columns = [header.index(h) for h in ("Action description", "Latest progress note")]
    columns.append(header.index("Lead agency"))
    review, action = header.index("Review"), header.index("Action")
    seen = {}
    for row in ws.iter_rows(min_row=2):
        value = keys.get((row[review].value, row[action].value))
        if value is None:
            continue
        cells = [row[c] for c in columns]
        assert [(c.value, c.data_type) for c in cells] == [(value, "s")] * 3, value
        # the quote prefix keeps risky text literal when the cell is edited; plain text has none
        assert {bool(c.quotePrefix) for c in cells} == {safe.is_risky(value)}, value
        assert all(c.hyperlink is None for c in cells), value
        seen[value] = seen.get(value, 0) + 1
    assert seen == dict.fromkeys(HOSTILE, 1)

    # the agencies' names are literal text wherever they appear (each hostile name leads an
    # open action; the scorecard lists every agency)
    for title in ("Agencies", "Overdue by agency"):
        names = [c for c in book[title]["A"][1:] if c.value in HOSTILE]
        assert all(c.data_type == "s" for c in names), title
        if title == "Agencies":
            assert sorted(c.value for c in names) == sorted(HOSTILE)

    # nowhere a formula or a hyperlink (a link needs a sheet's relationships file)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert len(sheets) == 8 and all(n.endswith(".xml") for n in sheets)
        for name in sheets:
            xml = archive.read(name).decode()
            assert "<f>" not in xml and "<hyperlink" not in xml, name
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value in HOSTILE:
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)


def test_the_same_pack_gives_the_same_workbook_but_its_creation_time(hostile_pack):
    pack, _ = hostile_pack
    first, second = (zipfile.ZipFile(io.BytesIO(_written(pack))) for _ in range(2))
    assert first.namelist() == second.namelist()
    assert "docProps/core.xml" in first.namelist()
    for name in first.namelist():
        if name != "docProps/core.xml":
            assert first.read(name) == second.read(name), name
    book = openpyxl.load_workbook(io.BytesIO(_written(pack)))
    assert book.properties.title == f"{pack.title}: tracker"
    assert book.properties.creator == pack.board


def test_nothing_is_left_in_the_temporary_folder_even_on_failure(hostile_pack, tmp_path):
    """The rows are streamed through temporary files (XlsxWriter's constant_memory mode): they
    are removed after a workbook is written and when writing fails half way; a value that is not
    text, a number or a date is named by sheet, row and column."""
    pack, _ = hostile_pack
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("tempfile.tempdir", str(scratch))
        assert _written(pack)[:2] == b"PK"
        assert list(scratch.iterdir()) == []
        tracker = pack.tracker.copy()
        tracker["progress_note"] = tracker["progress_note"].astype(object)
        tracker.iat[3, tracker.columns.get_loc("progress_note")] = object()
        with pytest.raises(TypeError, match=r"Sheet 'Tracker', row 5, column 17: cannot write"):
            _written(replace(pack, tracker=tracker))
        assert list(scratch.iterdir()) == []
