"""The inputs that failed for users (``../shared/cases/01-*`` to ``07-*``), each read from its
case folder and held to its README's right result, plus inputs of the same kinds built here."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from monitoring import db, services
from monitoring.importer import build_plan, read_path, readers
from tests.conftest import CASES
from tests.test_import_cli import fingerprint, run_import

pytestmark = pytest.mark.usefixtures("shared_data")


def _case(folder: str, name: str):
    return CASES / folder / name


def _actions(url: str) -> dict[str, dict]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                db.action.c.number,
                db.action.c.description,
                db.action.c.due_on,
                db.action.c.due_on_approximate,
                db.action.c.status,
            ).order_by(db.action.c.id)
        ).mappings()
        found = {r["number"]: dict(r) for r in rows}
    engine.dispose()
    return found


def _agency_names(url: str) -> set[str]:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        names = set(conn.execute(select(db.agency.c.name)).scalars())
    engine.dispose()
    return names


@pytest.fixture
def url(engine, database_url):
    """A migrated, empty database (the engine closed so the file is settled)."""
    engine.dispose()
    return database_url


# --- 01-merged-section-rows ----------------------------------------------------------------------


def _sheet_as_csv(path, target) -> None:
    """The case's sheet saved as CSV the way Excel does: a merged banner in its first cell."""
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    with target.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            ["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)
        )


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_01_merged_month_banners_are_skipped_section_rows(form, url, tmp_path, monkeypatch, capsys):
    path = _case("01-merged-section-rows", "tracker.xlsx")
    if form == "csv":
        _sheet_as_csv(path, tmp_path / "tracker.csv")
        path = tmp_path / "tracker.csv"
    code, out, err = run_import(monkeypatch, capsys, url, str(path), "--create-agencies", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["created"]["action"] == 3
    assert list(_actions(url)) == ["06.01", "06.02", "07.01"]
    skipped = [w for w in report["warnings"] if w["message"].startswith("section row")]
    assert [(w["row"], w["message"].split("'")[1]) for w in skipped] == [
        (2, "June 2025"),
        (5, "July 2025"),
    ]
    assert report["rows_read"] == 5 and report["rows_skipped"] == 2
    assert _agency_names(url) == {"KT", "RD"}  # no agency named after a month


def test_01_kind_headings_totals_and_continued_rows_are_never_records(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "Action ref,Action,Owner,Due date,Status\n"
        "Board meeting 4 June 2025,,,,\n"
        "1,Write the plan,Police,30/06/2025,Complete\n"
        ",Continued overleaf,,,\n"
        "Ref,Action,Owner,Due date,Status\n"
        "2,Check the plan,Police,30/07/2025,Open\n"
        "Total,,,,2\n"
        ",,,,\n"
        "Closed actions,,,,\n"
        "3,Sign the plan off,Police,30/08/2025,Closed\n",
        encoding="utf-8",
    )
    plan = build_plan(read_path(path))
    assert not plan.errors
    assert [a.number for a in plan.actions] == ["1", "2", "3"]
    assert [p.row for p in plan.section_rows] == [2, 4, 5, 7, 9]
    assert plan.rows_skipped == 5
    assert [a.section for a in plan.actions] == [
        "Board meeting 4 June 2025",
        "Board meeting 4 June 2025",
        "Closed actions",
    ]


# --- 02-year-less-dates --------------------------------------------------------------------------


def test_02_year_less_dates_take_the_year_of_their_section(url, monkeypatch, capsys):
    monkeypatch.setenv("MONITORING_TODAY", "2026-06-30")
    path = _case("02-year-less-dates", "tracker.csv")
    code, out, err = run_import(monkeypatch, capsys, url, str(path), "--create-agencies", "--json")
    assert code == 0, err
    actions = _actions(url)
    assert actions["03.01"]["due_on"] == "2019-10-15"
    assert actions["04.01"]["due_on"] == "2019-09-30"
    assert actions["03.01"]["due_on_approximate"] and actions["04.01"]["due_on_approximate"]
    assert actions["03.02"]["due_on"] == "2019-04-02" and not actions["03.02"]["due_on_approximate"]
    approximate = {
        w["row"]: w["message"] for w in json.loads(out)["warnings"] if "approximate" in w["message"]
    }
    assert set(approximate) == {3, 6}
    assert "read as 2019-10-15 (approximate" in approximate[3] and "March 2019" in approximate[3]


@pytest.mark.parametrize(
    "text, anchor, expected",
    [
        # a title date above the header
        ("Action plan, updated 12 May 2021\nRef,Action,Due\n1,Do it,15 Oct\n", [], "2021-10-15"),
        # the nearest full date in the file
        ("Ref,Action,Due\n1,Do it,3/9/2018\n2,Then this,30 Nov\n", [], "2018-11-30"),
        # nothing in the file: the year given, or the as-of date
        ("Ref,Action,Due\n1,Do it,15 Oct\n", ["--year", "2017"], "2017-10-15"),
        ("Ref,Action,Due\n1,Do it,15 Oct\n", ["--as-of", "2016-09-01"], "2016-10-15"),
    ],
    ids=["title", "neighbour", "year", "as-of"],
)
def test_02_kind_the_year_comes_from_the_document_or_the_user(
    text, anchor, expected, url, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("MONITORING_TODAY", "2026-06-30")
    path = tmp_path / "plan.csv"
    path.write_text(text, encoding="utf-8")
    code, _out, err = run_import(monkeypatch, capsys, url, str(path), *anchor)
    assert code == 0, err
    (action,) = [a for a in _actions(url).values() if a["due_on_approximate"]]
    assert action["due_on"] == expected


def test_02_kind_no_year_anywhere_is_refused_asking_for_one(url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MONITORING_TODAY", "2026-06-30")
    path = tmp_path / "plan.csv"
    path.write_text("Ref,Action,Due\n1,Do it,15 Oct\n2,And this,June\n", encoding="utf-8")
    before = fingerprint(url)
    code, _out, err = run_import(monkeypatch, capsys, url, str(path))
    assert code == 1
    assert "row 2, column 'Due': '15 Oct' has no year" in err and "--year" in err
    assert "row 3, column 'Due': 'June' has no year" in err
    assert fingerprint(url) == before


# --- 03-status-in-text ---------------------------------------------------------------------------


def test_03_reference_heading_and_status_line_inside_the_text(url, monkeypatch, capsys):
    path = _case("03-status-in-text", "tracker.csv")
    code, _out, err = run_import(monkeypatch, capsys, url, str(path), "--create-agencies")
    assert code == 0, err
    actions = _actions(url)
    assert list(actions) == ["QB 07/19(c)", "QB 08/19(a)"]
    assert actions["QB 07/19(c)"]["status"] == "completed"
    assert actions["QB 08/19(a)"]["status"] == "in_progress"
    assert actions["QB 07/19(c)"]["description"] == (
        "Transport policy\nThe board to adopt the revised transport policy by June 2019."
    )
    assert all("Status" not in a["description"] for a in actions.values())


@pytest.mark.parametrize("heading", ["Relevant Item", "Item", "Minute ref", "Agenda item"])
def test_03_kind_reference_headings(heading, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        f'{heading},Action\nM 12/3,"Do it\nStatus - on track"\nM 12/4,"Then this\nStatus: odd"\n',
        encoding="utf-8",
    )
    plan = build_plan(read_path(path))
    assert [(a.number, a.status, a.description) for a in plan.actions] == [
        ("M 12/3", "in_progress", "Do it"),
        ("M 12/4", None, "Then this\nStatus: odd"),
    ]
    (warned,) = [p for p in plan.warnings if p.row == 3]
    assert "'odd' written in the action text is not a status word" in warned.message


# --- 04-hidden-sheet -----------------------------------------------------------------------------


def test_04_the_hidden_lists_sheet_is_not_read(url, monkeypatch, capsys):
    path = _case("04-hidden-sheet", "tracker.xlsx")
    code, out, err = run_import(monkeypatch, capsys, url, str(path), "--create-agencies", "--json")
    assert code == 0, err
    assert list(_actions(url)) == ["A-1", "A-2"]
    assert any(
        "hidden sheet(s) not read: 'Lists'" in w["message"] for w in json.loads(out)["warnings"]
    )


def test_04_kind_several_visible_trackers_are_refused_naming_them(
    url, tmp_path, monkeypatch, capsys
):
    wb = openpyxl.Workbook()
    wb.active.title = "2024"
    wb.active.append(["Ref", "Action", "Due date"])
    wb.active.append(["1", "Old action", "30/04/2024"])
    second = wb.create_sheet("2025")
    second.append(["Ref", "Action", "Due date"])
    second.append(["1", "New action", "30/04/2025"])
    wb.create_sheet("Notes").append(["Nothing here"])
    secret = wb.create_sheet("Secret")
    secret.append(["Ref", "Action"])
    secret.append(["9", "Hidden action"])
    secret.sheet_state = "veryHidden"
    path = tmp_path / "two.xlsx"
    wb.save(path)
    before = fingerprint(url)
    code, _out, err = run_import(monkeypatch, capsys, url, str(path))
    assert code == 1 and fingerprint(url) == before
    assert "2 sheets that could be the tracker ('2024', '2025')" in err
    assert '"sheet"' in err and "Secret" not in err
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"sheet": "2025"}', encoding="utf-8")
    code, _out, err = run_import(monkeypatch, capsys, url, str(path), "--mapping", str(mapping))
    assert code == 0, err
    assert [a["description"] for a in _actions(url).values()] == ["New action"]
    mapping.write_text('{"sheet": "Secret"}', encoding="utf-8")  # named: read though hidden
    assert build_plan(read_path(path, sheet="Secret")).actions[0].description == "Hidden action"


# --- 05-formulas-without-values ------------------------------------------------------------------


def test_05_formulas_without_saved_values_are_reported_by_cell(url, monkeypatch, capsys):
    """Each formula with no saved value is reported by row, column and cell, and its row is
    skipped (one rule for every column). Adjusted: B-1 was imported with no target date and B-2
    as not started, wrong figures the board would have read (and a false change on the import
    after saving the file in Excel); now nothing of the three rows is written."""
    path = _case("05-formulas-without-values", "tracker.xlsx")
    before = fingerprint(url)
    code, out, err = run_import(monkeypatch, capsys, url, str(path), "--create-agencies")
    assert code == 1 and fingerprint(url) == before
    assert (
        "row 2, column 'Due date': cell D2: a formula with no saved value (=DATE(2026,3,31)); "
        "open and save the file in Excel, then import again; this row is skipped: nothing of it "
        "is imported"
    ) in err
    assert "row 3, column 'Status': cell E3: a formula with no saved value (=IF(" in err
    assert "row 4, column 'Action': cell B4: a formula with no saved value (=CONCATENATE(" in err
    assert "3 row(s) skipped for cells with no saved value" in err
    assert _actions(url) == {}


def _with_cached_values(path, target) -> None:
    """The case's workbook as Excel saves it: each formula keeps its last value."""
    cached = {"D2": "46112", "E3": "Complete", "B4": "Audit return interviews"}
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(target, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in cached.items():
                    kind = "" if value.isdigit() else ' t="str"'
                    start = text.index(f'<c r="{ref}"')
                    end = text.index("</c>", start)
                    formula = text[text.index("<f>", start) : text.index("</f>", start) + 4]
                    text = text[:start] + f'<c r="{ref}"{kind}>{formula}<v>{value}</v>' + text[end:]
                data = text.encode()
            out.writestr(item, data)


def test_05_kind_a_formula_with_a_saved_value_uses_it(tmp_path):
    path = tmp_path / "saved.xlsx"
    _with_cached_values(_case("05-formulas-without-values", "tracker.xlsx"), path)
    plan = build_plan(read_path(path))
    assert not [p for p in plan.problems if "formula" in p.message]
    by_number = {a.number: a for a in plan.actions}
    assert by_number["B-1"].due_on == "2026-03-31"  # a General-format serial number
    assert by_number["B-2"].status == "completed"
    assert by_number["B-3"].description == "Audit return interviews"


# --- 06-sheet-dimension-bomb ---------------------------------------------------------------------


def test_06_a_workbook_claiming_a_million_rows_reads_only_its_cells(url, monkeypatch, capsys):
    path = _case("06-sheet-dimension-bomb", "tracker.xlsx")
    code, out, err = run_import(monkeypatch, capsys, url, str(path), "--create-agencies", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert list(_actions(url)) == ["C-1"] and report["rows_read"] == 1
    assert any(
        "beyond column 200" in w["message"] and "XFD1048576" in w["message"]
        for w in report["warnings"]
    )


def test_06_kind_more_rows_than_the_limit_are_refused_naming_it(url, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(readers, "MAX_ROWS", 3)
    for name in ("big.csv", "big.xlsx"):
        path = tmp_path / name
        rows = [["Ref", "Action"], *[[str(i), f"Action {i}"] for i in range(1, 5)]]
        if name.endswith(".csv"):
            path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
        else:
            wb = openpyxl.Workbook()
            for r in rows:
                wb.active.append(r)
            wb.save(path)
        before = fingerprint(url)
        code, _out, err = run_import(monkeypatch, capsys, url, str(path))
        assert code == 1 and fingerprint(url) == before
        assert f"{name}: row 4 holds values past the limit of 3 rows a tracker may have" in err


# --- 07-huge-cell --------------------------------------------------------------------------------


def test_07_a_cell_over_the_note_limit_is_an_error_by_row_and_column(
    url, tmp_path, monkeypatch, capsys
):
    script = _case("07-huge-cell", "make_tracker.py")
    subprocess.run([sys.executable, str(script)], cwd=tmp_path, check=True)
    csv_path = tmp_path / "tracker.csv"
    wb = openpyxl.Workbook()
    with csv_path.open(newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            wb.active.append(row)
    xlsx_path = tmp_path / "tracker.xlsx"
    wb.save(xlsx_path)
    for path in (csv_path, xlsx_path):
        before = fingerprint(url)
        code, _out, err = run_import(monkeypatch, capsys, url, str(path), "--create-agencies")
        assert code == 1, err
        assert "Traceback" not in err
        # openpyxl (as Excel) cut the cell at 32,767 characters when saving: the .xlsx holds
        # that many, and the report says the text may have been cut
        length = "200,000" if path.suffix == ".csv" else "32,767"
        assert (
            f"row 2, column 'Progress': cell E2 holds {length} characters"
            + ("" if path.suffix == ".csv" else " (Excel's cap for a cell is 32,767: the text may")
        ) in err
        assert f"a cell may hold at most {services.MAX_NOTE_CHARS:,}" in err
        assert fingerprint(url) == before


def test_07_kind_a_field_past_the_csv_module_limit_is_a_clear_refusal(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(
        "Ref,Action\n1,Do it\n2," + "x" * (readers.MAX_CSV_FIELD + 10) + "\n", encoding="utf-8"
    )
    with pytest.raises(readers.ImportFileError, match="line 3: cannot be read as CSV"):
        read_path(path)


def test_07_kind_the_limit_is_the_update_forms():
    """One limit: the importer's is the constant the update form's note is checked against."""
    assert readers.MAX_CELL_CHARS == services.MAX_NOTE_CHARS == 10_000
    assert services._text("x" * services.MAX_NOTE_CHARS, "progress note")
    with pytest.raises(services.ValidationError, match=f"at most {services.MAX_NOTE_CHARS}"):
        services._text("x" * (services.MAX_NOTE_CHARS + 1), "progress note")


def test_csv_encodings_and_delimiters(tmp_path):
    text = "Ref;Action;Due date\r\n1;Café briefing – staff;30/09/2026\r\n"
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "cp1252"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))
        (action,) = build_plan(read_path(path)).actions
        assert (action.description, action.due_on) == ("Café briefing – staff", "2026-09-30")
    tab = io.StringIO()
    csv.writer(tab, delimiter="\t").writerows([["Ref", "Action"], ["1", "Tabbed"]])
    (tmp_path / "tab.csv").write_text(tab.getvalue(), encoding="utf-8")
    assert build_plan(read_path(tmp_path / "tab.csv")).actions[0].description == "Tabbed"


@pytest.mark.parametrize(
    "row, heading",
    [
        (",Meeting with schools to agree the protocol,,,", False),
        (",Share the policy,,,", False),
        (",Actions from the meeting held on 12 March 2019,,,", True),
        (",June,,,", True),
        ("Section 2,,,,", True),
        ("Closed actions,,,,", True),
    ],
)
def test_01_kind_a_lone_action_is_not_taken_for_a_heading(row, heading, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "Ref,Action,Owner,Due date,Status\n1,Write the plan,Police,30/06/2025,Open\n" + row + "\n",
        encoding="utf-8",
    )
    plan = build_plan(read_path(path))
    assert [p.row for p in plan.section_rows] == ([3] if heading else [])
    if not heading:  # read as an action (its number given by its place, here clashing with 1)
        assert 3 in {a.row for a in plan.actions} | {p.row for p in plan.errors}
