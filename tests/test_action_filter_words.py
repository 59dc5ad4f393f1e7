"""The RAG rating and action status filters choose actions only; the page says so where the
review and recommendation figures do not follow them (a fresh user filtered to Red and read the
Reviews, Recommendations and Implemented tiles as ignoring the filter)."""

from __future__ import annotations

import pytest

from monitoring.ui import filters
from tests.conftest import make_app

SAID = "choose actions"


@pytest.mark.parametrize(
    ("query", "said"), [({}, False), ({"rag": "red"}, True), ({"status": "in_progress"}, True)]
)
def test_the_overview_says_what_an_action_filter_narrows(demo_engine, app_env, query, said):
    at = make_app("board@northbridge.example", page="app_pages/overview.py", query_params=query)
    at.run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert (SAID in captions) is said
    helps = {m.label: m.help for m in at.sidebar.multiselect}
    assert helps["RAG rating"] == helps["Action status"] == filters.ACTION_ONLY_HELP
    assert "Chooses actions" in filters.ACTION_ONLY_HELP
