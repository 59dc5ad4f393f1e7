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
    st.caption("Showing the action linked from a reminder e-mail.")
else:
    picked = updates.pick_record("history_pick")
if picked:
    entity, entity_id = picked
    trail = data.read(worklists.audit_trail, entity, entity_id)
    if entity == "action":
        detail = data.read(worklists.action_detail, entity_id)
        st.subheader(f"{detail['review_ref']} action {detail['number']}")
        st.markdown(
            f"{detail['description']}  \n**Lead agency** {detail['agency'] or 'none'} · "
            f"**status** {detail['status'].replace('_', ' ')} · **target date** "
            f"{widgets.uk_date(detail['due_on']) or 'none'} (originally "
            f"{widgets.uk_date(detail['original_due_on']) or 'none'})"
        )
    st.markdown("**Audit trail** (newest first)")
    if trail.empty:
        st.caption("No changes recorded since this record was loaded.")
    else:
        st.dataframe(
            trail[["at", "actor", "entity", "field", "old_value", "new_value"]],
            hide_index=True,
            width="stretch",
            column_config={
                "at": "When (UTC)",
                "actor": "Who",
                "entity": "Record",
                "field": "What",
                "old_value": "Was",
                "new_value": "Now",
            },
        )
    if entity == "action":
        st.markdown("**Progress updates**")
        updates.updates_list(data.read(worklists.action_updates, (entity_id,)))
        st.markdown("**Target-date changes**")
        changes = data.read(worklists.date_change_requests, action_id=entity_id)
        if changes.empty:
            st.caption("The target date has never been asked to move.")
        else:
            st.dataframe(
                changes[
                    [
                        "requested_at",
                        "old_due_on",
                        "new_due_on",
                        "reason",
                        "requested_by",
                        "decision",
                        "decided_by",
                        "decided_at",
                    ]
                ],
                hide_index=True,
                width="stretch",
                column_config={
                    "requested_at": "Asked (UTC)",
                    "old_due_on": "From",
                    "new_due_on": "To",
                    "reason": st.column_config.TextColumn("Reason", width="large"),
                    "requested_by": "Asked by",
                    "decision": "Decision",
                    "decided_by": "Decided by",
                    "decided_at": "Decided (UTC)",
                },
            )
        st.markdown("**Evidence**")
        updates.evidence_list(data.read(worklists.action_evidence, (entity_id,)))
