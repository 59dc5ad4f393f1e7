"""Safeguarding learning monitor: the entry point.

Login gate, the sidebar filters every page shares, and navigation built from the page registry in
``monitoring/ui/navigation.py`` for the signed-in user's role.
"""

import streamlit as st

from monitoring.ui import filters, navigation, session
from monitoring.ui.text import md

st.set_page_config(
    page_title="Safeguarding learning monitor",
    page_icon="🛡️",  # an emoji is drawn locally; a :material: icon is fetched from a font CDN
    layout="wide",
)
navigation.app_css()  # the date fields' target size, the phone's tile rows

if session.current_user() is None:
    # Signed out: register every real page, hidden, so that a link such as /history?action=ID
    # keeps its address; but run none of them: only the sign-in form runs, and the script stops
    # there.
    sign_in = st.Page(session.require_user, title="Sign in", default=True)
    st.navigation([sign_in, *navigation.all_pages(default=False)], position="hidden")
    session.require_user()
    st.stop()
user = session.require_user()
st.session_state["user"] = user
# One flat list, in the registry's order: with sections Streamlit puts each section's header and
# links in a <div> inside its <ul>, which breaks the list for screen readers (WCAG 1.3.1).
pages = [page for section in navigation.pages_for(user["role"]).values() for page in section]
# The pages the role may not open are registered hidden: their addresses reach the page's guard,
# which sends the reader to the Overview with a one-line reason.
page = st.navigation([*pages, *navigation.hidden_pages_for(user["role"])], expanded=True)
navigation.close_sidebar_after_choosing(page)  # on a phone
filters.sidebar_filters()
with st.sidebar:
    st.caption(f"Signed in as {md(user['display_name'])} ({user['role'].replace('_', ' ')})")
session.logout_button()
navigation.run_page(page)  # a failing page shows a plain message (case 18)
