"""A page the reader's role may not open (a bookmark, a shared link) sends them to the Overview
with a one-line reason, not silently (a fresh user's finding): "That page is not open to
viewers: Actions."; the refused page reads nothing."""

from __future__ import annotations

import pytest

from monitoring.ui.navigation import spec_for
from tests.conftest import make_app

VIEWER = "viewer@northbridge.example"


def _titles(at) -> list[str]:
    return [t.value for t in at.title]


def test_a_viewer_asking_for_actions_lands_on_the_overview_told_why(demo_engine, app_env):
    at = make_app(VIEWER, page="app_pages/actions.py")
    assert not at.exception, [e.value for e in at.exception]
    assert _titles(at) == [_titles(make_app(VIEWER))[0]]  # the Overview, as the start page
    assert [i.value for i in at.info if "not open" in i.value] == [
        "That page is not open to viewers: Actions."
    ]
    # Said once: the Overview opened next does not repeat it.
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert not [i for i in at.info if "not open" in i.value]


@pytest.mark.parametrize(
    ("email", "page", "words"),
    [
        ("police.lead@northbridge.example", "import_tracker.py", "agency leads"),
        ("board@northbridge.example", "my_actions.py", "board members"),
        (VIEWER, "users.py", "viewers"),
    ],
)
def test_every_refused_page_says_so(email, page, words, demo_engine, app_env):
    spec = spec_for(page)
    at = make_app(email, page=f"app_pages/{page}")
    assert not at.exception, [e.value for e in at.exception]
    assert f"That page is not open to {words}: {spec.title}." in [i.value for i in at.info]
    assert spec.title not in _titles(at)
