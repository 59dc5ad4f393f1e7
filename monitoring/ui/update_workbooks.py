"""Streamlit pieces for update workbooks (:mod:`monitoring.update_workbook`): download an agency's
workbook, upload a returned one, read the preview of every row, confirm, read the result.

Used by the board office's "Update workbooks" page (:func:`office_page`) and by a lead on My
actions (:func:`lead_panel`). Text from the file or from people is shown as text (tables and
``st.text``), never as markdown.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from monitoring import config, services, worklists
from monitoring import update_workbook as wb
from monitoring.ui import data, widgets
from monitoring.ui.text import md

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The result table: rows tall enough for the longest Detail or Changes text to wrap (Streamlit
# wraps text only in rows taller than 4rem), at about this many characters a line of a "large"
# (400 px) column, up to this many lines (the cell's overlay shows a longer one whole).
RESULT_LINE_CHARS, RESULT_LINE_PX, RESULT_LINES = 55, 21, 6


def _key_ready() -> bool:
    """Whether a signing key is configured; says how to set one when not."""
    try:
        wb.secret_key()
    except wb.SecretMissing as exc:
        st.warning(str(exc), icon=":material/key:")
        return False
    return True


def _refused(message: str) -> None:
    st.error("The workbook was refused; nothing was written.", icon=":material/block:")
    st.text(message)


def download(actor: services.Actor, agency_id: int, agency: str, short_name: str, key: str) -> None:
    """A "Make the workbook" button, then the download button for the workbook it made."""
    made = st.session_state.get(f"{key}_made")
    if st.button(
        f"Make the workbook for {agency}", key=f"{key}_make", icon=":material/table_view:"
    ):
        try:
            content = wb.make_workbook(data.engine(), actor, agency_id, today=data.today())
        except (wb.WorkbookError, services.ServiceError) as exc:
            st.error("The workbook could not be made.")
            st.text(str(exc))
            return
        name = f"update-workbook-{(short_name or str(agency_id)).lower()}-{datetime.now(config.LONDON):%Y-%m-%d}.xlsx"
        made = {"agency_id": agency_id, "content": content, "name": name}
        st.session_state[f"{key}_made"] = made
    if made and made["agency_id"] == agency_id:
        st.download_button(
            f"Download {made['name']}",
            made["content"],
            file_name=made["name"],
            mime=XLSX,
            key=f"{key}_download",
            type="primary",
            icon=":material/download:",
        )
        st.caption(
            "Send it to the agency's lead. It lists the agency's open actions and those awaiting "
            "assurance, worst first; the lead fills in the yellow columns and sends it back."
        )


def _conflicts(result: wb.ReadBack) -> None:
    """Both versions of each row in conflict: what the workbook says, and the action now."""
    conflicts = [r for r in result.rows if r.outcome == "conflict"]
    if not conflicts:
        return
    with st.expander(f"Conflicts: both versions ({len(conflicts)})", expanded=True):
        for row in conflicts:
            st.text(
                f"Row {row.row}, {row.review_ref} action {row.number}: the workbook (version "
                f"{row.sent_version}) says: " + "; ".join(row.changes)
            )
            now = row.current or {}
            st.text(
                f"Now (version {now.get('version')}): status "
                f"{wb.status_word(str(now.get('status')))}, target date "
                f"{widgets.uk_date(now.get('due_on')) or 'none'}. Changed since:"
            )
            if row.since:
                st.dataframe(widgets.changes_display(row.since), hide_index=True, width="stretch")


def _show(result: wb.ReadBack) -> None:
    counts = result.counts()
    sent = result.sent
    st.text(
        f"Workbook from {sent.agency}, sent {wb.day_words(sent.sent_on)} (ref {sent.ref}): "
        f"{len(result.rows)} rows read."
    )
    shown = ("applied", "unchanged", "conflict", "refused")
    if not result.applied:
        shown = ("apply", "unchanged", "conflict", "refused")
    tiles = st.columns(len(shown))
    for column, outcome in zip(tiles, shown, strict=True):
        widgets.tile(column, wb.OUTCOME_LABELS[outcome], counts[outcome])
    _refused_rows(result)
    frame = result.frame()  # refused rows first, then conflicts, applied, unchanged
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        row_height=_row_height(frame),
        column_order=("Row", "Review", "Action", "Outcome", "Detail", "Changes"),
        column_config={
            "Row": st.column_config.NumberColumn("Row", width=50),
            "Detail": st.column_config.TextColumn("Detail", width="large"),
            "Changes": st.column_config.TextColumn("Changes", width="large"),
        },
    )
    _conflicts(result)


def _refused_rows(result: wb.ReadBack) -> None:
    """Each refused row with its whole reason, as a plain list (the reasons quote the file:
    shown as text)."""
    lines = result.refused_lines()
    if not lines:
        return
    written = (
        "nothing was written for them" if result.applied else "nothing will be written for them"
    )
    st.markdown(
        f"**Refused rows ({len(lines)}): {written}.**\n\n"
        + "\n".join(f"- {md(line)}" for line in lines)
    )


def _row_height(frame) -> int | None:
    """A row height that lets the longest Detail or Changes text wrap whole (up to
    :data:`RESULT_LINES` lines), or None (one line) when every text fits on one."""
    texts = [*frame["Detail"].tolist(), *frame["Changes"].tolist()]
    longest = max((len(str(t)) for t in texts), default=0)
    if longest <= RESULT_LINE_CHARS:
        return None
    lines = min(RESULT_LINES, max(3, -(-longest // RESULT_LINE_CHARS)))
    return RESULT_LINE_PX * lines + 14


def upload(actor: services.Actor, key: str) -> None:
    """Upload a returned workbook, preview every row, confirm, and show what was written."""
    done = st.session_state.pop(f"{key}_result", None)
    if done is not None:
        st.success(
            f"Read in: {done.counts()['applied']} rows applied. The result of every row:",
            icon=":material/task_alt:",
        )
        _show(done)
    generation = st.session_state.setdefault(f"{key}_generation", 0)
    file = st.file_uploader(
        "Returned workbook (.xlsx)", type=["xlsx"], key=f"{key}_file_{generation}"
    )
    if file is None:
        return
    content = file.getvalue()
    try:
        preview = wb.read_back(data.engine(), actor, content)
    except wb.WorkbookError as exc:
        _refused(str(exc))
        return
    st.subheader("Preview: nothing is written until you confirm")
    _show(preview)
    to_apply = preview.counts()["apply"]
    if not to_apply:
        st.info("No row has a change to apply.")
        return
    if st.button(
        f"Apply {to_apply} changed rows",
        type="primary",
        key=f"{key}_apply",
        icon=":material/done_all:",
    ):
        try:
            result = wb.read_back(data.engine(), actor, content, apply=True)
        except wb.WorkbookError as exc:
            _refused(str(exc))
            return
        st.session_state[f"{key}_result"] = result
        st.session_state[f"{key}_generation"] = generation + 1
        st.rerun()


def office_page(actor: services.Actor) -> None:
    """The board office's page: pick an agency and download its workbook; upload a returned one."""
    st.title("Update workbooks")
    st.caption(
        "For agency leads who do not sign in: send each agency its actions as an Excel workbook, "
        "then read the returned workbook back. Every change goes through the same checks, "
        "versions and audit as an update made on My actions."
    )
    if not _key_ready():
        return
    agencies = data.read(worklists.agency_choices)
    if agencies.empty:
        st.info("No agencies yet.")
        return
    st.subheader("1. Send a workbook")
    labels = dict(zip(agencies["id"], agencies["name"], strict=True))
    chosen = st.selectbox("Agency", list(labels), format_func=labels.get, key="workbook_agency")
    short = agencies.set_index("id").loc[chosen, "short_name"]
    download(actor, int(chosen), str(labels[chosen]), str(short or ""), "office_workbook")
    st.subheader("2. Read a returned workbook back")
    upload(actor, "office_return")


def lead_panel(actor: services.Actor) -> None:
    """For a lead on My actions: download your agency's workbook, or read a filled one back.
    Shows nothing when no signing key is configured (the office page says how to set one)."""
    if actor.agency_id is None:
        return
    try:
        wb.secret_key()
    except wb.SecretMissing:
        return  # workbooks are not set up here: the board office's page says how
    with st.expander("Update by workbook (Excel)", icon=":material/table_view:"):
        st.caption(
            "Download your agency's actions as a workbook, fill in the yellow columns offline, "
            "then upload it here: you see every change before anything is saved."
        )
        agencies = data.read(worklists.agency_choices).set_index("id")
        if actor.agency_id not in agencies.index:
            st.info("Your agency is not active in the monitor: ask the board office.")
            return
        row = agencies.loc[actor.agency_id]
        download(
            actor, actor.agency_id, str(row["name"]), str(row["short_name"] or ""), "lead_workbook"
        )
        upload(actor, "lead_return")
