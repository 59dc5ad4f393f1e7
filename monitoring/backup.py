"""``python -m monitoring backup --out FILE`` and ``restore --from FILE``: the records and the
evidence folder in one file (issue 15).

A backup is a tar file (``.tar``, or ``.tar.gz`` when the name says so) holding:

- ``monitoring.db``: a consistent copy of the SQLite database made with SQLite's online backup
  API while the app goes on writing (one read snapshot: a write made during the copy is either
  wholly in it or not at all);
- ``evidence/...``: every stored evidence file;
- ``manifest.json``: when it was taken (UTC), the schema revision, the row count of every table
  and the SHA-256 and size of every file in the archive.

``restore`` checks every file against the manifest before anything is written, refuses a
database that already holds records unless ``--force``, copies the database in through the same
backup API, checks ``PRAGMA integrity_check`` and the row counts, and puts the evidence files
back. On PostgreSQL use ``pg_dump``/``pg_restore`` instead (README, "Backup and restore").
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sqlite3
import sys
import tarfile
import tempfile
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from monitoring import config, db, files

MANIFEST = "manifest.json"
DATABASE = "monitoring.db"
EVIDENCE = "evidence"
FORMAT = 1


class BackupError(Exception):
    """A backup or restore could not be made; the message says why (nothing was changed)."""


def _sqlite_path(engine: Engine) -> Path:
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            "backup and restore copy the embedded SQLite database; for PostgreSQL use pg_dump and "
            "pg_restore (README, 'Backup and restore')."
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: there is no file to back up.")
    return Path(url.database)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            for name in db.metadata.tables
        }
    finally:
        conn.close()


def _revision(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def backup(engine: Engine, out: Path | str, *, evidence_dir: Path | None = None) -> dict:
    """Write a backup of ``engine``'s SQLite database and the evidence folder to ``out``.

    :param evidence_dir: default :func:`monitoring.config.evidence_dir`.
    :returns: the manifest (``taken_at``, ``revision``, ``counts`` by table, ``files``: path →
        ``{sha256, bytes}``).
    :raises BackupError: for PostgreSQL or an in-memory database.
    """
    source = _sqlite_path(engine)
    evidence_dir = Path(evidence_dir or config.evidence_dir())
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="monitoring-backup-") as work:
        copy = Path(work) / DATABASE
        src = sqlite3.connect(source, timeout=config.write_wait_seconds())
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst)  # all pages in one step: one consistent read snapshot
        finally:
            dst.close()
            src.close()
        dst = sqlite3.connect(copy)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
        dst.close()
        members: list[tuple[str, Path]] = [(DATABASE, copy)]
        if evidence_dir.is_dir():
            for path in sorted(p for p in evidence_dir.rglob("*") if p.is_file()):
                members.append((f"{EVIDENCE}/{path.relative_to(evidence_dir).as_posix()}", path))
        manifest = {
            "format": FORMAT,
            "taken_at": config.utc_now_iso(),
            "revision": _revision(copy),
            "counts": _counts(copy),
            "files": {
                name: {"sha256": _sha256(path), "bytes": path.stat().st_size}
                for name, path in members
            },
        }
        partial = out.with_name(out.name + ".partial")
        mode = "w:gz" if out.name.endswith((".tar.gz", ".tgz")) else "w"
        with files.open_private(partial) as raw, tarfile.open(fileobj=raw, mode=mode) as archive:
            body = json.dumps(manifest, indent=2).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(body), 0o600
            archive.addfile(info, io.BytesIO(body))
            for name, path in members:
                archive.add(path, arcname=name, recursive=False)
        os.replace(partial, out)  # never a half-written backup under the final name
    return manifest


def read_manifest(archive_path: Path | str) -> dict:
    """The manifest of a backup file. :raises BackupError: not a backup of this app."""
    try:
        with tarfile.open(archive_path) as archive:
            member = archive.extractfile(MANIFEST)
            return json.loads(member.read().decode("utf-8"))
    except (OSError, tarfile.TarError, KeyError, AttributeError, ValueError) as exc:
        raise BackupError(f"{archive_path}: not a backup made by this app ({exc}).") from exc


def restore(
    engine: Engine,
    archive_path: Path | str,
    *,
    force: bool = False,
    evidence_dir: Path | None = None,
) -> dict:
    """Restore a backup into ``engine``'s SQLite database and the evidence folder.

    Every file is checked against the manifest (SHA-256) and the database copy must pass
    ``PRAGMA integrity_check`` before anything is written.

    :returns: the manifest restored.
    :raises BackupError: a file does not match, the copy is damaged, PostgreSQL, or the target
        already has records and ``force`` is false.
    """
    target = _sqlite_path(engine)
    evidence_dir = Path(evidence_dir or config.evidence_dir())
    manifest = read_manifest(archive_path)
    with tempfile.TemporaryDirectory(prefix="monitoring-restore-") as work:
        with tarfile.open(archive_path) as archive:
            archive.extractall(work, filter="data")
        for name, expected in manifest["files"].items():
            path = Path(work) / name
            if not path.is_file() or _sha256(path) != expected["sha256"]:
                raise BackupError(f"{name}: missing or changed since the backup; nothing restored.")
        copy = Path(work) / DATABASE
        if _integrity(copy) != "ok":
            raise BackupError("the database in the backup is damaged; nothing restored.")
        if _counts(copy) != manifest["counts"]:
            raise BackupError("the database in the backup does not match its manifest.")
        if target.exists() and not force:
            from sqlalchemy import inspect

            if inspect(engine).has_table("review") and not db.is_empty(engine):
                raise BackupError(
                    f"{target} already holds records; restoring would replace them. Use --force "
                    "to replace them (take a backup of them first)."
                )
        engine.dispose()
        files.secure_sqlite(target)  # owner-only before SQLite writes to it
        src = sqlite3.connect(copy)
        dst = sqlite3.connect(target, timeout=config.write_wait_seconds())
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        os.chmod(target, 0o600)
        restored = Path(work) / EVIDENCE
        if restored.is_dir():
            for path in restored.rglob("*"):
                if path.is_file():
                    place = evidence_dir / path.relative_to(restored)
                    with files.open_private(place) as out:
                        out.write(path.read_bytes())
    engine.dispose()
    if _counts(target) != manifest["counts"] or _integrity(target) != "ok":
        raise BackupError("the restored database does not match the backup's manifest.")
    return manifest


def cmd_backup(args: argparse.Namespace) -> int:
    """Back up the database and the evidence folder to one file."""
    return _report(
        lambda: backup(db.get_engine(), args.out),
        lambda m: f"Backup written to {args.out}",
    )


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore the database and the evidence folder from a backup file."""
    return _report(
        lambda: restore(db.get_engine(), getattr(args, "from"), force=args.force),
        lambda m: f"Restored the backup of {m['taken_at']}",
    )


def _report(run, heading) -> int:
    """Run a backup or restore (``run()`` gives its manifest): print ``heading(manifest)`` and
    what it holds and return 0, or print why not and return 1."""
    try:
        manifest = run()
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    counts = manifest["counts"]
    print(
        f"{heading(manifest)}: {counts['review']} reviews, {counts['action']} actions, "
        f"{len(manifest['files']) - 1} evidence files."
    )
    return 0


def register(subparsers) -> None:
    """Add the ``backup`` and ``restore`` sub-commands."""
    parser = subparsers.add_parser(
        "backup", help="back up the database and evidence files", description=cmd_backup.__doc__
    )
    parser.add_argument("--out", required=True, help="the backup file to write (.tar or .tar.gz)")
    parser.set_defaults(func=cmd_backup)
    parser = subparsers.add_parser(
        "restore", help="restore a backup", description=cmd_restore.__doc__
    )
    parser.add_argument("--from", required=True, metavar="FILE", help="a file made by backup")
    parser.add_argument(
        "--force", action="store_true", help="replace a database that already holds records"
    )
    parser.set_defaults(func=cmd_restore)


__all__ = ["BackupError", "backup", "read_manifest", "register", "restore"]
