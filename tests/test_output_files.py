"""Every file the command line writes is owner-only whatever the umask (issue 14, "files
readable by the owner only"; case 19 did the database and evidence): ``export --out``,
``publish --out``, ``workbook make --out``, ``backup --out`` and ``restore`` are run under umask
022 into folders that do not exist yet; each file is 0600, each folder the command created 0700,
and a folder that was there before is left as it was."""

from __future__ import annotations

import os
import sqlite3
import tarfile

import pytest

from monitoring import cli, db, demo, files, migrations, services
from monitoring import update_workbook as wb
from tests.conftest import ANCHOR


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def command_env(demo_engine, database_url, monkeypatch, tmp_path, umask_022):
    monkeypatch.setenv("MONITORING_DATABASE_URL", database_url)
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    monkeypatch.setenv("MONITORING_EVIDENCE_DIR", str(tmp_path / "evidence"))
    monkeypatch.setenv(wb.SECRET_SETTING, "s" * wb.MIN_SECRET_LENGTH)
    db.dispose_engines()
    yield tmp_path
    db.dispose_engines()


def assert_owner_only(out, made_below):
    """``out`` is 0600; every folder between ``made_below`` (existing, untouched) and it is 0700."""
    assert out.is_file(), out
    assert files.mode_of(out) == 0o600, (out, oct(files.mode_of(out)))
    folder = out.parent
    while folder != made_below:
        assert files.mode_of(folder) == 0o700, (folder, oct(files.mode_of(folder)))
        folder = folder.parent
    assert files.mode_of(made_below) == 0o755  # the folder that was there is not changed
    assert not list(out.parent.glob("*.partial"))  # nothing half-written left beside it


def _register_rows(out) -> int:
    with sqlite3.connect(out) as conn:
        return conn.execute("select count(*) from reviews").fetchone()[0]


COMMANDS = {
    "export csv": (["export", "csv"], "packs/june/pack.csv", lambda out: out.stat().st_size > 1000),
    "export xlsx": (
        ["export", "xlsx"],
        "packs/pack.xlsx",
        lambda out: out.read_bytes()[:2] == b"PK",
    ),
    "publish": (["publish"], "public/register.db", lambda out: _register_rows(out) > 0),
    "workbook make": (
        ["workbook", "make", "--agency", "POL"],
        "workbooks/police.xlsx",
        lambda out: out.read_bytes()[:2] == b"PK",
    ),
}


@pytest.fixture
def shared(tmp_path):
    """A folder that was there before the command, open to others (0755)."""
    base = tmp_path / "shared"
    base.mkdir(mode=0o755)
    return base


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_writes_an_owner_only_file(command_env, shared, command):
    argv, path, written = COMMANDS[command]
    out = shared / path
    assert cli.main([*argv, "--out", str(out)]) == 0
    assert_owner_only(out, shared)
    assert written(out)
    assert not [p for p in out.parent.iterdir() if p != out]  # no temp or journal file left


def test_export_over_an_open_file_tightens_it(command_env):
    out = command_env / "pack.csv"
    out.write_text("old")
    os.chmod(out, 0o644)
    assert cli.main(["export", "csv", "--out", str(out)]) == 0
    assert files.mode_of(out) == 0o600 and out.read_text(encoding="utf-8-sig") != "old"


def test_backup_and_restore_write_owner_only_files(tmp_path, shared, monkeypatch, umask_022):
    """Backup copies a SQLite file (on either test backend it runs on its own SQLite file)."""
    source = tmp_path / "live" / "monitoring.db"
    engine = db.make_engine(f"sqlite:///{source}")
    migrations.upgrade(engine)
    demo.load_demo(engine, ANCHOR)
    monkeypatch.setenv("MONITORING_DATABASE_URL", f"sqlite:///{source}")
    monkeypatch.setenv("MONITORING_EVIDENCE_DIR", str(tmp_path / "evidence"))
    with engine.connect() as conn:
        action_id = conn.exec_driver_sql("select min(id) from action").scalar()
    services.attach_evidence(
        engine, services.Actor.system(), action_id, version=None, file_name="a.txt", content=b"x"
    )
    engine.dispose()
    db.dispose_engines()
    base = shared
    out = base / "backups" / "nightly.tar.gz"
    assert cli.main(["backup", "--out", str(out)]) == 0
    assert_owner_only(out, base)
    with tarfile.open(out) as archive:
        assert any(name.endswith("a.txt") for name in archive.getnames())

    restored = base / "restored" / "monitoring.db"
    monkeypatch.setenv("MONITORING_DATABASE_URL", f"sqlite:///{restored}")
    monkeypatch.setenv("MONITORING_EVIDENCE_DIR", str(base / "restored-evidence"))
    db.dispose_engines()
    assert cli.main(["restore", "--from", str(out)]) == 0
    db.dispose_engines()
    assert_owner_only(restored, base)
    evidence = [p for p in (base / "restored-evidence").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in evidence] == [b"x"]
    for path in evidence:
        assert_owner_only(path, base)
