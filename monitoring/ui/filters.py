"""Filters shared by every page: set once in the sidebar by ``dashboard.py``, read by pages.

The filters live in the URL (``st.query_params``) as well as in the session, so they survive page
changes and a copied link opens the same filtered view in a new session. Keys: ``type``, ``review``,
``agency``, ``theme``, ``rag``, ``status`` (comma-separated codes or ids) and ``as_at``
(``YYYY-MM-DD``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date

import streamlit as st

from monitoring import db, reads, rules, vocabulary
from monitoring.queries import NO_FILTERS, Filters
from monitoring.ui import data

_KEY = "monitoring_filters"

PARAM_NAMES = {
    "review_types": "type",
    "review_ids": "review",
    "agency_ids": "agency",
    "theme_ids": "theme",
    "rag": "rag",
    "statuses": "status",
    "as_at": "as_at",
}
"""Filters field → URL query parameter."""

MIN_AS_AT = date(2000, 1, 1)
"""The earliest "as at" date offered."""

_INT_FIELDS = ("review_ids", "agency_ids", "theme_ids")
_CODES = {
    "review_types": db.REVIEW_TYPES,
    "rag": rules.RAG_CODES,
    "statuses": db.ACTION_STATUSES,
}


def _values(raw: str | list[str] | None) -> list[str]:
    if raw is None:
        return []
    parts = raw if isinstance(raw, list) else [raw]
    return [v.strip() for part in parts for v in str(part).split(",") if v.strip()]


def from_query_params(params: Mapping[str, str | list[str]]) -> Filters:
    """Filters from URL parameters; unknown codes, non-numeric ids and bad dates are ignored."""
    values: dict = {}
    for field, name in PARAM_NAMES.items():
        raw = _values(params.get(name))
        if field == "as_at":
            try:
                values[field] = date.fromisoformat(raw[0]) if raw else None
            except ValueError:
                values[field] = None
        elif field in _INT_FIELDS:
            values[field] = tuple(dict.fromkeys(int(v) for v in raw if v.isdigit()))
        else:
            values[field] = tuple(dict.fromkeys(v for v in raw if v in _CODES[field]))
    return Filters(**values)


def to_query_params(filters: Filters) -> dict[str, str]:
    """URL parameters for ``filters`` (only those set)."""
    params = {}
    for field in fields(Filters):
        value = getattr(filters, field.name)
        if not value:
            continue
        name = PARAM_NAMES[field.name]
        params[name] = value.isoformat() if isinstance(value, date) else ",".join(map(str, value))
    return params


def _widget_key(field: str) -> str:
    return f"filter_{field}"


def _seed_from_url(options: dict[str, list[tuple]]) -> None:
    """On a session's first run, set the widgets from the URL (a shared link)."""
    if st.session_state.get("filters_seeded"):
        return
    st.session_state["filters_seeded"] = True
    seeded = from_query_params(st.query_params.to_dict() | _lists())
    allowed = {
        "review_types": [c for c, _ in options["review_types"]] or list(db.REVIEW_TYPES),
        "review_ids": [i for i, _ in options["reviews"]],
        "agency_ids": [i for i, _ in options["agencies"]],
        "theme_ids": [i for i, _ in options["themes"]],
        "rag": list(rules.RAG_CODES),
        "statuses": list(db.ACTION_STATUSES),
    }
    for field, choices in allowed.items():
        st.session_state[_widget_key(field)] = [v for v in getattr(seeded, field) if v in choices]
    past = seeded.as_at and MIN_AS_AT <= seeded.as_at < data.today()
    st.session_state[_widget_key("as_at")] = seeded.as_at if past else None


def _lists() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in PARAM_NAMES.values()}


ACTION_ONLY_HELP = (
    "Chooses actions: the figures, lists and charts of actions count only these. The numbers of "
    "reviews and recommendations, and the Implemented and Assured shares, count every "
    "recommendation the other filters keep."
)
"""Said beside the filters that choose actions only (RAG rating, action status): they do not
narrow the review and recommendation figures (a fresh user read those as ignoring the filter)."""


def sidebar_filters() -> Filters:
    """Render the shared filters in the sidebar, keep them in the URL, and return them."""
    options = data.read(reads.filter_options, data.scope(), data.today())
    _seed_from_url(options)
    labels = {key: dict(choices) for key, choices in options.items()}
    rag_names = vocabulary.rag_labels()
    with st.sidebar:
        st.header("Filters")
        review_types = st.multiselect(
            "Review type",
            [c for c, _ in options["review_types"]],
            key=_widget_key("review_types"),
            format_func=lambda c: labels["review_types"].get(c, c),
        )
        review_ids = st.multiselect(
            "Review",
            [i for i, _ in options["reviews"]],
            key=_widget_key("review_ids"),
            format_func=lambda i: labels["reviews"].get(i, str(i)),
        )
        agency_ids = st.multiselect(
            "Lead agency",
            [i for i, _ in options["agencies"]],
            key=_widget_key("agency_ids"),
            format_func=lambda i: labels["agencies"].get(i, str(i)),
        )
        theme_ids = st.multiselect(
            "Theme",
            [i for i, _ in options["themes"]],
            key=_widget_key("theme_ids"),
            format_func=lambda i: labels["themes"].get(i, str(i)),
        )
        rag = st.multiselect(
            "RAG rating",
            list(rules.RAG_CODES),
            key=_widget_key("rag"),
            format_func=lambda c: f"{rag_names[c]} ({vocabulary.RAG_MEANINGS[c]})",
            help=ACTION_ONLY_HELP,
        )
        statuses = st.multiselect(
            "Action status",
            list(db.ACTION_STATUSES),
            key=_widget_key("statuses"),
            format_func=lambda c: vocabulary.STATUS_LABELS.get(c, c),
            help=ACTION_ONLY_HELP,
        )
        as_at = st.date_input(
            "As at (a past date)",
            key=_widget_key("as_at"),
            min_value=MIN_AS_AT,
            max_value=data.today(),
            format="DD/MM/YYYY",
            help="Every board page shows the records as they stood on this date (the meeting pack "
            "uses its meeting's date). "
            "Leave empty for the records now.",
        )
    filters = Filters(
        review_types=tuple(review_types),
        review_ids=tuple(review_ids),
        agency_ids=tuple(agency_ids),
        theme_ids=tuple(theme_ids),
        rag=tuple(rag),
        statuses=tuple(statuses),
        as_at=as_at if isinstance(as_at, date) and as_at < data.today() else None,
    )
    _write_url(filters)
    st.session_state[_KEY] = filters
    return filters


def _write_url(filters: Filters) -> None:
    wanted = to_query_params(filters)
    for name in PARAM_NAMES.values():
        if name in wanted:
            if st.query_params.get(name) != wanted[name]:
                st.query_params[name] = wanted[name]
        elif name in st.query_params:
            del st.query_params[name]


def current() -> Filters:
    """The filters set in the sidebar on this run."""
    return st.session_state.get(_KEY, NO_FILTERS)
