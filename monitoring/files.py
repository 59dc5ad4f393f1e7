"""Files on disk readable by their owner only (case 19), and evidence bytes only for a reader
allowed to see them (case 17).

The SQLite database, its ``-wal``, ``-shm`` and ``-journal`` files and every evidence file are
``0600`` (owner read and write), the evidence folders ``0700``, whatever the process's umask:
files are created with that mode and then set to it exactly (a umask can only take bits away).
SQLite creates its WAL and shared-memory files with the database file's own mode, so a database
created ``0600`` keeps them ``0600``; :func:`secure_sqlite` also tightens files that already exist
(``python -m monitoring init`` and every engine start run it).

Every file a command writes (``export --out``, ``publish --out``, ``backup --out``, ``backup
restore``, ``workbook make --out``) goes through :func:`write_output` or :func:`open_private`:
``0600`` whatever the umask, the folders it creates ``0700`` (folders that already exist, such
as the current one, are left as they are).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

FILE_MODE = 0o600
"""Owner read and write, nobody else."""
DIR_MODE = 0o700
"""Owner only: list, enter, create."""
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")
"""The database file and the files SQLite keeps beside it."""


def mode_of(path: Path | str) -> int:
    """The permission bits of ``path`` (e.g. ``0o600``)."""
    return stat.S_IMODE(os.stat(path).st_mode)


def private_dir(path: Path | str) -> Path:
    """Create ``path`` (and missing parents) as owner-only folders and set ``path`` itself to
    :data:`DIR_MODE`. Parents that already existed are left as they are (they may be shared,
    such as ``/tmp``); parents created here are owner-only too."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)
    os.chmod(path, DIR_MODE)
    return path


def write_private(path: Path | str, content: bytes) -> Path:
    """Write ``content`` to a new file ``path`` created with :data:`FILE_MODE` (its folder with
    :data:`DIR_MODE`).

    :raises FileExistsError: when ``path`` exists (evidence files are never overwritten).
    """
    path = Path(path)
    private_dir(path.parent)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(handle, FILE_MODE)
        with os.fdopen(handle, "wb", closefd=False) as out:
            out.write(content)
    finally:
        os.close(handle)
    return path


def private_parents(path: Path | str) -> Path:
    """Create the missing folders above the file ``path`` owner-only (:data:`DIR_MODE`); folders
    that already exist are left as they are. :returns: ``path`` as a :class:`Path`."""
    path = Path(path)
    if not path.parent.exists():
        private_dir(path.parent)
    return path


def open_private(path: Path | str):
    """Open the file ``path`` for writing bytes, emptied, as an owner-only file
    (:data:`FILE_MODE` whatever the umask; an existing file is tightened), creating missing
    folders owner-only (:func:`private_parents`). :returns: a binary file object (close it)."""
    path = private_parents(path)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(handle, FILE_MODE)
    except BaseException:
        os.close(handle)
        raise
    return os.fdopen(handle, "wb")


def write_output(path: Path | str, content: bytes) -> Path:
    """Write a command's output file whole and owner-only: to ``PATH.partial`` (:func:`open_private`)
    and then renamed over ``path``, so no half-written file ever stands under the final name and
    a file that was there before ends ``0600`` too. :returns: ``path``."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        with open_private(partial) as out:
            out.write(content)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def secure_sqlite(database: Path | str) -> None:
    """Make a SQLite database owner-only: create its folder (owner-only when created here) and
    the file itself with :data:`FILE_MODE` when it does not exist yet (an empty file is an empty
    database), and set every existing file of :data:`SQLITE_SUFFIXES` to :data:`FILE_MODE`."""
    database = Path(database)
    if not database.parent.exists():
        private_dir(database.parent)
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    for suffix in SQLITE_SUFFIXES:
        path = database.with_name(database.name + suffix)
        if path.exists():
            os.chmod(path, FILE_MODE)


def secure_evidence(folder: Path | str) -> int:
    """Set the evidence folder and every folder under it to :data:`DIR_MODE` and every file to
    :data:`FILE_MODE` (``init`` tightens evidence stored before this rule). Creates the folder
    if missing. :returns: the number of files and folders set."""
    folder = private_dir(folder)
    count = 1
    for root, dirs, names in os.walk(folder):
        for name in dirs:
            os.chmod(Path(root) / name, DIR_MODE)
        for name in names:
            os.chmod(Path(root) / name, FILE_MODE)
        count += len(dirs) + len(names)
    return count


def secure_engine_files(engine: Engine) -> None:
    """:func:`secure_sqlite` for a SQLite file engine (nothing for PostgreSQL or ``:memory:``)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        secure_sqlite(url.database)


# --- evidence bytes (case 17) -----------------------------------------------------------------


class EvidenceRefused(PermissionError):
    """The reader may not have this evidence file (or it does not exist); the message is fit to
    show and never says which."""


EVIDENCE_READERS = frozenset({"admin", "board", "assurer", "agency_lead"})
"""Roles that may read evidence; an agency lead only for actions their own agency leads (the
issue's read scope; viewers never see evidence)."""


def may_read_evidence(user: Mapping[str, Any] | None, lead_agency_id: int | None) -> bool:
    """Whether an active ``app_user`` row may read evidence of an action led by
    ``lead_agency_id``."""
    if not user or not user.get("active") or user.get("role") not in EVIDENCE_READERS:
        return False
    if user["role"] == "agency_lead":
        return user.get("agency_id") is not None and user.get("agency_id") == lead_agency_id
    return True


def read_evidence(engine: Engine, email: str, evidence_id: int) -> bytes:
    """The stored bytes of evidence ``evidence_id`` for the account ``email``, checked against
    the database at the moment of the download (the account must still be active and allowed:
    :func:`may_read_evidence`).

    :raises EvidenceRefused: no such account, file or evidence, or not allowed.
    """
    from monitoring import config, db

    refused = EvidenceRefused("This evidence file is not available to you.")
    with engine.connect() as conn:
        user = (
            conn.execute(
                select(db.app_user).where(db.app_user.c.email == (email or "").strip().lower())
            )
            .mappings()
            .first()
        )
        row = conn.execute(
            select(db.evidence.c.file_path, db.action.c.lead_agency_id)
            .select_from(db.evidence.join(db.action, db.action.c.id == db.evidence.c.action_id))
            .where(db.evidence.c.id == int(evidence_id))
        ).first()
    if row is None or not row.file_path or not may_read_evidence(user, row.lead_agency_id):
        raise refused
    root = config.evidence_dir().resolve()
    path = (root / row.file_path).resolve()
    if root not in path.parents or not path.is_file():
        raise refused
    return path.read_bytes()


__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "EvidenceRefused",
    "may_read_evidence",
    "mode_of",
    "open_private",
    "private_dir",
    "private_parents",
    "read_evidence",
    "secure_engine_files",
    "secure_evidence",
    "secure_sqlite",
    "write_output",
    "write_private",
]
