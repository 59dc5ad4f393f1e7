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
]


def pages_for(role: str) -> dict[str, list[st.Page]]:
    """``st.Page`` objects the role may see, grouped by section, for ``st.navigation``."""
    sections: dict[str, list[st.Page]] = {}
    for spec in PAGES:
        if role not in spec.roles or not (PAGES_DIR / spec.file).exists():
            continue
        page = st.Page(
            str(PAGES_DIR / spec.file),
            title=spec.title,
            icon=spec.icon,
            default=spec.default,
            url_path=spec.file.removesuffix(".py"),
        )
        sections.setdefault(spec.section, []).append(page)
    return sections
