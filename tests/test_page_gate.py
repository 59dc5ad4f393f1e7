"""No page shows data to a signed-out session or to a role the registry does not list for it.

AppTest runs ``app_pages/NAME.py`` directly, as Streamlit's old multipage mode would: each page
must guard itself, not rely on ``dashboard.py`` alone. The pages are not in a ``pages/`` folder,
so a freshly started server lists no page file names before anyone signs in (a fresh user saw
them in the sidebar before the sign-in form).
"""

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from monitoring.ui.navigation import PAGES
from tests.conftest import ROOT, make_app


@pytest.mark.parametrize("spec", PAGES, ids=[p.file for p in PAGES])
def test_signed_out_rerun_on_a_page_shows_only_the_sign_in_form(spec, demo_engine, app_env):
    at = make_app(None, page=f"app_pages/{spec.file}")
    at.run()  # a rerun on the page's own address, as after a failed sign-in
    assert not at.exception
    assert [t.value for t in at.title] == ["Safeguarding learning monitor"]
    assert not at.metric and not at.dataframe and not at.table


def test_no_pages_folder_lists_file_names_before_sign_in():
    """Streamlit lists every file of a ``pages/`` folder beside the entry script in the sidebar
    of a new server until some session calls ``st.navigation``; the pages live elsewhere."""
    assert not (ROOT / "pages").exists()
    listed = {spec.file for spec in PAGES}
    assert listed == {p.name for p in (ROOT / "app_pages").glob("*.py")}


def test_wrong_password_on_a_page_address_does_not_open_it(demo_engine, app_env):
    at = make_app(None, page="app_pages/overview.py")
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
    at = AppTest.from_file(str(ROOT / "app_pages" / page), default_timeout=60)
    at.user = {"email": email, "is_logged_in": True}
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Not available"]
    assert not at.dataframe and not at.metric
