"""The PFD preset on the real Preventable Deaths Tracker file, in one command, fresh database."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from monitoring import config, db, queries
from tests.conftest import REALDATA
from tests.test_import_cli import run_import

pytestmark = pytest.mark.usefixtures("shared_data")

PFD = REALDATA / "pfd" / "pfd_recipient_statuses.csv"


def _csv_rows() -> list[dict]:
    with PFD.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _expected_overdue(rows: list[dict], today: date) -> int:
    """Rows not ``received`` whose report date + 56 days is before today (Coroners' reg. 29)."""
    count = 0
    for row in rows:
        if row["status"] == "received" or not row["date_of_report"].strip():
            continue
        reported = datetime.strptime(row["date_of_report"], "%d/%m/%Y").date()
        if reported + timedelta(days=56) < today:
            count += 1
    return count


@pytest.fixture
def pfd_url(database_url, monkeypatch, capsys):
    """A fresh (not even migrated) database with the PFD file imported by one command."""
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd", "--json"
    )
    assert code == 0, err
    return database_url, json.loads(out)


def test_pfd_imports_one_review_per_ref_and_one_action_per_row(pfd_url):
    url, report = pfd_url
    rows = _csv_rows()
    engine = db.make_engine(url)
    with engine.connect() as conn:
        reviews = conn.execute(select(db.review.c.ref, db.review.c.review_type)).all()
        actions = conn.execute(select(func.count()).select_from(db.action)).scalar()
        recs = conn.execute(select(func.count()).select_from(db.recommendation)).scalar()
        completed = conn.execute(
            select(func.count()).select_from(db.action).where(db.action.c.status == "completed")
        ).scalar()
        described = conn.execute(
            select(func.count())
            .select_from(db.action)
            .where(db.action.c.description == "Respond to the report")
        ).scalar()
        first_updates = conn.execute(select(func.count()).select_from(db.action_update)).scalar()
    engine.dispose()
    assert sorted(r.ref for r in reviews) == sorted({r["ref"] for r in rows})
    assert {r.review_type for r in reviews} == {"PFD"}
    assert recs == len(reviews)
    assert actions == len(rows) == report["rows_read"] == report["created"]["action"]
    assert described == len(rows)
    assert completed == sum(1 for r in rows if r["status"] == "received")
    assert first_updates == len(rows)
    assert report["errors"] == []


def test_pfd_target_dates_are_report_date_plus_56_days(pfd_url):
    url, _report = pfd_url
    rows = _csv_rows()
    engine = db.make_engine(url)
    with engine.connect() as conn:
        due = conn.execute(
            select(
                db.review.c.ref, db.action.c.number, db.action.c.due_on, db.action.c.original_due_on
            ).join(db.review, db.review.c.id == db.action.c.review_id)
        ).all()
    engine.dispose()
    by_key = {(r.ref, r.number): (r.due_on, r.original_due_on) for r in due}
    seen: dict[str, int] = {}
    for row in rows:
        seen[row["ref"]] = seen.get(row["ref"], 0) + 1
        expected = None
        if row["date_of_report"]:
            reported = datetime.strptime(row["date_of_report"], "%d/%m/%Y").date()
            expected = (reported + timedelta(days=56)).isoformat()
        assert by_key[(row["ref"], str(seen[row["ref"]]))] == (expected, expected)


@pytest.mark.parametrize("today", [date(2025, 9, 30), date(2026, 6, 30)])
def test_overdue_actions_equal_rows_not_received_past_56_days(pfd_url, monkeypatch, today):
    url, _report = pfd_url
    monkeypatch.setenv("MONITORING_TODAY", today.isoformat())
    today = config.today()
    expected = _expected_overdue(_csv_rows(), today)
    assert expected > 0
    engine = db.make_engine(url)
    with engine.connect() as conn:
        independent = conn.execute(
            select(func.count())
            .select_from(db.action)
            .where(db.action.c.status.in_(db.OPEN_STATUSES), db.action.c.due_on < today.isoformat())
        ).scalar()
        figures = queries.overview_figures(conn, today)
        by_agency = queries.overdue_by_agency(conn, today)
    engine.dispose()
    assert independent == expected
    assert figures.overdue == expected
    assert int(by_agency["overdue"].sum()) == expected
    assert (by_agency["agency"] != queries.NO_AGENCY).any()


def test_rows_without_a_report_date_are_listed_and_have_no_target_date(pfd_url):
    url, report = pfd_url
    rows = _csv_rows()
    undated = [i + 2 for i, r in enumerate(rows) if not r["date_of_report"].strip()]
    listed = sorted(
        w["row"] for w in report["warnings"] if w["message"].startswith("no report date")
    )
    assert listed == undated
    engine = db.make_engine(url)
    with engine.connect() as conn:
        no_due = conn.execute(
            select(func.count()).select_from(db.action).where(db.action.c.due_on.is_(None))
        ).scalar()
    engine.dispose()
    assert no_due == len(undated)


def test_recipients_become_agencies_matched_across_spellings(pfd_url):
    url, _report = pfd_url
    from monitoring.importer.agencies import is_redacted, normalise_alias

    rows = _csv_rows()
    names = {normalise_alias(r["sent_to"]) for r in rows if not is_redacted(r["sent_to"])}
    engine = db.make_engine(url)
    with engine.connect() as conn:
        agencies = conn.execute(select(func.count()).select_from(db.agency)).scalar()
        aliases = {a for (a,) in conn.execute(select(db.agency_alias.c.alias))}
        no_lead = conn.execute(
            select(func.count()).select_from(db.action).where(db.action.c.lead_agency_id.is_(None))
        ).scalar()
    engine.dispose()
    assert agencies == len(names) < len({r["sent_to"] for r in rows})
    assert aliases == names
    assert no_lead == sum(1 for r in rows if is_redacted(r["sent_to"]))


def test_reimporting_pfd_changes_nothing(pfd_url, monkeypatch, capsys):
    url, _report = pfd_url
    engine = db.make_engine(url)
    counts = db.table_counts(engine)
    with engine.connect() as conn:
        audit = conn.execute(select(func.count()).select_from(db.audit_log)).scalar()
    engine.dispose()
    code, out, _err = run_import(monkeypatch, capsys, url, str(PFD), "--preset", "pfd", "--json")
    assert code == 0
    second = json.loads(out)
    assert second["created"] == {} and second["updated"] == 0
    assert second["unchanged"] == len(_csv_rows())
    engine = db.make_engine(url)
    assert db.table_counts(engine) == counts
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.audit_log)).scalar() == audit
    engine.dispose()


def test_overview_page_shows_the_imported_pfd_data(
    demo_engine, database_url, app_env, monkeypatch, capsys
):
    from tests.conftest import ANCHOR, make_app

    with demo_engine.connect() as conn:
        overdue_before = conn.execute(
            select(func.count())
            .select_from(db.action)
            .where(
                db.action.c.status.in_(db.OPEN_STATUSES), db.action.c.due_on < ANCHOR.isoformat()
            )
        ).scalar()
    demo_engine.dispose()
    code, _out, err = run_import(monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd")
    assert code == 0, err
    at = make_app("board@northbridge.example")
    assert not at.exception, [e.value for e in at.exception]
    tiles = {m.label: m.value for m in at.metric}
    expected = overdue_before + _expected_overdue(_csv_rows(), ANCHOR)
    assert int(str(tiles["Overdue actions"]).replace(",", "")) == expected


def _repeated_recipients() -> dict[tuple[str, str], list[int]]:
    """(report ref, recipient) pairs on more than one line of the file, with their line numbers,
    counted with the csv module (spaces and case aside)."""
    lines: dict[tuple[str, str], list[int]] = {}
    with PFD.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        i_ref, i_to = header.index("ref"), header.index("sent_to")
        for row in reader:
            key = (row[i_ref].strip(), " ".join(row[i_to].split()).casefold())
            lines.setdefault(key, []).append(reader.line_num)
    return {k: v for k, v in lines.items() if len(v) > 1}


def _rows_text(rows: list[int]) -> str:
    return "rows " + ", ".join(map(str, rows[:-1])) + f" and {rows[-1]}"


def test_repeated_recipients_are_imported_row_by_row_and_warned_with_their_rows(
    database_url, monkeypatch, capsys
):
    repeated = _repeated_recipients()
    assert len(repeated) == 14  # the new user's count; derived above from the file itself

    # the dry run names the rows of every repeated pair
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd", "--dry-run"
    )
    assert code == 0, err
    assert f"listed on more than one row: {len(repeated)}" in out
    for (ref, _recipient), rows in repeated.items():
        line = next(
            x
            for x in out.splitlines()
            if f"report {ref} lists recipient" in x and _rows_text(rows) in x
        )
        assert line.strip().startswith(f"warning: row {rows[1]}, column 'sent_to'")
        assert f"{len(rows)} actions" in line

    # the import report (JSON) carries the same warnings, and one action per row is kept
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    warned = {
        (w["message"].split()[1], w["row"]): w["message"]
        for w in report["warnings"]
        if " lists recipient " in w["message"]
    }
    assert len(warned) == len(repeated)
    for (ref, _recipient), rows in repeated.items():
        assert _rows_text(rows) in warned[(ref, rows[1])]
    assert report["created"]["action"] == len(_csv_rows())
    engine = db.make_engine(database_url)
    with engine.connect() as conn:
        for ref, _recipient in repeated:
            actions = conn.execute(
                select(func.count())
                .select_from(db.action.join(db.review, db.review.c.id == db.action.c.review_id))
                .where(db.review.c.ref == ref)
            ).scalar()
            assert actions == sum(1 for r in _csv_rows() if r["ref"] == ref)
    engine.dispose()


def _pfd_frame():
    """The PFD file read by pandas (independently of the importer): every cell as text."""
    import pandas as pd

    return pd.read_csv(PFD, dtype=str, keep_default_na=False)


def _named_rows() -> int:
    """Rows whose recipient is named: not blank and not a redaction marker alone."""
    sent_to = _pfd_frame()["sent_to"].str.split().str.join(" ").str.lower()
    return int((~sent_to.isin({"", "redacted", "[redacted]", "name redacted"})).sum())


def _snapshot(url: str) -> dict:
    """Counts an import may change: agencies, linked actions, progress notes, audit rows by
    field, and every action's columns other than its lead agency and version stamps."""
    engine = db.make_engine(url)
    a = db.action.c
    with engine.connect() as conn:
        snap = {
            "agencies": conn.execute(select(func.count()).select_from(db.agency)).scalar(),
            "linked": conn.execute(
                select(func.count()).select_from(db.action).where(a.lead_agency_id.is_not(None))
            ).scalar(),
            "updates": conn.execute(select(func.count()).select_from(db.action_update)).scalar(),
            "notes": conn.execute(
                select(func.count())
                .select_from(db.action_update)
                .where(db.action_update.c.progress_note.is_not(None))
            ).scalar(),
            "audit": dict(
                conn.execute(
                    select(db.audit_log.c.field, func.count()).group_by(db.audit_log.c.field)
                ).all()
            ),
            "actions": {
                row.id: tuple(row)
                for row in conn.execute(
                    select(
                        *(
                            c
                            for c in db.action.c
                            if c.name not in ("lead_agency_id", "version", "updated_at")
                        )
                    )
                )
            },
        }
    engine.dispose()
    return snap


def test_reimport_that_links_agencies_does_what_its_dry_run_said_and_writes_no_notes(
    database_url, monkeypatch, capsys
):
    """Fresh user: a re-import that creates the agencies said "updated 0" in its dry run but
    updated 1,333 actions, and added a second "Tracker status: ..." note to each."""
    rows = len(_pfd_frame())
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd", "--no-create-agencies",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    first = json.loads(out)
    assert "agency" not in first["created"] and first["created"]["action"] == rows
    # never silent: every action is reported with no lead agency, and why
    assert first["actions_without_lead"] == rows
    assert first["without_lead"] == {
        "their agency is not in the register and was not chosen to be created": _named_rows(),
        "the file names no lead agency for them (blank or redacted)": rows - _named_rows(),
    }
    before = _snapshot(database_url)
    assert before["linked"] == 0 and before["updates"] == before["notes"] == rows

    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd", "--dry-run", "--json"
    )
    assert code == 0, err
    dry = json.loads(out)
    assert _snapshot(database_url) == before  # the dry run wrote nothing
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd", "--json"
    )
    assert code == 0, err
    real = json.loads(out)
    for key in ("created", "updated", "unchanged", "new_agencies", "without_lead"):
        assert dry[key] == real[key], key
    assert real["updated"] == _named_rows() and real["unchanged"] == rows - _named_rows()
    after = _snapshot(database_url)
    assert real["created"] == {"agency": after["agencies"]} and after["agencies"] > 0
    assert after["linked"] == _named_rows()
    # only the lead agency changed (audited, with the version the write core keeps); no
    # progress update, no note, no other column of any action
    assert after["updates"] == before["updates"] and after["notes"] == before["notes"]
    assert after["actions"] == before["actions"]
    added = {f: n - before["audit"].get(f, 0) for f, n in after["audit"].items()}
    assert {f: n for f, n in added.items() if n} == {
        "created": after["agencies"],
        "lead_agency_id": _named_rows(),
        "version": _named_rows(),
    }

    # and once more: nothing at all
    code, out, err = run_import(
        monkeypatch, capsys, database_url, str(PFD), "--preset", "pfd", "--json"
    )
    assert code == 0, err
    third = json.loads(out)
    assert third["created"] == {} and third["updated"] == 0 and third["unchanged"] == rows
    assert _snapshot(database_url) == after
