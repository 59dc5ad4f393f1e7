"""Steps a person takes in the browser, written once for every journey test.

Waiting is done on Streamlit's own signals (the ``stApp`` element's script and connection state)
and on the content a step should produce, never on a fixed sleep.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from monitoring.demo import DEMO_PASSWORDS

ROOT = Path(__file__).resolve().parents[2]
"""The project folder."""
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "screenshots"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

APP = '[data-testid="stApp"]'
IDLE = f'{APP}[data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'
TIMEOUT_MS = 120_000
"""Longest wait for one step (generous: the machine may be busy; nothing here sleeps)."""
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING_IMPACTS = ("serious", "critical")

BOARD = "board@northbridge.example"
ADMIN = "admin@northbridge.example"
ASSURER = "assurer@northbridge.example"
POLICE_LEAD = "police.lead@northbridge.example"
CSC_LEAD = "csc.lead@northbridge.example"
VIEWER = "viewer@northbridge.example"
ROLE_EMAILS = {
    "admin": ADMIN,
    "board": BOARD,
    "assurer": ASSURER,
    "agency_lead": POLICE_LEAD,
    "viewer": VIEWER,
}


def wait_for_app(page: Page, timeout: float = TIMEOUT_MS) -> None:
    """Wait until Streamlit is connected and no script run is in progress."""
    page.wait_for_selector(APP, timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)
    expect(page.get_by_test_id("stStatusWidget").get_by_text("Running")).to_have_count(
        0, timeout=timeout
    )


def choose(page: Page, widget, option: str, *, tries: int = 3) -> None:
    """Choose ``option`` in the select box or multiselect ``widget`` (a locator) as a person
    would: once the app is idle, open the list and click the option. Under load a script run that
    began as the list opened re-drew the widget and closed the list (CI waited 120 s for an option
    that was gone), so the list is opened again, up to ``tries`` times, until the option shows."""
    wanted = page.get_by_role("option", name=option, exact=True)
    for attempt in range(tries):
        wait_for_app(page)
        widget.locator("input").click()
        try:
            wanted.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
    wanted.click()


def main(page: Page):
    """The main area of the page (not the sidebar)."""
    return page.get_by_test_id("stMain")


def sidebar(page: Page):
    """The sidebar."""
    return page.get_by_test_id("stSidebar")


def open_app(page: Page, base_url: str) -> None:
    """Load the app's front page and wait for its first run."""
    page.goto(base_url)
    wait_for_app(page)


def password(email: str) -> str:
    """The demo password of a demo account (monitoring.demo.DEMO_PASSWORDS)."""
    return DEMO_PASSWORDS[email][3]


def login(page: Page, base_url: str, email: str, secret: str | None = None) -> None:
    """Open the app and sign in through the login form; waits for the signed-in page."""
    open_app(page, base_url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(secret or password(email))
    page.get_by_role("button", name="Sign in").click()
    expect(sidebar(page).get_by_text("Signed in as")).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_app(page)


def logout(page: Page) -> None:
    """Press "Sign out" in the sidebar and wait for the login form."""
    sidebar(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("E-mail address")).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_app(page)


def _expand_nav(page: Page):
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_be_visible()
    more = nav.get_by_test_id("stSidebarNavViewButton").filter(
        has_text=re.compile(r"View \d+ more")
    )
    if more.count():
        more.click()
        expect(more).to_have_count(0)
    return nav


def nav_titles(page: Page) -> list[str]:
    """Titles of the pages listed in the sidebar navigation (expanding "View more" first)."""
    nav = _expand_nav(page)
    return nav.get_by_test_id("stSidebarNavLink").evaluate_all(
        """links => links.map(link => {
            const copy = link.cloneNode(true);
            copy.querySelectorAll('[data-testid="stIconMaterial"]').forEach(icon => icon.remove());
            return copy.innerText.trim();
        })"""
    )


def go_to(page: Page, title: str) -> None:
    """Open a page from the sidebar navigation (same Streamlit session) and wait for it to render."""
    titles = nav_titles(page)
    assert title in titles, f"{title!r} is not in the sidebar: {titles}"
    page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink").nth(
        titles.index(title)
    ).click()
    wait_for_app(page)
    expect(main(page).get_by_role("heading", level=1).first).to_be_visible()
    wait_for_app(page)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to ``screenshots/NAME.png`` (git-ignored) and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
    # Streamlit scrolls inside its own container, so a "full page" shot would stop at the window:
    # make the window as tall as the content for the shot, then put it back.
    size = page.viewport_size
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll(
            '[data-testid="stMain"], [data-testid="stAppViewContainer"], [data-testid="stSidebar"]'
        )].map(e => e.scrollHeight), document.body.scrollHeight)"""
    )
    page.set_viewport_size(
        {"width": size["width"], "height": min(max(height, size["height"]), 8000)}
    )
    wait_for_app(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    wait_for_app(page)
    return path


def run_axe(page: Page) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the page; returns its violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, tags: v.tags,
                nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300),
                                          summary: n.failureSummary}))}));
        }""",
        AXE_TAGS,
    )
    return result


def blocking(violations: list[dict]) -> list[dict]:
    """The serious and critical violations."""
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    """Violations as readable lines for an assertion message: rule, impact, element, what is wrong."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            why = " ".join(node["summary"].split())
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {' '.join(map(str, node['target']))}"
                f" {node['html'][:160]} -- {why[:300]}"
            )
    return "\n".join(lines)


def save_report(name: str, violations: list[dict]) -> Path:
    """Write every violation (all impacts) to ``screenshots/axe/NAME.json`` for people to read."""
    folder = SCREENSHOTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.json"
    path.write_text(json.dumps(violations, indent=1))
    return path
