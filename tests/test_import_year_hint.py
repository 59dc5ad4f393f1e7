"""A date written without a year that the file gives no year for is fixed with the import's year,
not by changing the file: the import page's banner points to its "Year for dates written without
one" field and the command to ``--year``/``--as-of`` (a fresh user's finding: the banner said "fix
the file and upload it again"); the problems table gives the Problem column room to be read."""

from __future__ import annotations

import io
import json

import openpyxl

from monitoring import db
from tests.conftest import make_app
from tests.test_import_cli import run_import

PAGE = "app_pages/import_tracker.py"
HEADER = ["Item", "Action", "Lead agency", "Target date", "Status"]


def _xlsx(*rows: list) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


NO_YEAR = _xlsx(
    ["A1", "Train reception staff on DA disclosure", "ICB", "12 March", "Not started"],
    ["A2", "Update the neglect toolkit", "CSC", "w/c 5 Jan", "In progress"],
)
MIXED = _xlsx(
    ["A1", "Train reception staff on DA disclosure", "ICB", "12 March", "Not started"],
    ["A1", "Update the neglect toolkit", "CSC", "31/03/2026", "In progress"],  # ref again
)


def _upload(data: bytes, name: str = "noyear.xlsx"):
    at = make_app("admin@northbridge.example", page=PAGE)
    at.file_uploader[0].set_value(
        (name, data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_page_banner_points_to_the_year_field_and_the_year_fixes_it(demo_engine, app_env):
    at = _upload(NO_YEAR)
    [banner] = [e.value for e in at.error]
    assert banner.startswith("2 date(s) are written without a year")
    assert "'Year for dates written without one' above" in banner
    assert "upload it again" not in banner and "Nothing was written" in banner
    assert db.table_counts(demo_engine)["action"] == 91  # the demo's: nothing imported
    # The field the banner names is on the page; the year given there clears the errors.
    field = next(n for n in at.number_input if n.label == "Year for dates written without one")
    field.set_value(2026).run()
    assert not at.exception
    assert not at.error
    assert next(m for m in at.metric if m.label == "Actions to create").value == "2"


def test_page_banner_for_an_error_in_the_file_still_asks_for_the_file(demo_engine, app_env):
    at = _upload(MIXED, "mixed.xlsx")
    [banner] = [e.value for e in at.error]
    assert banner == "1 error(s): fix the file and upload it again. Nothing was written."


def test_problem_column_has_room_and_rows_wrap(demo_engine, app_env):
    at = _upload(NO_YEAR)
    table = at.dataframe[0]
    longest = max(len(m) for m in table.value["message"])
    assert longest > 150  # the message the fresh user saw cut off
    config = json.loads(table.proto.columns)
    widths = {name: config[name]["width"] for name in ("level", "row", "column", "message")}
    assert widths["message"] > widths["level"] + widths["row"] + widths["column"]
    assert table.proto.row_height >= 21 * 3  # three lines or more: the text wraps


def test_command_points_to_year_and_as_of(database_url, monkeypatch, capsys, tmp_path):
    path = tmp_path / "noyear.xlsx"
    path.write_bytes(NO_YEAR)
    code, _out, err = run_import(monkeypatch, capsys, database_url, str(path))
    assert code == 1
    assert (
        "2 date(s) have no year and the file gives none: run the command again with --year YYYY "
        "(or --as-of YYYY-MM-DD" in err
    )
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(path), "--year", "2026", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["created"]["action"] == 2
