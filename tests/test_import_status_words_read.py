"""An import says how each status word was read: which column's word set the status, as which
status, on how many rows, once per distinct word ("Proposed for Closure" became "Completed
(agency reports)" on 2 actions and the report only said other words were kept as notes). The
command line and the import page's preview share the report (the plan's problems)."""

from __future__ import annotations

from sqlalchemy import select

from monitoring import db
from monitoring.importer import prepare
from monitoring.importer.plan import Problem
from tests.conftest import make_app
from tests.test_import_cli import loaded_url, run_import  # noqa: F401  (loaded_url: a fixture)

PAGE = "app_pages/import_tracker.py"
TRACKER = (
    b"Ref,Action,Lead agency,Target date,RAG status\n"
    b"1.1,Train every team,Police,31/03/2026,Proposed for Closure\n"
    b"1.2,Audit the referrals,Police,30/06/2026,proposed for closure\n"
    b"1.3,Share the learning,Police,30/09/2026,Green\n"
    b"1.4,Review the policy,Police,31/12/2026,In progress\n"
    b"1.5,Write the leaflet,Police,31/12/2026,Waiting for funding\n"
)
PROPOSED = (
    "Status 'Proposed for Closure' (column 'RAG status') read as Completed (agency reports): "
    "2 rows."
)
GREEN = "Status 'Green' (column 'RAG status') read as In progress: 1 row."


def test_each_distinct_status_word_is_reported_once_with_its_column_and_count():
    plan, _header = prepare(TRACKER, "tracker.csv")
    assert not plan.errors
    said = [p.message for p in plan.status_words_read]
    # "In progress" is the status's own name: nothing to explain; an unknown word is a note.
    assert said == [PROPOSED, GREEN]
    assert all(
        p.level == "warning" and p.kind == Problem.STATUS_WORD for p in plan.status_words_read
    )
    assert [a.status for a in plan.actions] == [
        "completed",
        "completed",
        "in_progress",
        "in_progress",
        None,
    ]
    assert any("'Waiting for funding' is not a status word" in p.message for p in plan.warnings)


def test_a_status_from_an_open_close_column_names_that_column():
    data = (
        b"Ref,Action,Status,Open/Closed\n"
        b"1,Train every team,Amber,Closed\n"
        b"2,Audit the referrals,Amber,Open\n"
    )
    plan, _header = prepare(data, "tracker.csv")
    assert [p.message for p in plan.status_words_read] == [
        "Status 'Closed' (column 'Open/Closed') read as Completed (agency reports): 1 row.",
        "Status 'Amber' (column 'Status') read as In progress: 1 row.",
    ]


def test_command_line_import_report_says_how_the_status_was_read(
    loaded_url,  # noqa: F811
    tmp_path,
    monkeypatch,
    capsys,
):
    tracker = tmp_path / "tracker.csv"
    tracker.write_bytes(TRACKER)
    code, out, err = run_import(
        monkeypatch, capsys, loaded_url, str(tracker), "--review", "T-1", "--create-agencies"
    )
    assert code == 0, err
    printed = out.splitlines()
    assert printed.count(f"  warning: {PROPOSED}") == 1
    assert printed.count(f"  warning: {GREEN}") == 1
    engine = db.make_engine(loaded_url)
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(db.action.c.number, db.action.c.status)).all())
    engine.dispose()
    assert statuses == {
        "1.1": "completed",
        "1.2": "completed",
        "1.3": "in_progress",
        "1.4": "in_progress",
        "1.5": "not_started",
    }


def test_import_page_preview_says_how_the_status_was_read(demo_engine, app_env):
    at = make_app("admin@northbridge.example", page=PAGE)
    at.file_uploader[0].set_value(("tracker.csv", TRACKER, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    problems = at.dataframe[0].value
    messages = problems["message"].tolist()
    assert messages.count(PROPOSED) == 1 and messages.count(GREEN) == 1
    assert problems[problems["message"] == PROPOSED]["level"].tolist() == ["warning"]
