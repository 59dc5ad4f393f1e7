"""Meeting pack: choose a meeting, see its baseline (the previous meeting) and headline figures,
then download the board report (PDF, PowerPoint) and the tracker (Excel, CSV). A past meeting's
pack shows the records as they stood on its date; the next meeting's, the records now."""

import pandas as pd
import streamlit as st

from monitoring import changes, exports, reads
from monitoring.ui import data, session, tiles, widgets
from monitoring.ui.text import md

session.guard(__file__)
src = data.source()

st.title("Meeting pack")
meetings = data.read(exports.list_meetings)
if meetings.empty:
    st.info("No meetings are recorded yet. Add one on the Meetings page to prepare its pack.")
    st.stop()

titles = {row.held_on: row.title for row in meetings.itertuples()}
today = data.today()
held_on = st.selectbox(
    "Meeting",
    [None, *titles],
    format_func=lambda day: (
        f"Next meeting: the records now ({widgets.uk_date(today)}), baseline the last meeting"
        if day is None
        else f"{widgets.uk_date(day)} — {titles[day]}"
    ),
)
detail = st.checkbox(
    "Per-review detail in the PDF (every row of every list and the annual report)",
    help="Without it the PDF is a summary of at most 40 pages: every figure, and the worst rows "
    "of each list; the Excel tracker always holds every row.",
)
# Only what the page shows is read here: figures and counts. The pack itself (every list, the
# tracker of every action) is built when the reader presses "Prepare the meeting pack".
head = data.read(reads.meeting_pack_headline, src, held_on)
if src.as_at:
    st.caption(
        "The pack is read as at its meeting's date; the sidebar's 'As at' date does not apply "
        "here (its filters do)."
    )
if head.baseline:
    st.caption(
        f"{head.figures_label}. Baseline: {md(head.baseline.title)}, "
        f"{widgets.uk_date(head.baseline.held_on)}; changes are counted since then."
    )
    saved_after = changes.saved_after_warning(
        data.read(reads.saved_after_meeting, src, head.baseline.held_on), head.baseline.held_on
    )
    if saved_after:
        st.warning(saved_after, icon=":material/schedule:")
else:
    st.caption(f"{head.figures_label}. {changes.NO_BASELINE_NOTE}")

# Each tile opens its list: the pack's own rows (read on the click), so the list's length is the
# figure.
titles_of = {
    "overdue": "Overdue actions",
    "red": "Red items",
    "changes": "Changes since the baseline",
    "decisions": "Decisions needed",
}
LIST = "pack_list"
row = st.container(key="tiles_pack").columns(4)
for column, kind in zip(row, titles_of, strict=True):
    tiles.counting_tile(column, titles_of[kind], getattr(head, kind), kind, state_key=LIST)
chosen = tiles.chosen(LIST)
if chosen in titles_of:
    listed = data.read(reads.meeting_pack_list, src, held_on, chosen)
    if chosen == "changes":
        listed = listed.assign(kind=[changes.KIND_LABELS.get(k, k) for k in listed["kind"]])
    tiles.list_table(titles_of[chosen], listed, state_key=LIST, empty="None in this pack.")

with st.expander(
    "Summary figures at this meeting and at the baseline meeting"
    if held_on
    else "Summary figures now and at the baseline meeting"
):
    compare = bool(head.baseline) and st.toggle(
        "Compare with the baseline meeting",
        key="pack_compare_baseline",
        help="Adds the figures as the records stood on the baseline meeting's date (rebuilt "
        "from the history: a few seconds with many actions).",
    )
    then = data.read(reads.meeting_pack_baseline, src, held_on) if compare else None
    columns = ["Figure", "At this meeting", "At the baseline"]
    figure_table = pd.DataFrame(
        exports.figure_rows_of(head.figures, then, head.brought_in, head.baseline),
        columns=columns,
    )
    st.dataframe(
        (figure_table if compare else figure_table[columns[:2]]).map(
            lambda value: "" if value is None else str(value)
        ),
        hide_index=True,
        width="stretch",
    )

key = (held_on, data.data_version(), src, detail)
if st.button("Prepare the meeting pack", type="primary", icon=":material/description:"):
    with st.spinner("Reading the pack, drawing the charts and writing the files…"):
        # read once for the files, not kept in the cache (at 100,000 actions, a tracker of every
        # action and every list)
        pack = data.read_uncached(reads.meeting_pack, src, held_on, annual=detail)
        files, problems = exports.prepare_files(pack, detail=detail)
    st.session_state["meeting_pack_files"] = (key, files, problems)

prepared = st.session_state.get("meeting_pack_files")
if prepared and prepared[0] == key:
    _, files, problems = prepared
    for problem in problems:
        st.error(md(problem))
    labels = {
        "pdf": "Board report (PDF)",
        "pptx": "Slides (PowerPoint)",
        "xlsx": "Tracker (Excel)",
        "csv": "Tracker (CSV)",
    }
    columns = st.columns(len(labels))
    for column, fmt in zip(columns, labels, strict=True):
        if fmt in files:
            column.download_button(
                labels[fmt],
                files[fmt],
                file_name=exports.file_name(head, fmt),
                mime=exports.MEDIA_TYPES[fmt],
                on_click="ignore",
                icon=":material/download:",
                key=f"download_{fmt}",
            )
