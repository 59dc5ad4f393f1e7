"""Real board trackers and the layouts met in practice: header below title rows, merged cells,
Excel serial dates, Windows-1252 CSV; re-imports update, never duplicate."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from monitoring import db
from tests.conftest import REALDATA
from tests.test_import_cli import run_import

TRACKERS = REALDATA / "trackers"
EEAST = TRACKERS / "eeast_trust_board_action_tracker_2023-05-10.csv"
STOCKTON = TRACKERS / "stockton_lscb_review_progress_2017-12.csv"


def _data_rows(path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]


def _actions(url: str, ref: str) -> list:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                db.recommendation.c.number.label("rec_number"),
                db.recommendation.c.text.label("rec_text"),
                db.action.c.id,
                db.action.c.number,
                db.action.c.description,
                db.action.c.due_on,
                db.action.c.original_due_on,
                db.action.c.due_on_approximate,
                db.action.c.status,
                db.action.c.lead_agency_id,
                db.action.c.completed_on,
                db.action.c.last_update_on,
            )
            .join(db.recommendation, db.recommendation.c.id == db.action.c.recommendation_id)
            .join(db.review, db.review.c.id == db.action.c.review_id)
            .where(db.review.c.ref == ref)
            .order_by(db.action.c.id)
        ).all()
        notes = dict(
            conn.execute(
                select(db.action_update.c.action_id, db.action_update.c.progress_note)
            ).all()
        )
    engine.dispose()
    return [(r, notes.get(r.id)) for r in rows]


@pytest.mark.usefixtures("shared_data")
@pytest.mark.parametrize("path", [EEAST, STOCKTON], ids=["eeast", "stockton"])
def test_real_trackers_import_with_no_errors_every_row_accounted_for(
    path, database_url, monkeypatch, capsys
):
    code, out, err = run_import(monkeypatch, capsys, database_url, str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    _header, rows = _data_rows(path)
    assert report["errors"] == []
    assert report["rows_read"] == len(rows)
    assert report["created"]["action"] + report["rows_skipped"] == len(rows)
    assert report["created"]["review"] == 1
    assert len(_actions(database_url, path.stem)) == len(rows)


@pytest.mark.usefixtures("shared_data")
def test_eeast_refs_stay_exact_text_and_multiline_cells_are_kept(database_url, monkeypatch, capsys):
    code, _out, _err = run_import(monkeypatch, capsys, database_url, str(EEAST))
    assert code == 0
    header, rows = _data_rows(EEAST)
    actions = _actions(database_url, EEAST.stem)
    assert [a.number for a, _ in actions] == [r[0] for r in rows]  # 85.6, 90.13, ... as written
    assert "85.6" in {a.number for a, _ in actions}
    multi = [r for r in rows if "\n" in r[header.index("Action")]]
    assert multi and multi[0][header.index("Action")] in {a.description for a, _ in actions}
    by_number = {a.number: (a, note) for a, note in actions}
    dates = {r[0]: r[header.index("Due Date")] for r in rows}
    for number, text in dates.items():
        expected = datetime.strptime(text, "%d.%m.%Y").date().isoformat() if text.strip() else None
        assert by_number[number][0].due_on == expected
    # "Proposed for Closure" is the agency saying it is done; "O" is open.
    close_col = header.index("Proposed to Open/ Close")
    for r in rows:
        status = by_number[r[0]][0].status
        if r[close_col] == "Proposed for Closure":
            assert status == "completed"
        elif r[close_col] == "O":
            assert status == "in_progress"


@pytest.mark.usefixtures("shared_data")
def test_stockton_free_text_date_is_kept_as_a_note_and_reported(database_url, monkeypatch, capsys):
    code, out, _err = run_import(monkeypatch, capsys, database_url, str(STOCKTON), "--json")
    assert code == 0
    report = json.loads(out)
    header, rows = _data_rows(STOCKTON)
    date_col = header.index("Date")
    free_text = [(i + 2, r) for i, r in enumerate(rows) if "confirmed" in r[date_col]]
    assert len(free_text) == 1
    rownum, row = free_text[0]
    warned = [w for w in report["warnings"] if w["row"] == rownum and w["column"] == "Date"]
    assert warned and row[date_col] in warned[0]["message"]
    actions = {a.rec_number: (a, note) for a, note in _actions(database_url, STOCKTON.stem)}
    action, note = actions[row[0]]
    assert action.due_on is None
    assert row[date_col] in note
    # Refs stay exact ("1." keeps its dot); month-only dates are month ends, flagged approximate.
    assert sorted(actions) == sorted(r[0] for r in rows)
    april = [a for a, _ in actions.values() if a.due_on == "2017-04-30"]
    assert len(april) == sum(1 for r in rows if r[date_col] == "April 2017")
    assert all(a.due_on_approximate for a in april)
    # Category 1 (fully achieved) is completed; 2 is in progress.
    status_col = header.index("Assessment of progress Categories 1 - 4")
    for r in rows:
        expected = "completed" if r[status_col] == "1" else "in_progress"
        assert actions[r[0]][0].status == expected


def _layout_workbook(path):
    """Title rows, header on row 4, merged recommendation cells, a section row, serial dates."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Action plan"
    ws["A1"] = "Northbridge SCR 'Jack' - multi-agency action plan"
    ws["A2"] = "Updated for the board, June 2026"
    ws.append([])
    ws.append(
        [
            "Rec No",
            "Recommendation",
            "Ref",
            "Action",
            "Lead",
            "TARGET DATE",
            "NEW DATE",
            "RAG",
            "Update",
        ]
    )
    ws.append(
        [
            "1",
            "Improve online safety training",
            "01.05",
            "Deliver training to all staff",
            "Northbridge Police",
            46022,
            None,
            "Green",
            "Two sessions held",
        ]
    )
    ws.append(
        [
            None,
            None,
            "01.06",
            "Audit uptake",
            "Children's Social Care",
            45838,
            46112,
            "Amber",
            "Delayed by staffing",
        ]
    )
    ws.append(["June"])
    ws.append(
        [
            "2",
            "Share information earlier",
            "02.01",
            "Agree a protocol",
            "Northbridge Police",
            datetime(2026, 3, 6),
            None,
            "Complete",
            "Signed off",
        ]
    )
    ws.append(["Actions held over from 2025"])
    ws.merge_cells("A5:A6")
    ws.merge_cells("B5:B6")
    for cell in ws["C"]:
        cell.number_format = "@"
    wb.save(path)
    return path


def test_xlsx_layout_header_row_4_merged_cells_serial_dates(
    demo_engine, database_url, tmp_path, monkeypatch, capsys
):
    demo_engine.dispose()
    path = _layout_workbook(tmp_path / "jack.xlsx")
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(path), "--review", "NSCP-JACK", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["rows_read"] == 5 and report["rows_skipped"] == 2
    skipped = sorted(w["row"] for w in report["warnings"] if "section row" in w["message"])
    assert skipped == [7, 9]
    assert report["created"] == {"review": 1, "recommendation": 2, "action": 3, "action_update": 3}
    actions = {a.number: a for a, _ in _actions(database_url, "NSCP-JACK")}
    assert sorted(actions) == ["01.05", "01.06", "02.01"]
    # merged recommendation cells filled down
    assert actions["01.06"].rec_number == "1"
    assert actions["01.06"].rec_text == "Improve online safety training"

    # Excel serials from 1899-12-30; a revised date keeps the original and moves due_on
    def serial(n: int) -> str:
        return (date(1899, 12, 30) + timedelta(days=n)).isoformat()

    assert actions["01.05"].due_on == serial(46022) == "2025-12-31"
    assert actions["01.06"].original_due_on == serial(45838)
    assert actions["01.06"].due_on == serial(46112)
    assert actions["02.01"].due_on == "2026-03-06"
    assert actions["01.05"].status == "in_progress"  # Green is never completed
    assert actions["02.01"].status == "completed"
    assert actions["01.05"].original_due_on == actions["01.05"].due_on
    # demo agencies matched through agency_alias
    assert actions["01.05"].lead_agency_id is not None
    assert actions["01.06"].lead_agency_id is not None
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        moves = conn.execute(
            select(db.due_date_change.c.old_due_on, db.due_date_change.c.new_due_on).where(
                db.due_date_change.c.action_id == actions["01.06"].id
            )
        ).all()
    engine.dispose()
    assert [tuple(m) for m in moves] == [(serial(45838), serial(46112))]


def test_windows_1252_csv(database_url, tmp_path, monkeypatch, capsys):
    text = (
        "No.,Action,Who?,When?,Status\r\n"
        "1,Review the children’s services “front door” – £5k budget,Police,30/09/2026,On track\r\n"
        "2,Café staff briefing,Police,30 Sept 2026,Not started\r\n"
    )
    path = tmp_path / "cp1252.csv"
    path.write_bytes(text.encode("cp1252"))
    code, out, err = run_import(monkeypatch, capsys, database_url, str(path), "--json")
    assert code == 0, err
    actions = {a.number: a for a, _ in _actions(database_url, "cp1252")}
    assert actions["1"].description == "Review the children’s services “front door” – £5k budget"
    assert actions["2"].description == "Café staff briefing"
    assert actions["1"].due_on == actions["2"].due_on == "2026-09-30"


def test_utf8_bom_csv_header_is_recognised(database_url, tmp_path, monkeypatch, capsys):
    path = tmp_path / "bom.csv"
    path.write_bytes("Ref,Action,Due Date\n1,Do it,2026-03-06\n".encode("utf-8-sig"))
    code, _out, err = run_import(monkeypatch, capsys, database_url, str(path))
    assert code == 0, err
    ((action, _note),) = _actions(database_url, "bom")
    assert action.due_on == "2026-03-06"


def test_changed_values_become_progress_updates_with_audit_entries(
    database_url, tmp_path, monkeypatch, capsys
):
    path = tmp_path / "tracker.csv"
    path.write_text(
        "Ref,Action,Due Date,Status,Update\n"
        "1,First,2026-01-31,Green,Started\n"
        "2,Second,2026-02-28,Green,Started\n",
        encoding="utf-8",
    )
    assert run_import(monkeypatch, capsys, database_url, str(path))[0] == 0
    path.write_text(
        "Ref,Action,Due Date,Status,Update\n"
        "1,First,2026-01-31,Complete,Finished and signed off\n"
        "2,Second,2026-02-28,Green,Started\n",
        encoding="utf-8",
    )
    code, out, _err = run_import(monkeypatch, capsys, database_url, str(path), "--json")
    report = json.loads(out)
    assert code == 0
    assert report["created"] == {} and report["updated"] == 1 and report["unchanged"] == 1
    actions = {a.number: a for a, _ in _actions(database_url, "tracker")}
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        updates = conn.execute(
            select(db.action_update.c.status, db.action_update.c.progress_note)
            .where(db.action_update.c.action_id == actions["1"].id)
            .order_by(db.action_update.c.id)
        ).all()
        audit = dict(
            conn.execute(
                select(db.audit_log.c.field, db.audit_log.c.new_value).where(
                    db.audit_log.c.entity == "action",
                    db.audit_log.c.entity_id == actions["1"].id,
                    db.audit_log.c.field != "created",
                )
            ).all()
        )
        other = conn.execute(
            select(func.count())
            .select_from(db.action_update)
            .where(db.action_update.c.action_id == actions["2"].id)
        ).scalar()
    engine.dispose()
    assert [tuple(u) for u in updates] == [
        ("in_progress", "Started"),
        ("completed", "Finished and signed off"),
    ]
    assert audit["status"] == "completed"
    assert audit["progress_note"] == "Finished and signed off"
    assert actions["1"].status == "completed"
    assert actions["1"].completed_on == actions["1"].last_update_on  # the date it became known
    assert other == 1


def test_workbooks_stream_and_still_fill_merged_cells_down(tmp_path):
    from monitoring.importer import build_plan, readers

    path = _layout_workbook(tmp_path / "big.xlsx")
    plan = build_plan(readers.read_path(path))
    assert not plan.errors
    by_number = {a.number: a for a in plan.actions}
    assert by_number["01.06"].rec_number == "1"
    assert plan.recommendations[(plan.actions[0].review_ref, "1")].text == (
        "Improve online safety training"
    )
    assert len(plan.actions) == 3 and plan.rows_skipped == 2


def test_recommendation_rows_followed_by_their_action_rows(tmp_path):
    from monitoring.importer import build_plan, read_path

    path = tmp_path / "plan.csv"
    path.write_text(
        "Recommendation,Action,Lead,Due Date\n"
        "Improve training,,,\n"
        ",Design course,Police,2026-01-31\n"
        ",Run course,Police,2026-03-31\n"
        "Share information,,,\n"
        ",Agree protocol,Police,2026-02-28\n",
        encoding="utf-8",
    )
    plan = build_plan(read_path(path))
    assert not plan.errors
    assert [(a.rec_number, a.number, a.description) for a in plan.actions] == [
        ("1", "1", "Design course"),
        ("1", "2", "Run course"),
        ("2", "1", "Agree protocol"),
    ]
    assert {k[1]: r.text for k, r in plan.recommendations.items()} == {
        "1": "Improve training",
        "2": "Share information",
    }
    assert plan.rows_read == 5 and plan.rows_skipped == 2


def test_a_blank_cell_on_reimport_keeps_what_the_agency_recorded_since(
    database_url, tmp_path, monkeypatch, capsys
):
    path = tmp_path / "blank.csv"
    path.write_text("Ref,Action,Lead officer,Status\n1,Do it,,\n", encoding="utf-8")
    assert run_import(monkeypatch, capsys, database_url, str(path))[0] == 0
    ((action, _note),) = _actions(database_url, "blank")
    assert action.status == "not_started"
    engine = db.make_engine(database_url)
    with db.write_transaction(engine) as conn:  # an agency lead's later edit, as the app saves it
        conn.execute(
            db.action.update()
            .where(db.action.c.id == action.id)
            .values(status="in_progress", lead_officer="A. Officer")
        )
    counts = db.table_counts(engine)
    engine.dispose()
    code, out, _err = run_import(monkeypatch, capsys, database_url, str(path), "--json")
    assert code == 0 and json.loads(out)["unchanged"] == 1
    ((after, _note),) = _actions(database_url, "blank")
    assert after.status == "in_progress"
    engine = db.make_engine(database_url)
    assert db.table_counts(engine) == counts
    engine.dispose()


def _update_dates(url: str, ref: str) -> dict[str, list[str]]:
    """Each action's number → its action_update.created_at values, oldest first."""
    engine = db.make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(db.action.c.number, db.action_update.c.created_at)
            .join(db.action, db.action.c.id == db.action_update.c.action_id)
            .join(db.review, db.review.c.id == db.action.c.review_id)
            .where(db.review.c.ref == ref)
            .order_by(db.action_update.c.id)
        ).all()
    engine.dispose()
    dates: dict[str, list[str]] = {}
    for number, created_at in rows:
        dates.setdefault(number, []).append(created_at)
    return dates


@pytest.mark.usefixtures("shared_data")
def test_progress_notes_are_dated_with_the_update_date_column(
    database_url, tmp_path, monkeypatch, capsys
):
    """The EEAST tracker with the update-date column a board would add: each note is dated with
    its row's date, a row without one is dated on import and listed, a future date is today."""
    monkeypatch.setenv("MONITORING_TODAY", "2026-06-30")
    header, rows = _data_rows(EEAST)
    given = ["10.05.2023", "", "2023-04-28", "14/03/2023", "01.01.2099"]
    path = tmp_path / "eeast_with_dates.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow([*header, "Last updated"])
        out.writerows([*r, d] for r, d in zip(rows, given, strict=True))
    code, out, err = run_import(monkeypatch, capsys, database_url, str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    messages = [w["message"] for w in report["warnings"]]
    assert not any("dated on import: no update-date column" in m for m in messages)
    expected = {}
    for r, text in zip(rows, given, strict=True):
        if not text:
            expected[r[0]] = None
            continue
        for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"):
            try:
                expected[r[0]] = min(datetime.strptime(text, fmt).date(), date(2026, 6, 30))
                break
            except ValueError:
                continue
    dates = _update_dates(database_url, path.stem)
    actions = {a.number: a for a, _ in _actions(database_url, path.stem)}
    for number, day in expected.items():
        (created_at,) = dates[number]
        if day is None:
            assert not created_at.startswith("2023")  # dated on import
            assert actions[number].last_update_on == "2026-06-30"
            row = next(i + 2 for i, r in enumerate(rows) if r[0] == number)
            assert {"row": row, "column": "Last updated"} in [
                {"row": w["row"], "column": w["column"]}
                for w in report["warnings"]
                if w["message"] == "no update date: progress note dated on import"
            ]
        else:
            assert created_at.startswith(day.isoformat())
            assert actions[number].last_update_on == day.isoformat()
    assert any("is after today: progress note dated today" in m for m in messages)


@pytest.mark.usefixtures("shared_data")
def test_stockton_notes_are_dated_by_their_heading_and_eeast_notes_on_import(
    database_url, monkeypatch, capsys
):
    """No update-date column in either real tracker: Stockton's progress heading names the
    committee's month (Dec 2017, read as its last day); EEAST's notes keep the import's date and
    the report says so."""
    monkeypatch.setenv("MONITORING_TODAY", "2026-06-30")
    code, out, _err = run_import(monkeypatch, capsys, database_url, str(STOCKTON), "--json")
    assert code == 0
    messages = [w["message"] for w in json.loads(out)["warnings"]]
    header, rows = _data_rows(STOCKTON)
    heading = next(h for h in header if h.startswith("Progress"))
    month = datetime.strptime(
        heading.rsplit(" ", 2)[-2] + " " + heading.rsplit(" ", 1)[-1], "%b %Y"
    )
    month_end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    assert any(
        m.startswith(f"progress notes dated {month_end.date().isoformat()}") and heading in m
        for m in messages
    )
    dates = _update_dates(database_url, STOCKTON.stem)
    assert sum(len(ds) for ds in dates.values()) == len(rows)  # one note per row
    assert {d for ds in dates.values() for d in ds} == {
        f"{month_end.date().isoformat()}T00:00:00+00:00"
    }
    assert {a.last_update_on for a, _ in _actions(database_url, STOCKTON.stem)} == {
        month_end.date().isoformat()
    }

    code, out, _err = run_import(monkeypatch, capsys, database_url, str(EEAST), "--json")
    assert code == 0
    messages = [w["message"] for w in json.loads(out)["warnings"]]
    assert "progress notes dated on import: no update-date column" in messages
    assert {a.last_update_on for a, _ in _actions(database_url, EEAST.stem)} == {"2026-06-30"}


@pytest.mark.usefixtures("shared_data")
def test_as_at_views_agree_with_the_dated_notes(database_url, monkeypatch, capsys):
    """Stockton's notes dated Dec 2017: the as-at view of the day the import ran sees each
    action's last update in Dec 2017 (so every open action is stale, as the present view says);
    the day before the import it sees them too (issue 17: they are known from Dec 2017, not
    from the day they were typed in), and the day before their first dated note none."""
    from datetime import UTC

    from monitoring import asat, queries

    code, _out, _err = run_import(monkeypatch, capsys, database_url, str(STOCKTON))
    assert code == 0
    header, rows = _data_rows(STOCKTON)
    status_col = header.index("Assessment of progress Categories 1 - 4")
    still_open = sum(1 for r in rows if r[status_col] != "1")
    imported_on = datetime.now(UTC).date()
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        then = asat.overview_as_at(conn, imported_on, stale_days=90)
        now = queries.overview_figures(conn, imported_on, stale_days=90)
        before = asat.overview_as_at(conn, imported_on - timedelta(days=1))
        unrecorded = asat.overview_as_at(conn, date(2017, 12, 30))
        last_updates = set(
            conn.execute(
                select(asat.actions_as_at(imported_on).c.last_update_on).distinct()
            ).scalars()
        )
    engine.dispose()
    assert last_updates == {"2017-12-31"}
    assert then.stale == now.stale == then.open_actions == still_open > 0
    assert before.actions == then.actions == len(rows)
    assert (unrecorded.reviews, unrecorded.actions) == (0, 0)


def test_a_reimported_note_is_dated_with_its_update_date(
    database_url, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("MONITORING_TODAY", "2026-06-30")
    path = tmp_path / "tracker.csv"
    path.write_text(
        "Ref,Action,Due Date,Status,Update,Last updated\n1,First,2026-01-31,Green,Started,"
        "03/02/2026\n",
        encoding="utf-8",
    )
    assert run_import(monkeypatch, capsys, database_url, str(path))[0] == 0
    path.write_text(
        "Ref,Action,Due Date,Status,Update,Last updated\n1,First,2026-01-31,Complete,Signed off,"
        "12/05/2026\n",
        encoding="utf-8",
    )
    assert run_import(monkeypatch, capsys, database_url, str(path))[0] == 0
    assert _update_dates(database_url, "tracker") == {
        "1": ["2026-02-03T00:00:00+00:00", "2026-05-12T00:00:00+00:00"]
    }
    ((action, note),) = _actions(database_url, "tracker")
    assert (action.status, note) == ("completed", "Signed off")
    assert action.last_update_on == action.completed_on == "2026-05-12"
