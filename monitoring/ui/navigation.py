"""The page registry: every page, its section and the roles that see it (DESIGN §5).

``dashboard.py`` builds ``st.navigation`` from :data:`PAGES`; nothing relies on Streamlit's automatic
``app_pages/`` discovery. To add a page: write ``app_pages/NAME.py`` and add one ``PageSpec`` here.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from monitoring.ui.text import md

PAGES_DIR = Path(__file__).resolve().parent.parent.parent / "app_pages"

EVERYONE = ("admin", "board", "assurer", "agency_lead", "viewer")
READERS = ("admin", "board", "assurer", "agency_lead")


@dataclass(frozen=True)
class PageSpec:
    """One page: its file in ``app_pages/``, title, Material icon, section and the roles that see it."""

    file: str
    title: str
    icon: str
    section: str
    roles: tuple[str, ...]
    default: bool = False


PAGES: list[PageSpec] = [
    PageSpec("overview.py", "Overview", ":material/dashboard:", "Board", EVERYONE, default=True),
    PageSpec("reviews.py", "Reviews", ":material/menu_book:", "Board", EVERYONE),
    PageSpec("agencies.py", "Agencies", ":material/groups:", "Board", READERS),
    PageSpec("actions.py", "Actions", ":material/checklist:", "Board", READERS),
    PageSpec("themes.py", "Themes and search", ":material/category:", "Board", EVERYONE),
    PageSpec("trends.py", "Trends", ":material/trending_up:", "Board", READERS),
    PageSpec("measures.py", "Measures", ":material/monitoring:", "Board", READERS),
    PageSpec("meetings.py", "Meetings", ":material/event:", "Board", READERS),
    PageSpec("meeting_pack.py", "Meeting pack", ":material/picture_as_pdf:", "Board", READERS),
    PageSpec(
        "my_actions.py", "My actions", ":material/edit_note:", "My work", ("agency_lead", "admin")
    ),
    PageSpec(
        "assurance.py", "Assurance", ":material/verified:", "My work", ("board", "assurer", "admin")
    ),
    PageSpec("history.py", "History", ":material/history:", "My work", READERS),
    PageSpec(
        "import_tracker.py", "Import a tracker", ":material/upload_file:", "Admin", ("admin",)
    ),
    PageSpec("users.py", "Users", ":material/manage_accounts:", "Admin", ("admin",)),
    PageSpec("agency_admin.py", "Manage agencies", ":material/domain:", "Admin", ("admin",)),
    PageSpec("publication.py", "Publication", ":material/public:", "Admin", ("admin",)),
    PageSpec(
        "update_workbooks.py", "Update workbooks", ":material/table_view:", "Admin", ("admin",)
    ),
]


def spec_for(page_file: str) -> PageSpec | None:
    """The registry entry for a page file (a path or a bare name such as ``"overview.py"``)."""
    name = Path(page_file).name
    return next((spec for spec in PAGES if spec.file == name), None)


def _page(spec: PageSpec, *, default: bool | None = None) -> st.Page:
    return st.Page(
        str(PAGES_DIR / spec.file),
        title=spec.title,
        icon=spec.icon,
        default=spec.default if default is None else default,
        url_path=spec.file.removesuffix(".py"),
    )


def all_pages(*, default: bool = True) -> list[st.Page]:
    """Every registered page (the signed-out run registers them, so addresses survive sign-in,
    but never runs them). ``default=False`` leaves the default page to the caller."""
    return [
        _page(spec, default=spec.default and default)
        for spec in PAGES
        if (PAGES_DIR / spec.file).exists()
    ]


def pages_for(role: str) -> dict[str, list[st.Page]]:
    """``st.Page`` objects the role may see, grouped by section, for ``st.navigation``."""
    sections: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        if role not in spec.roles or not (PAGES_DIR / spec.file).exists():
            continue
        sections.setdefault(spec.section, []).append(_page(spec))
    return sections


def hidden_pages_for(role: str) -> list[st.Page]:
    """The pages the role may not open, registered hidden (never listed in the sidebar), so that
    their addresses (a bookmark, a link someone shared) reach the page's own guard, which sends
    the reader to the start page with a one-line reason
    (:func:`monitoring.ui.session.guard`) instead of Streamlit silently showing the start page.
    The guard stops before any data is read."""
    return [
        st.Page(
            str(PAGES_DIR / spec.file),
            title=spec.title,
            icon=spec.icon,
            url_path=spec.file.removesuffix(".py"),
            visibility="hidden",
        )
        for spec in PAGES
        if role not in spec.roles and (PAGES_DIR / spec.file).exists()
    ]


def start_page_path() -> str:
    """The start page (Overview) as ``st.switch_page`` takes it: relative to ``dashboard.py``."""
    spec = next(spec for spec in PAGES if spec.default)
    return f"{PAGES_DIR.name}/{spec.file}"


# --- the app's CSS -------------------------------------------------------------------------------

APP_CSS = """<style>
/* WCAG 2.5.8 (target size, 24 px): Streamlit draws each day and month segment of a date field
   smaller than that, so give every segment the minimum size. */
[data-testid='stDateInput'] [role='spinbutton']
{display:inline-block;min-width:24px;min-height:24px;text-align:center}
/* A phone (up to 640 px, where Streamlit stacks columns one a row): the tiles of a tile row
   (a container keyed tiles_*) two a row, so the figures are read at a glance. */
@media (max-width: 640px) {
  [class*='st-key-tiles_'] [data-testid='stHorizontalBlock'] {flex-wrap:wrap;row-gap:0.5rem}
  [class*='st-key-tiles_'] [data-testid='stColumn']
  {flex:1 1 calc(50% - 0.5rem) !important;min-width:calc(50% - 0.5rem) !important;
   width:calc(50% - 0.5rem) !important}
  [class*='st-key-tiles_'] [data-testid='stMetricValue'] {font-size:1.75rem}
}
/* A tile's label is read whole (wrapped), never cut with an ellipsis. */
[class*='st-key-tiles_'] [data-testid='stMetricLabel'] *
{white-space:normal !important;overflow:visible !important;text-overflow:clip !important}
</style>"""
"""The app's own CSS (no external fonts or scripts): drawn once per run by :func:`app_css`."""


def app_css() -> None:
    """Draw :data:`APP_CSS` (``dashboard.py`` calls it before any page)."""
    st.html(APP_CSS)


PHONE_WIDTH = 767
"""Widest window, in CSS pixels, treated as a phone: where Streamlit's sidebar lies over the page
(its own breakpoint is 768 px) and so is closed once a page is chosen."""

_CLOSE_SIDEBAR = """<script data-choice="%d">
(() => {
  if (!window.matchMedia('(max-width: %dpx)').matches) return;
  const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
  if (button) button.click();
})();
</script>"""


def close_sidebar_after_choosing(page: st.Page) -> None:
    """On a phone (up to :data:`PHONE_WIDTH` px wide) close the sidebar once the reader has
    chosen another page in it, so the page chosen is what they see (issue 19); the sidebar is
    left as it is when the same page reruns (e.g. a filter changed in the sidebar) and on a
    wider window. The app's own script, drawn with the page: nothing is fetched."""
    shown = st.session_state.get("shown_page")
    st.session_state["shown_page"] = page.url_path
    if shown is not None and shown != page.url_path:
        # a new number each time: the browser runs a script only when it is new to it
        choice = st.session_state["page_choices"] = st.session_state.get("page_choices", 0) + 1
        with st.sidebar:
            st.html(
                _CLOSE_SIDEBAR % (choice, PHONE_WIDTH),
                unsafe_allow_javascript=True,
                width="content",
            )


# --- page guard and linked records (case 18) --------------------------------------------------

_LOG = logging.getLogger("monitoring.pages")

PAGE_FAILED = (
    "Something went wrong on this page, and it could not be shown in full. Nothing you saved "
    "before this is lost. Try again, or choose another page; if it keeps happening, tell the "
    "partnership business manager the time it happened."
)
"""What a user sees when a page fails: no traceback, no source path, no error text."""


def run_page(page: st.Page) -> None:
    """Run ``page``; if it fails, log the failure and show :data:`PAGE_FAILED` instead of a
    traceback (case 18). The log line holds the page, the exception's type and the code
    locations (file, line, function) only: never the exception's message or values, which may
    quote a person's text. ``st.stop``/``st.rerun`` pass through (they are not ``Exception``)."""
    try:
        page.run()
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = " < ".join(
            f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames[-6:])
        )
        _LOG.error("page %s failed: %s at %s", page.title, type(exc).__name__, where)
        st.error(PAGE_FAILED)


MAX_RECORD_ID = 2**31 - 1
"""Largest id a record can have (the ``Integer`` columns' range on PostgreSQL and SQLite's
practical one here); a longer number in an address is no record, not an overflow."""


def parse_record_id(raw) -> int | None:
    """A record id from an address or a form: ASCII digits only, 1 to :data:`MAX_RECORD_ID`;
    None for anything else (``"abc"``, ``"-1"``, ``"²"``, thirty ones)."""
    text = str(raw or "").strip()
    if not text or len(text) > 10 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_RECORD_ID else None


def linked_record(param: str, exists, what: str) -> int | None:
    """The id in the page address's ``param`` (e.g. ``/history?action=12``) when it names a
    record ``exists(id)`` finds; when the address gives one that is malformed, out of range or
    missing, says "No such {what}." and returns None; None without a word when there is none."""
    raw = st.query_params.get(param)
    if raw is None or raw == "":
        return None
    record_id = parse_record_id(raw)
    if record_id is not None and exists(record_id):
        return record_id
    st.warning(
        f"No such {what}. The page's address names {what} {md(raw[:40])}, which is not here."
    )
    return None


# --- links to one item (issue 19: search results open their item) ------------------------------


def page_for(page_file: str) -> st.Page:
    """The registered ``st.Page`` of a page file (for ``st.page_link``/``st.switch_page``)."""
    spec = spec_for(page_file)
    if spec is None:
        raise ValueError(f"no registered page {page_file!r}")
    return _page(spec)


def may_open(page_file: str, role: str) -> bool:
    """True when ``role`` sees the page (it is in the role's navigation)."""
    spec = spec_for(page_file)
    return spec is not None and role in spec.roles and (PAGES_DIR / spec.file).exists()


def item_links(location: dict, role: str, *, number: str | None = None) -> None:
    """Links that open one recommendation or action (:func:`monitoring.reads.item_location`):
    its review on the Reviews page with that recommendation open (``/reviews?show_review=ID&
    recommendation=ID``) and, for an action, its history (``/history?action=ID``) for the roles
    that see the History page."""
    what = "action" if location["action_id"] else "recommendation"
    label = f"Open {what} {number or ''} in review {location['review_ref']}".replace("  ", " ")
    st.page_link(
        page_for("reviews.py"),
        label=md(label),
        icon=":material/menu_book:",
        query_params={
            "show_review": str(location["review_id"]),
            "recommendation": str(location["recommendation_id"]),
        },
    )
    if location["action_id"] and may_open("history.py", role):
        st.page_link(
            page_for("history.py"),
            label=md(f"Open the history of action {number or ''}".rstrip()),
            icon=":material/history:",
            query_params={"action": str(location["action_id"])},
        )


def search_result_links(hits, rows: list[int], src) -> None:
    """Under a table of search results (:func:`monitoring.reads.search`) whose row ``rows[0]``
    the reader chose: the links that open that result's item (:func:`item_links`); with none
    chosen, a caption saying to choose one."""
    from monitoring import reads
    from monitoring.ui import data

    if not rows or rows[0] >= len(hits):
        st.caption("Choose a result in the table to open it.")
        return
    hit = hits.iloc[rows[0]]
    location = data.read(reads.item_location, src, str(hit["kind"]), int(hit["item_id"]))
    if location is None:
        return
    role = (st.session_state.get("user") or {}).get("role", "viewer")
    item_links(location, role, number=None if hit["number"] is None else str(hit["number"]))
