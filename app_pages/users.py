"""Users (administrators): every account, add one, disable or enable it, clear a lockout, set a
new password; the sign-in log."""

import streamlit as st

from monitoring import auth, services, worklists
from monitoring.ui import data, updates, widgets
from monitoring.ui.text import md

actor, engine = updates.admin_page(__file__, "Users")

PASSWORD_HELP = (
    f"At least {auth.MIN_PASSWORD_LENGTH} characters; not only spaces, not a commonly used "
    "password, not a word with digits added ('Summer2024!!'), not the e-mail address. Three "
    "random words make a good one (NCSC advice)."
)
accounts = data.read(worklists.users)
accounts["role"] = accounts["role"].map(auth.ROLE_LABELS)
accounts["locked_until"] = accounts["locked_until"].fillna("")
updates.records_table(
    accounts,
    {
        "email": "E-mail",
        "display_name": "Name",
        "role": "Role",
        "agency": "Agency",
        "active": st.column_config.CheckboxColumn("Active"),
        "failed_logins": "Failed sign-ins",
        "locked_until": "Locked until (UTC)",
        "has_password": st.column_config.CheckboxColumn("Local password"),
        "created_at": "Created (UTC)",
    },
)

agencies = data.read(worklists.agency_choices)
agency_names = dict(zip(agencies["id"], agencies["name"], strict=True))
with st.form("add_user", clear_on_submit=False):
    st.subheader("Add an account")
    email = st.text_input("E-mail address")
    name = st.text_input("Name")
    role = st.selectbox("Role", list(auth.ROLE_LABELS), format_func=auth.ROLE_LABELS.get)
    agency_id = st.selectbox(
        "Agency (agency leads only)",
        [None, *agency_names],
        format_func=lambda i: agency_names.get(i, "—"),
    )
    password = st.text_input(
        "Password (leave empty for single sign-on only)",
        type="password",
        help=PASSWORD_HELP,
    )
    if st.form_submit_button("Add account", type="primary"):
        updates.run_service(
            lambda: services.create_user(
                engine, actor, email, name, role, agency_id=agency_id, password=password or None
            ),
            f"Account {email.strip().lower()} added.",
        )

st.subheader("Change an account")
emails = list(accounts["email"])
chosen = st.selectbox("Account", emails, key="user_pick")
left, middle, right = st.columns(3)
if left.button("Disable", disabled=not chosen):
    updates.run_service(
        lambda: services.set_user_active(engine, actor, chosen, False), f"{chosen} disabled."
    )
if middle.button("Enable", disabled=not chosen):
    updates.run_service(
        lambda: services.set_user_active(engine, actor, chosen, True), f"{chosen} enabled."
    )
if right.button("Clear lockout", disabled=not chosen):
    updates.run_service(lambda: services.unlock_user(engine, actor, chosen), f"{chosen} unlocked.")

with st.form("set_password", clear_on_submit=True):
    st.subheader("Set a new password")
    st.caption(md(f"For {chosen or 'the account chosen above'}; it also clears a lockout."))
    new_password = st.text_input("New password", type="password", help=PASSWORD_HELP)
    if st.form_submit_button("Set password", disabled=not chosen):
        updates.run_service(
            lambda: services.set_user_password(engine, actor, chosen, new_password),
            f"New password set for {chosen}.",
        )

st.subheader("Sign-in log")
st.caption(
    "Every sign-in, refused sign-in (with the reason, which the person signing in is never "
    "told), lockout, unlock and sign-out, newest first (the last 500). Times are UK time."
)
log = data.read(auth.sign_in_log)
if log.empty:
    st.caption("No sign-ins recorded yet.")
else:
    log = log.rename(columns={"When (UTC)": "When (UK time)"})
    log["When (UK time)"] = log["When (UK time)"].map(widgets.uk_date_time)
    st.dataframe(log, hide_index=True, width="stretch")
    widgets.downloads(log, "sign-in-log", "sign_in_log")
