"""Streamlit pieces for the update pages: an action's update form (with conflict handling), the
bulk update table, evidence and update lists. Every write goes through :mod:`monitoring.services`.

On a :class:`~monitoring.services.VersionConflict` the other person's change is shown and the
user's own text stays in the form (its widget keys are kept), so nothing is lost. When the
database stays busy (:class:`~monitoring.services.DatabaseBusy`, e.g. during a long import) the
page says so plainly and the text stays for one more click on Save (case 08). After any save,
every widget on the page that shows the saved action is rebuilt from its new version: the
action's form and the bulk table (case 10).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from monitoring import services, vocabulary, worklists
from monitoring.ui import data, widgets
from monitoring.ui.text import md

UPDATE_STATUSES = ("not_started", "in_progress", "completed", "not_implemented", "superseded")
"""Statuses an agency lead can choose (``assured`` is the board's: see the Assurance page)."""

_QUIET_FIELDS = {"version"}


def action_heading(row) -> str:
    """One line naming an action: RAG word, review, action number, description, lateness."""
    text = (
        f"{vocabulary.rag_with_date_words(row['rag'], row.get('due_on'), row.get('status'))} · "
        f"{row['review_ref']} action {row['number']}: "
        f"{str(row['description'])[:90]}"
    )
    if row["days_overdue"]:
        text += f" — {vocabulary.count_words(int(row['days_overdue']), 'day')} overdue"
    return text


def flash(message: str) -> None:
    """Keep a success message for the next run (shown by :func:`show_flash`)."""
    st.session_state["updates_flash"] = message


def admin_page(page_file: str, title: str, caption: str | None = None):
    """The top of an administrators' page: the page guard (:func:`monitoring.ui.session.guard`),
    its title, the last save's message (:func:`show_flash`) and a caption of our own words.

    :returns: ``(actor, engine)``: the signed-in :class:`monitoring.services.Actor` and the
        database engine the page writes through.
    """
    from monitoring.ui import session

    session.guard(page_file)
    actor = session.current_actor()
    st.title(title)
    show_flash()
    if caption:
        st.caption(caption)
    return actor, data.engine()


def records_table(frame: pd.DataFrame, column_config: dict) -> None:
    """An administrators' table of records (accounts, agencies): every column but ``id``, the
    page's width, with ``column_config``'s labels."""
    st.dataframe(
        frame.drop(columns=["id"]), hide_index=True, width="stretch", column_config=column_config
    )


def show_flash() -> None:
    """Show (once) the message kept by :func:`flash`."""
    message = st.session_state.pop("updates_flash", None)
    if message:
        st.success(md(message))


def show_conflict(conflict: dict) -> None:
    """Show the other person's change that caused a version conflict."""
    st.warning(md(conflict["message"]), icon=":material/sync_problem:")
    changes = [c for c in conflict["changes"] if c["field"] not in _QUIET_FIELDS]
    if changes:
        st.dataframe(widgets.changes_display(changes), hide_index=True, width="stretch")
    st.info("Your unsaved text is still in the form: check it against their change and save again.")


def rebuild_after_save(action_ids) -> None:
    """After a save of these actions: rebuild every widget that shows them from their new
    version (their update forms, and the bulk table, whose rows carry the version read)."""
    for action_id in action_ids:
        st.session_state.pop(f"base_version_{action_id}", None)
        st.session_state.pop(f"conflict_{action_id}", None)
        key = f"form_gen_{action_id}"
        st.session_state[key] = st.session_state.get(key, 0) + 1
    st.session_state.pop("bulk_original", None)
    st.session_state.pop("bulk_editor", None)


def _keys(action_id: int) -> dict[str, str]:
    gen = st.session_state.setdefault(f"form_gen_{action_id}", 0)
    names = ("status", "note", "link", "file", "new_due", "due_reason", "reason", "save")
    return {name: f"{name}_{action_id}_{gen}" for name in names}


def update_form(actor: services.Actor, row) -> None:
    """The update form of one action: status, progress note, evidence link or file, and a
    request for a new target date. The version saved against is the one first shown."""
    action_id = int(row["id"])
    base_key = f"base_version_{action_id}"
    st.session_state.setdefault(base_key, int(row["version"]))
    conflict = st.session_state.get(f"conflict_{action_id}")
    if conflict:
        show_conflict(conflict)
    keys = _keys(action_id)
    with st.form(f"update_form_{action_id}"):
        status = st.selectbox(
            "Status",
            UPDATE_STATUSES,
            index=UPDATE_STATUSES.index(row["status"]) if row["status"] in UPDATE_STATUSES else 0,
            format_func=vocabulary.STATUS_LABELS.get,
            key=keys["status"],
        )
        reason = st.text_input(
            "Reason for closing (needed for not implemented or superseded)", key=keys["reason"]
        )
        note = st.text_area("Progress note", key=keys["note"], placeholder="What has happened?")
        link = st.text_input("Evidence link", key=keys["link"], placeholder="https://")
        upload = st.file_uploader(
            f"Evidence file ({services.MAX_EVIDENCE_MB} MB at most)",
            type=sorted(services.EVIDENCE_TYPES),
            key=keys["file"],
            help=f"One file of {widgets.UPLOAD_LIMIT} at most: "
            + ", ".join(sorted(services.EVIDENCE_TYPES))
            + ". A larger file is refused; link to it instead.",
        )
        st.markdown("**Ask for a new target date** (it applies once the board approves it)")
        new_due = st.date_input(
            "New target date", value=None, key=keys["new_due"], format="DD/MM/YYYY"
        )
        due_reason = st.text_area("Why the date needs to move", key=keys["due_reason"])
        submitted = st.form_submit_button("Save update", type="primary", key=keys["save"])
    if submitted:
        _submit(actor, row, status, note, link, upload, new_due, due_reason, reason)


def _submit(actor, row, status, note, link, upload, new_due, due_reason, reason) -> None:
    action_id = int(row["id"])
    base_key = f"base_version_{action_id}"
    version = int(st.session_state[base_key])
    content = upload.getvalue() if upload is not None else None
    try:  # check everything the later steps need before the first write
        if new_due and not (due_reason or "").strip():
            raise services.ValidationError("reason: say why the target date needs to move.")
        if content is not None:
            services.check_evidence_file(upload.name, content)
    except services.ValidationError as exc:
        st.error(md(exc))
        return
    changed = status != row["status"] or (note or "").strip() or (link or "").strip()
    if not (changed or content is not None or new_due):
        st.info("Nothing to save: change the status, write a note, add evidence or a new date.")
        return
    engine = data.engine()
    done: list[str] = []
    try:
        if changed:
            saved = services.save_action_update(
                engine,
                actor,
                action_id,
                version=version,
                status=status,
                note=note,
                evidence_url=link or None,
                reason=reason,
            )
            version = int(saved["version"])
            done.append("update saved")
        if content is not None:
            services.attach_evidence(
                engine, actor, action_id, version=version, file_name=upload.name, content=content
            )
            version += 1
            done.append(f"evidence file {upload.name} stored")
        if new_due:
            services.request_due_date_change(
                engine, actor, action_id, new_due, due_reason, version=version
            )
            done.append(f"new target date {widgets.uk_date(new_due)} requested")
    except services.VersionConflict as exc:
        st.session_state[f"conflict_{action_id}"] = {
            "message": str(exc),
            "changes": exc.changes,
        }
        st.session_state[base_key] = int(exc.current["version"])
        st.rerun()
    except services.ServiceError as exc:  # refused, busy or disk full: the form keeps the text
        if done:
            st.session_state[base_key] = version
            # the bulk table shows this action too: rebuild it from the saved version
            st.session_state.pop("bulk_original", None)
            st.session_state.pop("bulk_editor", None)
        st.error(md(("Saved: " + "; ".join(done) + ". Not saved: " if done else "") + str(exc)))
        return
    rebuild_after_save([action_id])
    if content is None:
        # A file over the upload limit is refused by the uploader itself and never reaches this
        # run: say plainly that no file came with this save.
        done.append("no evidence file attached")
    flash(f"Action {row['number']} ({row['review_ref']}): " + "; ".join(done) + ".")
    st.rerun()


def bulk_editor(actor: services.Actor, frame: pd.DataFrame) -> None:
    """The bulk update table: change statuses and add notes for many actions, then save.

    The table shown is kept in the session (with the versions read) and compared with the
    editor's result on ``id``; each changed row is saved and re-checked by the services.
    """
    results = st.session_state.pop("bulk_results", None)
    if results:
        st.dataframe(pd.DataFrame(results), hide_index=True, width="stretch")
    original = st.session_state.setdefault("bulk_original", worklists.bulk_table(frame))
    kept = st.session_state.get("bulk_kept")
    if kept:
        _kept_rows(actor, kept, original)
    with st.form("bulk_form"):
        edited = st.data_editor(
            original,
            key="bulk_editor",
            hide_index=True,
            num_rows="fixed",
            width="stretch",
            disabled=["id", "version", "review_ref", "number", "description", "due_on"],
            column_order=["review_ref", "number", "description", "due_on", "status", "note"],
            column_config={  # fits the tab at a 1400 px window (widgets.WIDTHS)
                "review_ref": st.column_config.TextColumn("Review", width=130),
                "number": st.column_config.TextColumn("Action", width=widgets.WIDTHS["number"]),
                "description": st.column_config.TextColumn("Action description", width=215),
                "due_on": st.column_config.DateColumn(
                    "Target date", format="D MMM YYYY", width=widgets.WIDTHS["date"]
                ),
                "status": st.column_config.SelectboxColumn(
                    "Status",
                    options=list(UPDATE_STATUSES[:3]),
                    format_func=lambda code: widgets.code_word("status", code),
                    required=True,
                    width=widgets.WIDTHS["status"],
                ),
                "note": st.column_config.TextColumn("New progress note", width=210),
            },
        )
        submitted = st.form_submit_button("Save changed rows", type="primary", key="bulk_save")
    if submitted:
        changes = worklists.bulk_changes(original, edited)
        if not changes:
            st.info("No row was changed.")
            return
        _save_bulk(actor, changes, original)


def _save_bulk(actor: services.Actor, changes: list[dict], original: pd.DataFrame) -> None:
    """Save the bulk table's changed rows; the rows not saved are kept for one click."""
    outcome = services.bulk_update_actions(data.engine(), actor, changes)
    labels = original.set_index("id")
    st.session_state["bulk_results"] = [
        {
            "Action": f"{labels.loc[r['id'], 'review_ref']} {labels.loc[r['id'], 'number']}",
            "Result": "Saved" if r["ok"] else "Not saved",
            "Detail": r["message"],
        }
        for r in outcome
    ]
    refused = {r["id"] for r in outcome if not r["ok"]}
    kept = [
        {**c, "label": f"{labels.loc[c['id'], 'review_ref']} {labels.loc[c['id'], 'number']}"}
        for c in changes
        if c["id"] in refused
    ]
    if kept:
        st.session_state["bulk_kept"] = kept
    else:
        st.session_state.pop("bulk_kept", None)
    rebuild_after_save([r["id"] for r in outcome if r["ok"]])  # also rebuilds the bulk table
    st.rerun()


def _kept_rows(actor: services.Actor, kept: list[dict], current: pd.DataFrame) -> None:
    """The bulk rows that were not saved (refused, busy or someone else's change): shown with the
    user's text and re-applied with one click against each action's version now shown."""
    st.warning(
        f"{len(kept)} change(s) from the table were not saved; your text is kept below. Check "
        "the result above, then re-apply them with one click or discard them."
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Action": k["label"],
                    "Status": widgets.code_word("status", k["status"]) if k["status"] else "—",
                    "Progress note": k["note"] or "—",
                }
                for k in kept
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    left, right = st.columns(2)
    if left.button("Re-apply my unsaved changes", type="primary", key="bulk_reapply"):
        versions = dict(zip(current["id"].astype(int), current["version"].astype(int), strict=True))
        again = [
            {**{k: v for k, v in row.items() if k != "label"}, "version": versions[row["id"]]}
            for row in kept
            if row["id"] in versions
        ]
        _save_bulk(actor, again, current)
    if right.button("Discard them", key="bulk_discard"):
        st.session_state.pop("bulk_kept", None)
        st.rerun()


def evidence_list(frame: pd.DataFrame) -> None:
    """Evidence rows as text (titles, links and names are shown as written, never as Markdown),
    with a download button for each stored file whose bytes are read on the click
    (:func:`monitoring.ui.widgets.evidence_download`)."""
    if frame.empty:
        st.caption("No evidence attached yet.")
        return
    for ev in worklists.records(frame):
        if ev.get("url"):
            st.markdown(f"- {md(ev['title'])}: {md(ev['url'])} ({md(evidence_line(ev))})")
            continue
        st.markdown(f"- {md(ev['title'])} ({md(evidence_line(ev))})")
        widgets.evidence_download(ev)


def evidence_line(ev: dict) -> str:
    """What an evidence entry says in brackets after its title: who attached it and when, who
    verified it, and a stored file's SHA-256 prefix, e.g. ``Pat Police-Lead, 1 Dec 2026 ·
    verified by Asha Assurer; SHA-256 0a1b2c3d4e5f…``. People are named by display name
    (``uploaded_by_name``, ``verified_by_name`` of :func:`monitoring.worklists.action_evidence`);
    a person with no account reads "a user" and one not recorded "not recorded", never an empty
    "(, 1 Dec 2026".

    :param ev: an evidence row (dict) of :func:`monitoring.worklists.action_evidence`.
    """
    who = ev.get("uploaded_by_name") or "not recorded"
    when = widgets.uk_date(ev.get("uploaded_at"))
    parts = f"{who}, {when}" if when else who
    if ev.get("verified_at") or ev.get("verified_by"):
        parts += f" · verified by {ev.get('verified_by_name') or 'a user'}"
    if not ev.get("url") and ev.get("sha256"):
        parts += f"; SHA-256 {str(ev['sha256'])[:12]}…"
    return parts


def updates_list(frame: pd.DataFrame, limit: int | None = None) -> None:
    """Progress updates as a table, newest first."""
    if frame.empty:
        st.caption("No progress updates yet.")
        return
    shown = frame.head(limit) if limit else frame
    st.dataframe(
        shown[["created_at", "author", "status", "progress_note", "evidence_url"]].assign(
            # the date it counts from, as every page dates it, and the day recorded if another
            created_at=[
                widgets.effective_words(e, c)
                for e, c in zip(shown["effective_on"], shown["created_at"], strict=True)
            ],
            author=shown["author"].map(widgets.text_or_dash),
            status=shown["status"].map(lambda s: widgets.code_word("status", s)),
            progress_note=shown["progress_note"].map(widgets.text_or_dash),
            # a link column shows an empty cell for "" (None would read "None")
            evidence_url=shown["evidence_url"].map(lambda u: "" if widgets.is_missing(u) else u),
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "created_at": "Date",
            "author": "By",
            "status": "Status",
            "progress_note": st.column_config.TextColumn("Progress note", width="large"),
            "evidence_url": st.column_config.LinkColumn("Evidence link"),
        },
    )


def run_service(call, success: str, conflict_key: str | None = None) -> None:
    """Run a service call; show its refusal, or keep ``success`` for the next run and rerun.

    A refusal (including :class:`~monitoring.services.DatabaseBusy`: the database stayed busy
    past the bounded wait) is shown in plain words and the form's text stays for one more click.
    """
    try:
        call()
    except services.VersionConflict as exc:
        if conflict_key:
            st.session_state[conflict_key] = {"message": str(exc), "changes": exc.changes}
            st.rerun()
        st.error(md(exc))
        return
    except services.ServiceError as exc:
        st.error(md(exc))
        return
    if conflict_key:
        st.session_state.pop(conflict_key, None)
    # every widget that shows the record is rebuilt from its new version (case 10)
    st.session_state.pop("bulk_original", None)
    st.session_state.pop("bulk_editor", None)
    flash(success)
    st.rerun()


def assurance_form(actor: services.Actor, row) -> None:
    """Assure a completed action, or return it to its agency with a reason."""
    action_id = int(row["id"])
    conflict_key = f"assure_conflict_{action_id}"
    if st.session_state.get(conflict_key):
        show_conflict(st.session_state[conflict_key])
    with st.form(f"assure_form_{action_id}"):
        note = st.text_area(
            "Note (required when returning: what evidence is missing)",
            key=f"assure_note_{action_id}",
        )
        left, right = st.columns(2)
        assure = left.form_submit_button("Assure", type="primary", key=f"assure_{action_id}")
        back = right.form_submit_button("Return for more evidence", key=f"return_{action_id}")
    engine, version = data.engine(), int(row["version"])
    label = f"{row['review_ref']} action {row['number']}"
    if assure:
        run_service(
            lambda: services.assure_action(engine, actor, action_id, version=version, note=note),
            f"{label} assured.",
            conflict_key,
        )
    elif back:
        run_service(
            lambda: services.return_action(engine, actor, action_id, note, version=version),
            f"{label} returned to its agency.",
            conflict_key,
        )


def date_change_form(actor: services.Actor, change) -> None:
    """Approve or reject one target-date change request."""
    change_id = int(change["id"])
    with st.form(f"date_change_form_{change_id}"):
        note = st.text_input("Note (optional)", key=f"date_note_{change_id}")
        left, right = st.columns(2)
        approve = left.form_submit_button("Approve", type="primary", key=f"approve_{change_id}")
        reject = right.form_submit_button("Reject", key=f"reject_{change_id}")
    if approve or reject:
        run_service(
            lambda: services.decide_due_date_change(
                data.engine(), actor, change_id, bool(approve), note=note
            ),
            f"Target-date change for {change['review_ref']} action {change['number']} "
            + ("approved." if approve else "rejected."),
        )


def recommendation_assurance_form(
    actor: services.Actor, rec, met: tuple[tuple[int, str], ...] = ()
) -> None:
    """Set a recommendation's assurance status, with a note; with ``met`` (its measures meeting
    their target: ``(measure_id, name)``), "Assured on a measure" offers them."""
    from monitoring.db import ASSURANCE_STATUSES

    rec_id = int(rec["id"])
    names = dict(met)
    with st.form(f"rec_assurance_form_{rec_id}"):
        status = st.selectbox(
            "Assurance status",
            ASSURANCE_STATUSES,
            index=ASSURANCE_STATUSES.index(rec["assurance_status"]),
            format_func=lambda s: widgets.code_word("assurance_status", s),
            key=f"rec_status_{rec_id}",
        )
        measure_id = None
        if names:
            measure_id = st.selectbox(
                "Assured on a measure (meets its target; with the status Assured)",
                [None, *names],
                format_func=lambda i: "No measure" if i is None else names[i],
                key=f"rec_measure_{rec_id}",
            )
        note = st.text_area("Note", key=f"rec_note_{rec_id}")
        save = st.form_submit_button("Save assurance", type="primary", key=f"rec_save_{rec_id}")
    if save:
        run_service(
            lambda: services.assure_recommendation(
                data.engine(),
                actor,
                rec_id,
                status,
                version=int(rec["version"]),
                note=note,
                measure_id=measure_id,
            ),
            f"Recommendation {rec['number']}: assurance saved"
            + (f" on the measure {names[measure_id]}." if measure_id else "."),
        )


def pick_recommendation(key: str) -> dict | None:
    """Pick review → recommendation; returns the recommendation (``id, number, title,
    assurance_status, version``) or None."""
    reviews = data.read(worklists.review_choices)
    if reviews.empty:
        st.info("No reviews yet.")
        return None
    review_labels = dict(zip(reviews["id"], reviews["ref"] + " – " + reviews["title"], strict=True))
    review_id = st.selectbox(
        "Review", list(review_labels), format_func=review_labels.get, key=f"{key}_review"
    )
    recs = worklists.records(data.read(worklists.recommendation_choices, int(review_id)))
    if not recs:
        st.info("This review has no recommendations.")
        return None
    by_id = {int(r["id"]): r for r in recs}
    rec_id = st.selectbox(
        "Recommendation",
        list(by_id),
        format_func=lambda i: f"Recommendation {by_id[i]['number']}: {by_id[i]['title'] or ''}",
        key=f"{key}_rec",
    )
    return by_id[rec_id]


def pick_record(key: str) -> tuple[str, int] | None:
    """Pick review → recommendation → action (or the recommendation itself); returns
    ``("action", id)``, ``("recommendation", id)`` or None when there is nothing to pick."""
    rec = pick_recommendation(key)
    if rec is None:
        return None
    actions = worklists.records(data.read(worklists.action_choices, int(rec["id"])))
    labels = {int(a["id"]): f"Action {a['number']}: {a['description']}" for a in actions}
    action_id = st.selectbox(
        "Action",
        [None, *labels],
        format_func=lambda i: "The recommendation itself" if i is None else labels[i],
        key=f"{key}_action",
    )
    return ("recommendation", int(rec["id"])) if action_id is None else ("action", action_id)
