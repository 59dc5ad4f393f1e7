"""No page shows data to a signed-out session or to a role the registry does not list for it.

AppTest, like a freshly started server, runs ``pages/NAME.py`` directly (Streamlit's old multipage
mode) until a session calls ``st.navigation``: each page must guard itself, not rely on
``dashboard.py`` alone.
"""

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from monitoring.ui.navigation import PAGES
from tests.conftest import ROOT, make_app


@pytest.mark.parametrize("spec", PAGES, ids=[p.file for p in PAGES])
def test_signed_out_rerun_on_a_page_shows_only_the_sign_in_form(spec, demo_engine, app_env):
    at = make_app(None, page=f"pages/{spec.file}")
    at.run()  # a rerun on the page's own address, as after a failed sign-in
    assert not at.exception
    assert [t.value for t in at.title] == ["Safeguarding learning monitor"]
    assert not at.metric and not at.dataframe and not at.table


def test_wrong_password_on_a_page_address_does_not_open_it(demo_engine, app_env):
    at = make_app(None, page="pages/overview.py")
    at.text_input[0].input("board@northbridge.example")
    at.text_input[1].input("not-the-password")
    at.button[0].click()
    at.run()
    assert [t.value for t in at.title] == ["Safeguarding learning monitor"]
    assert not at.metric


@pytest.mark.parametrize(
    ("email", "page"),
    [
        ("viewer@northbridge.example", "users.py"),
        ("viewer@northbridge.example", "actions.py"),
        ("police.lead@northbridge.example", "import_tracker.py"),
        ("board@northbridge.example", "my_actions.py"),
    ],
)
def test_a_role_outside_the_registry_is_refused(email, page, demo_engine, app_env):
    spec = next(s for s in PAGES if s.file == page)
    with demo_engine.connect() as conn:
        role = conn.execute(
            text("select role from app_user where email = :e"), {"e": email}
        ).scalar()
    assert role not in spec.roles
    # Run the page file itself, as Streamlit's old multipage mode would (the address of a page
    # the role cannot see is not registered for it, so navigation alone cannot reach it).
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    at.user = {"email": email, "is_logged_in": True}
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Not available"]
    assert not at.dataframe and not at.metric
