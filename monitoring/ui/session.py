"""Who is signed in: Streamlit's OIDC identity (``st.user``) or the local login form.

Either way the identity is an active ``app_user`` row found by e-mail (DESIGN §5); an e-mail with no
active row gets no access.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import select

from monitoring import auth, db
from monitoring.ui.data import engine


def _find_user(email: str) -> dict | None:
    with engine().connect() as conn:
        row = (
            conn.execute(
                select(db.app_user).where(
                    db.app_user.c.email == email.strip().lower(), db.app_user.c.active.is_(True)
                )
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def _oidc_logged_in() -> bool:
    """True when Streamlit's OIDC flow (or AppTest's ``at.user``) says a user is logged in."""
    try:
        return bool(st.user.get("is_logged_in", False))
    except Exception:  # st.user unavailable outside a script run
        return False


def current_user() -> dict | None:
    """The signed-in ``app_user`` row as a dict, or ``None`` when nobody is signed in."""
    if _oidc_logged_in() and st.user.get("email"):
        return _find_user(str(st.user.get("email")))
    email = st.session_state.get("user_email")
    return _find_user(email) if email else None


def login_form() -> None:
    """The local login form; on success stores the e-mail in the session and reruns."""
    st.title("Safeguarding learning monitor")
    with st.form("login"):
        email = st.text_input("E-mail address", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with engine().connect() as conn:
            row = (
                conn.execute(
                    select(db.app_user).where(db.app_user.c.email == email.strip().lower())
                )
                .mappings()
                .first()
            )
        if row and row["active"] and auth.verify_password(row["password_hash"], password):
            st.session_state["user_email"] = row["email"]
            st.rerun()
        st.error("That e-mail address and password do not match an active account.")


def require_user() -> dict:
    """The signed-in user, or render the login (or "no access") page and stop the script."""
    user = current_user()
    if user:
        return user
    if _oidc_logged_in():
        st.title("No access")
        st.error(
            "You are signed in, but your e-mail address has no active account in this monitor. "
            "Ask the partnership business manager to add you."
        )
        st.stop()
    login_form()
    st.stop()


def logout_button() -> None:
    """A sign-out button in the sidebar."""
    if st.sidebar.button("Sign out", icon=":material/logout:"):
        st.session_state.pop("user_email", None)
        if _oidc_logged_in():
            st.logout()
        st.rerun()
