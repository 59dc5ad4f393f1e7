"""Cached access to the database for pages.

The Engine (a thread-safe pool) is cached with ``st.cache_resource``; never a connection. Reads go
through :func:`read`, cached with ``st.cache_data`` and keyed on ``data_version``, which every write
bumps: a save is visible on the next rerun of every session and every app process.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from monitoring import config, db
from monitoring.source import Scope, Source
from monitoring.source import source as make_source


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = db.make_engine(url)
    from monitoring import migrations

    migrations.upgrade(engine)
    db.optimize(engine)  # planner statistics: gathered if missing, else PRAGMA optimize
    return engine


def engine() -> Engine:
    """The app's Engine for ``MONITORING_DATABASE_URL`` (migrated to the newest schema once)."""
    return _engine_for(config.database_url())


def data_version() -> int:
    """The current ``data_version`` (one cheap query per call)."""
    return db.get_data_version(engine())


def today() -> date:
    """ "Today" for every rule (``MONITORING_TODAY`` or the Europe/London date)."""
    return config.today()


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _cached_read(function_path: str, url: str, version: int, args: tuple, kwargs: tuple) -> Any:
    module_name, _, name = function_path.rpartition(".")
    function = getattr(importlib.import_module(module_name), name)
    with db.read_connection(_engine_for(url)) as conn:
        return function(conn, *args, **dict(kwargs))


@st.cache_resource(ttl=3600, max_entries=64, show_spinner=False)
def _cached_figure(
    builder_path: str, function_path: str, url: str, version: int, args: tuple, kwargs: tuple
) -> Any:
    module_name, _, name = builder_path.rpartition(".")
    builder = getattr(importlib.import_module(module_name), name)
    frame = _cached_read(function_path, url, version, args, kwargs)
    return None if frame.empty else builder(frame)


def figure(
    builder: Callable[[Any], Any], function: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    """``builder(frame)`` for the DataFrame that :func:`read` gives for ``function(conn, *args,
    **kwargs)``, or ``None`` when the frame is empty; built once per ``data_version``.

    The figure is shared by every session (``st.cache_resource``: not copied), so callers must not
    change it. Building a Plotly figure costs more than the rest of a page's rerun
    (BENCHMARKS.md), so pages draw charts through this.
    """
    return _cached_figure(
        f"{builder.__module__}.{builder.__qualname__}",
        f"{function.__module__}.{function.__qualname__}",
        config.database_url(),
        data_version(),
        args,
        tuple(sorted(kwargs.items())),
    )


@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)
def _fresh_rollups(
    url: str,
    version: int,
    day: date,
    window_days: int,
    stale_days: int,
    ladder_days: tuple[int, ...] | None,
) -> int:
    from sqlalchemy.exc import OperationalError

    from monitoring import rollups

    try:
        return rollups.refresh_stale(
            _engine_for(url),
            day,
            window_days=window_days,
            stale_days=stale_days,
            ladder_days=ladder_days,
        )
    except OperationalError:  # e.g. the database is busy: reads stay right, counted live
        return 0


def keep_rollups_fresh(day: date, limits: config.Thresholds) -> int:
    """Once per ``data_version``, day, thresholds and escalation ladder: when most roll-up rows
    are stale (a new day, a changed threshold or ladder), recount them in a short transaction of
    their own (:func:`monitoring.rollups.refresh_stale`). :returns: reviews recounted (0: none
    needed)."""
    from monitoring import rollups

    try:
        ladder_days = rollups.escalation_days()
    except config.SettingError:
        ladder_days = None  # refresh_stale counts for the default ladder (and says so)
    return _fresh_rollups(
        config.database_url(),
        data_version(),
        day,
        limits.due_soon_days,
        limits.stale_days,
        ladder_days,
    )


def date_line(src: Source, *, rollups: bool = False) -> None:
    """Show the page's date line under its title: the "as at" notice when ``src`` is a past date,
    else the date the figures are calculated for. With ``rollups`` (a page whose figures come from
    the roll-ups, "now" only), recount them first when most are stale (:func:`keep_rollups_fresh`).
    As at a date, a sentence follows when some actions the reader sees had their status dated
    later by an import because the file gave no date
    (:func:`monitoring.reads.import_dated_statuses`).
    """
    from monitoring.ui import widgets

    if src.as_at:
        widgets.as_at_caption(src.as_at)
        from monitoring import reads
        from monitoring.vocabulary import uk_date

        dated = read(reads.import_dated_statuses, src)
        if dated is not None:  # e.g. the real PFD export: it gives no reply date
            actions, first, last = dated
            them = "them" if actions > 1 else "it"
            when = (
                f"{uk_date(first)}, the as-of date of the import that brought {them} in"
                if first == last
                else f"between {uk_date(first)} and {uk_date(last)}, the as-of dates of the "
                f"imports that brought {them} in"
            )
            noun = "actions' statuses were" if actions > 1 else "action's status was"
            # counted over every review the reader may see: the sidebar's filters are not applied
            among = "" if src.filters.is_empty() else "Filters aside, "
            st.caption(
                f"{among}{actions:,} {noun} dated {when} (the file gave no date for {them}): as at "
                f"{uk_date(src.as_at)} {'they show as they' if actions > 1 else 'it shows as it'} "
                "stood before that, open."
            )
        return
    widgets.today_caption(src.today)
    if rollups:
        keep_rollups_fresh(src.today, config.thresholds())


def read(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``function(conn, *args, **kwargs)`` (a query from :mod:`monitoring.queries` or another
    read model) through the cache, keyed on the database URL, ``data_version`` and the arguments.

    ``function`` must be a module-level function; arguments must be hashable values (dates,
    tuples, frozen dataclasses).
    """
    path = f"{function.__module__}.{function.__qualname__}"
    return _cached_read(
        path, config.database_url(), data_version(), args, tuple(sorted(kwargs.items()))
    )


def read_uncached(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``function(conn, *args, **kwargs)`` on a fresh read connection, not through the
    cache: for a download built when its button is clicked (Streamlit runs that on a thread of
    its own, outside the page's run), whose rows are read once and sent, never kept."""
    with db.read_connection(engine()) as conn:
        return function(conn, *args, **kwargs)


def scope() -> Scope:
    """The signed-in user's read scope (:class:`monitoring.source.Scope`); a session with no
    user yet reads as a viewer (the narrowest scope)."""
    user = st.session_state.get("user")
    return Scope.of(user) if user else Scope("viewer")


def source() -> Source:
    """The records source of this run: today, the sidebar's "As at" and filters, the signed-in
    user's scope and the thresholds (:mod:`monitoring.source`). Every page's reads take it
    (``data.read(reads.overview, data.source())``), so none can forget the date, a filter or
    the scope; being part of the cache key, a reader never gets another scope's cached frame."""
    from monitoring.ui import filters

    limits = config.thresholds()
    return make_source(
        today(),
        scope(),
        filters.current(),
        window_days=limits.due_soon_days,
        stale_days=limits.stale_days,
    )
