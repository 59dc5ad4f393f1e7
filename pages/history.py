"""History: the full audit trail of any action or recommendation (who changed what, when, from
what to what), with its progress notes, target-date changes and evidence."""

import streamlit as st

from monitoring import worklists
from monitoring.ui import data, session, updates, widgets

session.guard(__file__)

st.title("History")
st.caption("Pick a review, then a recommendation, then (optionally) one of its actions.")

# Reminder e-mails link here as /history?action=ID (monitoring.reminders.action_link).
linked = st.query_params.get("action", "")
if linked.isdigit() and data.read(worklists.action_detail, int(linked)):
    picked = ("action", int(linked))
    st.caption("Showing the action in this page's link (reminder e-mails link here).")
else:
    picked = updates.pick_record("history_pick")
if picked:
    entity, entity_id = picked
    trail = data.read(worklists.audit_trail, entity, entity_id)
    if entity == "action":
        detail = data.read(worklists.action_detail, entity_id)
        st.subheader(f"{detail['review_ref']} action {detail['number']}")
        st.markdown(
            f"{detail['description']}  \n"
            f"**Lead agency** {widgets.text_or_dash(detail['agency'])} · "
            f"**status** {widgets.code_word('status', detail['status'])} · **target date** "
            f"{widgets.uk_date(detail['due_on']) or widgets.MISSING}"
            + widgets.originally(detail["due_on"], detail["original_due_on"])
        )
    st.markdown("**Audit trail** (newest first)")
    if trail.empty:
        st.caption("No changes recorded since this record was loaded.")
    else:
        st.dataframe(widgets.audit_display(trail), hide_index=True, width="stretch")
    if entity == "action":
        st.markdown("**Progress updates**")
        updates.updates_list(data.read(worklists.action_updates, (entity_id,)))
        st.markdown("**Target-date changes**")
        changes = data.read(worklists.date_change_requests, action_id=entity_id)
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
        updates.evidence_list(data.read(worklists.action_evidence, (entity_id,)))
