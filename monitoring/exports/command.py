"""Commands ``export {pdf,pptx,xlsx,csv} --meeting DATE --out PATH`` and ``publish --out PATH``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitoring import db

FORMATS = ("pdf", "pptx", "xlsx", "csv")  # as monitoring.exports.FORMATS, without importing Plotly


def cmd_export(args: argparse.Namespace) -> int:
    """Write the meeting pack for the meeting held on DATE (default: today, against the last
    meeting) as PDF, PowerPoint, Excel or CSV. Figures use the meeting date as "today". The PDF
    is a summary (every figure, the worst rows of each list) unless --detail is given."""
    from monitoring import exports
    from monitoring.cli import UsageError
    from monitoring.exports.pdf import FontNotFound
    from monitoring.files import write_output

    out = Path(args.out)
    if out.suffix.lower() != f".{args.format}":
        raise UsageError(f"--out must end in .{args.format}, got {args.out!r}")
    engine = db.get_engine()
    try:
        with db.read_connection(engine) as conn:
            pack = exports.build_pack(conn, args.meeting, annual=args.detail)
        files = exports.write_files(pack, [args.format], detail=args.detail)
    except exports.MeetingNotFound as exc:
        print(f"error: --meeting: {exc}", file=sys.stderr)
        return 1
    except (exports.BrowserNotFound, FontNotFound, exports.ChartRenderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_output(out, files[args.format])  # owner-only, whatever the umask
    print(f"Wrote {out} ({pack.title}, figures as at {pack.today.isoformat()}).")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Build the public register (published reviews, their recommendations and status, with
    full-text search) as a standalone SQLite file for Datasette."""
    from monitoring.exports.public import publish

    engine = db.get_engine()
    with db.read_connection(engine) as conn:
        counts = publish(conn, args.out)
    print(
        f"Wrote {args.out}: {counts['reviews']} published reviews, "
        f"{counts['recommendations']} recommendations. Browse it with: datasette {args.out}"
    )
    return 0


def register(subparsers) -> None:
    """Add the ``export`` and ``publish`` sub-commands."""
    from monitoring.cli import iso_date

    export = subparsers.add_parser(
        "export",
        help="write the meeting pack as PDF, PowerPoint, Excel or CSV",
        description=cmd_export.__doc__,
    )
    export.add_argument("format", choices=FORMATS, help="file format")
    export.add_argument(
        "--meeting",
        type=iso_date,
        metavar="DATE",
        help="date of a recorded meeting, YYYY-MM-DD (default: today, no meeting)",
    )
    export.add_argument("--out", required=True, metavar="PATH", help="file to write")
    export.add_argument(
        "--detail",
        action="store_true",
        help="PDF: list every row of every table and add the per-review annual report (default:"
        " a summary of at most 40 pages; the slides are always the summary)",
    )
    export.set_defaults(func=cmd_export)

    publish = subparsers.add_parser(
        "publish",
        help="build the public register (SQLite, for Datasette)",
        description=cmd_publish.__doc__,
    )
    publish.add_argument("--out", required=True, metavar="PATH", help="SQLite file to write")
    publish.set_defaults(func=cmd_publish)
