"""My actions: the signed-in agency lead's work queue. One table of their agency's open actions,
overdue first, then those waiting for the board's assurance; the action chosen in the table is
shown below with its update form. A bulk update table changes many actions at once."""

import streamlit as st

from monitoring import worklists
from monitoring.ui import data, queue, session, update_workbooks, updates, widgets
from monitoring.ui.text import md

session.guard(__file__)

actor = session.current_actor()
today = data.today()

st.title("My actions")
if actor.role == "agency_lead" and actor.agency_id is None:
    st.warning("Your account has no agency yet: ask an administrator to set it.")
    st.stop()
# The page's one read: open actions and those awaiting assurance, worst first.
frame = data.read(worklists.my_actions, today, actor.agency_id, awaiting_assurance=True)
agency = frame["agency"].iloc[0] if actor.agency_id and not frame.empty else "every agency"
st.caption(
    f"Actions led by {md(agency)}: open ones overdue first, then those waiting for the board's "
    f"assurance. Figures as at {widgets.uk_date(today)}."
)
updates.show_flash()

open_rows = frame[frame["status"] != "completed"]
tiles = st.columns(4)
widgets.tile(tiles[0], "Open actions", len(open_rows))
widgets.tile(tiles[1], "Overdue", int((open_rows["days_overdue"] > 0).sum()))
widgets.tile(
    tiles[2], "Date changes awaiting a decision", int(frame["pending_due_on"].notna().sum())
)
widgets.tile(tiles[3], "Awaiting assurance", len(frame) - len(open_rows))

update_workbooks.lead_panel(actor)  # download the agency's workbook, or read one back

if frame.empty:
    st.success("No open actions and nothing waiting for assurance: nothing to update.")
    st.stop()

one, bulk = st.tabs(["Work queue", "Bulk update table"])
with one:
    row = queue.ACTIONS.pick(frame, key="my_actions")
    if row:
        queue.action_panel(row)
        updates.update_form(actor, row)
with bulk:
    if open_rows.empty:
        st.info("No open actions to update.")
    else:
        st.caption(
            "Change a status or write a new progress note in as many rows as you like, then "
            "save. Each row is checked and saved on its own; the result of every row is shown."
        )
        updates.bulk_editor(actor, open_rows)
