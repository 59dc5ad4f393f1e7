"""Shared fixtures: a real SQLite file per test, migrated; demo data at a fixed anchor; AppTest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from monitoring import db, demo, migrations

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REALDATA = SHARED / "realdata"
ANCHOR = date(2026, 6, 30)
"""Demo history runs up to this date; tests use it (and other dates) as "today"."""


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """URL of a fresh, empty database for one test."""
    return f"sqlite:///{tmp_path / 'monitoring.db'}"


@pytest.fixture
def engine(database_url: str) -> Engine:
    """A migrated, empty database."""
    engine = db.make_engine(database_url)
    migrations.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """The demo data set, anchored at :data:`ANCHOR`."""
    demo.load_demo(engine, ANCHOR)
    return engine


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, database_url: str):
    """Point the app at this test's database and clear Streamlit's caches (they leak between tests)."""
    import streamlit as st

    monkeypatch.setenv("MONITORING_DATABASE_URL", database_url)
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    monkeypatch.setenv(
        "MONITORING_EVIDENCE_DIR",
        str(Path(database_url.removeprefix("sqlite:///")).parent / "evidence"),
    )
    st.cache_data.clear()
    st.cache_resource.clear()
    db.dispose_engines()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    db.dispose_engines()


def make_app(email: str | None, *, page: str | None = None, query_params: dict | None = None):
    """An AppTest of ``dashboard.py`` signed in as ``email`` (None: signed out)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.user = {"email": email, "is_logged_in": True} if email else {"is_logged_in": False}
    if query_params:
        at.query_params.update(query_params)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at
