"""Import a tracker (administrators): upload a board's .xlsx or .csv tracker, check the column
mapping, preview every error and warning by row and column, then import in one transaction."""

import copy
import hashlib
from datetime import date

import pandas as pd
import streamlit as st

from monitoring import db, services
from monitoring.importer import (
    PRESETS,
    agencies_matched_loosely,
    agencies_not_in_register,
    choose_agencies,
    creates_agencies_by_default,
    prepare,
    refuse_matches,
    set_review_details,
)
from monitoring.importer.headers import FIELDS
from monitoring.importer.plan import Problem, review_ref_from_name
from monitoring.importer.presets import PRESET_DESCRIPTIONS, sniff_preset
from monitoring.importer.readers import MAX_ROWS
from monitoring.ui import data, session, updates, widgets
from monitoring.ui.text import md

session.guard(__file__)


# Reading and planning a large file is the slow part: this session keeps its last two plans,
# keyed on the file's hash and the options (st.cache_data cannot drive a progress bar drawn
# outside it, and would copy a 200,000-row plan on every rerun).
def plan_upload(data: bytes, name: str, *, overrides=None, **options):
    """:func:`monitoring.importer.prepare` with a progress bar of rows read and checked."""
    key = (hashlib.sha256(data).hexdigest(), name, repr(sorted(options.items())), repr(overrides))
    plans = st.session_state.setdefault("import_plans", {})
    if key not in plans:
        bar, show_rows = reading_bar()
        plans[key] = prepare(data, name, overrides=overrides, progress=show_rows, **options)
        bar.empty()
        while len(plans) > 2:
            plans.pop(next(iter(plans)))
    plan, header = plans[key]
    return copy.copy(plan), header  # the page sets the agencies to create on its own copy


def reading_bar():
    """A progress bar for reading and checking the file: (rows, stage) → "Rows read: 20,000"."""
    bar = st.progress(0.0, text="Reading the file")

    def show(rows: int, stage: str) -> None:
        fraction = min(rows / MAX_ROWS, 1.0)
        bar.progress(fraction, text=f"Rows {stage}: {rows:,} (at most {MAX_ROWS:,})")

    return bar, show


# Agencies not in the register are each given a checkbox up to this many; more (the PFD file
# names about 600) are chosen all at once, or picked from a list. (A comment, not a string: a
# bare string in a page is drawn on it by Streamlit's magic.)
CHECKBOXES_UP_TO = 30
CREATE_ALL, CREATE_NONE, CREATE_SOME = "Create all of them", "Create none", "Choose which to create"


def choose_new_agencies(plan, names: list[str]) -> None:
    """Ask which of the agencies not in the register to create, for every layout alike (the
    default is the layout's own: the pfd preset creates them, a board's tracker does not), and
    set the plan's choice (:func:`monitoring.importer.choose_agencies`)."""
    create = creates_agencies_by_default(plan)
    st.subheader("Agencies not in the register")
    st.caption(
        f"The file names {len(names)} lead agenc{'y' if len(names) == 1 else 'ies'} that match no "
        "agency, short name or alias in the register. Those you create are linked to their "
        "actions; the actions of the others are imported with no lead agency. To match a name to an "
        "agency already registered, add it as an alias on the Manage agencies page and upload "
        "the file again."
    )
    if len(names) <= CHECKBOXES_UP_TO:
        chosen = [n for n in names if st.checkbox(md(n), value=create, key=f"create_{n}")]
    else:
        way = st.radio(
            f"{len(names)} agencies not in the register",
            [CREATE_ALL, CREATE_NONE, CREATE_SOME],
            index=0 if create else 1,
            key="create_agencies_choice",
        )
        if way == CREATE_ALL:
            chosen = list(names)
        elif way == CREATE_NONE:
            chosen = []
        else:
            chosen = st.multiselect("Agencies to create", names, key="create_agencies_chosen")
    choose_agencies(plan, chosen)


def confirm_matches(plan, matches) -> None:
    """List every name the file gives that is linked to a registered agency other than by that
    agency's own name (an alias or a short name), with the agency and its rows, and let the
    administrator refuse each one (:func:`monitoring.importer.refuse_matches`): a generic alias
    such as "integrated care board" must not silently give another area's recipient to the
    board's own agency."""
    st.subheader("Names matched to a registered agency by an alias or short name")
    st.caption(
        f"{len(matches)} name{' is' if len(matches) == 1 else 's are'} not an agency's own name "
        "but will be linked to the agency shown. Untick a match that is wrong: that name is "
        "then treated as an agency not in the register (create it below, or import its actions "
        "with no lead agency)."
    )
    if len(matches) <= CHECKBOXES_UP_TO:
        refused = [
            m.key
            for m in matches
            if not st.checkbox(md(f"Link {m}"), value=True, key=f"keep_match_{m.key}")
        ]
    else:
        labels = {m.key: str(m) for m in matches}
        refused = st.multiselect(
            "Matches to refuse", list(labels), format_func=labels.get, key="refuse_matches"
        )
    refuse_matches(plan, refused)


# The problems table: a row is as tall as its longest problem needs, at about this many
# characters a line, up to this many lines (the cell's overlay shows a longer one whole).
PROBLEM_LINE_CHARS, PROBLEM_LINE_PX, PROBLEM_LINES = 90, 21, 6


def errors_banner(errors, *, year_field: bool) -> str:
    """The preview's one line over the errors. Dates written without a year that the file gives
    no year for are fixed on this page ("Year for dates written without one"), not in the file:
    the banner says so, and says how many of the errors that is."""
    no_year = sum(p.kind == Problem.NO_YEAR for p in errors)
    if year_field and no_year == len(errors):
        return (
            f"{no_year} date(s) are written without a year and the file gives none: enter it in "
            "'Year for dates written without one' above (or the date the file was true on in "
            "'Dates in the file are as of'); the file need not change. Nothing was written."
        )
    if year_field and no_year:
        return (
            f"{len(errors)} error(s): fix the file and upload it again. {no_year} of them only "
            "need a year: enter it in 'Year for dates written without one' above. Nothing was "
            "written."
        )
    return f"{len(errors)} error(s): fix the file and upload it again. Nothing was written."


actor = session.current_actor()
st.title("Import a tracker")
updates.show_flash()
st.caption(
    "Bring in the recommendations and actions a board already keeps in a spreadsheet. Nothing is "
    "written until you press Import, and then everything is written or nothing."
)

upload = st.file_uploader(
    "Tracker file (.xlsx or .csv)",
    type=["xlsx", "csv"],
    help=f"{widgets.UPLOAD_LIMIT} at most (the limit of every upload to this monitor).",
)
BOARD_TRACKER = "Board tracker (columns found by their headings)"
if upload is not None and st.session_state.get("import_layout_file") != (upload.name, upload.size):
    # a new file starts on the layout its header row shows (a preset's columns), once: a
    # layout chosen afterwards for the same file stays (and the file is not sniffed again)
    st.session_state["import_layout_file"] = (upload.name, upload.size)
    st.session_state["import_layout_detected"] = sniff_preset(upload.getvalue(), upload.name)
    st.session_state["import_layout"] = st.session_state["import_layout_detected"] or BOARD_TRACKER
detected = st.session_state.get("import_layout_detected") if upload is not None else None
layout = st.selectbox("Layout", [BOARD_TRACKER, *PRESETS], key="import_layout")
preset = layout if layout in PRESETS else None
if upload is None:
    st.info("Choose a file to see a preview.")
    st.stop()
if detected and layout == detected:
    st.info(
        f"This looks like {PRESET_DESCRIPTIONS[detected]}: layout set to “{detected}” (its "
        "header row has that layout's columns). Choose another layout above if it is not."
    )

raw = upload.getvalue()
today = data.today()
as_of_input = st.date_input(
    "Dates in the file are as of",
    value=today,
    min_value=date(1970, 1, 1),
    max_value=today,
    format="DD/MM/YYYY",
    key="import_as_of",
    help="The date the file was true on (the command line's --as-of). Statuses the file gives no "
    "date for are dated on it, never earlier; a date written without a year that the file gives "
    "no year for takes the year nearest it. Leave today's date for a file that is up to date: "
    "such a date is then refused and a year asked for (never today's year).",
)
# today (the default) is the import day: what the command does without --as-of
as_of = as_of_input if as_of_input and as_of_input != today else None
review_ref = review_title = review_type = published_on = year = sheet_name = None
overrides: dict[str, str] = {}
if preset is None:  # the review's details are asked for, never taken from the file name
    left, right = st.columns(2)
    review_ref = left.text_input(
        "Review reference",
        value=review_ref_from_name(upload.name),
        help="Suggested from the file name: change it to the board's reference for the review.",
    )
    review_title = right.text_input("Review title (for a new review)", value="")
    left, right = st.columns(2)
    review_type = left.selectbox(
        "Review type", db.REVIEW_TYPES, index=db.REVIEW_TYPES.index("other")
    )
    published_on = right.date_input(
        "Publication date (optional)",
        value=None,
        min_value=date(1970, 1, 1),
        max_value=data.today(),
        format="DD/MM/YYYY",
    )
    left, right = st.columns(2)
    year = left.number_input(
        "Year for dates written without one",
        min_value=1900,
        max_value=2200,
        value=None,
        step=1,
        help="Only when the file gives none: a date such as '15 Oct', '12th March' or "
        "'w/c 5 Jan' takes its year from the section above it, a title date, the dates above and "
        "below it in its column, a date in its row, or the nearest date anywhere in the file; "
        "never from today.",
    )
    if raw[:4] == b"PK\x03\x04":
        sheet_name = right.text_input(
            "Sheet", value="", help="Leave empty to read the one visible sheet with a header row."
        )
options = dict(
    preset=preset,
    review_ref=review_ref,
    review_title=review_title,
    year=int(year) if year else None,
    sheet_name=sheet_name or None,
    as_of=as_of,
)
plan, header = plan_upload(raw, upload.name, **options)

if preset is None and header:
    with st.expander("Column mapping", expanded=False):
        st.caption('Which column holds each field. Leave "as detected" to keep the guess.')
        columns = st.columns(3)
        for i, (name, label) in enumerate(FIELDS.items()):
            detected = plan.mapping.get(name)
            choice = columns[i % 3].selectbox(
                label,
                ["(as detected)", *header],
                key=f"map_{name}",
                help=f"Detected: {md(detected)}" if detected else "Not detected",
            )
            if choice != "(as detected)":
                overrides[name] = choice
    if overrides:
        plan, header = plan_upload(raw, upload.name, overrides=overrides, **options)

if preset is None:
    set_review_details(
        plan,
        title=review_title or None,
        review_type=review_type,
        published_on=published_on.isoformat() if published_on else None,
    )

if not plan.errors:
    loose = agencies_matched_loosely(data.engine(), plan)
    if loose:
        confirm_matches(plan, loose)
    missing_agencies = agencies_not_in_register(data.engine(), plan)
    if missing_agencies:
        choose_new_agencies(plan, missing_agencies)
    else:
        choose_agencies(plan, [])

st.subheader("Preview (dry run)")
if plan.errors:
    summary = None
    st.error(errors_banner(plan.errors, year_field=preset is None))
else:
    summary = services.preview_import(data.engine(), actor, plan)
    tiles = st.columns(6)
    tiles[0].metric("Rows read", summary.rows_read, border=True)
    tiles[1].metric("Actions to create", summary.created.get("action", 0), border=True)
    tiles[2].metric("Actions to update", summary.updated, border=True)
    tiles[3].metric("Agencies to create", summary.created.get("agency", 0), border=True)
    tiles[4].metric("Rows skipped", summary.rows_skipped, border=True)
    tiles[5].metric("Warnings", len(summary.warnings), border=True)
    if summary.lead_agency_notice():
        st.warning(summary.lead_agency_notice())
    if plan.section_rows:
        st.info(
            f"{len(plan.section_rows)} section row(s) skipped: banners, headings, totals, "
            "'continued' lines, notes such as 'Key: R = red' and repeated headers are the layout "
            "of the sheet, not actions (each is listed below as 'section row ... skipped')."
        )
    if plan.approximate_dates:
        st.info(
            f"{len(plan.approximate_dates)} date(s) are approximate: written without a day or a "
            "year, they are read as the month's last day or given the year from the file, and "
            "stay flagged 'approximate' on the action."
        )
problems = summary.problems if summary else plan.problems
if plan.duplicates:
    st.warning(
        f"{len(plan.duplicates)} recipient(s) are listed more than once for the same report; each "
        "row is imported as its own action:\n\n"
        + "\n".join(f"- {md(p.message)}" for p in plan.duplicates)
    )
if problems:
    # narrow fixed columns leave the Problem column the rest of the width, and rows tall enough
    # for its text to wrap (Streamlit wraps text when the row height allows): read whole
    longest = max(len(p.message) for p in problems)
    st.dataframe(
        pd.DataFrame([p.as_dict() for p in problems]),
        hide_index=True,
        width="stretch",
        placeholder="—",  # a problem with the whole file has no row or column
        row_height=PROBLEM_LINE_PX * min(PROBLEM_LINES, -(-longest // PROBLEM_LINE_CHARS)) + 14,
        column_config={
            "level": st.column_config.TextColumn("Level", width=70),
            "row": st.column_config.NumberColumn("Row", format="%d", width=60),
            "column": st.column_config.TextColumn("Column", width=150),
            "message": st.column_config.TextColumn("Problem", width=640),
        },
    )
if summary is None:
    st.stop()

untitled = preset is None and bool(summary.created.get("review")) and not review_title.strip()
if untitled:
    st.warning("Give the new review a title to import (it is not taken from the file name).")
if st.button("Import", type="primary", disabled=untitled):
    bar = st.progress(0.0, text=f"Rows read and checked: {plan.rows_read:,}; writing")

    def show(fraction: float, message: str) -> None:
        bar.progress(fraction, text=message)

    def run() -> None:
        done = services.import_tracker(data.engine(), actor, plan, progress=show)
        made = ", ".join(f"{n} {t}" for t, n in done.created.items()) or "nothing new"
        into = f" into review {review_ref.strip()}" if preset is None else ""
        st.session_state["import_result"] = (
            f"Imported {done.source}{into}: created {made}; updated {done.updated} actions."
        )
        st.session_state["import_no_lead"] = done.lead_agency_notice()
        st.session_state["import_duplicates"] = [str(p) for p in done.duplicates]

    updates.run_service(run, "Import finished.")
if "import_result" in st.session_state:
    st.success(md(st.session_state.pop("import_result")))
    no_lead = st.session_state.pop("import_no_lead", None)
    if no_lead:
        st.warning(no_lead)
    repeated = st.session_state.pop("import_duplicates", [])
    if repeated:
        st.warning(
            f"Imported as separate actions, {len(repeated)} recipient(s) listed more than once "
            "for the same report:\n\n" + "\n".join(f"- {md(r)}" for r in repeated)
        )
