"""Update workbooks: agency leads who never sign in update their actions by returning an Excel file.

**Make** (:func:`make_workbook`): one .xlsx per agency with its open actions and those awaiting
assurance (completed, not assured), worst first (most days overdue, then earliest target date).
The lead may fill in the unlocked columns only: status (a drop-down of :data:`LEAD_STATUSES`),
progress note, a requested new target date with its reason, and an evidence link. Everything else
is locked (sheet protection) and there for guidance. Each row carries the action's id and version
in hidden columns; a very hidden sheet holds the agency, the ids and versions as sent, the time
of issue and an HMAC-SHA256 signature over them, keyed with :data:`SECRET_SETTING`.

**Read back** (:func:`read_back`): the signature and the agency are checked first (a file that
fails is refused whole, nothing written); each row is then read as people really leave it (rows
sorted or moved, blank rows, dates typed as text, status words in any case, extra columns; a
formula in a cell is read as its text, never evaluated) and reported as one of
:data:`OUTCOMES`. Rows are applied through the same services, in the same order, as the update
form on My actions (:func:`monitoring.services.save_action_update`, then
:func:`monitoring.services.request_due_date_change`), so permissions, versions and audit are the
form's; each audited record also gets a ``via`` audit row: "returned workbook from <agency>,
sent <date>, read by <user>; workbook ref <ref>".

No Streamlit here: the pages use :mod:`monitoring.ui.update_workbooks`.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import hmac
import io
import json
import os
import sys
import tomllib
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select

from monitoring import config, db, files, rules, services, vocabulary
from monitoring.importer import values

SECRET_SETTING = "MONITORING_WORKBOOK_SECRET"
"""Environment variable (or top-level key in ``.streamlit/secrets.toml``) holding the signing key."""
MIN_SECRET_LENGTH = 32
"""Shortest signing key accepted, in characters."""
FORMAT = "safeguarding-learning-monitor/update-workbook/1"
"""Written in the signature sheet and signed: what kind of file this is, and its layout version."""
SHEET = "Actions"
SIGNATURE_SHEET = "Signature"
MAX_ROWS = 20_000
"""Rows read from a returned workbook at most (a file claiming more is refused)."""

LEAD_STATUSES = tuple(status for status in db.ACTION_STATUSES if status != "assured")
"""Statuses a lead may set: every action status but ``assured``, which only a board member or
assurer gives (the rule of :func:`monitoring.services.save_action_update`)."""
CLOSING_STATUSES = ("not_implemented", "superseded")
"""Statuses that close an action and need a reason (:func:`monitoring.services.save_action_update`)."""
WORKBOOK_STATUSES = (*db.OPEN_STATUSES, "completed")
"""Actions put in a workbook: open ones, and completed ones awaiting the board's assurance."""

OUTCOMES = ("apply", "applied", "unchanged", "conflict", "refused")
"""Row outcomes: ``apply`` (preview: will be applied), ``applied``, ``unchanged`` (nothing to write,
or already read in from this workbook), ``conflict`` (the action changed since the workbook was
made: both versions shown, nothing written) and ``refused`` (with the reason, nothing written)."""
OUTCOME_LABELS = {
    "apply": "Will apply",
    "applied": "Applied",
    "unchanged": "Unchanged",
    "conflict": "Conflict",
    "refused": "Refused",
}
OUTCOME_ORDER = ("refused", "conflict", "apply", "applied", "unchanged")
"""The order rows are reported in (:meth:`ReadBack.ordered_rows`): what needs the reader first
(refused, then conflicts), then what is (or will be) written, then the rows with nothing to do."""


@dataclass(frozen=True)
class Column:
    """One column of the Actions sheet: its key, heading, width and whether the lead may edit it."""

    key: str
    heading: str
    width: int
    editable: bool = False
    hidden: bool = False


COLUMNS = (
    Column("review", "Review", 26),
    Column("recommendation", "Recommendation", 34),
    Column("action", "Action", 9),
    Column("description", "Action text", 46),
    Column("lead_officer", "Lead officer", 18),
    Column("due_on", "Target date", 12),
    Column("days_overdue", "Days overdue", 9),
    Column("pending_due_on", "New target date awaiting the board", 14),
    Column("status", "Status", 24, editable=True),
    Column("note", "Progress note", 46, editable=True),
    Column("new_due_on", "New target date requested", 14, editable=True),
    Column("reason", "Reason (for the new target date, or for closing)", 34, editable=True),
    Column("evidence_url", "Evidence link", 30, editable=True),
    Column("action_id", "Action id (do not change)", 10, hidden=True),
    Column("version", "Version (do not change)", 10, hidden=True),
)
HEADER_ROW = 4
"""Row of the column headings in a workbook as made (a returned one is searched for them)."""


# --- errors -----------------------------------------------------------------------------------


class WorkbookError(Exception):
    """The whole workbook is refused (or cannot be made); nothing was written. The message says
    why and is fit to show."""


class SecretMissing(WorkbookError):
    """No signing key is configured (or it is too short); the message says how to set one."""


# --- the signing key and the signature --------------------------------------------------------


def secret_key() -> bytes:
    """The signing key: :data:`SECRET_SETTING` from the environment, else the same top-level key
    in the project's ``.streamlit/secrets.toml``.

    :raises SecretMissing: not set, or shorter than :data:`MIN_SECRET_LENGTH` characters.
    """
    raw = os.environ.get(SECRET_SETTING, "").strip()
    if not raw:
        path = config.PROJECT_ROOT / ".streamlit" / "secrets.toml"
        try:
            raw = str(tomllib.loads(path.read_text()).get(SECRET_SETTING) or "").strip()
        except (OSError, tomllib.TOMLDecodeError):
            raw = ""
    how = (
        f"set {SECRET_SETTING} in the environment or in .streamlit/secrets.toml to a random text "
        f"of at least {MIN_SECRET_LENGTH} characters, e.g. the output of "
        '`python -c "import secrets; print(secrets.token_hex(32))"`, and keep it: workbooks '
        "signed with one key can only be read back with the same key"
    )
    if not raw:
        raise SecretMissing(f"Update workbooks need a signing key: {how}.")
    if len(raw) < MIN_SECRET_LENGTH:
        raise SecretMissing(
            f"The {SECRET_SETTING} key is too short ({len(raw)} characters): {how}."
        )
    return raw.encode()


def _payload(agency_id: int, issued_at: str, actions: list[tuple[int, int]]) -> bytes:
    body = {
        "format": FORMAT,
        "agency_id": int(agency_id),
        "issued_at": issued_at,
        "actions": [[int(i), int(v)] for i, v in actions],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(key: bytes, agency_id: int, issued_at: str, actions: list[tuple[int, int]]) -> str:
    """HMAC-SHA256 (hex) over the format, agency, time of issue and the (id, version) pairs."""
    return hmac.new(key, _payload(agency_id, issued_at, actions), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SentWorkbook:
    """What a workbook was when it was made, read from its signature sheet and verified.

    :ivar versions: action id → version as sent.
    :ivar issued_at: UTC ISO timestamp of issue.
    """

    agency_id: int
    agency: str
    issued_at: str
    versions: dict[int, int]
    signature: str

    @property
    def ref(self) -> str:
        """A short reference to this workbook (the start of its signature)."""
        return self.signature[:12]

    @property
    def sent_on(self) -> date:
        """The Europe/London date of issue."""
        return datetime.fromisoformat(self.issued_at).astimezone(config.LONDON).date()


def day_words(value: date | str | None) -> str:
    """A date as ``3 Jun 2026`` (empty text for none)."""
    if not value:
        return ""
    return vocabulary.uk_date(value if isinstance(value, date) else str(value)[:10])


def via_text(sent: SentWorkbook, reader: services.Actor) -> str:
    """The audit's "via" text for changes read back from ``sent`` by ``reader``."""
    return (
        f"returned workbook from {sent.agency}, sent {day_words(sent.sent_on)}, read by "
        f"{reader.email}; workbook ref {sent.ref}"
    )


# --- make -------------------------------------------------------------------------------------

WORKBOOK_ROW_COLUMNS = [
    "id",
    "version",
    "review_ref",
    "review_title",
    "recommendation_number",
    "recommendation",
    "number",
    "description",
    "lead_officer",
    "status",
    "due_on",
    "days_overdue",
    "pending_due_on",
]


def agency_name(conn: Connection, agency_id: int) -> str:
    """An agency's name. :raises WorkbookError: no such agency."""
    name = conn.execute(select(db.agency.c.name).where(db.agency.c.id == agency_id)).scalar()
    if name is None:
        raise WorkbookError(f"agency: no agency with id {agency_id}.")
    return str(name)


def workbook_actions(conn: Connection, agency_id: int, today: date) -> pd.DataFrame:
    """:func:`workbook_rows` as a DataFrame with :data:`WORKBOOK_ROW_COLUMNS`."""
    return pd.DataFrame(workbook_rows(conn, agency_id, today), columns=WORKBOOK_ROW_COLUMNS)


def _pending_due_on():
    """SQL: the new target date of the action's change awaiting the board's decision (or NULL),
    for a select over ``action``."""
    ddc = db.due_date_change
    return (
        select(ddc.c.new_due_on)
        .where(ddc.c.action_id == db.action.c.id, ddc.c.decision == "pending")
        .limit(1)
        .scalar_subquery()
    )


def workbook_rows(conn: Connection, agency_id: int, today: date) -> list[dict]:
    """The rows of an agency's workbook: actions it leads that are open or completed (awaiting
    assurance), worst first: most days overdue (:func:`monitoring.rules.days_overdue`), then
    earliest target date (none last), then review, recommendation and action number.

    :returns: dicts with :data:`WORKBOOK_ROW_COLUMNS` (dates ISO text or None; ``days_overdue``
        int; ``pending_due_on`` the new date of a change awaiting the board's decision, or None).
    """
    a, rec, rv = db.action, db.recommendation, db.review
    pending = _pending_due_on()
    result = conn.execute(
        select(
            a.c.id,
            a.c.version,
            rv.c.ref,
            rv.c.title,
            rec.c.number.label("rec_number"),
            rec.c.title.label("rec_title"),
            rec.c.text.label("rec_text"),
            a.c.number,
            a.c.description,
            a.c.lead_officer,
            a.c.status,
            a.c.due_on,
            pending.label("pending_due_on"),
        )
        .select_from(
            a.join(rec, rec.c.id == a.c.recommendation_id).join(rv, rv.c.id == a.c.review_id)
        )
        .where(a.c.lead_agency_id == agency_id, a.c.status.in_(WORKBOOK_STATUSES))
    ).all()
    rows = []
    for r in result:
        due = rules.parse_iso(r.due_on)
        rows.append(
            {
                "id": int(r.id),
                "version": int(r.version),
                "review_ref": r.ref,
                "review_title": r.title,
                "recommendation_number": r.rec_number,
                "recommendation": r.rec_title or r.rec_text or "",
                "number": r.number,
                "description": r.description,
                "lead_officer": r.lead_officer,
                "status": r.status,
                "due_on": r.due_on,
                "days_overdue": rules.days_overdue(r.status, due, today),
                "pending_due_on": r.pending_due_on,
            }
        )
    rows.sort(
        key=lambda x: (
            -x["days_overdue"],
            x["due_on"] is None,
            x["due_on"] or "",
            str(x["review_ref"]),
            str(x["recommendation_number"]),
            str(x["number"]),
        )
    )
    return rows


def status_word(code: str) -> str:
    """The word a workbook uses for a status (the app's label)."""
    return vocabulary.STATUS_LABELS.get(code, code)


def make_workbook(
    engine: Engine,
    actor: services.Actor,
    agency_id: int,
    *,
    today: date | None = None,
    key: bytes | None = None,
    issued_at: str | None = None,
) -> bytes:
    """Make the update workbook of one agency (.xlsx bytes).

    :param actor: who makes it: an administrator, or the agency's own lead (the people who may
        update its actions, :func:`monitoring.services.can`).
    :param today: for days overdue (default :func:`monitoring.config.today`).
    :param key: the signing key (default :func:`secret_key`).
    :param issued_at: UTC ISO time of issue, signed (default now).
    :raises SecretMissing: no signing key configured.
    :raises WorkbookError: no such agency.
    :raises services.PermissionDenied: the actor may not update this agency's actions.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    key = key or secret_key()
    services.require(actor, "update_action", agency_id=agency_id)
    today = today or config.today()
    issued_at = issued_at or config.utc_now_iso()
    with db.read_connection(engine) as conn:
        name = agency_name(conn, agency_id)
        actions = workbook_rows(conn, agency_id, today)
    pairs = [(int(row["id"]), int(row["version"])) for row in actions]
    signature = sign(key, agency_id, issued_at, pairs)

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sent_on = datetime.fromisoformat(issued_at).astimezone(config.LONDON).date()
    sheet["A1"] = f"Actions led by {name}: update workbook sent {day_words(sent_on)}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = (
        "Fill in the yellow columns only (status, progress note, a new target date with its "
        "reason, an evidence link), save the file and send it back to the board office. A new "
        "target date applies once the board approves it; closing an action as Not implemented "
        "or Superseded needs a reason. Do not change the hidden columns."
    )
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=8)
    sheet.row_dimensions[2].height = 48
    editable_fill = PatternFill("solid", fgColor="FFF4C2")
    heading_fill = PatternFill("solid", fgColor="D9D9D9")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=index, value=column.heading)
        cell.font = Font(bold=True)
        cell.fill = editable_fill if column.editable else heading_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        sheet.column_dimensions[letter].hidden = column.hidden
    # Named styles: one lookup per cell instead of building each cell's style (27 s to ~3 s for
    # an agency with 11,000 actions).
    styles = {}
    for editable in (False, True):
        for dated in (False, True):
            style = NamedStyle(
                name=f"update workbook {'entry' if editable else 'guide'}{' date' if dated else ''}",
                alignment=Alignment(wrap_text=True, vertical="top"),
                protection=Protection(locked=not editable),
                number_format="dd/mm/yyyy" if dated else "General",
            )
            if editable:
                style.fill = editable_fill
            book.add_named_style(style)
            styles[editable, dated] = style.name
    for offset, row in enumerate(actions):
        number = HEADER_ROW + 1 + offset
        due = rules.parse_iso(row["due_on"])
        cells = {
            "review": f"{row['review_ref']}: {row['review_title']}",
            "recommendation": f"{row['recommendation_number']}: {row['recommendation']}".strip(),
            "action": str(row["number"]),
            "description": row["description"],
            "lead_officer": row["lead_officer"],
            "due_on": due,
            "days_overdue": int(row["days_overdue"]),
            "pending_due_on": rules.parse_iso(row["pending_due_on"]),
            "status": status_word(row["status"]),
            "note": None,
            "new_due_on": None,
            "reason": None,
            "evidence_url": None,
            "action_id": int(row["id"]),
            "version": int(row["version"]),
        }
        for index, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=number, column=index, value=cells[column.key])
            # Text from people stays text: a value starting with "=" is never a formula here.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
            dated = column.key in ("due_on", "new_due_on", "pending_due_on")
            cell.style = styles[column.editable, dated]
    last = HEADER_ROW + max(len(actions), 1)
    words = ",".join(status_word(code) for code in LEAD_STATUSES)
    status_list = DataValidation(
        type="list",
        formula1=f'"{words}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Status",
        error="Choose one of the status words in the list.",
        promptTitle="Status",
        prompt="Choose the action's status now.",
        showInputMessage=True,
    )
    status_list.add(f"{_letter('status')}{HEADER_ROW + 1}:{_letter('status')}{last}")
    note_length = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1=str(services.MAX_NOTE_CHARS),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Progress note",
        error=f"A progress note has at most {services.MAX_NOTE_CHARS} characters.",
    )
    note_length.add(f"{_letter('note')}{HEADER_ROW + 1}:{_letter('note')}{last}")
    sheet.add_data_validation(status_list)
    sheet.add_data_validation(note_length)
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{last}"
    protection = sheet.protection
    protection.sheet = True
    protection.formatColumns = False
    protection.formatRows = False
    protection.sort = False
    protection.autoFilter = False

    signed = book.create_sheet(SIGNATURE_SHEET)
    for row in (
        ("format", FORMAT),
        ("agency_id", int(agency_id)),
        ("agency", name),
        ("issued_at", issued_at),
        ("signature", signature),
        ("actions", len(pairs)),
        ("action_id", "version"),
    ):
        signed.append(row)
    for pair in pairs:  # one row each: a cell holds at most 32,767 characters in Excel
        signed.append(pair)
    signed.sheet_state = "veryHidden"
    signed.protection.sheet = True
    book.properties.title = f"Update workbook: {name}"
    book.properties.creator = "Safeguarding learning monitor"
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _index(key: str) -> int:
    return next(i for i, c in enumerate(COLUMNS, start=1) if c.key == key)


def _letter(key: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(_index(key))


# --- read back --------------------------------------------------------------------------------


@dataclass
class RowResult:
    """What happened (or, in a preview, will happen) to one row of a returned workbook.

    :ivar row: the row number in the sheet (as Excel shows it).
    :ivar changes: the changes the row asks for, in words.
    :ivar detail: why it was refused, what the conflict is, or what was saved.
    :ivar current: for a conflict: the action now (``status, due_on, version``).
    :ivar since: for a conflict: the audit rows written since the version sent (``at, actor,
        field, old_value, new_value``).
    """

    row: int
    action_id: int | None
    review_ref: str = ""
    number: str = ""
    outcome: str = "refused"
    changes: list[str] = field(default_factory=list)
    detail: str = ""
    sent_version: int | None = None
    current: dict | None = None
    since: list[dict] = field(default_factory=list)
    plan: dict | None = field(default=None, repr=False)


@dataclass
class ReadBack:
    """A returned workbook read back: the workbook as sent and one result per row with content."""

    sent: SentWorkbook
    reader: str
    applied: bool
    rows: list[RowResult]

    def counts(self) -> dict[str, int]:
        """Rows per outcome (every outcome of :data:`OUTCOMES`, zero included)."""
        found = Counter(r.outcome for r in self.rows)
        return {outcome: int(found.get(outcome, 0)) for outcome in OUTCOMES}

    def ordered_rows(self) -> list[RowResult]:
        """The rows in the order they are reported: by outcome (:data:`OUTCOME_ORDER`: refused
        first, then conflicts, rows to apply or applied, and unchanged last), then by row number.
        """
        return sorted(self.rows, key=lambda r: (OUTCOME_ORDER.index(r.outcome), r.row))

    def refused_lines(self) -> list[str]:
        """One line per refused row, by row number, with its reason: ``Row 133 (action
        2024-0659 / 1): This action is led by ...`` (a row that matched no action has no
        action part). Empty when nothing was refused."""
        lines = []
        for r in self.ordered_rows():
            if r.outcome != "refused":
                continue
            what = f" (action {r.review_ref} / {r.number})" if r.number else ""
            lines.append(f"Row {r.row}{what}: {r.detail}")
        return lines

    def frame(self) -> pd.DataFrame:
        """One line per row, in :meth:`ordered_rows` order (refused first): ``Row, Review,
        Action, Outcome, Changes, Detail`` (text)."""
        return pd.DataFrame(
            [
                {
                    "Row": r.row,
                    "Review": r.review_ref,
                    "Action": r.number,
                    "Outcome": OUTCOME_LABELS[r.outcome],
                    "Changes": "; ".join(r.changes),
                    "Detail": r.detail,
                }
                for r in self.ordered_rows()
            ],
            columns=["Row", "Review", "Action", "Outcome", "Changes", "Detail"],
        )


def _cell_text(cell: Any) -> str:
    """A cell's value as text, exactly as typed: a formula is its text (never evaluated)."""
    value = cell.value
    if value is None:
        return ""
    text = getattr(value, "text", None)  # ArrayFormula / DataTableFormula
    if text is not None and not isinstance(value, str):
        return str(text)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    return str(value).strip()


def _normalise_heading(text: str) -> str:
    head = str(text or "").split("(")[0]
    return " ".join(head.lower().split())


HEADINGS = {_normalise_heading(c.heading): c.key for c in COLUMNS}


def _load(content: bytes):
    from openpyxl import load_workbook

    if not content:
        raise WorkbookError("The file is empty: expected the update workbook (.xlsx).")
    try:
        return load_workbook(
            io.BytesIO(content), data_only=False, keep_links=False, keep_vba=False, rich_text=False
        )
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as exc:
        raise WorkbookError(
            f"This file is not an Excel workbook (.xlsx) that can be read ({type(exc).__name__})."
        ) from None
    except Exception as exc:  # openpyxl raises its own and lxml/defusedxml errors
        raise WorkbookError(
            f"This file is not an update workbook that can be read ({type(exc).__name__})."
        ) from None


def verify(book: Any, key: bytes) -> SentWorkbook:
    """Read and check a workbook's signature sheet.

    :raises WorkbookError: no signature sheet (not made by this monitor), an unknown format, or
        a signature that does not match (the file was changed, or signed with another key).
    """
    if SIGNATURE_SHEET not in book.sheetnames:
        raise WorkbookError(
            "This file is not an update workbook made by this monitor (it has no signature)."
        )
    signed = book[SIGNATURE_SHEET]
    found: dict[str, Any] = {}
    pairs_from = None
    for row in signed.iter_rows(min_row=1, max_row=20, max_col=2):
        if row[0].value is not None:
            found[str(row[0].value).strip()] = row[1].value
            if row[0].value == "action_id":
                pairs_from = row[0].row + 1
                break
    if found.get("format") != FORMAT:
        raise WorkbookError(
            "This file is not an update workbook made by this monitor (unknown format "
            f"{str(found.get('format'))[:60]!r})."
        )
    try:
        agency_id = int(found["agency_id"])
        issued_at = str(found["issued_at"])
        datetime.fromisoformat(issued_at)
        count = int(found["actions"])
        if pairs_from is None or not 0 <= count <= MAX_ROWS:
            raise ValueError("no list of actions")
        pairs = [
            (int(i), int(v))
            for i, v in signed.iter_rows(
                min_row=pairs_from, max_row=pairs_from + count - 1, max_col=2, values_only=True
            )
        ]
        signature = str(found["signature"])
    except (KeyError, TypeError, ValueError):
        raise WorkbookError(
            "The workbook's signature does not match: it was changed after it was sent."
        ) from None
    if not hmac.compare_digest(sign(key, agency_id, issued_at, pairs), signature):
        raise WorkbookError(
            "The workbook's signature does not match: it was changed after it was sent, or it "
            "was made by another monitor (or with another signing key). Nothing was read."
        )
    return SentWorkbook(
        agency_id, str(found.get("agency") or ""), issued_at, dict(pairs), signature
    )


def _find_sheet(book: Any):
    """The sheet and the row of its column headings (found where they are)."""
    sheets = [book[SHEET]] if SHEET in book.sheetnames else []
    sheets += [s for s in book.worksheets if s.title not in (SHEET, SIGNATURE_SHEET)]
    for sheet in sheets:
        for row in sheet.iter_rows(min_row=1, max_row=30):
            keys = {HEADINGS.get(_normalise_heading(_cell_text(c))) for c in row}
            if {"action_id", "version"} <= keys:
                return sheet, row[0].row
    raise WorkbookError(
        "The workbook has no sheet with the columns 'Action id (do not change)' and "
        "'Version (do not change)': were they deleted?"
    )


def _columns(sheet: Any, header_row: int) -> dict[str, int]:
    """Column index (1-based) of each known heading; extra columns are ignored.

    :raises WorkbookError: a column the read-back needs is missing, or appears twice.
    """
    found: dict[str, int] = {}
    for cell in next(sheet.iter_rows(min_row=header_row, max_row=header_row)):
        key = HEADINGS.get(_normalise_heading(_cell_text(cell)))
        if key is None:
            continue
        if key in found:
            raise WorkbookError(f"The column {cell.value!r} appears twice in row {header_row}.")
        found[key] = cell.column
    needed = ("status", "note", "new_due_on", "reason", "evidence_url", "action_id", "version")
    missing = [c.heading for c in COLUMNS if c.key in needed and c.key not in found]
    if missing:
        raise WorkbookError(
            f"The workbook is missing the column(s) {', '.join(missing)} (row {header_row})."
        )
    return found


def _whole_number(text: str) -> int | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def parse_status(text: str) -> str | None:
    """The status code for a status word typed in any case: the code (``in_progress``, ``in
    progress``), the app's label (``Completed (agency reports)``) or the label's first words
    (``completed``). None when it is none of the statuses a lead may set."""
    word = values.normalise_word(text)
    for code in db.ACTION_STATUSES:
        label = vocabulary.STATUS_LABELS.get(code, code)
        forms = {values.normalise_word(code), values.normalise_word(label)}
        forms.add(values.normalise_word(label.split("(")[0]))
        if word in forms:
            return code
    return None


def _action_rows(conn: Connection, ids: set[int]) -> dict[int, dict]:
    a, rv, ag = db.action, db.review, db.agency
    if not ids:
        return {}
    pending = _pending_due_on()
    result = conn.execute(
        select(
            a.c.id,
            a.c.version,
            a.c.number,
            a.c.status,
            a.c.due_on,
            a.c.lead_agency_id,
            rv.c.ref,
            ag.c.name.label("agency"),
            pending.label("pending_due_on"),
        )
        .select_from(
            a.join(rv, rv.c.id == a.c.review_id).outerjoin(ag, ag.c.id == a.c.lead_agency_id)
        )
        .where(a.c.id.in_(sorted(ids)))
    ).mappings()
    return {int(r["id"]): dict(r) for r in result}


def _already_read(conn: Connection, action_id: int, ref: str) -> dict | None:
    log = db.audit_log
    row = (
        conn.execute(
            select(log.c.at, log.c.actor)
            .where(
                log.c.entity == "action",
                log.c.entity_id == action_id,
                log.c.field == "via",
                log.c.new_value.like(f"%workbook ref {ref}"),
            )
            .order_by(log.c.id)
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _read_rows(sheet: Any, header_row: int, columns: dict[str, int]) -> list[tuple[int, dict, Any]]:
    """(row number, texts by column key, the cell of the new date) for every row with content."""
    if sheet.max_row > header_row + MAX_ROWS:
        raise WorkbookError(f"The workbook has more than {MAX_ROWS} rows; nothing was read.")
    out = []
    for row in sheet.iter_rows(min_row=header_row + 1):
        cells = {
            key: row[index - 1] if index - 1 < len(row) else None for key, index in columns.items()
        }
        texts = {key: (_cell_text(cell) if cell is not None else "") for key, cell in cells.items()}
        if not any(
            texts[k]
            for k in (
                "status",
                "note",
                "new_due_on",
                "reason",
                "evidence_url",
                "action_id",
                "version",
            )
        ):
            continue
        out.append((row[0].row, texts, cells))
        if len(out) > MAX_ROWS:
            raise WorkbookError(f"The workbook has more than {MAX_ROWS} rows; nothing was read.")
    return out


def _evaluate(
    conn: Connection,
    sent: SentWorkbook,
    number: int,
    texts: dict[str, str],
    cells: dict[str, Any],
    current: dict | None,
    duplicates: dict[int, list[int]],
) -> RowResult:
    """Decide one row's outcome (no writes)."""
    raw_id = texts.get("action_id", "")
    action_id = _whole_number(raw_id) if raw_id else None
    result = RowResult(row=number, action_id=action_id)
    if action_id is None:
        what = f"{raw_id!r}" if raw_id else "empty"
        result.detail = (
            f"The hidden action id is {what}: this row was added or its id changed, so it cannot "
            "be matched to an action."
        )
        return result
    if current is None:
        result.detail = f"The hidden action id {action_id} is not an action in the monitor."
        return result
    result.review_ref, result.number = str(current["ref"]), str(current["number"])
    if current["lead_agency_id"] != sent.agency_id:
        result.detail = (
            f"This action is led by {current['agency'] or vocabulary.NO_LEAD_AGENCY}, not "
            f"{sent.agency}: a row for another agency's action is not read from this workbook."
        )
        return result
    if action_id not in sent.versions:
        result.detail = (
            f"Action id {action_id} was not in this workbook when it was sent: its hidden id was "
            "changed or the row was copied from another workbook."
        )
        return result
    if len(duplicates.get(action_id, [])) > 1:
        rows = " and ".join(str(r) for r in duplicates[action_id])
        result.detail = f"This action appears in rows {rows}: keep one row per action."
        return result
    sent_version = sent.versions[action_id]
    result.sent_version = sent_version
    raw_version = texts.get("version", "")
    if _whole_number(raw_version) != sent_version:
        result.detail = f"The hidden version was changed (sent as {sent_version}, now {raw_version or 'empty'})."
        return result
    shown = texts.get("action", "")
    shown_review = texts.get("review", "")
    if (shown and values.clean_ref(shown) != str(current["number"])) or (
        shown_review and not shown_review.startswith(f"{current['ref']}:")
    ):
        result.detail = (
            f"The row shows action {shown or '?'} of {shown_review.split(':')[0] or '?'} but its "
            f"hidden id is that of action {current['number']} of {current['ref']} (were rows "
            "sorted without the hidden columns?)."
        )
        return result

    # The lead's entries, as text; checked as the services would check them.
    status_text = texts.get("status", "")
    status = parse_status(status_text) if status_text else None
    if status_text and (status is None or status not in LEAD_STATUSES):
        allowed = ", ".join(status_word(s) for s in LEAD_STATUSES)
        result.detail = (
            f"Status {status_text[:80]!r} is not a status a lead may set; use one of: {allowed}."
            + (" Assurance is the board's decision." if status == "assured" else "")
        )
        return result
    note = texts.get("note", "")
    if len(note) > services.MAX_NOTE_CHARS:
        result.detail = (
            f"The progress note has {len(note)} characters; at most "
            f"{services.MAX_NOTE_CHARS} are accepted."
        )
        return result
    reason = texts.get("reason", "")
    if len(reason) > 2000:
        result.detail = f"The reason has {len(reason)} characters; at most 2000 are accepted."
        return result
    new_due: date | None = None
    due_cell = cells.get("new_due_on")
    due_raw = due_cell.value if due_cell is not None else None
    if isinstance(due_raw, str) or getattr(due_raw, "text", None) is not None:
        due_raw = texts.get("new_due_on", "")  # formulas as text
    if due_raw not in (None, ""):
        try:
            parsed = values.parse_date(due_raw)
        except values.NotADate as exc:
            result.detail = f"New target date: {str(exc).rstrip('.')}."
            return result
        if parsed is not None and parsed.approximate:
            result.detail = (
                f"New target date: {texts.get('new_due_on')!r} is not a full date (expected e.g. "
                "31/03/2027)."
            )
            return result
        new_due = parsed.value if parsed else None
    link = texts.get("evidence_url", "")
    if cells.get("evidence_url") is not None and not link.lower().startswith(
        ("https://", "http://")
    ):
        # A cell made a hyperlink shows its own words: the address is the link's target.
        target = str(getattr(cells["evidence_url"].hyperlink, "target", None) or "").strip()
        if target.lower().startswith(("https://", "http://")):
            link = target
    if link:
        try:
            link = services._check_url(link)
        except services.ValidationError as exc:
            result.detail = str(exc)
            return result

    status_now = str(current["status"])
    new_status = status if status and status != status_now else None
    if new_status:
        result.changes.append(f"Status: {status_word(status_now)} → {status_word(new_status)}")
    if note:
        result.changes.append(f"Progress note: {note}")
    if new_due:
        result.changes.append(
            f"New target date requested: {day_words(new_due)}" + (f" ({reason})" if reason else "")
        )
    if link:
        result.changes.append(f"Evidence link: {link}")
    if new_status in CLOSING_STATUSES and not reason:
        result.detail = f"Closing as {status_word(new_status)} needs a reason in the Reason column."
        return result

    version_now = int(current["version"])
    if version_now != sent_version:
        earlier = _already_read(conn, action_id, sent.ref)
        if earlier:
            result.outcome = "unchanged"
            result.changes = []
            result.detail = (
                f"Already read in from this workbook ({day_words(earlier['at'])}, by "
                f"{earlier['actor']}); nothing written again."
            )
            return result
        if not result.changes:
            result.outcome = "unchanged"
            result.detail = "Nothing filled in."
            return result
        result.outcome = "conflict"
        result.current = {
            "status": status_now,
            "due_on": current["due_on"],
            "version": version_now,
        }
        result.since = [
            {k: r[k] for k in ("at", "actor", "field", "old_value", "new_value")}
            for r in services.changes_since(conn, "action", action_id, sent_version)
            if r["field"] not in ("version", "via")
        ]
        said = "; ".join(
            f"{r['field']} {r['old_value'] or '—'} → {r['new_value'] or '—'} ({r['actor']})"
            for r in result.since
            if r["field"] != "progress_note"
        )
        result.detail = (
            f"The action changed since the workbook was made (sent as version {sent_version}, "
            f"now version {version_now}, status {status_word(status_now)}"
            + (f"; {said}" if said else "")
            + "). Nothing was overwritten: check the row against the action and enter it again."
        )
        return result
    if not result.changes:
        result.outcome = "unchanged"
        result.detail = "Nothing filled in."
        return result
    if new_due:
        after = new_status or status_now
        if after not in db.OPEN_STATUSES:
            result.detail = (
                "A new target date can only be asked for an open action; this row leaves it "
                f"{status_word(after)}."
            )
            return result
        if not reason:
            headings = {c.key: c.heading for c in COLUMNS}
            result.detail = (
                f"Row {result.row}, action {result.number} of {result.review_ref}: the new target "
                f"date ({day_words(new_due)}, column '{headings['new_due_on']}') needs its reason "
                f"in the column '{headings['reason']}'."
            )
            return result
        if new_due.isoformat() == current["due_on"]:
            result.detail = f"The target date is already {day_words(new_due)}."
            return result
        if current["pending_due_on"]:
            result.detail = (
                f"A new target date of {day_words(current['pending_due_on'])} is already waiting "
                "for the board's decision."
            )
            return result
    update = None
    if new_status or note or link:
        update = {
            "status": new_status or status_now,
            "note": note or None,
            "evidence_url": link or None,
            "reason": reason if new_status in CLOSING_STATUSES else None,
        }
    if reason and not new_due and new_status not in CLOSING_STATUSES:
        result.detail = "The reason was not used (no new target date, and not closing)."
    result.plan = {"update": update, "due": (new_due, reason) if new_due else None}
    result.outcome = "apply"
    return result


def _apply(engine: Engine, actor: services.Actor, result: RowResult) -> None:
    """Write one row through the services, in the order of the update form."""
    plan = result.plan or {}
    version = result.sent_version
    done: list[str] = []
    try:
        if plan.get("update"):
            saved = services.save_action_update(
                engine, actor, int(result.action_id), version=version, **plan["update"]
            )
            version = int(saved["version"])
            done.append("update saved")
        if plan.get("due"):
            new_due, reason = plan["due"]
            services.request_due_date_change(
                engine, actor, int(result.action_id), new_due, reason, version=version
            )
            done.append("new target date requested")
    except services.VersionConflict as exc:
        if done:
            result.outcome = "applied"
            result.detail = f"Saved: {', '.join(done)}. Not saved: {exc}"
            return
        result.outcome = "conflict"
        result.current = {k: exc.current.get(k) for k in ("status", "due_on", "version")}
        result.since = [
            {k: r[k] for k in ("at", "actor", "field", "old_value", "new_value")}
            for r in exc.changes
        ]
        result.detail = f"{exc} Nothing was overwritten."
        return
    except services.ServiceError as exc:
        if done:
            result.outcome = "applied"
            result.detail = f"Saved: {', '.join(done)}. Not saved: {exc}"
            return
        result.outcome = "refused"
        result.detail = str(exc)
        return
    result.outcome = "applied"


def read_back(
    engine: Engine,
    actor: services.Actor,
    content: bytes,
    *,
    apply: bool = False,
    key: bytes | None = None,
) -> ReadBack:
    """Read a returned workbook: check it, preview every row, and (``apply=True``) write the rows
    that can be applied, each through the services as the update form writes it.

    :param actor: who reads it in: an administrator (the board office) or the agency's own lead.
    :returns: a :class:`ReadBack` with one :class:`RowResult` per row with content (blank rows
        are skipped); in a preview the rows to write are ``apply``, after applying ``applied``.
    :raises SecretMissing: no signing key configured.
    :raises WorkbookError: the whole file is refused, nothing written: not an .xlsx, not made by
        this monitor, a signature that does not match, a needed column missing, or a reader who
        may not update this agency's actions.
    """
    key = key or secret_key()
    book = _load(content)
    sent = verify(book, key)
    with db.read_connection(engine) as conn:  # the signed id names the agency, not the sheet
        sent = dataclasses.replace(sent, agency=agency_name(conn, sent.agency_id))
    if not services.can(actor, "update_action", agency_id=sent.agency_id):
        if actor.role == "agency_lead":
            raise WorkbookError(
                f"This workbook is for {sent.agency}; you can read back only your own agency's "
                "workbook. Nothing was read."
            )
        raise WorkbookError(
            f"Your role ({actor.role.replace('_', ' ')}) may not update actions, so it cannot read "
            "back an update workbook. Nothing was read."
        )
    sheet, header_row = _find_sheet(book)
    columns = _columns(sheet, header_row)
    raw_rows = _read_rows(sheet, header_row, columns)
    ids: dict[int, list[int]] = {}
    for number, texts, _cells in raw_rows:
        action_id = _whole_number(texts.get("action_id", "") or "x")
        if action_id is not None:
            ids.setdefault(action_id, []).append(number)
    with db.read_connection(engine) as conn:
        current = _action_rows(conn, set(ids))
        results = []
        for number, texts, cells in raw_rows:
            action_id = _whole_number(texts.get("action_id", "") or "x")
            row = current.get(action_id) if action_id is not None else None
            results.append(_evaluate(conn, sent, number, texts, cells, row, ids))
    if apply:
        via_actor = dataclasses.replace(actor, via=via_text(sent, actor))
        for result in results:
            if result.outcome == "apply":
                _apply(engine, via_actor, result)
    return ReadBack(sent=sent, reader=actor.email, applied=apply, rows=results)


# --- command line -----------------------------------------------------------------------------


def _actor(engine: Engine, email: str | None) -> services.Actor:
    if not email:
        return services.Actor.system("command line")
    with engine.connect() as conn:
        user = (
            conn.execute(
                select(db.app_user).where(
                    db.app_user.c.email == email.strip().lower(), db.app_user.c.active.is_(True)
                )
            )
            .mappings()
            .first()
        )
    if user is None:
        raise WorkbookError(f"--as: no active account {email!r}.")
    return services.Actor.from_user(dict(user))


def _agency(engine: Engine, value: str) -> int:
    from monitoring.importer.agencies import AgencyNotFound, find_agency

    with engine.connect() as conn:
        try:
            return find_agency(conn, value)
        except AgencyNotFound as exc:
            raise WorkbookError(f"--agency: {exc}") from None


def cmd_make(args: argparse.Namespace) -> int:
    """Make an agency's update workbook: its open actions and those awaiting assurance."""
    engine = db.get_engine()
    try:
        actor = _actor(engine, args.as_email)
        agency_id = _agency(engine, args.agency)
        content = make_workbook(engine, actor, agency_id)
    except (WorkbookError, services.ServiceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out = files.write_output(args.out, content)  # owner-only, whatever the umask
    print(f"Update workbook written to {out}.")
    return 0


def report_lines(result: ReadBack) -> list[str]:
    """The read-back as lines of text: one per row, refused first (:meth:`ReadBack.ordered_rows`),
    then the counts."""
    sent = result.sent
    lines = [
        f"Workbook from {sent.agency}, sent {day_words(sent.sent_on)} (ref {sent.ref})"
        + (", applied:" if result.applied else ", preview (nothing written):")
    ]
    for r in result.ordered_rows():
        what = f"{r.review_ref} action {r.number}" if r.number else "?"
        text = f"  row {r.row} ({what}): {OUTCOME_LABELS[r.outcome]}"
        if r.changes:
            text += " — " + "; ".join(c[:120] for c in r.changes)
        if r.detail:
            text += f" — {r.detail}"
        lines.append(text)
    counts = result.counts()
    lines.append(
        ", ".join(f"{n} {OUTCOME_LABELS[o].lower()}" for o, n in counts.items() if n)
        or "No rows with content."
    )
    return lines


def cmd_apply(args: argparse.Namespace) -> int:
    """Read back a returned update workbook: check its signature and agency, report every row
    (applied, unchanged, conflict or refused); ``--dry-run`` only previews."""
    engine = db.get_engine()
    try:
        content = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        actor = _actor(engine, args.as_email)
        result = read_back(engine, actor, content, apply=not args.dry_run)
    except WorkbookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report_lines(result)))
    counts = result.counts()
    return 1 if counts["refused"] or counts["conflict"] else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``workbook make`` and ``workbook apply`` to the command line."""
    parser = subparsers.add_parser(
        "workbook",
        help="make an agency's update workbook, or read a returned one back",
        description="Update workbooks: an Excel file per agency that its lead fills in and "
        f"returns. Needs {SECRET_SETTING} (a signing key of {MIN_SECRET_LENGTH}+ characters).",
    )
    commands = parser.add_subparsers(dest="workbook_command", metavar="make|apply")
    commands.required = True
    make = commands.add_parser("make", help=cmd_make.__doc__, description=cmd_make.__doc__)
    make.add_argument("--agency", required=True, help="agency id, short name or name")
    make.add_argument("--out", required=True, help="the .xlsx file to write")
    make.add_argument(
        "--as", dest="as_email", help="make it as this account (default: the command line)"
    )
    make.set_defaults(func=cmd_make)
    apply = commands.add_parser("apply", help=cmd_apply.__doc__, description=cmd_apply.__doc__)
    apply.add_argument("file", help="the returned .xlsx workbook")
    apply.add_argument("--dry-run", action="store_true", help="preview only; write nothing")
    apply.add_argument(
        "--as",
        dest="as_email",
        help="read it in as this account (its e-mail is audited; default: the command line)",
    )
    apply.set_defaults(func=cmd_apply)
