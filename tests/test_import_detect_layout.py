"""A file whose header row has a preset's columns is recognised as that layout: the import page
pre-selects it and says so, the command reads it as ``--preset`` would (a fresh user's finding:
the real PFD file gave "no action or recommendation column" until the ``pfd`` layout was
chosen by hand)."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from monitoring.importer.presets import PFD_COLUMNS, detect_preset, sniff_preset
from tests.conftest import REALDATA, make_app
from tests.test_import_cli import run_import

pytestmark = pytest.mark.usefixtures("shared_data")

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
STOCKTON = REALDATA / "trackers" / "stockton_lscb_review_progress_2017-12.csv"
PAGE = "app_pages/import_tracker.py"
SAID = "This looks like the coroners' PFD data set"


def _pfd_rows() -> list[dict]:
    with PFD.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _xlsx(header: list[str]) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append(["2026-0001", "01/01/2026", "01/01/2026", "Kent", "Other", "NHS England"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_real_pfd_file_is_recognised_and_a_tracker_is_not():
    assert sniff_preset(PFD.read_bytes(), PFD.name) == "pfd"
    assert sniff_preset(STOCKTON.read_bytes(), STOCKTON.name) is None
    assert sniff_preset(_xlsx([c.upper() for c in PFD_COLUMNS]), "pfd.xlsx") == "pfd"
    assert sniff_preset(_xlsx(list(PFD_COLUMNS[:-1])), "short.xlsx") is None
    assert sniff_preset(b"\x00\x01binary", "x.csv") is None
    assert sniff_preset(b"", "x.csv") is None
    assert detect_preset([" Ref ", "date_of_report", "coroner_area", "category", "SENT_TO",
                          "status", None]) == "pfd"  # fmt: skip


def test_page_preselects_the_pfd_layout_and_says_so(demo_engine, app_env):
    at = make_app("admin@northbridge.example", page=PAGE)
    at.file_uploader[0].set_value((PFD.name, PFD.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="import_layout").value == "pfd"
    said = [i.value for i in at.info if SAID in i.value]
    assert said and "layout set to “pfd”" in said[0]
    assert not at.error
    assert next(m for m in at.metric if m.label == "Rows read").value == str(len(_pfd_rows()))
    # A layout chosen afterwards for the same file stays chosen.
    at.selectbox(key="import_layout").set_value(at.selectbox(key="import_layout").options[0])
    at.run()
    assert at.selectbox(key="import_layout").value.startswith("Board tracker")
    assert not [i for i in at.info if SAID in i.value]


def test_page_keeps_the_board_tracker_layout_for_a_tracker(demo_engine, app_env):
    at = make_app("admin@northbridge.example", page=PAGE)
    at.file_uploader[0].set_value((STOCKTON.name, STOCKTON.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception
    assert at.selectbox(key="import_layout").value.startswith("Board tracker")
    assert not [i for i in at.info if SAID in i.value]


def test_command_reads_the_pfd_file_as_its_preset(database_url, monkeypatch, capsys):
    code, out, err = run_import(monkeypatch, capsys, database_url, str(PFD), "--dry-run", "--json")
    assert code == 0, err
    assert f"{SAID} (the Preventable Deaths Tracker's recipient statuses): layout set to pfd" in err
    report = json.loads(out)
    rows = _pfd_rows()
    assert report["errors"] == []
    assert report["created"]["review"] == len({r["ref"] for r in rows})
    assert report["created"]["action"] == len(rows)
    # --review asks for a board's tracker: no guess then (and this file is not one).
    code, _out, err = run_import(monkeypatch, capsys, database_url, str(PFD), "--review", "X")
    assert code == 1 and SAID not in err
