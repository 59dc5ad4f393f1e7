"""WCAG 2.2 AA: axe-core on every page, for every role that can see it; a screenshot of each.

axe-core runs the WCAG 2.0, 2.1 and 2.2 level A and AA rules; a serious or critical violation
fails the test, and the message lists every one (rule, element, what is wrong).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from monitoring.ui import navigation
from tests.e2e import browser
from tests.e2e.browser import ROLE_EMAILS, main


def expected_titles(role: str) -> list[str]:
    """Pages the registry gives this role, in order (only those whose file exists)."""
    return [
        spec.title
        for spec in navigation.PAGES
        if role in spec.roles and (navigation.PAGES_DIR / spec.file).exists()
    ]


def test_login_page_has_no_serious_violations(page, app_server):
    browser.open_app(page, app_server.url)
    expect(page.get_by_label("E-mail address")).to_be_visible()
    violations = browser.run_axe(page)
    browser.save_report("login", violations)
    assert not browser.blocking(violations), browser.describe(browser.blocking(violations))


@pytest.mark.parametrize("role", list(ROLE_EMAILS))
def test_every_page_the_role_sees_has_no_serious_violations(page, app_server, role):
    browser.login(page, app_server.url, ROLE_EMAILS[role])
    titles = browser.nav_titles(page)
    assert titles == expected_titles(role), "the sidebar should list exactly the role's pages"

    problems: dict[str, list[dict]] = {}
    for title in titles:
        browser.go_to(page, title)
        expect(main(page).get_by_role("heading", level=1).first).to_be_visible()
        assert not main(page).get_by_test_id("stException").count(), (
            f"{title} shows an exception for {role}: "
            f"{main(page).get_by_test_id('stException').first.inner_text()}"
        )
        browser.screenshot(page, f"{title}-{role}")
        violations = browser.run_axe(page)
        browser.save_report(f"{title}-{role}", violations)
        found = browser.blocking(violations)
        if found:
            problems[title] = found
    assert not problems, f"serious or critical WCAG violations for {role}:\n" + "\n".join(
        f"== {title}\n{browser.describe(found)}" for title, found in problems.items()
    )
