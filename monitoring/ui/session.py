"""Who is signed in: Streamlit's OIDC identity (``st.user``) or the local login form.

Either way the identity is an active ``app_user`` row found by e-mail (DESIGN §5); an e-mail with no
active row gets no access. The single sign-on button appears only when ``[auth]`` is configured in
``.streamlit/secrets.toml`` (``st.login``); local sign-ins lock after repeated failures
(:func:`monitoring.auth.authenticate`).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from monitoring import auth, services
from monitoring.ui.data import engine
from monitoring.ui.text import md

_EMAIL_KEY = "user_email"


def _find_user(email: str) -> dict | None:
    return auth.find_active_user(engine(), email)


def _oidc_logged_in() -> bool:
    """True when Streamlit's OIDC flow (or AppTest's ``at.user``) says a user is logged in."""
    try:
        return bool(st.user.get("is_logged_in", False))
    except Exception:  # st.user unavailable outside a script run
        return False


def oidc_providers() -> list[str | None]:
    """Providers configured under ``[auth]`` in secrets: ``[None]`` for a single unnamed one,
    provider names for ``[auth.NAME]`` sections, ``[]`` when single sign-on is not configured."""
    try:
        if not st.secrets.load_if_toml_exists():
            return []
        section = st.secrets.get("auth")
    except Exception:  # no secrets file
        return []
    if not isinstance(section, Mapping) or not section:
        return []
    if "client_id" in section:
        return [None]
    return [name for name, value in section.items() if isinstance(value, Mapping)]


_SSO_AUDITED_KEY = "sso_sign_in_audited"


def current_user() -> dict | None:
    """The signed-in ``app_user`` row as a dict, or ``None`` when nobody is signed in.

    A single sign-on identity is audited once per session (:data:`monitoring.auth.SIGNED_IN_SSO`,
    or :data:`monitoring.auth.REFUSED_SSO_NO_ACCOUNT` for an e-mail with no active account)."""
    if _oidc_logged_in() and st.user.get("email"):
        email = str(st.user.get("email"))
        user = _find_user(email)
        if st.session_state.get(_SSO_AUDITED_KEY) != email:
            outcome = auth.SIGNED_IN_SSO if user else auth.REFUSED_SSO_NO_ACCOUNT
            auth.audit_sign_in(engine(), email, outcome)
            st.session_state[_SSO_AUDITED_KEY] = email
        return user
    email = st.session_state.get(_EMAIL_KEY)
    return _find_user(email) if email else None


def current_actor() -> services.Actor:
    """The signed-in user as a :class:`monitoring.services.Actor` (for write services)."""
    user = st.session_state.get("user") or current_user()
    if not user:
        st.stop()
    return services.Actor.from_user(user)


def login_form() -> None:
    """The sign-in page: single sign-on (when configured) and the local login form.

    A successful local sign-in stores the e-mail in the session and reruns; every failure shows
    the same message (:data:`monitoring.auth.BAD_LOGIN`): it never says which part was wrong, nor
    whether the account exists or is locked.
    """
    st.title("Safeguarding learning monitor")
    for provider in oidc_providers():
        label = "Sign in with your organisation account"
        if provider and len(oidc_providers()) > 1:
            label += f" ({provider})"
        if st.button(label, type="primary", icon=":material/login:", key=f"sso_{provider}"):
            st.login(provider) if provider else st.login()
    with st.form("login"):
        email = st.text_input("E-mail address", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        try:
            user = auth.authenticate(engine(), email, password)
        except (auth.LoginError, services.ServiceError) as exc:  # e.g. the database stayed busy
            st.error(md(exc))
        else:
            st.session_state[_EMAIL_KEY] = user["email"]
            st.rerun()


def no_access_page() -> None:
    """Shown to a signed-in (single sign-on) e-mail with no active account."""
    st.title("No access")
    st.error(
        "You are signed in, but your e-mail address has no active account in this monitor. "
        "Ask the partnership business manager to add you."
    )
    if st.button("Sign out", icon=":material/logout:"):
        sign_out()


def require_user() -> dict:
    """The signed-in user, or render the login (or "no access") page and stop the script."""
    user = current_user()
    if user:
        return user
    if _oidc_logged_in():
        no_access_page()
        st.stop()
    login_form()
    st.stop()


def guard(page_file: str) -> dict:
    """The first call of every page: the signed-in user, if their role may see this page.

    ``dashboard.py`` already gates every run, but a page file can still be run on its own (a
    test's ``AppTest.from_file``; Streamlit's old multipage mode, were a ``pages/`` folder put
    beside ``dashboard.py``: the pages live in ``app_pages/`` so that no file name is listed before
    sign-in). So each page
    checks for itself: signed out shows the sign-in form; a role the page registry (DESIGN §5)
    does not list for this page is refused. Either way the script stops before reading data.
    """
    from monitoring.ui.navigation import spec_for

    user = require_user()
    spec = spec_for(page_file)
    if spec is None or user["role"] not in spec.roles:
        if spec is not None:
            _back_to_start(spec.title, user["role"])  # in the app: never returns
        st.title("Not available")
        st.error("Your role does not give access to this page.")
        st.stop()
    st.session_state["user"] = user
    refused = st.session_state.pop(_REFUSED_KEY, None)
    if refused:
        st.info(refused, icon=":material/block:")
    return user


_REFUSED_KEY = "page_refused"
ROLE_PLURALS = {
    "viewer": "viewers",
    "agency_lead": "agency leads",
    "assurer": "assurers",
    "board": "board members",
    "admin": "administrators",
}
"""Each role's people, as a refusal names them ("That page is not open to viewers")."""


def refusal(title: str, role: str) -> str:
    """The one line shown on the start page to someone sent there from a page their role may not
    open, e.g. ``That page is not open to viewers: Actions.``"""
    return f"That page is not open to {ROLE_PLURALS.get(role, 'your role')}: {title}."


def _back_to_start(title: str, role: str) -> None:
    """In the app (``dashboard.py`` registers the pages a role may not open as hidden pages, so
    their addresses reach this guard): go to the start page (Overview), which then shows
    :func:`refusal` once. A page file run on its own (no navigation) returns, and the guard
    shows "Not available" instead."""
    from streamlit.errors import StreamlitAPIException

    from monitoring.ui.navigation import start_page_path

    st.session_state[_REFUSED_KEY] = refusal(title, role)
    try:
        st.switch_page(start_page_path())
    except StreamlitAPIException:
        st.session_state.pop(_REFUSED_KEY, None)


def sign_out() -> None:
    """End the session (case 16): audit the sign-out, then clear the whole session state (every
    widget's value, so an uploaded file is no longer attached, and the per-user results kept
    there: bulk tables, flash messages, conflicts, filters) and the address's query (filters, a
    linked record), so that the next person on the same tab starts clean. Cached reads
    (``st.cache_data`` in :mod:`monitoring.ui.data`) are keyed on their arguments, never on the
    session, so nothing of this user's stays reachable through them. Ends the single sign-on
    session too."""
    user = st.session_state.get("user") or {}
    email = user.get("email") or st.session_state.get(_EMAIL_KEY)
    if email:
        auth.audit_sign_in(engine(), email, auth.SIGNED_OUT)
    oidc = _oidc_logged_in()
    st.session_state.clear()
    st.query_params.clear()  # the sidebar filters and linked records live in the address too
    if oidc:
        st.logout()
    st.rerun()


def logout_button() -> None:
    """A sign-out button in the sidebar (:func:`sign_out`)."""
    if st.sidebar.button("Sign out", icon=":material/logout:"):
        sign_out()
