"""New inputs of the kinds of the failed-input cases ``01-merged-section-rows``,
``02-year-less-dates`` and ``07-huge-cell`` (``../shared/cases``), written here with openpyxl
and csv into ``tmp_path``: year-less dates take their year from the document (never today),
every way Excel stores a date is read, layout rows are never records, and a cell over the limit
is named by its true length and cell reference."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from sqlalchemy import select

from monitoring import db
from monitoring.importer import ImportFileError, build_plan, read_path
from monitoring.importer.plan import Problem, TrackerOptions
from monitoring.importer.values import YearlessDate, read_date
from tests.test_import_cli import fingerprint, run_import

TODAY = "2026-06-30"
"""``MONITORING_TODAY`` in these tests: no year-less date may take its year."""


def _write_csv(path, rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def _write_xlsx(path, rows, *, merge_banners: bool = False, epoch=None) -> None:
    """``rows`` into a workbook; with ``merge_banners`` a row of one text is merged across."""
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    width = max(len(r) for r in rows)
    for r in rows:
        ws.append(list(r))
        filled = [v for v in r if v not in (None, "")]
        if merge_banners and len(filled) == 1 and r[0] == filled[0] and ws.max_row > 1:
            ws.merge_cells(
                start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width
            )
    wb.save(path)


def _plan(path, **options):
    return build_plan(read_path(path), options=TrackerOptions(**options))


def _dues(plan) -> dict[str, tuple[str | None, bool]]:
    return {a.number: (a.due_on, a.due_on_approximate) for a in plan.actions}


@pytest.fixture
def url(engine, database_url):
    engine.dispose()
    return database_url


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("MONITORING_TODAY", TODAY)


# --- 02-year-less-dates: the year from the document ---------------------------------------------

FRESH_USER_ROWS = {
    # one full date 01/02/2026 somewhere other than the due-date column
    "unmapped column": [
        ["Ref", "Action", "Date raised", "Due date"],
        ["1", "Write the plan", "01/02/2026", "12 March"],
        ["2", "Share the plan", "", "5 Jan"],
    ],
    "progress note": [
        ["Ref", "Action", "Due date", "Progress"],
        ["1", "Write the plan", "12 March", "Drafted at the meeting of 01/02/2026"],
        ["2", "Share the plan", "5 Jan", ""],
    ],
    "footer note": [
        ["Ref", "Action", "Due date"],
        ["1", "Write the plan", "12 March"],
        ["2", "Share the plan", "5 Jan"],
        [],
        ["Last updated", "01/02/2026", ""],
    ],
    "completed column": [
        ["Ref", "Action", "Due date", "Date completed", "Status"],
        ["1", "Write the plan", "12 March", "", "Open"],
        ["2", "Share the plan", "5 Jan", "01/02/2026", "Complete"],
    ],
    "date cell in an unmapped column": [
        ["Ref", "Action", "Agreed", "Due date"],
        ["1", "Write the plan", "", "12 March"],
        ["2", "Share the plan", datetime(2026, 2, 1), "5 Jan"],
    ],
    "title above the header": [
        ["Board action log, 01/02/2026"],
        ["Ref", "Action", "Due date"],
        ["1", "Write the plan", "12 March"],
        ["2", "Share the plan", "5 Jan"],
    ],
}


@pytest.mark.parametrize("form", ["csv", "xlsx"])
@pytest.mark.parametrize("place", list(FRESH_USER_ROWS))
def test_02_kind_a_full_date_anywhere_in_the_file_gives_the_year(place, form, tmp_path):
    path = tmp_path / f"log.{form}"
    (_write_csv if form == "csv" else _write_xlsx)(path, FRESH_USER_ROWS[place])
    plan = _plan(path)
    assert not plan.errors, plan.errors
    assert _dues(plan) == {"1": ("2026-03-12", True), "2": ("2026-01-05", True)}
    approximate = {p.row: p.message for p in plan.approximate_dates}
    assert len(approximate) == 2 and all("has no year written" in m for m in approximate.values())
    assert all("2026-02-01" in m for m in approximate.values())  # the source named


def test_02_kind_the_fresh_users_file_imports_on_the_command_line(
    url, tmp_path, monkeypatch, capsys
):
    path = tmp_path / "log.csv"
    _write_csv(path, FRESH_USER_ROWS["footer note"])
    code, out, err = run_import(monkeypatch, capsys, url, str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["created"]["action"] == 2 and report["rows_skipped"] == 1
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(db.action.c.number, db.action.c.due_on, db.action.c.due_on_approximate)
        ).all()
    engine.dispose()
    assert sorted(tuple(r) for r in rows) == [
        ("1", "2026-03-12", True),
        ("2", "2026-01-05", True),
    ]
    (note,) = [w for w in report["warnings"] if w["row"] == 5]
    assert "'Last updated' skipped (a note" in note["message"]


@pytest.mark.parametrize(
    "written, expected",
    [
        ("12 March", "2026-03-12"),
        ("12th March", "2026-03-12"),
        ("12th of March", "2026-03-12"),
        ("March 12", "2026-03-12"),
        ("Mar 12th", "2026-03-12"),
        ("12-Mar", "2026-03-12"),
        ("12 Mar.", "2026-03-12"),
        ("12/03", "2026-03-12"),  # day first (UK)
        ("12.3", "2026-03-12"),
        ("Thursday 12 March", "2026-03-12"),
        ("by 12 March", "2026-03-12"),
        ("March", "2026-03-31"),  # a month alone: its last day
        ("end of March", "2026-03-31"),
        ("w/c 5 Jan", "2026-01-05"),
        ("W/C 5th January", "2026-01-05"),
        ("week commencing 5 Jan", "2026-01-05"),
    ],
)
@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_02_kind_year_less_forms(written, expected, form, tmp_path):
    path = tmp_path / f"log.{form}"
    rows = [["Ref", "Action", "Due date"], ["1", "Anchor", "01/02/2026"], ["2", "It", written]]
    (_write_csv if form == "csv" else _write_xlsx)(path, rows)
    plan = _plan(path)
    assert not plan.errors, plan.errors
    assert _dues(plan)["2"] == (expected, True)
    assert isinstance(read_date(written), YearlessDate)


@pytest.mark.parametrize(
    "written, expected",
    [
        ("Sep-17", date(2017, 9, 30)),  # a month and a two-digit year
        ("Sep '17", date(2017, 9, 30)),
        ("03/2019", date(2019, 3, 31)),
        ("March 12, 2026", date(2026, 3, 12)),
        ("w/c 5 Jan 2026", date(2026, 1, 5)),
    ],
)
def test_02_kind_forms_with_a_year_need_none(written, expected):
    found = read_date(written)
    assert found.value == expected


def test_02_kind_the_year_turns_in_a_column_of_dates(tmp_path):
    path = tmp_path / "log.csv"
    _write_csv(
        path,
        [
            ["Ref", "Action", "Due date"],
            ["1", "Start", "15/11/2019"],
            ["2", "Then", "3 Dec"],
            ["3", "Then", "5 Jan"],
            ["4", "Then", "20 Feb"],
        ],
    )
    assert _dues(_plan(path)) == {
        "1": ("2019-11-15", False),
        "2": ("2019-12-03", True),
        "3": ("2020-01-05", True),
        "4": ("2020-02-20", True),
    }


def test_02_kind_a_column_in_date_order_carries_a_long_run_across_the_year(tmp_path):
    """Between two full dates of a column in date order, a run of months follows on (October
    is 2025, not the October nearer March 2025), and stays before the date below."""
    path = tmp_path / "log.csv"
    rows = [["Ref", "Action", "Due date"], ["1", "Start", "01/03/2025"]]
    rows += [[str(i + 2), "Then", m] for i, m in enumerate(["Apr", "Jul", "Oct", "Jan"])]
    rows += [["6", "End", "15/03/2026"], ["7", "After", "20 Apr"]]
    _write_csv(path, rows)
    dues = _dues(_plan(path))
    assert [dues[str(n)][0] for n in range(1, 8)] == [
        "2025-03-01",
        "2025-04-30",
        "2025-07-31",
        "2025-10-31",
        "2026-01-31",
        "2026-03-15",
        "2026-04-20",
    ]


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_02_kind_banners_give_the_year_and_a_year_less_banner_follows_the_one_before(
    form, tmp_path
):
    path = tmp_path / f"minutes.{form}"
    rows = [
        ["Ref", "Action", "Owner", "Due date"],
        ["Meeting 14 November 2019", "", "", ""],
        ["1", "Audit", "Police", "28 Nov"],
        ["December", "", "", ""],
        ["2", "Report", "Police", "10 Dec"],
        ["January", "", "", ""],
        ["3", "Review", "Police", "20 Jan"],
        ["4", "Close", "Police", "3 Dec"],
    ]
    if form == "csv":
        _write_csv(path, rows)
    else:
        _write_xlsx(path, rows, merge_banners=True)
    plan = _plan(path)
    assert not plan.errors
    assert _dues(plan) == {
        "1": ("2019-11-28", True),
        "2": ("2019-12-10", True),
        "3": ("2020-01-20", True),
        "4": ("2020-12-03", True),  # the first 3 December on or after January 2020
    }
    assert [p.row for p in plan.section_rows] == [2, 4, 6]
    assert [a.section for a in plan.actions] == [
        "Meeting 14 November 2019",
        "December",
        "January",
        "January",
    ]


@pytest.mark.parametrize(
    "title, expected",
    [
        (["Meeting 14 January 2019"], "2019-12-03"),  # a meeting's actions fall after it
        (["Board meeting held on 14/01/2019"], "2019-12-03"),
        (["Tracker as at 14 January 2019"], "2018-12-03"),  # an as-at date: the nearest
        (["Updated", datetime(2019, 1, 14)], "2018-12-03"),  # a date cell in the title rows
    ],
)
def test_02_kind_a_title_above_the_header_gives_the_year(title, expected, tmp_path):
    path = tmp_path / "log.xlsx"
    _write_xlsx(path, [title, [], ["Ref", "Action", "Due date"], ["1", "It", "3 Dec"]])
    plan = _plan(path)
    assert not plan.errors, plan.errors
    assert _dues(plan) == {"1": (expected, True)}


def test_02_kind_a_number_elsewhere_is_no_date_to_take_the_year_from(tmp_path):
    """A ref such as 45000 is an Excel serial only in a date column: elsewhere it gives no
    year (read as one, it would put '12 March' in 2023)."""
    path = tmp_path / "log.csv"
    _write_csv(path, [["Ref", "Action", "Due date"], ["45000", "It", "12 March"]])
    (error,) = _plan(path).errors
    assert "'12 March' has no year and the file gives none" in error.message


def test_02_kind_a_leap_day_below_in_a_column_in_date_order(tmp_path):
    path = tmp_path / "log.csv"
    _write_csv(
        path,
        [
            ["Ref", "Action", "Due date"],
            ["1", "A", "01/01/2024"],
            ["2", "B", "29 Feb"],
            ["3", "C", "Feb"],
            ["4", "D", "29/02/2024"],
        ],
    )
    assert _dues(_plan(path)) == {
        "1": ("2024-01-01", False),
        "2": ("2024-02-29", True),
        "3": ("2024-02-29", True),
        "4": ("2024-02-29", False),
    }


def test_02_kind_meeting_banners_without_a_year_follow_the_one_before(tmp_path):
    path = tmp_path / "minutes.csv"
    _write_csv(
        path,
        [
            ["Action", "Owner", "Due date"],
            ["Meeting 14 November 2019", "", ""],
            ["Audit the referrals", "Police", "28 Nov"],
            ["Meeting 9 January", "", ""],
            ["Report to the board", "Police", "3 Feb"],
            ["Meeting with schools on 14 January to agree the protocol", "Schools", "20 Feb"],
        ],
    )
    plan = _plan(path)
    assert [p.row for p in plan.section_rows] == [2, 4]
    assert [(a.description[:19], a.due_on) for a in plan.actions] == [
        ("Audit the referrals", "2019-11-28"),
        ("Report to the board", "2020-02-03"),
        ("Meeting with school", "2020-02-20"),
    ]


@pytest.mark.parametrize(
    "option, expected",
    [({"default_year": 2017}, "2017-12-03"), ({"as_of": date(2016, 2, 1)}, "2015-12-03")],
)
def test_02_kind_the_user_gives_the_year_when_the_file_has_none(option, expected, tmp_path):
    path = tmp_path / "log.csv"
    _write_csv(path, [["Ref", "Action", "Due date"], ["1", "It", "3 Dec"]])
    assert [p.row for p in _plan(path).errors] == [2]
    assert _dues(_plan(path, **option)) == {"1": (expected, True)}


def test_02_kind_no_year_anywhere_is_refused_and_nothing_is_written(
    url, tmp_path, monkeypatch, capsys
):
    path = tmp_path / "log.csv"
    _write_csv(
        path, [["Ref", "Action", "Due date"], ["1", "It", "12th March"], ["2", "And", "w/c 5 Jan"]]
    )
    before = fingerprint(url)
    code, _out, err = run_import(monkeypatch, capsys, url, str(path))
    assert code == 1 and fingerprint(url) == before
    assert "row 2, column 'Due date': '12th March' has no year" in err
    assert "row 3, column 'Due date': 'w/c 5 Jan' has no year" in err and "--year" in err
    assert "2026" not in err  # never today's year


# --- 02-year-less-dates: every way Excel stores a date -------------------------------------------


def _patch_sheet(path, replacements: dict[str, str]) -> None:
    """Edit the first sheet's XML (what Excel writes and openpyxl cannot: cached values)."""
    with zipfile.ZipFile(path) as src:
        items = [(i, src.read(i.filename)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w") as out:
        for item, data in items:
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for old, new in replacements.items():
                    assert old in text, old
                    text = text.replace(old, new)
                data = text.encode()
            out.writestr(item, data)


@pytest.mark.parametrize("epoch", [None, CALENDAR_MAC_1904], ids=["1900", "1904"])
def test_02_kind_every_way_excel_stores_a_date(epoch, tmp_path):
    offset = 1462 if epoch else 0  # the 1904 system counts 1,462 days fewer
    serial = 46112 - offset  # 31 March 2026
    path = tmp_path / "dates.xlsx"
    wb = openpyxl.Workbook()
    if epoch:
        wb.epoch = epoch
    ws = wb.active
    ws.append(["Ref", "Action", "Due date"])
    cells = {
        "date cell": datetime(2026, 3, 31),
        "date cell, UK long format": datetime(2026, 3, 31),
        "text date": "31/03/2026",
        "text ISO date": "2026-03-31",
        "General serial": serial,
        "General serial with a time": serial + 0.5,
        "serial as text": str(serial) if not epoch else "31 March 2026",
        "formula, cached date": "=DATE(2026,3,31)",
        "formula, cached text": "=C4",
        "formula, cached General serial": "=C2",
    }
    for i, (name, value) in enumerate(cells.items(), start=1):
        ws.append([str(i), name, value])
    ws["C2"].number_format = "dd/mm/yyyy"
    ws["C3"].number_format = "[$-809]dd mmmm yyyy;@"
    ws["C9"].number_format = "dd/mm/yyyy"
    wb.save(path)
    _patch_sheet(
        path,
        {
            "<f>DATE(2026,3,31)</f><v></v>": f"<f>DATE(2026,3,31)</f><v>{serial}</v>",
            '<c r="C10"><f>C4</f><v></v>': '<c r="C10" t="str"><f>C4</f><v>31/03/2026</v>',
            "<f>C2</f><v></v>": f"<f>C2</f><v>{serial}</v>",
        },
    )
    plan = _plan(path)
    assert not plan.errors and not [p for p in plan.problems if p.row]
    assert {a.description: a.due_on for a in plan.actions} == dict.fromkeys(cells, "2026-03-31")
    assert not any(a.due_on_approximate for a in plan.actions)


def test_05_kind_a_formula_whose_saved_value_is_an_error_is_reported_by_cell(tmp_path):
    """Case 05-formulas-without-values' kind: a formula Excel saved as #DIV/0! or #REF! is
    reported by cell and its row skipped, never taken as a date, an action or a status.
    Adjusted: row 2 was imported with no target date and no status (wrong figures); now the
    same rule as a formula with no saved value skips it."""
    path = tmp_path / "errors.xlsx"
    _write_xlsx(
        path,
        [
            ["Ref", "Action", "Due date", "Status"],
            ["1", "It", "=1/0", "=Lists!Z9"],
            ["2", "=A9", "", ""],
            ["3", "Kept", "31/03/2026", "Open"],
        ],
    )
    _patch_sheet(
        path,
        {
            '<c r="C2"><f>1/0</f><v></v>': '<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v>',
            '<c r="D2"><f>Lists!Z9</f><v></v>': '<c r="D2" t="e"><f>Lists!Z9</f><v>#REF!</v>',
            '<c r="B3"><f>A9</f><v></v>': '<c r="B3" t="e"><f>A9</f><v>#N/A</v>',
        },
    )
    plan = _plan(path)
    formulas = {(p.row, p.column): p.message for p in plan.problems if p.kind == Problem.FORMULA}
    skipped = "then import again; this row is skipped: nothing of it is imported"
    assert formulas == {
        (2, "Due date"): "cell C2: an Excel error value (=1/0 gives #DIV/0!); correct the "
        f"formula in Excel, or type the value, {skipped}",
        (2, "Status"): "cell D2: an Excel error value (=Lists!Z9 gives #REF!); correct the "
        f"formula in Excel, or type the value, {skipped}",
        (3, "Action"): "cell B3: an Excel error value (=A9 gives #N/A); correct the formula "
        f"in Excel, or type the value, {skipped}",
    }
    (action,) = plan.actions
    assert (action.number, action.due_on, action.status) == ("3", "2026-03-31", "in_progress")
    assert plan.rows_skipped == 2 and not plan.errors


@pytest.mark.parametrize("number", [12, 3.5, 0, 500])
def test_02_kind_a_small_number_in_a_date_column_is_not_a_1900_date(number, tmp_path):
    path = tmp_path / "n.xlsx"
    _write_xlsx(path, [["Ref", "Action", "Due date"], ["1", "It", number]])
    plan = _plan(path)
    (action,) = plan.actions
    assert action.due_on is None
    (warned,) = [p for p in plan.warnings if p.row == 2]
    assert "is not a date: kept as a note" in warned.message


# --- 01-merged-section-rows: layout rows of new shapes -------------------------------------------

LAYOUT_ROWS = [
    ["Ref", "Action", "Owner", "Due date", "Status"],
    ["Key: R = red, A = amber, G = green", "", "", "", ""],
    ["June 2025", "", "", "", ""],  # a banner alone in column A, not merged
    ["1", "Write the plan", "Police", "30/06/2025", "R"],
    [],  # a blank separator
    ["Section 2: training", "", "", "", ""],
    ["2", "Train the staff", "Health", "30/07/2025", "G"],
    ["cont'd", "", "", "", ""],
    ["Cont\u2019d from previous page", "", "", "", ""],
    ["Ref", "Action", "Owner", "Due date", "Status"],
    ["3", "Check the training", "Health", "30/08/2025", "A"],
    ["Total", "", "3", "", "3"],
    ["Totals", "", "", "", "100%"],
    ["Notes: dates are targets agreed at the board", "", "", "", ""],
    ["R = Red", "", "", "", ""],
]


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_01_kind_new_layout_rows_are_skipped_with_a_reason(form, tmp_path):
    path = tmp_path / f"log.{form}"
    (_write_csv if form == "csv" else _write_xlsx)(path, LAYOUT_ROWS)
    plan = _plan(path)
    assert not plan.errors, plan.errors
    assert [a.description for a in plan.actions] == [
        "Write the plan",
        "Train the staff",
        "Check the training",
    ]
    layout = {p.row: p.message for p in plan.section_rows}
    assert sorted(layout) == [2, 3, 6, 8, 9, 10, 12, 13, 14, 15]
    assert "(a note, not an action)" in layout[2] and "(a note, not an action)" in layout[15]
    assert "(a heading, not an action)" in layout[3]
    assert "(a layout row (totals or continued), not an action)" in layout[12]
    assert "(a repeated header row, not an action)" in layout[10]
    assert plan.rows_read == 3 + len(layout) and plan.rows_skipped == len(layout)
    (blank,) = [p for p in plan.warnings if "blank row" in p.message]
    assert "1 blank row(s) skipped" in blank.message and blank.message.endswith("row(s) 5")
    assert [a.section for a in plan.actions] == ["June 2025", "Section 2: training"] * 1 + [
        "Section 2: training"
    ]
    assert {a.lead_name for a in plan.actions} == {"Police", "Health"}


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_01_kind_headings_in_the_action_column_are_not_actions(form, tmp_path):
    """No ref column: the banner sits in the action column itself, unmerged."""
    path = tmp_path / f"log.{form}"
    rows = [
        ["Action", "Owner", "Due date", "Status"],
        ["Meeting 14 January 2019", "", "", ""],
        ["Audit the referrals", "Police", "28 Jan", "Open"],
        ["Section 2: training", "", "", ""],
        ["Train the staff", "Health", "10 Feb", "Open"],
        ["Actions carried forward", "", "", ""],
        ["Actions carried out by schools to be reviewed", "Schools", "1 Mar", "Open"],
        ["Key: R = red, A = amber, G = green", "", "", ""],
        ["Total", "", "", "3"],
    ]
    (_write_csv if form == "csv" else _write_xlsx)(path, rows)
    plan = _plan(path)
    assert not plan.errors, plan.errors
    assert [a.description for a in plan.actions] == [
        "Audit the referrals",
        "Train the staff",
        "Actions carried out by schools to be reviewed",
    ]
    assert [p.row for p in plan.section_rows] == [2, 4, 6, 8, 9]
    assert [a.due_on for a in plan.actions] == ["2019-01-28", "2019-02-10", "2019-03-01"]
    assert {a.lead_name for a in plan.actions} == {"Police", "Health", "Schools"}


def test_01_kind_merged_banners_of_new_shapes_in_xlsx(tmp_path):
    path = tmp_path / "log.xlsx"
    rows = [
        ["Ref", "Action", "Owner", "Due date"],
        ["Meeting 14 January 2019", "", "", ""],
        ["1", "Audit", "Police", "28 Jan"],
        ["Actions carried forward", "", "", ""],
        ["2", "Report", "Police", "10 Feb"],
    ]
    _write_xlsx(path, rows, merge_banners=True)
    plan = _plan(path)
    assert [p.row for p in plan.section_rows] == [2, 4]
    assert all("a banner across the row" in p.message for p in plan.section_rows)
    assert _dues(plan) == {"1": ("2019-01-28", True), "2": ("2019-02-10", True)}
    assert not [p for p in plan.problems if p.kind == Problem.SECTION_ROW and p.row in (3, 5)]


# --- 07-huge-cell: the true length and the cell ---------------------------------------------------


def test_07_kind_an_xlsx_cell_over_excels_cap_is_reported_at_its_true_length(tmp_path):
    path = tmp_path / "long.xlsx"
    _write_xlsx(path, [["Ref", "Action", "Progress"], ["1", "It", "PLACEHOLDER"]])
    _patch_sheet(path, {"<t>PLACEHOLDER</t>": "<t>" + "x" * 200_000 + "</t>"})
    plan = _plan(path)
    (error,) = plan.errors
    assert (error.row, error.column) == (2, "Progress")
    assert error.message.startswith("cell C2 holds 200,000 characters (Excel's cap for a cell is")
    assert "at most 10,000" in error.message


def test_07_kind_an_xlsx_cell_at_excels_cap_says_it_may_have_been_cut(tmp_path):
    path = tmp_path / "capped.xlsx"
    _write_xlsx(path, [["Ref", "Action", "Progress"], ["1", "It", "x" * 200_000]])
    (error,) = _plan(path).errors
    assert "cell C2 holds 32,767 characters (Excel's cap for a cell is 32,767: the text may" in (
        error.message
    )


# --- 04-hidden-sheet: which sheet ----------------------------------------------------------------


def _workbook(path, active: int) -> None:
    wb = openpyxl.Workbook()
    lists = wb.active
    lists.title = "Lists"
    lists.append(["Ref", "Action"])  # drop-down lists that look like a header
    lists.append(["1", "Open"])
    lists.sheet_state = "veryHidden"
    for year in ("2024", "2025"):
        ws = wb.create_sheet(year)
        ws.append(["Ref", "Action", "Due date"])
        ws.append(["1", f"Action of {year}", f"30/04/{year}"])
    wb.create_sheet("Notes").append(["Read me first"])
    wb.active = active
    wb.save(path)


def test_04_kind_the_sheet_open_when_saved_is_read_of_several_trackers(tmp_path):
    path = tmp_path / "years.xlsx"
    _workbook(path, active=2)  # "2025" was open when the file was saved
    plan = _plan(path)
    assert [a.description for a in plan.actions] == ["Action of 2025"]
    (chosen,) = [p for p in plan.warnings if "open sheet when the workbook was saved" in p.message]
    assert chosen.message.startswith("sheet '2025' read") and "'2024' also look like" in (
        chosen.message
    )
    assert any("hidden sheet(s) not read: 'Lists'" in p.message for p in plan.warnings)


@pytest.mark.parametrize("active", [1, 3], ids=["first-visible", "notes"])
def test_04_kind_several_trackers_and_no_chosen_one_is_a_refusal_listing_them(active, tmp_path):
    path = tmp_path / "years.xlsx"
    _workbook(path, active=active)
    with pytest.raises(ImportFileError) as info:
        read_path(path)
    assert "2 sheets that could be the tracker ('2024', '2025')" in str(info.value)
    assert '"sheet"' in str(info.value) and "Lists" not in str(info.value)


@pytest.mark.parametrize("date_1904", [False, True], ids=["1900", "1904"])
def test_02_kind_a_workbook_written_as_excel_writes_it(date_1904, tmp_path):
    """XlsxWriter writes as Excel does (texts in the shared-strings table, formulas with their
    saved values, the 1904 date system when asked): every date form is read, and the year-less
    dates take the year of the date cells."""
    import xlsxwriter

    path = tmp_path / "excel.xlsx"
    book = xlsxwriter.Workbook(str(path), {"date_1904": date_1904})
    sheet = book.add_worksheet("Tracker")
    as_date = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, ["Ref", "Action", "Due date"])
    rows = [
        ("date cell", datetime(2026, 3, 31), as_date),
        ("text date", "31/03/2026", None),
        ("year-less text", "12 March", None),
        ("year-less, week commencing", "w/c 5 Jan", None),
        ("formula with a saved date", "=DATE(2026,3,31)", as_date),
    ]
    serial = 46112 - (1462 if date_1904 else 0)
    for i, (name, value, style) in enumerate(rows, start=1):
        sheet.write_string(i, 0, str(i))
        sheet.write_string(i, 1, name)
        if isinstance(value, datetime):
            sheet.write_datetime(i, 2, value, style)
        elif value.startswith("="):
            sheet.write_formula(i, 2, value, style, serial)
        else:
            sheet.write_string(i, 2, value)
    sheet.write_number(6, 0, 6)
    sheet.write_string(6, 1, "General serial")
    sheet.write_number(6, 2, serial)
    book.close()
    with zipfile.ZipFile(path) as archive:
        assert "xl/sharedStrings.xml" in archive.namelist()
    plan = _plan(path)
    assert not plan.errors, plan.errors
    assert {a.description: (a.due_on, a.due_on_approximate) for a in plan.actions} == {
        "date cell": ("2026-03-31", False),
        "text date": ("2026-03-31", False),
        "year-less text": ("2026-03-12", True),
        "year-less, week commencing": ("2026-01-05", True),
        "formula with a saved date": ("2026-03-31", False),
        "General serial": ("2026-03-31", False),
    }
