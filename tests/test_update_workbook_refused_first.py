"""A returned update workbook's result puts what needs the reader first: refused rows (each
listed with its whole reason above the table), then rows applied, then rows unchanged, each
group by row number; the command line's report orders its rows the same way."""

from __future__ import annotations

import pytest

from monitoring import cli, db
from monitoring import update_workbook as wb
from monitoring.ui.text import md
from tests.conftest import make_app, records, scalar
from tests.test_update_workbook import (
    ADMIN,
    SECRET,
    actor,
    agency_id,
    dump,
    fill,
    header,
    nothing_written,
    open_book,
    pick,
    save,
)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv(wb.SECRET_SETTING, SECRET)


def returned_with_a_refused_row_last(engine) -> tuple[bytes, int, dict, dict]:
    """The police workbook with one action filled in and, on its last row, a row pasted from the
    children's social care workbook (another agency's action: refused).

    :returns: the file, the pasted row's number, the pasted action (``ref, number``) and the
        police action filled in."""
    admin = actor(engine, ADMIN)
    csc_sheet = open_book(wb.make_workbook(engine, admin, agency_id(engine, "CSC")))[wb.SHEET]
    csc_row = [c.value for c in csc_sheet[wb.HEADER_ROW + 1]]
    csc_id = csc_row[header(csc_sheet)["Action id (do not change)"] - 1]
    [pasted] = records(
        engine,
        "select r.ref, a.number from action a join review r on r.id = a.review_id where a.id = :i",
        i=csc_id,
    )
    police_action = pick(engine, status=("in_progress", "not_started"))
    content = fill(
        wb.make_workbook(engine, admin, agency_id(engine, "POL")),
        {police_action["id"]: {"note": "Training delivered to every team."}},
    )
    book = open_book(content)
    sheet = book[wb.SHEET]
    target = sheet.max_row + 2
    for column, value in enumerate(csc_row, start=1):  # pasted in, hidden cells and all
        sheet.cell(row=target, column=column, value=value)
    sheet.cell(row=target, column=header(sheet)["Progress note"], value="Pasted by mistake")
    return save(book), target, pasted, police_action


REASON = (
    "This action is led by Northbridge Council Children's Social Care, not Northbridge Police: "
    "a row for another agency's action is not read from this workbook."
)


@pytest.mark.parametrize("apply", [False, True], ids=["preview", "applied"])
def test_refused_row_placed_last_is_reported_first_with_its_reason(demo_engine, apply):
    content, target, pasted, police_action = returned_with_a_refused_row_last(demo_engine)
    before = dump(demo_engine)
    result = wb.read_back(demo_engine, actor(demo_engine, ADMIN), content, apply=apply)
    if not apply:
        nothing_written(before, demo_engine)
    # The refused row was read last, among many unchanged ones...
    assert result.rows[-1].row == target and result.rows[-1].outcome == "refused"
    assert result.counts()["unchanged"] >= 3
    # ...and is reported first, then the row written, then the unchanged rows by row number.
    frame = result.frame()
    first = frame.iloc[0]
    assert (first["Row"], first["Outcome"], first["Detail"]) == (target, "Refused", REASON)
    written = "Applied" if apply else "Will apply"
    outcomes = frame["Outcome"].tolist()
    assert outcomes == ["Refused", written] + ["Unchanged"] * (len(outcomes) - 2)
    assert frame.iloc[1]["Row"] != target and "Training delivered" in frame.iloc[1]["Changes"]
    unchanged_rows = frame["Row"].tolist()[2:]
    assert unchanged_rows == sorted(unchanged_rows) and len(unchanged_rows) == len(frame) - 2
    assert [r.row for r in result.ordered_rows()] == frame["Row"].tolist()
    # The plain list above the table names the row, the action and the whole reason.
    assert result.refused_lines() == [
        f"Row {target} (action {pasted['ref']} / {pasted['number']}): {REASON}"
    ]
    # The command line's report lists the rows in the same order.
    lines = wb.report_lines(result)
    assert lines[1].startswith(f"  row {target} ({pasted['ref']} action {pasted['number']}): ")
    assert lines[1].endswith(REASON)
    assert [int(line.split()[1]) for line in lines[1:-1]] == frame["Row"].tolist()
    written_notes = scalar(
        demo_engine,
        "select count(*) from action_update where action_id = :i and progress_note = :n",
        i=police_action["id"],
        n="Training delivered to every team.",
    )
    assert written_notes == (1 if apply else 0)


def test_nothing_refused_lists_nothing(demo_engine):
    admin = actor(demo_engine, ADMIN)
    content = wb.make_workbook(demo_engine, admin, agency_id(demo_engine, "POL"))
    result = wb.read_back(demo_engine, admin, content)
    assert result.refused_lines() == []
    assert set(result.frame()["Outcome"]) == {"Unchanged"}


def test_command_line_dry_run_prints_the_refused_row_first(
    demo_engine, database_url, monkeypatch, tmp_path, capsys
):
    content, target, pasted, _ = returned_with_a_refused_row_last(demo_engine)
    path = tmp_path / "returned.xlsx"
    path.write_bytes(content)
    monkeypatch.setenv("MONITORING_DATABASE_URL", database_url)
    db.dispose_engines()
    capsys.readouterr()
    assert cli.main(["workbook", "apply", str(path), "--dry-run"]) == 1  # a row was refused
    printed = capsys.readouterr().out.splitlines()
    assert printed[1] == (
        f"  row {target} ({pasted['ref']} action {pasted['number']}): Refused — {REASON}"
    )
    assert "Will apply" in printed[2]
    db.dispose_engines()


def test_office_page_shows_refused_rows_first_and_lists_their_reasons(demo_engine, app_env):
    content, target, pasted, _ = returned_with_a_refused_row_last(demo_engine)
    at = make_app(ADMIN, page="app_pages/update_workbooks.py")
    at.file_uploader[0].set_value(("police.xlsx", content, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Refused"] == "1"
    listed = [m.value for m in at.markdown if m.value.startswith("**Refused rows (1)")]
    line = f"Row {target} (action {pasted['ref']} / {pasted['number']}): {REASON}"
    assert listed == ["**Refused rows (1): nothing will be written for them.**\n\n- " + md(line)]
    table = at.dataframe[0]
    assert table.value.iloc[0]["Row"] == target and table.value.iloc[0]["Detail"] == REASON
    assert list(table.value["Outcome"][:2]) == ["Refused", "Will apply"]
    # the reason column comes next to the outcome, in rows tall enough for it to wrap
    assert list(table.proto.column_order) == [
        "Row",
        "Review",
        "Action",
        "Outcome",
        "Detail",
        "Changes",
    ]
    assert table.proto.row_height > 64
