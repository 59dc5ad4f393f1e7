"""Filters shared by every page: set once in the sidebar by ``dashboard.py``, read by pages."""

from __future__ import annotations

import streamlit as st

from monitoring.queries import NO_FILTERS, Filters

_KEY = "monitoring_filters"


def sidebar_filters() -> Filters:
    """Render the shared filters in the sidebar and return them (also kept for :func:`current`)."""
    filters = NO_FILTERS
    st.session_state[_KEY] = filters
    return filters


def current() -> Filters:
    """The filters set in the sidebar on this run."""
    return st.session_state.get(_KEY, NO_FILTERS)
