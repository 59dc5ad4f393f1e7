"""My actions: the signed-in agency lead's open actions, overdue first, each with an update form,
and a bulk update table for many actions at once."""

import streamlit as st

from monitoring import worklists
from monitoring.ui import data, session, updates, widgets

session.guard(__file__)

actor = session.current_actor()
today = data.today()

st.title("My actions")
if actor.role == "agency_lead" and actor.agency_id is None:
    st.warning("Your account has no agency yet: ask an administrator to set it.")
    st.stop()
frame = data.read(worklists.my_actions, today, actor.agency_id)
agency = frame["agency"].iloc[0] if actor.agency_id and not frame.empty else "every agency"
st.caption(f"Open actions led by {agency}, overdue first. Figures as at {widgets.uk_date(today)}.")
updates.show_flash()

tiles = st.columns(3)
widgets.tile(tiles[0], "Open actions", len(frame))
widgets.tile(tiles[1], "Overdue", int((frame["days_overdue"] > 0).sum()))
widgets.tile(
    tiles[2], "Date changes awaiting a decision", int(frame["pending_due_on"].notna().sum())
)

if frame.empty:
    st.success("No open actions: nothing to update.")
    st.stop()

one, bulk = st.tabs(["Update one action", "Bulk update table"])
with one:
    for row in worklists.records(frame):
        with st.expander(updates.action_heading(row), expanded=False):
            st.markdown(
                f"**Target date** {widgets.uk_date(row['due_on']) or 'none'}"
                + widgets.originally(row["due_on"], row["original_due_on"])
                + " · "
                f"**RAG** {widgets.rag_badge(row['rag'])} · "
                f"**Last update** {widgets.uk_date(row['last_update_on']) or 'never'}"
            )
            if row["success_measure"]:
                st.markdown(f"**Success measure:** {row['success_measure']}")
            if row["pending_due_on"]:
                st.info(
                    f"A new target date of {widgets.uk_date(row['pending_due_on'])} is waiting "
                    "for the board's decision."
                )
            updates.update_form(actor, row)
with bulk:
    st.caption(
        "Change a status or write a new progress note in as many rows as you like, then save. "
        "Each row is checked and saved on its own; the result of every row is shown."
    )
    updates.bulk_editor(actor, frame)
