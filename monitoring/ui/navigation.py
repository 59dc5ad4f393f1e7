"""The page registry: every page, its section and the roles that see it (DESIGN §5).

``dashboard.py`` builds ``st.navigation`` from :data:`PAGES`; nothing relies on Streamlit's automatic
``pages/`` discovery. To add a page: write ``pages/NAME.py`` and add one ``PageSpec`` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent.parent.parent / "pages"

EVERYONE = ("admin", "board", "assurer", "agency_lead", "viewer")
READERS = ("admin", "board", "assurer", "agency_lead")


@dataclass(frozen=True)
class PageSpec:
    """One page: its file in ``pages/``, title, Material icon, section and the roles that see it."""

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
