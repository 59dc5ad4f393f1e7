"""Manage agencies (administrators): likely duplicates to confirm and merge, merges to undo,
names, aliases (the spellings and roles an import matches) and each agency's details."""

import streamlit as st

from monitoring import agencies
from monitoring.ui import data, updates, widgets
from monitoring.ui.text import cell_text
from monitoring.vocabulary import count_words

actor, engine = updates.admin_page(
    __file__,
    "Manage agencies",
    "One organisation often arrives under several spellings. Merging moves every action, alias "
    "and user to the agency you keep; its other names become aliases, so the next import "
    "matches them. Every merge is recorded and can be undone.",
)

register = data.read(agencies.agency_register)
active = register[register["active"]]
names = {int(i): n for i, n in zip(active["id"], active["name"], strict=True)}
actions = {int(i): int(n) for i, n in zip(register["id"], register["actions"], strict=True)}


def label(agency_id: int) -> str:
    """An agency as a choice: its name and how many actions it leads."""
    return f"{names.get(agency_id, agency_id)} ({count_words(actions.get(agency_id, 0), 'action')})"


def merge_controls(choices: list[int], key: str) -> None:
    """Pick the agency kept and those merged into it, then merge on a click."""
    left, right = st.columns(2)
    keep = left.selectbox("Agency to keep", choices, format_func=label, key=f"{key}_keep")
    others = [i for i in choices if i != keep]
    merged = right.multiselect(
        "Agencies to merge into it",
        others,
        default=others if key == "suggested" else [],
        format_func=label,
        key=f"{key}_merge",
    )
    if st.button("Merge", type="primary", key=f"{key}_go", disabled=not merged):
        updates.run_service(
            lambda: agencies.merge_agencies(engine, actor, keep, merged),
            f"Merged {len(merged)} agency(ies); undo below under Merges if that was wrong.",
        )


tab_suggested, tab_merge, tab_edit, tab_merges = st.tabs(
    ["Likely duplicates", "Merge", "Names and aliases", "Merges"]
)

with tab_suggested:
    groups = data.read(agencies.suggest_duplicates)
    st.caption(
        f"{len(groups)} group(s) of names that look alike (score {agencies.SUGGESTION_THRESHOLD:.0f} "
        "or more of 100). Nothing is merged until you check a group and press Merge."
    )
    if groups:
        st.dataframe(
            [
                {"group": n, "agencies": " | ".join(g.names), "score": g.score}
                for n, g in enumerate(groups, start=1)
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "group": st.column_config.NumberColumn("Group", format="%d"),
                "agencies": st.column_config.TextColumn("Agencies", width="large"),
                "score": st.column_config.NumberColumn("Score", format="%.0f"),
            },
        )
        number = st.number_input(
            "Group to check", min_value=1, max_value=len(groups), value=1, step=1
        )
        merge_controls(list(groups[int(number) - 1].agency_ids), "suggested")

with tab_merge:
    st.caption("Merge any agencies, whether suggested or not.")
    if len(names) >= 2:
        merge_controls(list(names), "manual")
    else:
        st.info("There are fewer than two active agencies.")

with tab_edit:
    updates.records_table(
        register,
        {
            "name": "Agency",
            "short_name": "Short name",
            "sector": "Sector",
            "board_member_email": "Board member e-mail",
            "active": st.column_config.CheckboxColumn("Active"),
            "actions": st.column_config.NumberColumn("Actions", format="%d"),
            "users": st.column_config.NumberColumn("Users", format="%d"),
            "aliases": st.column_config.TextColumn("Aliases (as an import matches them)"),
        },
    )
    with st.form("new_agency"):
        st.markdown("**Add an agency**")
        new_name = st.text_input("Name", key="new_agency_name")
        if st.form_submit_button("Add agency"):
            updates.run_service(
                lambda: agencies.create_agency(engine, actor, new_name), "Agency added."
            )
    if names:
        chosen = st.selectbox("Agency", list(names), format_func=label, key="edit_agency")
        row = register[register["id"] == chosen].iloc[0]
        with st.form("agency_details"):
            name = st.text_input("Name", value=row["name"])
            short = st.text_input("Short name", value=cell_text(row["short_name"]))
            sector = st.text_input("Sector", value=cell_text(row["sector"]))
            email = st.text_input("Board member e-mail", value=cell_text(row["board_member_email"]))
            if st.form_submit_button("Save", type="primary"):
                updates.run_service(
                    lambda: agencies.save_agency(
                        engine,
                        actor,
                        chosen,
                        name=name,
                        short_name=short,
                        sector=sector,
                        board_member_email=email,
                    ),
                    "Agency saved.",
                )
        aliases = data.read(agencies.aliases_of, int(chosen))
        with st.form("add_alias"):
            alias = st.text_input(
                "Add an alias: another spelling, or a role written as an owner (e.g. Chair / DCS)"
            )
            if st.form_submit_button("Add alias"):
                updates.run_service(
                    lambda: agencies.add_alias(engine, actor, chosen, alias),
                    "Alias added: the next import matches it.",
                )
        if not aliases.empty:
            spellings = {int(i): a for i, a in zip(aliases["id"], aliases["alias"], strict=True)}
            gone = st.selectbox(
                "Alias to remove", list(spellings), format_func=spellings.get, key="alias_pick"
            )
            if st.button("Remove alias"):
                updates.run_service(
                    lambda: agencies.remove_alias(engine, actor, gone), "Alias removed."
                )

with tab_merges:
    history = data.read(agencies.merge_history)
    if history.empty:
        st.info("No agency has been merged yet.")
    else:
        st.caption("Every merge, newest first, with how many actions, aliases and users moved.")
        shown = history.drop(columns=["undone_by", "undone_at"]).assign(
            merged_at=history["merged_at"].map(widgets.uk_date_time),
            undone=[
                f"{widgets.uk_date_time(at)} by {who}" if at else ""
                for at, who in zip(history["undone_at"], history["undone_by"], strict=True)
            ],
        )
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={
                "merge_id": st.column_config.NumberColumn("Merge", format="%d", width=60),
                "kept": "Kept",
                "merged_name": "Merged",
                "actions": st.column_config.NumberColumn(
                    "Actions", format="%d", help="How many moved", width=70
                ),
                "aliases": st.column_config.NumberColumn(
                    "Aliases", format="%d", help="How many moved", width=70
                ),
                "users": st.column_config.NumberColumn(
                    "Users", format="%d", help="How many moved", width=70
                ),
                "merged_by": "By",
                "merged_at": "Merged (UTC)",
                "undone": "Undone (UTC)",
            },
        )
        standing = history[history["undone_at"].isna()]
        if not standing.empty:
            merge_names = {
                int(i): n
                for i, n in zip(standing["merge_id"], standing["merged_name"], strict=True)
            }
            undo = st.selectbox(
                "Merge to undo (newest first)",
                list(merge_names),
                format_func=lambda i: f"Merge {i}: {merge_names[i]}",
                key="undo_pick",
            )
            if st.button("Undo merge", key="undo_go"):
                updates.run_service(
                    lambda: agencies.undo_merge(engine, actor, int(undo)), "Merge undone."
                )
