"""Assurance: completed actions waiting for a board member or assurer (with their evidence and
updates) to assure or return; target-date change requests to decide; recommendation assurance."""

import streamlit as st

from monitoring import services, worklists
from monitoring.ui import data, session, updates, widgets

session.guard(__file__)

actor = session.current_actor()

st.title("Assurance")
st.caption("Completed is what an agency says; assured is what the board has seen evidence for.")
updates.show_flash()

queue = data.read(worklists.assurance_queue)
pending = data.read(worklists.date_change_requests, pending_only=True)
decides = services.can(actor, "decide_date_change")
names = [f"Completed actions to assure ({len(queue)})", "Recommendations"]
if decides:
    names.insert(1, f"Target-date changes ({len(pending)})")
tabs = dict(zip(names, st.tabs(names), strict=True))

with tabs[names[0]]:
    if queue.empty:
        st.success("No completed actions are waiting for assurance.")
    for row in worklists.records(queue):
        heading = (
            f"{row['review_ref']} action {row['number']}: {str(row['description'])[:80]} — "
            f"{widgets.text_or_dash(row['agency'])}, completed "
            f"{widgets.uk_date(row['completed_on']) or widgets.MISSING}, "
            f"{row['evidence_count']} evidence item(s)"
        )
        with st.expander(heading):
            if not widgets.is_missing(row["success_measure"]):
                st.markdown(f"**Success measure:** {row['success_measure']}")
            st.markdown("**Evidence**")
            updates.evidence_list(data.read(worklists.action_evidence, (int(row["id"]),)))
            st.markdown("**Latest updates**")
            updates.updates_list(data.read(worklists.action_updates, (int(row["id"]),)), limit=5)
            updates.assurance_form(actor, row)

if decides:
    with tabs[names[1]]:
        if pending.empty:
            st.success("No target-date changes are waiting for a decision.")
        for change in worklists.records(pending):
            heading = (
                f"{change['review_ref']} action {change['number']} ({change['agency']}): "
                f"{widgets.uk_date(change['old_due_on']) or widgets.MISSING} → "
                f"{widgets.uk_date(change['new_due_on'])}"
            )
            with st.expander(heading):
                st.markdown(
                    f"**Reason:** {widgets.text_or_dash(change['reason'])}  \n"
                    f"**Asked by** {change['requested_by']} on "
                    f"{widgets.uk_date(change['requested_at'])} · **original target date** "
                    f"{widgets.uk_date(change['original_due_on']) or widgets.MISSING}"
                )
                updates.date_change_form(actor, change)

with tabs["Recommendations"]:
    chosen = updates.pick_recommendation("assurance_pick")
    if chosen:
        updates.recommendation_assurance_form(actor, chosen)
