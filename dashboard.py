"""Safeguarding learning monitor: the entry point.

Login gate, the sidebar filters every page shares, and navigation built from the page registry in
``monitoring/ui/navigation.py`` for the signed-in user's role.
"""

import streamlit as st

from monitoring.ui import filters, navigation, session

st.set_page_config(
    page_title="Safeguarding learning monitor",
    page_icon=":material/shield:",
    layout="wide",
)

user = session.require_user()
st.session_state["user"] = user
page = st.navigation(navigation.pages_for(user["role"]))
filters.sidebar_filters()
with st.sidebar:
    st.caption(f"Signed in as {user['display_name']} ({user['role'].replace('_', ' ')})")
session.logout_button()
page.run()
