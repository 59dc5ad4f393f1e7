"""Command line: ``python -m monitoring COMMAND ...`` (DESIGN §6).

Exit codes: 0 on success, 1 on invalid input (nothing written, every problem listed), 2 on usage
errors. Each feature module registers its own sub-commands through a ``register(subparsers)``
function listed in :data:`COMMAND_MODULES`, so this file stays a small router.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from datetime import date

from monitoring import config, db, files, migrations
from monitoring.errors import ServiceError

COMMAND_MODULES = [
    "monitoring.importer.command",
    "monitoring.exports.command",
    "monitoring.reminders",
    "monitoring.users_command",
    "monitoring.copy",
    "monitoring.bench",
    "monitoring.backup",
    "monitoring.update_workbook",
]


class UsageError(Exception):
    """The command was called with arguments it cannot use (exit code 2)."""


def iso_date(value: str) -> date:
    """An argparse type for ``YYYY-MM-DD`` dates."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from exc


def cmd_init(args: argparse.Namespace) -> int:
    """Create the database or migrate it to the newest schema; make the database and the
    evidence owner-only (0600 files, 0700 folders)."""
    engine = db.get_engine()
    migrations.upgrade(engine)
    files.secure_engine_files(engine)
    files.secure_evidence(config.evidence_dir())
    print(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the demo data into an empty database (``--force`` replaces existing data)."""
    from monitoring import demo

    engine = db.get_engine()
    migrations.upgrade(engine)
    if args.if_empty and not db.is_empty(engine):
        print("Database already has data; demo data not loaded.")
        return 0
    try:
        counts = demo.load_demo(engine, args.anchor or config.today(), force=args.force)
    except demo.DatabaseNotEmpty as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    summary = ", ".join(
        f"{counts.get(t, 0)} {t}" for t in ("review", "recommendation", "action", "action_update")
    )
    print(f"Demo data loaded: {summary}.")
    print("Demo accounts are listed in README.md.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="python -m monitoring",
        description="Safeguarding learning monitor: database, import, export and reminder commands.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True

    init = subparsers.add_parser(
        "init", help="create or migrate the database", description=cmd_init.__doc__
    )
    init.set_defaults(func=cmd_init)

    demo_parser = subparsers.add_parser(
        "demo", help="load the fictional demo data set", description=cmd_demo.__doc__
    )
    demo_parser.add_argument("--force", action="store_true", help="replace any existing data")
    demo_parser.add_argument(
        "--if-empty", action="store_true", help="do nothing (exit 0) when the database has data"
    )
    demo_parser.add_argument(
        "--anchor", type=iso_date, help="date the 18 months of history run up to (default today)"
    )
    demo_parser.set_defaults(func=cmd_demo)

    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # feature not installed in this build
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except config.SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ServiceError as exc:  # refused, or the database stayed busy / the disk is full
        print(f"error: {exc}", file=sys.stderr)
        return 1
