"""History: the full audit trail of any action or recommendation (who changed what, when, from
what to what), with its progress notes, target-date changes and evidence. Actions are chosen from
one searchable table, most recently changed first; a recommendation from its review."""

import streamlit as st

from monitoring import worklists
from monitoring.ui import data, navigation, queue, session, updates, widgets

session.guard(__file__)

st.title("History")

# The page's reads: the linked action, if any, and the table of actions (the chosen record's
# trail, updates, date changes and evidence are read below).
# Reminder e-mails link here as /history?action=ID (monitoring.reminders.action_link).
linked = navigation.linked_record(
    "action", lambda i: data.read(worklists.action_detail, i), "action"
)
if linked is None and st.query_params.get("action"):
    # The address names no action it may show (the warning above says so): show no other
    # action's history under that warning; the reader chooses one from the table instead.
    if st.button("Choose an action from the table", icon=":material/list:"):
        del st.query_params["action"]
        st.rerun()
    st.stop()
linked_detail = data.read(worklists.action_detail, linked) if linked else None
# The table: its first rows and the number of actions while Find is blank (issue 18: a board's
# 100,000 actions are not read to show 500), every action once the reader searches.
if linked_detail:
    index, total = None, None
elif queue.find_text("history"):
    index, total = data.read(worklists.history_index, data.source()), None
else:
    index, total = data.read(worklists.history_first, data.source(), queue.QUEUE_ROWS)

picked = None
if linked_detail:
    picked = ("action", linked)
    st.caption("Showing the action in this page's link (reminder e-mails link here).")
else:
    st.caption("Choose an action in the table (search it with Find), or a recommendation.")
    actions_tab, recommendations_tab = st.tabs(["Actions", "A recommendation"])
    with actions_tab:
        row = queue.RECORDS.pick(index, key="history", total=total)
    with recommendations_tab:
        rec = updates.pick_recommendation("history_pick")
        show_rec = st.toggle("Show this recommendation's history", key="history_show_rec")
    if show_rec and rec:
        picked = ("recommendation", int(rec["id"]))
    elif row:
        picked = ("action", int(row["id"]))

if picked:
    entity, entity_id = picked
    trail = data.read(worklists.audit_trail, entity, entity_id, data.source())
    if entity == "action":
        detail = linked_detail or data.read(worklists.action_detail, entity_id)
        st.subheader("History of the action")
        st.text(f"{detail['review_ref']} action {detail['number']}")
        st.text(
            f"{widgets.text_or_dash(detail['description'])}\n"
            f"Lead agency: {widgets.text_or_dash(detail['agency'])}"
        )
        st.markdown(
            f"**Status** {widgets.code_word('status', detail['status'])} · **target date** "
            f"{widgets.target_date_words(detail['due_on'])}"
            + widgets.originally(detail["due_on"], detail["original_due_on"])
        )
    else:
        st.subheader("History of the recommendation")
        st.text(f"Recommendation {rec['number']}: {widgets.text_or_dash(rec['title'])}")
    st.markdown("**Audit trail** (newest first)")
    if trail.empty:
        st.caption("No changes recorded since this record was loaded.")
    else:
        st.dataframe(widgets.audit_display(trail), hide_index=True, width="stretch")
        widgets.downloads(widgets.audit_display(trail), f"history-{entity}-{entity_id}", "trail")
    if entity == "action":
        st.markdown("**Progress updates**")
        updates.updates_list(data.read(worklists.action_updates, (entity_id,), data.source()))
        st.markdown("**Target-date changes**")
        changes = data.read(
            worklists.date_change_requests, action_id=entity_id, source=data.source()
        )
        if changes.empty:
            st.caption("The target date has never been asked to move.")
        else:
            st.dataframe(
                widgets.date_changes_display(changes),
                hide_index=True,
                width="stretch",
                column_config={"Reason": st.column_config.TextColumn("Reason", width="large")},
            )
        st.markdown("**Evidence**")
        updates.evidence_list(data.read(worklists.action_evidence, (entity_id,), data.source()))
