"""The meeting pack's summary and detail (issue 18): the summary keeps every figure and count but
cuts each list to its worst rows, saying how many more the Excel tracker holds; ``--detail``
lists every row and adds the per-review annual report. (The real PFD data's page, slide and sheet
counts are checked in test_realdata_pack.py.)"""

from __future__ import annotations

import io

from pypdf import PdfReader

from monitoring import cli, exports
from monitoring.exports import layout
from tests.conftest import ANCHOR


def test_a_summary_list_shows_its_first_rows_and_says_where_the_rest_are():
    table = layout.Table(
        "Red items",
        ["Review", "Description"],
        [[f"R{i}", "word " * 60] for i in range(30)],
        [1, 4],
        rag_column=0,
        rag=["red"] * 30,
    )
    short = layout.summarised(table, 20)
    assert [row[0] for row in short.rows] == [f"R{i}" for i in range(20)]
    assert short.rag == ["red"] * 20
    assert (short.total, short.hidden) == (30, 10)
    assert "The first 20 of 30" in short.note and "Excel tracker" in short.note
    assert all(len(row[1]) <= layout.SUMMARY_TEXT and row[1].endswith("…") for row in short.rows)
    whole = layout.summarised(table, 30)
    assert (whole.total, whole.hidden, whole.note) == (None, 0, "")
    assert layout.clip("short text") == "short text"


def test_the_summary_keeps_every_count_and_the_detail_adds_the_annual_report(demo_engine):
    with demo_engine.connect() as conn:
        pack = exports.build_pack(conn, None)
    summary = {s.key: s for s in layout.sections(pack)}
    detail = {s.key: s for s in layout.sections(pack, detail=True)}
    assert "annual" not in summary and "annual" in detail
    # the counts by kind are whole in the summary: they equal the pack's
    changes = {row[0]: int(row[1]) for row in summary["changes"].tables[0].rows}
    assert sum(changes.values()) == len(pack.changes)
    decisions = next(
        t for t in summary["decisions"].tables if t.title == "Decisions needed by kind"
    )
    assert sum(int(row[1]) for row in decisions.rows) == len(pack.decisions)
    for key, section in summary.items():
        for table in section.tables:
            assert len(table.rows) <= max(layout.SUMMARY_ROWS, layout.SUMMARY_AGENCIES), key
    # the detail lists every row
    assert len(detail["reviews"].tables[0].rows) == len(pack.reviews)


def test_export_detail_option(demo_engine, tmp_path, monkeypatch):
    monkeypatch.setenv("MONITORING_DATABASE_URL", str(demo_engine.url.render_as_string(False)))
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    summary, detail = tmp_path / "summary.pdf", tmp_path / "detail.pdf"
    assert cli.main(["export", "pdf", "--out", str(summary)]) == 0
    assert cli.main(["export", "pdf", "--detail", "--out", str(detail)]) == 0

    def text(path) -> tuple[int, str]:
        reader = PdfReader(io.BytesIO(path.read_bytes()))
        return len(reader.pages), " ".join(p.extract_text() for p in reader.pages)

    (short_pages, short), (long_pages, long) = text(summary), text(detail)
    assert "Annual report" not in short and "Annual report" in long
    assert long_pages > short_pages
