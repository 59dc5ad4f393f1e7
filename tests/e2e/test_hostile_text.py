"""Untrusted text is text (case 14-lead-text-fetches-outside-addresses), in Chromium.

Hostile text (a Markdown image, HTML, a ``javascript:`` link, LaTeX, an RTL override, a
5,000-character line) is written into every field a user or an import can write, through the
services and the importer as the app itself writes them; then every page is opened as an
administrator (who sees every page), an agency lead and a board member. Right result (the case's
README): no request leaves localhost (the browser fixture fails the test otherwise), nothing is
typeset (no KaTeX element), no image or link made from the text, and the text is shown as written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from monitoring import charts, db, demo, measures, migrations, services
from monitoring.importer import prepare
from monitoring.ui.navigation import PAGES
from monitoring.ui.text import WORD_JOINER
from tests.conftest import ANCHOR, SHARED
from tests.e2e import browser
from tests.e2e import server as app_servers
from tests.e2e.browser import ADMIN, BOARD, POLICE_LEAD, main, wait_for_app

CASE = SHARED / "cases" / "14-lead-text-fetches-outside-addresses" / "README.md"
IMAGE = "![r](http://example.org/r.png)"
FILE_NAME = "![z](http:&#47;&#47;example.org&#47;f.png).txt"
LINK = "https://example.org/a)![w](http://example.org/link.png"
HTML = '<img src="http://example.org/i.png"><a href="javascript:alert(1)">js</a>'
JS_LINK = "[click me](javascript:alert(document.cookie))"
LATEX = "$\\LaTeX$ and $$x^2$$"
RTL = "\u202eevil.exe\u202c"
LONG = "L" * 5000
HOSTILE = f"{IMAGE} {HTML} {JS_LINK} {LATEX} {RTL} :red[red] www.example.org"
PLOTLY = "<b>bold</b> <a href='http://example.org/chart'>chart link</a>"
"""Markup Plotly itself reads in a title, tick label or hover text (issue 14: chart labels)."""
AGENCY = f"{PLOTLY} {IMAGE} Agency"
REVIEW_REF = f"HOSTILE-1 {PLOTLY}"
CHARTS = {  # page: the charts on it that draw a name written above
    "Overview": ("review refs and agency names", 2),
    "Agencies": ("agency names", 1),
    "Reviews": ("review refs", 1),
    "Measures": ("measure names", 1),
}


def _one(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().first()


def write_hostile_text(engine) -> int:
    """Fill every writable field with hostile text; returns the hostile action's id."""
    system = services.Actor.system("importer")
    tracker = (
        "Recommendation,Action,Lead agency,Target date,Success measure,Progress\n"
        f'"{IMAGE} {LATEX}","{HOSTILE}","{AGENCY}",31/03/2026,'
        f'"{LATEX} {HTML}","{JS_LINK} {RTL}"\n'
        f'"{IMAGE} second","{LONG}","{AGENCY}",31/03/2026,"{LONG}","{LONG}"\n'
    ).encode()
    plan, _ = prepare(
        tracker,
        f"{IMAGE}.csv",
        review_ref=REVIEW_REF,
        review_title=f"{HOSTILE} {LONG}"[:500],
        overrides={
            "recommendation": "Recommendation",
            "action": "Action",
            "lead_agency": "Lead agency",
            "due_on": "Target date",
            "success_measure": "Success measure",
            "progress": "Progress",
        },
    )
    plan.create_agencies = True
    assert not plan.errors, plan.errors
    services.import_tracker(engine, system, plan)
    admin = services.Actor.from_user(
        dict(_one(engine, "select * from app_user where email = :e", e=ADMIN))
    )
    police = dict(_one(engine, "select * from app_user where email = :e", e=POLICE_LEAD))
    lead = services.Actor.from_user(police)
    board = services.Actor.from_user(
        dict(_one(engine, "select * from app_user where email = :e", e=BOARD))
    )
    # A police action with the lead's own hostile text (status, note, evidence, date change).
    action = _one(
        engine,
        "select id, version from action where lead_agency_id = :a and status = 'in_progress'"
        " order by id limit 1",
        a=police["agency_id"],
    )
    action_id = action["id"]
    row = services.save_action_update(
        engine, lead, action_id, version=action["version"], note=f"{HOSTILE}\n{LONG}"
    )
    row = services.attach_evidence(engine, lead, action_id, version=row["version"], url=LINK)
    version = _one(engine, "select version from action where id = :i", i=action_id)["version"]
    services.attach_evidence(
        engine, lead, action_id, version=version, file_name=FILE_NAME, content=b"evidence"
    )
    version = _one(engine, "select version from action where id = :i", i=action_id)["version"]
    services.request_due_date_change(
        engine, lead, action_id, "2026-12-31", f"{IMAGE} {LATEX}", version=version
    )
    version = _one(engine, "select version from action where id = :i", i=action_id)["version"]
    services.override_rag(engine, board, action_id, "red", f"{IMAGE} {HTML}", version=version)
    # A completed police action waiting for assurance, with hostile evidence and notes.
    done = _one(
        engine,
        "select id, version from action where lead_agency_id = :a and status = 'in_progress'"
        " and id <> :i order by id limit 1",
        a=police["agency_id"],
        i=action_id,
    )
    services.save_action_update(
        engine, lead, done["id"], version=done["version"], status="completed", note=HOSTILE
    )
    services.create_meeting(engine, admin, "2026-06-29", f"{IMAGE} {LATEX} meeting")
    # An impact measure and feedback on the hostile action's recommendation.
    rec_id = _one(engine, "select recommendation_id from action where id = :i", i=action_id)[
        "recommendation_id"
    ]
    measure_id = measures.add_measure(
        engine,
        admin,
        name=f"{IMAGE} {LATEX} {PLOTLY}",
        numerator=HOSTILE,
        denominator=HTML,
        recommendation_id=rec_id,
        agency_id=police["agency_id"],
        change_from="2026-01-31",
        change_note=JS_LINK,
    )
    for month, value in (("2026-03-31", 40), ("2026-04-30", 55), ("2026-05-31", 60)):
        measures.add_observation(engine, admin, measure_id, period_end=month, value=value)
    measures.add_feedback(
        engine, admin, rec_id, received_on="2026-06-01", source=HOSTILE[:200], summary=HOSTILE
    )
    services.create_user(engine, admin, "hostile@northbridge.example", HOSTILE[:200], "board")
    return action_id


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory) -> Iterator[tuple[app_servers.AppServer, int]]:
    """The app on a demo database of its own, with hostile text in every writable field."""
    folder = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{folder / 'monitoring.db'}"
    engine = db.make_engine(url)
    migrations.upgrade(engine)
    demo.load_demo(engine, ANCHOR)
    previous = os.environ.get("MONITORING_EVIDENCE_DIR")
    os.environ["MONITORING_EVIDENCE_DIR"] = str(folder / "evidence")
    try:
        action_id = write_hostile_text(engine)
    finally:
        if previous is None:
            os.environ.pop("MONITORING_EVIDENCE_DIR", None)
        else:
            os.environ["MONITORING_EVIDENCE_DIR"] = previous
    engine.dispose()
    server = app_servers.start(url, folder, name="hostile")
    try:
        app_servers.wait_until_healthy(server)
        yield server, action_id
    finally:
        app_servers.stop(server)


def open_every_expander(page) -> None:
    for summary in main(page).get_by_test_id("stExpander").locator("summary").all()[:12]:
        summary.click()
    wait_for_app(page)


def assert_nothing_injected(page, where: str) -> None:
    """No KaTeX, no image or link made from the text, no element pointing outside."""
    found = page.evaluate(
        """() => ({
            katex: document.querySelectorAll('.katex, .katex-display, math').length,
            images: [...document.querySelectorAll('img')].map(i => i.getAttribute('src'))
                .filter(s => s && !s.startsWith('data:') && !s.startsWith('/')
                        && !s.startsWith(location.origin)),
            links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
                .filter(h => /example\\.org|^javascript:/i.test(h)),
            colored: [...document.querySelectorAll('[data-testid="stMarkdownColoredText"]')]
                .map(e => e.textContent).filter(t => t === 'red'),
            chart_links: document.querySelectorAll('svg a').length,
            chart_bold: [...document.querySelectorAll('svg text [style*="bold"]')]
                .map(e => e.textContent).filter(t => t === 'bold'),
        })"""
    )
    assert found == {
        "katex": 0,
        "images": [],
        "links": [],
        "colored": [],
        "chart_links": 0,
        "chart_bold": [],
    }, (where, found)


def assert_chart_names_are_text(page, title: str) -> None:
    """The page's charts draw the names holding Plotly markup as written: "<b>bold</b>" and the
    "<a href=…>" appear literally in the SVG's text (tick labels, titles), no link made."""
    what, count = CHARTS[title]
    drawn = main(page).locator("svg.main-svg text").filter(has_text="<b>bold</b>")
    expect(drawn.first).to_be_attached(timeout=20_000)
    assert drawn.count() >= count, (title, what, drawn.count())
    cut = charts.short_label(AGENCY)  # a long agency name is cut on its bar (issue 19)
    assert all(PLOTLY in text or text == cut for text in drawn.all_text_contents()), title


def open_history(page, base_url: str, action_id: int, email: str) -> None:
    """Open the action's History by its link (as a reminder e-mail does) and sign in there."""
    page.goto(f"{base_url}/history?action={action_id}")
    wait_for_app(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(browser.password(email))
    page.get_by_role("button", name="Sign in").click()
    expect(main(page).get_by_role("heading", name="History", level=1)).to_be_visible()
    wait_for_app(page)


def test_hostile_text_is_shown_as_text_on_every_page(open_browser, hostile_server):
    server, action_id = hostile_server
    assert "no request leaves localhost" in CASE.read_text(encoding="utf-8")
    visits = {
        ADMIN: [spec.title for spec in PAGES],
        POLICE_LEAD: ["My actions", "History"],
        BOARD: ["Assurance", "Meetings", "Reviews"],
    }
    for email, titles in visits.items():
        page = open_browser().pages[0]
        browser.login(page, server.url, email)
        for title in titles:
            browser.go_to(page, title)
            open_every_expander(page)
            if title == "Themes and search":
                main(page).get_by_label("Words to find").fill(HOSTILE)
                main(page).get_by_label("Words to find").press("Enter")
                wait_for_app(page)
                expect(
                    main(page).get_by_text(re.compile(r"\b(match|matches) for "))
                ).to_be_visible()
            assert_nothing_injected(page, f"{email} {title}")
            if email == ADMIN and title in CHARTS:
                assert_chart_names_are_text(page, title)
        # The lead's own text, on the action's History (a reminder e-mail's link), as written.
        open_history(page, server.url, action_id, email)
        open_every_expander(page)
        assert_nothing_injected(page, f"{email} history of the hostile action")
        shown = main(page).inner_text().replace(WORD_JOINER, "")
        for value in (LINK, FILE_NAME):  # (notes and reasons are in tables: drawn, not text)
            assert value in shown, (email, value)
        page.context.close()


def test_17_evidence_is_built_on_the_click_for_the_signed_in_reader(
    open_browser, hostile_server, request_recorder
):
    """Case 17-evidence-served-without-session: the History page holds no /media address for the
    evidence file until a signed-in reader clicks; the click gives the file's bytes."""
    server, action_id = hostile_server
    page = open_browser().pages[0]
    open_history(page, server.url, action_id, BOARD)
    button = main(page).get_by_test_id("stDownloadButton").filter(has_text="f.png).txt")
    expect(button).to_have_count(1)

    def evidence_urls() -> list[str]:  # the file is text/plain: Streamlit serves it as .txt
        return [u for u in request_recorder.urls if "/media/" in u and u.endswith(".txt")]

    assert evidence_urls() == []  # nothing was served, or even placed, for the page's render
    assert page.locator('a[href$=".txt"]').count() == 0
    with page.expect_download() as download:
        button.get_by_role("button").click()
    assert download.value.path().read_bytes() == b"evidence"
    assert len(evidence_urls()) == 1  # built on the click
