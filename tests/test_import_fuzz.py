"""Fuzzing the importer with Hypothesis: 10,000 generated tracker files a run (CSV in four
encodings and four delimiters, .xlsx with merged banners, hidden sheets and formulas without
saved values; header rows below titles; banners, headings, totals, blank rows; dates in every
form people write; status words; bad bytes).

For every input: no traceback (a file that cannot be read is refused with
:class:`~monitoring.importer.readers.ImportFileError`), and every data row is imported, skipped
with a reason in the report, or reported as an error, with nothing written (a sample of the
inputs is written to the database for real: all of it, or none of it).
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from monitoring import db, services
from monitoring.importer import TrackerOptions, build_plan, read_bytes
from monitoring.importer.plan import Problem
from monitoring.importer.readers import Formula, ImportFileError
from monitoring.importer.values import DEFAULT_STATUS_WORDS

CSV_EXAMPLES = 2_125
"""Each CSV example is one tracker written in the four encodings: 8,500 files."""
XLSX_EXAMPLES = 1_000
WRITE_EXAMPLES = 500
"""10,000 generated files a run (4 × 2,125 CSV, 1,000 .xlsx, 500 written): most checked to the
plan (what the dry run reports), a sample written to the database."""


def fuzz(examples: int) -> settings:
    """Settings of a fuzz test of ``examples`` generated files."""
    return settings(max_examples=examples, **FUZZ)


FUZZ = dict(
    deadline=None,
    database=None,  # nothing saved in the repository between runs
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

HEADINGS = {
    "number": ["Ref", "No.", "Relevant Item", "Item", "Minute ref", "Action ref", "ID"],
    "action": ["Action", "Actions", "Action required", "What"],
    "lead": ["Lead", "Owner", "Responsibility", "Lead agency", "Who?"],
    "due": ["Due date", "Target date", "Due", "When?", "Deadline"],
    "status": ["Status", "RAG", "RAG status", "Assessment of progress Categories 1 - 4"],
    "progress": ["Update", "Progress", "Comments", "Latest update"],
}
MONTHS = ["January", "Feb", "March", "Apr", "May", "June", "Jul", "August", "Sept", "Oct", "Nov"]
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
words = st.sampled_from(
    ["Train staff", "Audit cases", "Share the policy", "Café – “front door” £5k", "Ré-audit"]
)


@st.composite
def date_cells(draw):
    """A date as people write it (or something that is not one)."""
    day = draw(st.integers(1, 28))
    month = draw(st.integers(1, 12))
    year = draw(st.integers(2015, 2030))
    name = MONTHS[(month - 1) % len(MONTHS)]
    forms = [
        f"{year}-{month:02d}-{day:02d}",
        f"{day:02d}/{month:02d}/{year}",
        f"{day}.{month}.{year % 100:02d}",
        f"{day} {name}",  # no year
        f"{day} {name} {year}",
        name,  # a month alone, no year
        f"{name} {year}",
        str(draw(st.integers(36_000, 48_000))),  # a serial number as text
        draw(st.integers(36_000, 48_000)),  # a General-format serial number
        datetime(year, month, day),
        "To be confirmed",
        draw(text),
        "",
        # year-less forms people write: the year comes from the file, or the row is refused
        f"{day}th {name}",
        f"{name} {day}",
        f"{day}-{name[:3]}",
        f"{day:02d}/{month:02d}",
        f"w/c {day} {name}",
        draw(st.integers(0, 999)),  # a small number: not a 1900 date
    ]
    return forms[draw(st.integers(0, len(forms) - 1))]


@st.composite
def rows_of(draw, columns):
    """Data rows and layout rows (banners, headings, totals, continued, blanks)."""
    rows: list[tuple[str, list]] = []
    for i in range(draw(st.integers(0, 12))):
        kind = draw(
            st.sampled_from(
                ["data"] * 6 + ["banner", "heading", "blank", "totals", "continued", "note"]
            )
        )
        if kind == "data":
            values = {
                "number": draw(st.sampled_from([f"{i + 1}", f"0{i + 1}.01", f"QB {i}/19(c)", ""])),
                "action": draw(words)
                + draw(st.sampled_from(["", "\nStatus: complete", "\nStatus:in progress"])),
                "lead": draw(st.sampled_from(["Police", "NHS Trust", "", "Chair / DCS"])),
                "due": draw(date_cells()),
                "status": draw(
                    st.sampled_from([*DEFAULT_STATUS_WORDS, "1", "2", "Not yet due", ""]) | text
                ),
                "progress": draw(st.sampled_from(["", "Started", "Two sessions held"]) | text),
            }
            rows.append(("data", [values[c] for c in columns]))
        elif kind == "banner":
            rows.append(
                ("banner", [f"{draw(st.sampled_from(MONTHS))} {draw(st.integers(2015, 2030))}"])
            )
        elif kind == "heading":
            rows.append(
                (
                    "banner",
                    [
                        draw(
                            st.sampled_from(
                                [
                                    "Actions from the meeting held on 12 March 2019",
                                    "Meeting 14 January 2019",
                                    "Section 2: training",
                                    "Actions carried forward",
                                ]
                            )
                        )
                    ],
                )
            )
        elif kind == "totals":
            count = draw(st.sampled_from(["3", "", "100%"]))
            rows.append(("layout", ["Total", *[count] * (len(columns) - 2), "3"]))
        elif kind == "continued":
            rows.append(("layout", draw(st.sampled_from([["", "Continued overleaf"], ["cont'd"]]))))
        elif kind == "note":
            rows.append(
                (
                    "layout",
                    [
                        draw(
                            st.sampled_from(
                                ["Key: R = red, A = amber, G = green", "Last updated 01/02/2026"]
                            )
                        )
                    ],
                )
            )
        else:
            rows.append(("blank", []))
    return rows


@st.composite
def trackers(draw):
    """(columns, title rows, rows) of a tracker."""
    columns = ["number", "action"] + draw(
        st.lists(st.sampled_from(["lead", "due", "status", "progress"]), unique=True)
    )
    columns = draw(st.permutations(columns))
    headings = [draw(st.sampled_from(HEADINGS[c])) for c in columns]
    titles = draw(
        st.lists(
            st.sampled_from(
                ["Board action log", "Updated for the board, June 2021", "", "Actions"]
            ),
            max_size=4,
        )
    )
    return columns, headings, titles, draw(rows_of(columns))


def _cell_text(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252")


@st.composite
def csv_files(draw, encodings=ENCODINGS):
    """A tracker as CSV, in each of ``encodings`` (one file each), with bad bytes in some."""
    columns, headings, titles, rows = draw(trackers())
    out = io.StringIO()
    writer = csv.writer(out, delimiter=draw(st.sampled_from([",", ";", "\t", "|"])))
    for title in titles:
        writer.writerow([title])
    writer.writerow(headings)
    for _kind, values in rows:
        writer.writerow([_cell_text(v) for v in values])
    kinds = [kind for kind, _values in rows]
    stray = []
    if draw(st.booleans()):  # bad bytes: stray bytes anywhere (rows may split or merge)
        stray = draw(
            st.lists(
                st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=4)),
                min_size=1,
                max_size=4,
            )
        )
        kinds = None
    files = []
    for encoding in encodings:
        data = out.getvalue().encode(encoding, errors="replace")
        for where, junk in stray:
            at = int(where * len(data))
            data = data[:at] + junk + data[at:]
        files.append(data)
    return files, kinds


def _storable(value):
    """A value as Excel can hold it (no control characters)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


@st.composite
def xlsx_files(draw):
    columns, headings, titles, rows = draw(trackers())
    wb = openpyxl.Workbook()
    ws = wb.active
    if draw(st.booleans()):  # drop-down lists on a hidden first sheet
        lists = ws
        lists.title = "Lists"
        lists.append(["Status choices"])
        lists.append(["Open"])
        lists.sheet_state = draw(st.sampled_from(["hidden", "veryHidden"]))
        ws = wb.create_sheet("Tracker")
        wb.active = 1
    for title in titles:
        ws.append([title])
    ws.append(headings)
    for kind, values in rows:
        if kind == "blank":
            ws.append([])
            continue
        cells = list(values)
        if kind == "data" and draw(st.integers(0, 9)) == 0:  # a formula with no saved value
            cells[draw(st.integers(0, len(cells) - 1))] = "=DATE(2026,3,31)"
        ws.append([None if c == "" else _storable(c) for c in cells])
        if kind == "banner" and draw(st.booleans()):
            ws.merge_cells(
                start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=len(columns)
            )
    if draw(st.booleans()):
        wb.epoch = datetime(1904, 1, 1)  # an old Mac workbook's date system
    data = io.BytesIO()
    wb.save(data)
    return data.getvalue(), [kind for kind, _values in rows]


def _check(data: bytes, name: str, kinds: list[str] | None):
    """Read and plan ``data``; every data row accounted for. Returns the plan, or None when the
    file was refused as a whole (an ImportFileError naming why)."""
    try:
        sheet = read_bytes(data, name)
    except ImportFileError as exc:
        assert str(exc)
        return None
    plan = build_plan(sheet, options=TrackerOptions(review_ref=f"FUZZ-{uuid.uuid4().hex[:8]}"))
    assert all(p.level in ("error", "warning") and p.message for p in plan.problems)
    if plan.header_row is None or not {"action", "recommendation"} & plan.mapping.keys():
        # no header row, or no description column in it: refused as a whole, naming why
        assert plan.errors and not plan.actions
        return plan
    filled = [
        i + 1
        for i in range(plan.header_row, len(sheet.rows))
        if any(
            (str(c).strip() if c is not None else "") or isinstance(c, Formula)
            for c in sheet.rows[i]
        )
    ]
    imported = [a.row for a in plan.actions]
    skipped = {
        p.row
        for p in plan.warnings
        if p.row is not None  # a file-level notice (e.g. the blank separator rows) is no row
        and ("skipped" in p.message or "actions are read from the rows below" in p.message)
    }
    refused = {p.row for p in plan.errors}
    assert plan.rows_read == len(filled)
    assert len(set(imported)) == len(imported) and not set(imported) & skipped
    assert set(imported) | skipped <= set(filled)
    assert set(filled) <= set(imported) | skipped | refused, (
        "a row neither imported, skipped nor refused"
    )
    if not plan.errors:
        assert plan.rows_read == len(plan.actions) + plan.rows_skipped
    # Layout rows never become records; no date is read from today's year unless written.
    layout = {p.row for p in plan.problems if p.kind == Problem.SECTION_ROW}
    assert not layout & set(imported)
    return plan


@fuzz(CSV_EXAMPLES)
@given(csv_files())
def test_fuzz_csv_trackers_every_row_accounted_for(case):
    files, kinds = case
    for data in files:
        plan = _check(data, "fuzz.csv", kinds)
        if plan is not None and not plan.errors and kinds is not None:
            # Banners, headings, totals and "continued" rows are never actions.
            assert len(plan.actions) <= kinds.count("data")


@fuzz(XLSX_EXAMPLES)
@given(xlsx_files())
def test_fuzz_xlsx_trackers_every_row_accounted_for(case):
    data, kinds = case
    plan = _check(data, "fuzz.xlsx", kinds)
    assert plan is not None  # a well-formed workbook is always read
    if not plan.errors:
        assert len(plan.actions) <= kinds.count("data")
        assert plan.rows_skipped >= kinds.count("banner") + kinds.count("layout")


def _counts(engine) -> dict[str, int]:
    return db.table_counts(engine)


@fuzz(WRITE_EXAMPLES)
@given(case=st.one_of(csv_files(encodings=("utf-8",)), xlsx_files()))
def test_fuzz_written_all_or_nothing(case, engine):
    """A sample written for real: a plan with errors writes nothing; one without writes one
    action per planned row."""
    data, kinds = case
    if isinstance(data, list):
        (data,) = data
    name = "fuzz.xlsx" if data[:2] == b"PK" else "fuzz.csv"
    plan = _check(data, name, kinds)
    if plan is None:
        return
    plan.create_agencies = True
    before = _counts(engine)
    actor = services.Actor.system("fuzz")
    if plan.errors:
        with pytest.raises(services.ValidationError):
            services.import_tracker(engine, actor, plan)
        assert _counts(engine) == before
        return
    summary = services.import_tracker(engine, actor, plan)
    assert summary.written
    (ref,) = plan.reviews
    with engine.connect() as conn:
        written = conn.execute(
            select(func.count())
            .select_from(db.action)
            .join(db.review, db.review.c.id == db.action.c.review_id)
            .where(db.review.c.ref == ref)
        ).scalar()
    assert written == len(plan.actions) == summary.created.get("action", 0)
