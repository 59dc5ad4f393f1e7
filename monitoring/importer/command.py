"""``python -m monitoring import FILE [--review REF] [--title TEXT] [--type TYPE]
[--published-on DATE] [--preset NAME] [--mapping FILE] [--year YYYY] [--as-of DATE] [--dry-run]
[--json] [--refuse-match NAME]``: import a board's tracker (.xlsx or .csv).

The file is read and every row checked before the database is opened: on any error the command
lists every problem by row and column, exits 1 and writes nothing (the database is not even
migrated). Otherwise the import runs in one transaction.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from monitoring.importer import (
    PRESETS,
    ImportFileError,
    TrackerOptions,
    agencies_matched_loosely,
    build_plan,
    read_path,
    refuse_matches,
    set_review_details,
)
from monitoring.importer.plan import ImportPlan, Problem
from monitoring.importer.presets import PRESET_DESCRIPTIONS, detect_preset
from monitoring.importer.writer import ImportSummary, summary_of

MAPPING_KEYS = ("columns", "status_words", "category_key", "review_title", "review_type", "sheet")


def load_mapping(path: str) -> dict:
    """Read a saved mapping file (JSON)::

        {"columns": {"number": "Ref", "due_on": "Target"}, "status_words": {"Done": "completed"},
         "category_key": {"1": "completed"}, "review_title": "...", "review_type": "SAR",
         "sheet": "Actions"}

    :raises ImportFileError: when the file is missing, not JSON, or names an unknown field.
    """
    from monitoring import db
    from monitoring.importer.headers import FIELDS

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ImportFileError(f"mapping file {path}: cannot read it as JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ImportFileError(f"mapping file {path}: expected a JSON object")
    unknown = [k for k in data if k not in MAPPING_KEYS]
    if unknown:
        raise ImportFileError(
            f"mapping file {path}: unknown key(s) {', '.join(unknown)} "
            f"(expected {', '.join(MAPPING_KEYS)})"
        )
    bad = [f for f in data.get("columns", {}) if f not in FIELDS]
    if bad:
        raise ImportFileError(
            f"mapping file {path}: unknown field(s) {', '.join(bad)} (expected {', '.join(FIELDS)})"
        )
    words = {**data.get("status_words", {}), **data.get("category_key", {})}
    wrong = [f"{k}={v}" for k, v in words.items() if v not in db.ACTION_STATUSES]
    if wrong:
        raise ImportFileError(
            f"mapping file {path}: status word(s) {', '.join(wrong)} map to no action status "
            f"(expected one of {', '.join(db.ACTION_STATUSES)})"
        )
    return data


def _print_summary(summary: ImportSummary, matches=()) -> None:
    verb = "Would import" if summary.dry_run else "Imported"
    created = ", ".join(f"{n} {t}" for t, n in summary.created.items()) or "nothing new"
    print(
        f"{verb} {summary.source}: {summary.rows_read} rows read, {summary.rows_skipped} skipped."
    )
    print(f"  created: {created}")
    print(f"  updated: {summary.updated} actions; unchanged: {summary.unchanged}")
    print(f"  warnings: {len(summary.warnings)}; errors: {len(summary.errors)}")
    if summary.duplicates:
        print(
            f"  listed on more than one row: {len(summary.duplicates)} (each row imported as its "
            "own action; the rows are named below)"
        )
    for problem in summary.problems:
        print(f"  {problem.level}: {problem}")
    if matches:
        print(
            f"  matched to a registered agency other than by its own name: {len(matches)} "
            "(check each; refuse a wrong one with --refuse-match NAME)"
        )
        for match in matches:
            print(f"    {match}")
    if summary.unmatched_agencies:
        print(
            "  agencies not matched (use --create-agencies to create them): "
            + "; ".join(summary.unmatched_agencies)
        )
    notice = summary.lead_agency_notice()
    if notice:
        print(f"  {notice}")
    if summary.dry_run:
        print("Dry run: nothing written.")


def _fail(args: argparse.Namespace, source: str, problems: list[Problem]) -> int:
    if args.json:
        plan = ImportPlan(source=source, problems=problems)
        print(json.dumps(summary_of(plan, dry_run=bool(args.dry_run)).as_dict(), indent=2))
    else:
        print(f"error: {source} was not imported; nothing was written.", file=sys.stderr)
        for problem in problems:
            print(f"  {problem.level}: {problem}", file=sys.stderr)
        no_year = sum(p.kind == Problem.NO_YEAR for p in problems if p.level == "error")
        if no_year:
            print(
                f"{no_year} date(s) have no year and the file gives none: run the command again "
                "with --year YYYY (or --as-of YYYY-MM-DD, the date the file was true on); the "
                "file itself need not change.",
                file=sys.stderr,
            )
    return 1


def cmd_import(args: argparse.Namespace) -> int:
    """Import a tracker (.xlsx or .csv): dry-run first with --dry-run; exit 1 writes nothing."""
    from monitoring import db, migrations, services
    from monitoring.cli import UsageError

    if args.preset and args.preset not in PRESETS:
        raise UsageError(f"unknown preset {args.preset!r} (known: {', '.join(PRESETS)})")
    if args.preset and (args.review or args.mapping):
        raise UsageError("--preset cannot be combined with --review or --mapping")
    if args.preset and (args.title or args.type or args.published_on):
        raise UsageError(
            "--preset takes each review's title, type and date from the file: --title, --type "
            "and --published-on are for a board's tracker"
        )
    source = Path(args.file).name
    say = _progress_printer()
    try:
        mapping = load_mapping(args.mapping) if args.mapping else {}
        sheet = read_path(
            args.file,
            sheet=mapping.get("sheet"),
            overrides=mapping.get("columns") or None,
            progress=lambda n: say(f"read {n:,} rows"),
        )
    except ImportFileError as exc:
        return _fail(args, source, [Problem("error", str(exc))])
    tracker_options = (args.review, args.mapping, args.title, args.type, args.published_on)
    if not args.preset and not any(tracker_options):
        detected = detect_preset(sheet.rows[0] if sheet.rows else [])
        if detected:
            args.preset = detected
            print(
                f"This looks like {PRESET_DESCRIPTIONS[detected]}: layout set to {detected} "
                f"(as --preset {detected}; give --review REF to read it as a board's tracker).",
                file=sys.stderr,
            )
    options = TrackerOptions(
        default_year=args.year,
        as_of=args.as_of,
        review_ref=args.review,
        review_title=mapping.get("review_title"),
        review_type=mapping.get("review_type", "other"),
        mapping=mapping.get("columns", {}),
        status_words=mapping.get("status_words", {}),
        category_key=mapping.get("category_key", {}),
    )
    plan = build_plan(
        sheet, preset=args.preset, options=options, progress=lambda n: say(f"checked {n:,} rows")
    )
    set_review_details(
        plan, title=args.title, review_type=args.type, published_on=args.published_on
    )
    if args.as_of is not None:
        plan.as_of = args.as_of  # presets too: what has no date of its own is dated by it
    del sheet  # the plan holds what is needed; large files free their cells here
    if args.create_agencies is not None:
        plan.create_agencies = args.create_agencies
    if plan.errors:
        return _fail(args, source, plan.problems)

    if args.refuse_match:
        refuse_matches(plan, args.refuse_match)
    engine = db.get_engine()
    matches = agencies_matched_loosely(engine, plan)  # before the import adds agencies
    actor = services.Actor.system("cli")
    if args.dry_run:
        summary = services.preview_import(engine, actor, plan)
    else:
        migrations.upgrade(engine)
        summary = services.import_tracker(
            engine, actor, plan, progress=lambda _fraction, message: say(message)
        )
    reviews = [] if args.preset else _review_details(args, plan)
    if args.json:
        matched = [
            {"name": m.spelling, "spellings": list(m.spellings), "agency_id": m.agency_id, "agency": m.agency, "by": m.how,
             "rows": m.rows}
            for m in matches
        ]  # fmt: skip
        print(
            json.dumps(
                {**summary.as_dict(), "matched_agencies": matched, "reviews": reviews}, indent=2
            )
        )
    else:
        _print_summary(summary, matches)
        for review in reviews:
            print(
                f"  review {review['ref']!r}: reference from {review['ref_from']}; title "
                f"{review['title']!r}, type {review['review_type']}, published "
                f"{review['published_on'] or 'not given'} (used when the review is new)"
            )
    return 0


def _review_details(args: argparse.Namespace, plan: ImportPlan) -> list[dict]:
    """Each planned review's reference (and where it came from), title, type and date, so that a
    reference made from the file name is never used silently."""
    if args.review:
        ref_from = "--review"
    elif "review_ref" in plan.mapping:
        ref_from = f"the file's {plan.mapping['review_ref']!r} column"
    else:
        ref_from = "the file name (set it with --review REF)"
    return [
        {
            "ref": r.ref,
            "ref_from": ref_from,
            "title": r.title,
            "title_from": "--title" if args.title else "the reference (give --title)",
            "review_type": r.review_type,
            "published_on": r.published_on,
        }
        for r in plan.reviews.values()
    ]


def _iso_date(value: str) -> str:
    """An ``argparse`` type: a ``YYYY-MM-DD`` date, as ISO text."""
    from datetime import date

    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def _progress_printer():
    """A callback printing progress lines ("read 10,000 rows", "Writing actions: ...") to
    stderr, each new message once (stdout keeps the report, or the JSON)."""
    last: list[str] = []

    def say(message: str) -> None:
        if not last or last[-1] != message:
            last[:] = [message]
            print(f"  {message}", file=sys.stderr, flush=True)

    return say


def _review_type(text: str) -> str:
    """An ``argparse`` type: a review type in any case (``sar``, ``Rapid review``) as the
    database spells it (:data:`monitoring.db.REVIEW_TYPES`)."""
    from monitoring.db import REVIEW_TYPES

    key = "_".join(text.replace("-", " ").split()).casefold()
    for known in REVIEW_TYPES:
        if known.casefold() == key:
            return known
    raise argparse.ArgumentTypeError(
        f"unknown review type {text!r} (expected one of {', '.join(REVIEW_TYPES)}, in any case)"
    )


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a year such as 2019, got {text!r}") from None
    if not 1900 <= year <= 2200:
        raise argparse.ArgumentTypeError(f"expected a year between 1900 and 2200, got {year}")
    return year


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` command."""
    parser = subparsers.add_parser(
        "import",
        help="import a tracker (.xlsx or .csv) or a preset layout such as pfd",
        description=(
            "Import a board's tracker. Without --review or --preset the rows go to a review named "
            "after the file (created if new). Every row is checked first: on any error nothing is "
            "written and the command exits 1."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="the .xlsx or .csv file")
    parser.add_argument("--review", metavar="REF", help="the review (ref) the rows belong to")
    from monitoring.db import REVIEW_TYPES

    parser.add_argument("--title", help="the review's title (for a new review; not with --preset)")
    parser.add_argument(
        "--type",
        type=_review_type,
        choices=REVIEW_TYPES,
        metavar="TYPE",
        help=f"the review's type, one of {', '.join(REVIEW_TYPES)} in any case (for a new review; "
        "default other; not with --preset)",
    )
    parser.add_argument(
        "--published-on",
        metavar="YYYY-MM-DD",
        type=_iso_date,
        help="the review's publication date, set only when given (for a new review; an import "
        "never publishes anything; not with --preset)",
    )
    parser.add_argument(
        "--preset",
        metavar="NAME",
        help=f"a known layout: {', '.join(PRESETS)} (a file whose header row has a layout's "
        "columns is read as that layout unless --review, --mapping, --title, --type or "
        "--published-on is given)",
    )
    parser.add_argument(
        "--mapping", metavar="FILE", help="a saved mapping file (JSON) overriding column headings"
    )
    parser.add_argument(
        "--year",
        type=_year,
        metavar="YYYY",
        help="the year of every date written without one ('15 Oct'); by default the year comes "
        "from the file (the section above, a title date, the nearest full date)",
    )
    parser.add_argument(
        "--as-of",
        type=_as_of,
        metavar="YYYY-MM-DD",
        help="the date the tracker speaks as at: a date written without a year that the file "
        "gives no year for is the one nearest to it",
    )
    parser.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--create-agencies",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="create agencies that match no existing name or alias (default: no; the pfd "
        "preset creates its recipients)",
    )
    parser.add_argument(
        "--refuse-match",
        action="append",
        metavar="NAME",
        default=[],
        help="do not link NAME (as the report's 'matched ... other than by its own name' list "
        "spells it) to the agency it matched through an alias or short name: it is then an "
        "agency not in the register; may be given more than once",
    )
    parser.set_defaults(func=cmd_import)
