"""``python -m monitoring import``: bad input exits 1 and leaves the database byte-for-byte
unchanged; usage errors exit 2; dry runs write nothing; re-imports write nothing."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from monitoring import cli, db, services
from monitoring.importer import build_plan, read_path
from tests.conftest import REALDATA

STOCKTON = REALDATA / "trackers" / "stockton_lscb_review_progress_2017-12.csv"


def run_import(monkeypatch, capsys, url: str, *args: str) -> tuple[int, str, str]:
    """Run ``python -m monitoring import ARGS`` in-process against ``url``."""
    monkeypatch.setenv("MONITORING_DATABASE_URL", url)
    db.dispose_engines()
    capsys.readouterr()
    code = cli.main(["import", *args])
    db.dispose_engines()
    out, err = capsys.readouterr()
    return code, out, err


def fingerprint(url: str) -> tuple:
    """Bytes of the SQLite file (and its WAL) plus every table's row count and data_version."""
    engine = db.make_engine(url)
    counts = db.table_counts(engine)
    version = db.get_data_version(engine)
    audit = _audit_rows(engine)
    engine.dispose()
    digest = None
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        digest = tuple(
            hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None
            for p in (path, Path(f"{path}-wal"))
        )
    return digest, counts, version, audit


def _audit_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(db.audit_log).order_by(db.audit_log.c.id))]


def _file_hash(url: str) -> str | None:
    if not url.startswith("sqlite:///"):
        return None
    return hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()


@pytest.fixture
def loaded_url(engine, database_url):
    """A migrated database; the engine is closed so the file is settled on disk."""
    engine.dispose()
    return database_url


def _no_header_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(5):
        ws.append([i * 3.5, "lorem ipsum", 42 + i])
    wb.save(path)
    return path


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("not_a_spreadsheet", "not a spreadsheet"),
        ("fake_xlsx", "not an Excel workbook"),
        ("empty", "is empty"),
        ("blank_lines", "is empty"),
        ("no_header_xlsx", "no header row found"),
        ("no_header_csv", "no header row found"),
        ("missing_file", "cannot read"),
    ],
)
def test_bad_input_exits_1_and_leaves_the_database_unchanged(
    kind, expected, loaded_url, tmp_path, monkeypatch, capsys
):
    files = {
        "not_a_spreadsheet": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20),
        "fake_xlsx": lambda p: p.write_bytes(b"PK\x03\x04 this is not really a zip"),
        "empty": lambda p: p.write_bytes(b""),
        "blank_lines": lambda p: p.write_bytes(b"\r\n\r\n  \n"),
        "no_header_xlsx": _no_header_xlsx,
        "no_header_csv": lambda p: p.write_text("12,13,14\nfoo,bar,baz\n", encoding="utf-8"),
        "missing_file": lambda p: None,
    }
    suffix = ".xlsx" if "xlsx" in kind else ".csv"
    path = tmp_path / f"{kind}{suffix}"
    files[kind](path)
    before = fingerprint(loaded_url)
    code, out, err = run_import(monkeypatch, capsys, loaded_url, str(path))
    assert code == 1
    assert expected in err
    assert "nothing was written" in err
    assert fingerprint(loaded_url) == before


def test_bad_input_on_a_fresh_database_does_not_create_or_migrate_it(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code, _out, err = run_import(monkeypatch, capsys, url, str(path))
    assert code == 1 and "is empty" in err
    assert not (tmp_path / "fresh.db").exists()


def test_row_errors_are_listed_by_row_and_column_and_nothing_is_written(
    loaded_url, tmp_path, monkeypatch, capsys
):
    path = tmp_path / "dupes.csv"
    path.write_text(
        "Ref,Action,Lead,Due Date\n1,First,Police,2026-01-31\n1,Second,Police,2026-02-28\n",
        encoding="utf-8",
    )
    before = fingerprint(loaded_url)
    code, _out, err = run_import(monkeypatch, capsys, loaded_url, str(path), "--json")
    assert code == 1
    assert fingerprint(loaded_url) == before
    code, out, _err = run_import(monkeypatch, capsys, loaded_url, str(path), "--json")
    report = json.loads(out)
    assert report["errors"] == [
        {
            "level": "error",
            "row": 3,
            "column": "Ref",
            "message": "ref '1' appears again (first at row 2): each row needs its own ref so "
            "that a re-import can find it",
        }
    ]
    assert report["written"] is False


@pytest.mark.parametrize(
    "args",
    [
        ["--preset", "nonesuch", str(STOCKTON)],
        ["--preset", "pfd", "--review", "X", str(STOCKTON)],
        [],
        [str(STOCKTON), "--bogus"],
    ],
)
def test_usage_errors_exit_2(args, loaded_url, monkeypatch, capsys):
    before = fingerprint(loaded_url)
    code, _out, _err = run_import(monkeypatch, capsys, loaded_url, *args)
    assert code == 2
    assert fingerprint(loaded_url) == before


@pytest.mark.usefixtures("shared_data")
def test_dry_run_reports_what_would_be_created_and_writes_nothing(loaded_url, monkeypatch, capsys):
    before = fingerprint(loaded_url)
    code, out, _err = run_import(
        monkeypatch, capsys, loaded_url, str(STOCKTON), "--dry-run", "--json"
    )
    assert code == 0
    report = json.loads(out)
    with STOCKTON.open(encoding="utf-8", newline="") as f:
        data_rows = [r for r in list(csv.reader(f))[1:] if any(c.strip() for c in r)]
    assert report["dry_run"] is True and report["written"] is False
    assert report["created"]["action"] == len(data_rows)
    assert report["created"]["review"] == 1
    assert fingerprint(loaded_url) == before


@pytest.mark.usefixtures("shared_data")
def test_importing_the_same_file_twice_leaves_counts_and_audit_rows_unchanged(
    demo_engine, database_url, monkeypatch, capsys
):
    demo_engine.dispose()
    loaded_url = database_url
    code, out, _ = run_import(monkeypatch, capsys, loaded_url, str(STOCKTON), "--json")
    assert code == 0 and json.loads(out)["created"]["action"] == 5
    engine = db.make_engine(loaded_url)
    counts, audit = db.table_counts(engine), _audit_rows(engine)
    engine.dispose()
    code, out, _ = run_import(monkeypatch, capsys, loaded_url, str(STOCKTON), "--json")
    second = json.loads(out)
    assert code == 0
    assert second["created"] == {} and second["updated"] == 0 and second["unchanged"] == 5
    engine = db.make_engine(loaded_url)
    assert db.table_counts(engine) == counts
    assert _audit_rows(engine) == audit
    engine.dispose()


@pytest.mark.usefixtures("shared_data")
def test_the_import_needs_the_import_permission(demo_engine):
    plan = build_plan(read_path(STOCKTON))
    viewer = services.Actor(email="viewer@northbridge.example", role="board")
    before = db.table_counts(demo_engine)
    with pytest.raises(services.PermissionDenied):
        services.import_tracker(demo_engine, viewer, plan)
    assert db.table_counts(demo_engine) == before


def test_a_plan_with_errors_is_refused_by_the_service(demo_engine, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("Ref,Action\n1,A\n1,B\n", encoding="utf-8")
    plan = build_plan(read_path(path))
    before = db.table_counts(demo_engine)
    with pytest.raises(services.ValidationError, match="row 3"):
        services.import_tracker(demo_engine, services.Actor.system("test"), plan)
    assert db.table_counts(demo_engine) == before


def test_import_command_has_help(capsys):
    assert cli.main(["import", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--review", "--preset", "--mapping", "--dry-run", "--json"):
        assert option in out


def test_a_saved_mapping_file_overrides_headings_and_status_words(
    loaded_url, tmp_path, monkeypatch, capsys
):
    tracker = tmp_path / "plan.csv"
    tracker.write_text(
        "Item,What we will do,Owner,By,Position\n"
        "A1,Train staff,Police,31/03/2026,Sorted\n"
        "A2,Audit files,Police,30/06/2026,Working on it\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {
                    "number": "Item",
                    "action": "What we will do",
                    "due_on": "By",
                    "status": "Position",
                },
                "status_words": {"Sorted": "completed", "Working on it": "in_progress"},
                "review_title": "Practice review 2026",
                "review_type": "LCSPR",
            }
        ),
        encoding="utf-8",
    )
    code, out, err = run_import(
        monkeypatch,
        capsys,
        loaded_url,
        str(tracker),
        "--mapping",
        str(mapping),
        "--review",
        "PR-26",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    said = [w["message"] for w in report["warnings"] if w["message"].startswith("Status '")]
    assert said == [
        "Status 'Sorted' (column 'Position') read as Completed (agency reports): 1 row.",
        "Status 'Working on it' (column 'Position') read as In progress: 1 row.",
    ]
    assert report["created"]["action"] == 2 and report["warnings"] == [
        w for w in report["warnings"] if "agency" in w["message"] or w["message"] in said
    ]
    engine = db.make_engine(loaded_url)
    with engine.connect() as conn:
        review = conn.execute(
            select(db.review.c.title, db.review.c.review_type).where(db.review.c.ref == "PR-26")
        ).one()
        actions = dict(conn.execute(select(db.action.c.number, db.action.c.status)).all())
    engine.dispose()
    assert tuple(review) == ("Practice review 2026", "LCSPR")
    assert actions == {"A1": "completed", "A2": "in_progress"}


@pytest.mark.parametrize(
    "content, expected",
    [
        ("{not json", "cannot read it as JSON"),
        ('{"columns": {"colour": "Ref"}}', "unknown field(s) colour"),
        ('{"status_words": {"Done": "finished"}}', "map to no action status"),
        ('{"sheets": "x"}', "unknown key(s) sheets"),
    ],
)
def test_a_bad_mapping_file_exits_1_and_writes_nothing(
    content, expected, loaded_url, tmp_path, monkeypatch, capsys
):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(content, encoding="utf-8")
    before = fingerprint(loaded_url)
    code, _out, err = run_import(
        monkeypatch, capsys, loaded_url, str(STOCKTON), "--mapping", str(mapping)
    )
    assert code == 1 and expected in err
    assert fingerprint(loaded_url) == before


def test_an_overlong_ref_is_an_error_naming_row_and_column(
    loaded_url, tmp_path, monkeypatch, capsys
):
    path = tmp_path / "long.csv"
    path.write_text(f"Ref,Action\n1,Fine\n{'x' * 80},Too long a ref\n", encoding="utf-8")
    before = fingerprint(loaded_url)
    code, _out, err = run_import(monkeypatch, capsys, loaded_url, str(path))
    assert code == 1
    assert "row 3, column 'Ref': ref 'xxxx" in err and "at most 50 expected" in err
    assert fingerprint(loaded_url) == before
