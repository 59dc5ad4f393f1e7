"""An imported status is dated at the best date its file gives for it, never earlier (a fresh
user's report): a reply-date column, a completion date, a row's update date; else the import's
effective date (``--as-of``, the import page's "Dates in the file are as of", else the import
day); never before a PFD report's date. The record's creation keeps its own date (a PFD report's
date). So "as at" a date before a reply could have arrived the recipient is still awaited.

Also: the import page's as-of date reaches the plan as ``--as-of`` does, and a cell whose value
is not known (a formula with no saved value, an Excel error) skips its row, reported by cell, in
every column alike. Real PFD file from ``../shared/realdata``; real .xlsx written by openpyxl;
both backends."""

from __future__ import annotations

from datetime import date, timedelta

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from monitoring import asat, changes, config, db, importer, queries, services
from tests.conftest import REALDATA, make_app
from tests.test_import_cli import run_import

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"
PAGE = "app_pages/import_tracker.py"


def _pfd_frame() -> pd.DataFrame:
    """The real PFD file read independently of the importer (pandas), report dates parsed."""
    frame = pd.read_csv(PFD, dtype=str, keep_default_na=False)
    frame["reported"] = pd.to_datetime(frame["date_of_report"], format="%d/%m/%Y", errors="coerce")
    return frame


def _statuses(conn, ref: str, as_at: date) -> list[str]:
    """The statuses of report ``ref``'s actions as at ``as_at``."""
    rebuilt = asat.actions_as_at(as_at)
    return sorted(
        conn.execute(
            select(rebuilt.c.status)
            .join(db.review, db.review.c.id == rebuilt.c.review_id)
            .where(db.review.c.ref == ref)
        ).scalars()
    )


@pytest.mark.usefixtures("shared_data")
def test_real_pfd_statuses_are_dated_at_the_import_not_the_report(engine):
    frame = _pfd_frame()
    today = config.today()
    importer.import_path(PFD, engine, preset="pfd")

    # The file's own figures, counted here with pandas.
    received = frame["status"] == "received"
    expected = {
        "reviews": frame["ref"].nunique(),
        "actions": len(frame),
        "open_actions": int((~received).sum()),
        "overdue": int(
            (~received & (frame["reported"] + pd.Timedelta(days=56) < pd.Timestamp(today))).sum()
        ),
        "no_due_date": int((~received & frame["reported"].isna()).sum()),
    }
    assert expected["no_due_date"] == int(frame["reported"].isna().sum()) > 0
    earliest = frame["reported"].min().date()
    latest = frame["reported"].max().date()

    with engine.connect() as conn:
        before = asat.overview_as_at(conn, earliest - timedelta(days=1))
        at_latest = asat.overview_as_at(conn, latest)
        at_import = asat.overview_as_at(conn, today)
        live = queries.overview_figures(conn, today)
        # a report with a received reply, as at its own date and as at the import day
        answered = frame[received & frame["reported"].notna()].sort_values("reported").iloc[0]
        ref, reported = answered["ref"], answered["reported"].date()
        on_report_day = _statuses(conn, ref, reported)
        on_import_day = _statuses(conn, ref, today)
        since_before = changes.changes_between(conn, earliest - timedelta(days=1), today)

    # before the earliest report nothing exists
    assert (before.reviews, before.actions, before.open_actions) == (0, 0, 0)
    # on the latest report's date every report so far is awaited: no reply is known yet (the
    # importer had dated the 828 "received" statuses at their reports' dates)
    dated = frame[frame["reported"].notna()]
    assert at_latest.actions == len(dated)
    assert at_latest.open_actions == at_latest.actions
    assert at_latest.implemented == 0
    report_rows = frame[frame["ref"] == ref]
    assert on_report_day == ["not_started"] * len(report_rows)
    assert on_import_day.count("completed") == int((report_rows["status"] == "received").sum())
    # as at the import day the figures are today's, and the file's
    for figures in (at_import, live):
        assert {name: getattr(figures, name) for name in expected} == expected
    # the import is the baseline, never "newly completed"
    kinds = since_before["kind"].value_counts().to_dict()
    assert kinds.get("baseline") == 1
    assert kinds.get("newly_completed", 0) == 0 and kinds.get("status_change", 0) == 0


@pytest.mark.usefixtures("shared_data")
def test_real_pfd_statuses_with_as_of_are_dated_at_it(engine):
    frame = _pfd_frame()
    as_of = date(2026, 1, 31)
    assert frame["reported"].max().date() <= as_of
    importer.import_path(PFD, engine, preset="pfd", as_of=as_of)
    received = int((frame["status"] == "received").sum())
    with engine.connect() as conn:
        day_before = asat.overview_as_at(conn, as_of - timedelta(days=1))
        on_the_day = asat.overview_as_at(conn, as_of)
        days = conn.execute(select(db.action_update.c.effective_on).distinct()).scalars().all()
        created = conn.execute(
            select(func.min(db.audit_log.c.effective_on)).where(
                db.audit_log.c.entity == "action", db.audit_log.c.field == "created"
            )
        ).scalar()
    assert days == [as_of.isoformat()]
    assert created == frame["reported"].min().date().isoformat()  # creation: the report's date
    assert day_before.open_actions == day_before.actions > 0 and day_before.implemented == 0
    assert on_the_day.actions - on_the_day.open_actions == received


def _pfd_csv(path, rows: list[tuple[str, str, str, str]], reply: bool = False) -> None:
    """A small file in the PFD layout: (ref, report date, status, reply date) per row."""
    head = "ref,date_of_report,coroner_area,category,sent_to,status"
    lines = [head + (",date_of_response" if reply else "")]
    for i, (ref, reported, status, replied) in enumerate(rows):
        line = f"{ref},{reported},Area,Category,Agency {i},{status}"
        lines.append(line + (f",{replied}" if reply else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _updates(engine) -> dict[str, tuple[str, str | None, str | None]]:
    """``{agency name: (status, effective_on, completed_on)}`` of each action's first update."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                db.agency.c.name,
                db.action_update.c.status,
                db.action_update.c.effective_on,
                db.action.c.completed_on,
            )
            .join(db.action, db.action.c.id == db.action_update.c.action_id)
            .join(db.agency, db.agency.c.id == db.action.c.lead_agency_id)
        ).all()
    return {r.name: (r.status, r.effective_on, r.completed_on) for r in rows}


def test_a_pfd_reply_date_column_dates_the_reply(engine, tmp_path):
    path = tmp_path / "pfd.csv"
    _pfd_csv(
        path,
        [
            ("2025-0001", "01/02/2025", "received", "15/03/2025"),
            ("2025-0001", "01/02/2025", "received", ""),  # no reply date: the as-of date
            ("2025-0001", "01/02/2025", "overdue", ""),
            ("2025-0002", "01/03/2025", "received", "20/02/2025"),  # before the report
            ("2025-0002", "01/03/2025", "received", "01/01/2099"),  # after today
        ],
        reply=True,
    )
    plan = importer.build_plan(importer.read_path(path), preset="pfd")
    assert plan.mapping["status_dated"] == "date_of_response"
    (early,) = [p for p in plan.warnings if "before the report's date" in p.message]
    assert (early.row, early.column) == (5, "date_of_response")
    (future,) = [p for p in plan.warnings if "after today" in p.message]
    assert (future.row, future.column) == (6, "date_of_response")
    importer.import_path(path, engine, preset="pfd", as_of=date(2025, 6, 30))
    assert _updates(engine) == {
        "Agency 0": ("completed", "2025-03-15", "2025-03-15"),
        "Agency 1": ("completed", "2025-06-30", None),
        "Agency 2": ("not_started", "2025-06-30", None),
        "Agency 3": ("completed", "2025-06-30", None),
        "Agency 4": ("completed", "2025-06-30", None),
    }
    with engine.connect() as conn:
        assert _statuses(conn, "2025-0001", date(2025, 3, 14)) == ["not_started"] * 3
        assert _statuses(conn, "2025-0001", date(2025, 3, 15)) == [
            "completed",
            "not_started",
            "not_started",
        ]


def test_a_status_is_never_dated_before_its_report(engine, tmp_path):
    """An as-of date before a report's date (a mistake) dates that report's status at the
    report's date, so the action never exists before its report."""
    path = tmp_path / "pfd.csv"
    _pfd_csv(path, [("2025-0003", "01/04/2025", "received", "")])
    importer.import_path(path, engine, preset="pfd", as_of=date(2025, 3, 1))
    assert _updates(engine) == {"Agency 0": ("completed", "2025-04-01", None)}
    with engine.connect() as conn:
        assert asat.overview_as_at(conn, date(2025, 3, 31)).actions == 0


def test_tracker_status_without_a_date_is_dated_at_the_as_of_date(url, monkeypatch, capsys):
    """A board tracker: the review is published (created) on 1 Jan 2025, the file is as of
    30 Jun 2025 and gives no update date. "Complete" holds from 30 Jun, not from 1 Jan; a
    completion date dates its own status."""
    tracker = tmp_dir(url) / "tracker.csv"
    tracker.write_text(
        "Ref,Action,Due date,Status,Date completed\n"
        "1,Train staff,31/03/2025,Complete,\n"
        "2,Audit files,31/03/2025,Complete,10/04/2025\n"
        "3,Write policy,31/12/2025,Open,\n",
        encoding="utf-8",
    )
    code, _out, err = run_import(
        monkeypatch,
        capsys,
        url,
        str(tracker),
        "--review",
        "T-1",
        "--title",
        "Tracker",
        "--published-on",
        "2025-01-01",
        "--as-of",
        "2025-06-30",
    )
    assert code == 0, err
    engine = db.make_engine(url)
    with engine.connect() as conn:
        days = dict(
            conn.execute(
                select(db.action.c.number, db.action_update.c.effective_on).join(
                    db.action, db.action.c.id == db.action_update.c.action_id
                )
            ).all()
        )
        in_may = _statuses(conn, "T-1", date(2025, 5, 1))
        in_april = _statuses(conn, "T-1", date(2025, 4, 10))
        in_march = _statuses(conn, "T-1", date(2025, 3, 1))
        in_july = _statuses(conn, "T-1", date(2025, 7, 1))
    engine.dispose()
    assert days == {"1": "2025-06-30", "2": "2025-04-10", "3": "2025-06-30"}
    assert in_march == ["not_started"] * 3
    assert in_april == in_may == ["completed", "not_started", "not_started"]
    assert in_july == ["completed", "completed", "in_progress"]  # "Open" reads in progress


def tmp_dir(url: str):
    """A folder beside the test's database (SQLite) or a fresh temporary one (PostgreSQL)."""
    import tempfile
    from pathlib import Path

    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).parent
    return Path(tempfile.mkdtemp(prefix="status-dates-"))


@pytest.fixture
def url(engine, database_url):
    engine.dispose()
    return database_url


def test_without_as_of_a_status_is_dated_on_the_import_day(engine, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Ref,Action,Status\n1,Train staff,Complete\n", encoding="utf-8")
    importer.import_path(path, engine, review="T-2")
    with engine.connect() as conn:
        day = conn.execute(select(db.action_update.c.effective_on)).scalar()
        assert _statuses(conn, "T-2", config.today()) == ["completed"]
    assert day == config.today().isoformat()


def test_a_reimport_that_completes_an_action_dates_its_completion_at_the_as_of_date(
    engine, tmp_path
):
    """The tracker comes back as of 31 Mar 2026 saying "Complete" with no completion date: the
    action was completed by 31 Mar (its completion date), not on the day of the import."""
    path = tmp_path / "t.csv"
    path.write_text("Ref,Action,Status\n1,Train staff,Open\n", encoding="utf-8")
    importer.import_path(path, engine, review="T-3", as_of="2026-01-31")
    path.write_text("Ref,Action,Status\n1,Train staff,Complete\n", encoding="utf-8")
    importer.import_path(path, engine, review="T-3", as_of="2026-03-31")
    with engine.connect() as conn:
        completed_on, status = conn.execute(
            select(db.action.c.completed_on, db.action.c.status)
        ).one()
        assert _statuses(conn, "T-3", date(2026, 3, 30)) == ["in_progress"]
        assert _statuses(conn, "T-3", date(2026, 3, 31)) == ["completed"]
    assert (status, completed_on) == ("completed", "2026-03-31")


# --- the import page's as-of date --------------------------------------------------------------


def test_import_page_as_of_date_reaches_statuses_and_year_less_dates(engine, app_env):
    services.create_user(
        engine, services.Actor.system("test"), "admin@council.example", "Admin", "admin"
    )
    data = b"Ref,Action,Due,Status\n1,Train staff,15 Oct,Complete\n2,Audit files,15 Oct,Open\n"
    at = make_app("admin@council.example", page=PAGE)
    at.file_uploader[0].set_value(("plan.csv", data, "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (as_of,) = [d for d in at.date_input if d.label == "Dates in the file are as of"]
    assert as_of.value == config.today()  # the London date (MONITORING_TODAY here)
    assert at.error  # today's date is no year for "15 Oct": refused, a year asked for
    as_of.set_value(date(2025, 11, 30))
    [t for t in at.text_input if t.label.startswith("Review title")][0].set_value("Plan")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    [b for b in at.button if b.label == "Import"][0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                db.action.c.number,
                db.action.c.due_on,
                db.action.c.status,
                db.action_update.c.effective_on,
            ).join(db.action_update, db.action_update.c.action_id == db.action.c.id)
        ).all()
    assert sorted(tuple(r) for r in rows) == [
        ("1", "2025-10-15", "completed", "2025-11-30"),
        ("2", "2025-10-15", "in_progress", "2025-11-30"),
    ]


# --- a cell with no known value: one rule for every column -------------------------------------


def _workbook(path, rows) -> None:
    """A real .xlsx written by openpyxl: formulas are stored with no saved value."""
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)


def test_a_formula_in_the_action_column_skips_its_row_reported_by_cell(url, monkeypatch, capsys):
    path = tmp_dir(url) / "tracker.xlsx"
    _workbook(
        path,
        [
            ["Rec no", "Recommendation", "Action", "Due date", "Status"],
            ["1", "Improve training", "Train staff", "31/03/2026", "Open"],
            ["2", "Audit the files", '=CONCATENATE("Audit ","files")', "30/04/2026", "Open"],
            ["3", "Share the learning", "Write a briefing", "=DATE(2026,5,31)", "Open"],
            ["4", "Check the policy", "Review policy", "30/06/2026", '=IF(1=1,"Done","Open")'],
            ["5", "Train again", "Refresh training", "31/07/2026", "Complete"],
        ],
    )
    code, out, err = run_import(
        monkeypatch, capsys, url, str(path), "--review", "F-1", "--title", "Formulas"
    )
    assert code == 0, err
    for where in (
        "row 3, column 'Action': cell C3: a formula with no saved value "
        '(=CONCATENATE("Audit ","files")); open and save the file in Excel, then import '
        "again; this row is skipped: nothing of it is imported",
        "row 4, column 'Due date': cell D4: a formula with no saved value (=DATE(2026,5,31))",
        "row 5, column 'Status': cell E5: a formula with no saved value (=IF(",
    ):
        assert where in out
    assert "5 rows read, 3 skipped" in out
    engine = db.make_engine(url)
    with engine.connect() as conn:
        recs = conn.execute(select(db.recommendation.c.number)).scalars().all()
        actions = conn.execute(
            select(db.action.c.description, db.action.c.due_on, db.action.c.status)
        ).all()
    engine.dispose()
    # nothing of rows 3-5: no recommendation without its action, no empty date or status
    assert sorted(recs) == ["1", "5"]
    assert sorted(tuple(a) for a in actions) == [
        ("Refresh training", "2026-07-31", "completed"),
        ("Train staff", "2026-03-31", "in_progress"),
    ]


def test_a_sheet_whose_every_row_has_a_formula_imports_nothing_and_says_why(tmp_path):
    path = tmp_path / "all.xlsx"
    _workbook(path, [["Ref", "Action"], ["1", "=A1"], ["2", "=A2"]])
    plan = importer.build_plan(importer.read_path(path))
    assert not plan.actions and plan.rows_skipped == 2
    (error,) = plan.errors
    assert "2 row(s) skipped for cells with no saved value" in error.message
