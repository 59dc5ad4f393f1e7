"""AppTest renders every registered page without an exception, for every role that sees it."""

import pytest

from monitoring.ui.navigation import PAGES
from tests.conftest import make_app

ROLE_USERS = {
    "admin": "admin@northbridge.example",
    "board": "board@northbridge.example",
    "assurer": "assurer@northbridge.example",
    "agency_lead": "police.lead@northbridge.example",
    "viewer": "viewer@northbridge.example",
}


@pytest.mark.parametrize("spec", PAGES, ids=[p.file for p in PAGES])
def test_page_renders(spec, demo_engine, app_env):
    role = spec.roles[0]
    at = make_app(ROLE_USERS[role], page=f"app_pages/{spec.file}")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "every page has a title"
