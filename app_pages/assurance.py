"""Assurance: work queues for a board member or assurer. Completed actions waiting to be assured
or returned (longest waiting first), target-date change requests to decide (oldest first), and
recommendation assurance. Each queue is one table; the row chosen is shown below it with its
evidence, updates and form."""

import streamlit as st

from monitoring import measures, services, worklists
from monitoring.ui import data, queue, session, updates, widgets

session.guard(__file__)

actor = session.current_actor()
today = data.today()

st.title("Assurance")
st.caption("Completed is what an agency says; assured is what the board has seen evidence for.")
updates.show_flash()

# The page's reads: the two queues (the chosen action's evidence and updates are read below).
src = data.source()
# The queue's first rows and its length while Find is blank (issue 18), every row once the
# reader searches.
if queue.find_text("assurance"):
    waiting, total = data.read(worklists.assurance_queue, src), None
else:
    waiting, total = data.read(worklists.assurance_first, src, queue.QUEUE_ROWS)
pending = data.read(worklists.date_change_requests, pending_only=True, source=src)
decides = services.can(actor, "decide_date_change")
waiting_count = len(waiting) if total is None else total
names = [f"Completed actions to assure ({waiting_count})", "Recommendations"]
if decides:
    names.insert(1, f"Target-date changes ({len(pending)})")
tabs = dict(zip(names, st.tabs(names), strict=True))

with tabs[names[0]]:
    if waiting.empty:
        st.success("No completed actions are waiting for assurance.")
    row = queue.ASSURANCE.pick(queue.with_waiting(waiting, today), key="assurance", total=total)
    if row:
        st.subheader("The action chosen")
        st.text(
            f"{row['review_ref']} action {row['number']}: "
            f"{widgets.text_or_dash(row['description'])}\n"
            f"Lead agency: {widgets.text_or_dash(row['agency'])} · completed "
            f"{widgets.uk_date(row['completed_on']) or widgets.MISSING} · "
            f"{row['evidence_count']} evidence item(s)"
        )
        if not widgets.is_missing(row["success_measure"]):
            st.text(f"Success measure: {row['success_measure']}")
        st.markdown("**Evidence**")
        updates.evidence_list(data.read(worklists.action_evidence, (int(row["id"]),), src))
        st.markdown("**Latest updates**")
        updates.updates_list(data.read(worklists.action_updates, (int(row["id"]),), src), limit=5)
        updates.assurance_form(actor, row)

if decides:
    with tabs[names[1]]:
        if pending.empty:
            st.success("No target-date changes are waiting for a decision.")
        change = queue.DATE_CHANGES.pick(pending, key="date_changes")
        if change:
            st.subheader("The request chosen")
            st.text(
                f"{change['review_ref']} action {change['number']} "
                f"({widgets.text_or_dash(change['agency'])}): "
                f"{widgets.uk_date(change['old_due_on']) or widgets.MISSING} → "
                f"{widgets.uk_date(change['new_due_on'])}\n"
                f"Reason: {widgets.text_or_dash(change['reason'])}\n"
                f"Asked by {widgets.text_or_dash(change['requested_by'])} on "
                f"{widgets.uk_date(change['requested_at'])} · original target date "
                f"{widgets.uk_date(change['original_due_on']) or widgets.MISSING}"
            )
            updates.date_change_form(actor, change)

with tabs["Recommendations"]:
    chosen = updates.pick_recommendation("assurance_pick")
    if chosen:
        impact = data.read(measures.recommendation_impact, int(chosen["id"]), scope=src.scope)
        st.markdown("**Impact evidence**")
        if impact.table.empty:
            st.caption("This recommendation has no measures.")
        else:
            st.dataframe(impact.table, hide_index=True, width="stretch")
        st.text(f"Feedback from children and families: {impact.feedback} entries")
        updates.recommendation_assurance_form(actor, chosen, impact.met)
