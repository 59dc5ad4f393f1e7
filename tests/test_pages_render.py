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


def test_no_page_has_a_bare_string_that_streamlit_would_draw():
    """Streamlit's "magic" draws any bare string statement of a page script (after its module
    docstring) on the page: a constant's docstring appeared above the import page's title."""
    import ast

    from tests.conftest import ROOT

    drawn = []
    for path in [ROOT / "dashboard.py", *sorted((ROOT / "app_pages").glob("*.py"))]:
        body = ast.parse(path.read_text(encoding="utf-8")).body
        drawn += [
            f"{path.name}:{node.lineno}"
            for node in body[1:]
            if isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ]
    assert drawn == []
