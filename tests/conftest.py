"""Shared fixtures: a real database per test, migrated; demo data at a fixed anchor; AppTest.

The backend is SQLite (a file per test) unless ``MONITORING_TEST_BACKEND=postgresql``: then every
test gets a fresh PostgreSQL database (``CREATE DATABASE`` with a unique name, dropped afterwards)
on the server named by ``MONITORING_TEST_PG_URL`` (``make test`` starts a throwaway one with
``scripts/pg-cluster``). Tests that need PostgreSQL whatever the backend use ``pg_database_url``.
"""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from datetime import date
from pathlib import Path

import pytest

# Imported while pytest collects, on one thread: the file's name (app_test.py) matches pytest's
# test-file pattern, so pytest's assertion rewriter parses it when it is first imported, and on
# Python 3.11 an ast parse while another thread parses (a previous AppTest's script run) can fail
# with "AST constructor recursion depth mismatch" (seen once on PostgreSQL runs).
import streamlit.testing.v1  # noqa: F401
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from monitoring import db, demo, migrations
from tests.e2e.fixtures import (  # noqa: F401  (fixtures: registered by being imported here)
    open_browser,
    playwright_instance,
    request_recorder,
)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REALDATA = SHARED / "realdata"
CASES = SHARED / "cases"
SHARED_ABSENT = (
    f"{SHARED} is absent (a clone outside the project's workspace): the tests that read its real "
    "data and failed-input cases are skipped"
)
"""Why the tests that read ``../shared`` are skipped where it is absent (said once per run)."""
ANCHOR = date(2026, 6, 30)
"""Demo history runs up to this date; tests use it (and other dates) as "today"."""


BACKEND = os.environ.get("MONITORING_TEST_BACKEND", "").strip().lower() or "sqlite"
"""The backend every ``database_url`` uses: ``sqlite`` or ``postgresql``."""
PG_URL = os.environ.get("MONITORING_TEST_PG_URL", "").strip()
"""A PostgreSQL server URL (any database on it) where test databases are created."""


class PostgresServer:
    """Creates and drops test databases on the server at ``url`` (a superuser connection)."""

    def __init__(self, url: str):
        self.url = make_url(url)
        if self.url.drivername in ("postgresql", "postgres"):
            self.url = self.url.set(drivername="postgresql+psycopg")
        self._admin = create_engine(
            self.url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )

    def url_for(self, name: str) -> str:
        """The SQLAlchemy URL of database ``name`` on this server."""
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create_database(self, template: str | None = None) -> str:
        """Create an empty database (a copy of ``template`` when given); returns its name."""
        name = f"monitoring_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{template}"'
        with self._admin.connect() as conn:
            conn.execute(text(sql))
        return name

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, ending any connection still open to it."""
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def version(self) -> str:
        """The server's version string, e.g. ``15.18``."""
        with self._admin.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())


def pytest_configure(config: pytest.Config) -> None:
    if BACKEND not in ("sqlite", "postgresql"):
        raise pytest.UsageError(
            f"MONITORING_TEST_BACKEND must be sqlite or postgresql, got {BACKEND!r}"
        )
    if BACKEND == "postgresql" and not PG_URL:
        raise pytest.UsageError(
            "MONITORING_TEST_BACKEND=postgresql needs MONITORING_TEST_PG_URL, the URL of a "
            "PostgreSQL server where test databases can be created (see scripts/pg-cluster)"
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    where = f" on {make_url(PG_URL).render_as_string(hide_password=True)}" if PG_URL else ""
    lines = [f"monitoring test backend: {BACKEND}" + (where if BACKEND == "postgresql" else "")]
    if not SHARED.is_dir():
        lines.append(
            f"shared data: {SHARED} is absent; under CI=true its tests fail"
            if _on_ci()
            else SHARED_ABSENT
        )
    return lines


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Every skip for :data:`SHARED_ABSENT` is reported at one place, so that ``-rs`` prints the
    reason once with the number of tests skipped, not once per test."""
    report = yield
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and longrepr[2].endswith(SHARED_ABSENT):
        report.longrepr = (__file__, _SHARED_LINE, longrepr[2])
    return report


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ``../shared`` folder (real data in ``realdata/``, failed inputs in ``cases/``).

    Every test that reads it uses this fixture (``pytest.mark.usefixtures("shared_data")``):
    where the folder is absent the test is skipped with :data:`SHARED_ABSENT` (the run's header
    says it once), never a FileNotFoundError; under ``CI=true`` its absence fails the test, as a
    missing PostgreSQL server does.
    """
    if not SHARED.is_dir():
        if _on_ci():
            pytest.fail(f"{SHARED} is absent; CI must provide the shared real data and cases")
        pytest.skip(SHARED_ABSENT)
    return SHARED


_SHARED_LINE = (
    shared_data.__wrapped__.__code__.co_firstlineno if hasattr(shared_data, "__wrapped__") else 0
)


@pytest.fixture(scope="session")
def pg_server() -> PostgresServer:
    """The PostgreSQL server of ``MONITORING_TEST_PG_URL``; the test is skipped without one."""
    if not PG_URL:
        pytest.skip(
            "no PostgreSQL server: set MONITORING_TEST_PG_URL (make test starts one with "
            "scripts/pg-cluster)"
        )
    return PostgresServer(PG_URL)


@pytest.fixture(scope="session")
def pg_migrated_template(pg_server: PostgresServer) -> str:
    """Name of a database migrated to every head, copied for each test that asks for ``engine``.

    ``CREATE DATABASE ... TEMPLATE`` is much cheaper than running the migrations for each test.
    """
    name = pg_server.create_database()
    template_engine = db.make_engine(pg_server.url_for(name))
    migrations.upgrade(template_engine)
    template_engine.dispose()
    yield name
    pg_server.drop_database(name)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database holding the demo data at :data:`ANCHOR`, built once per test process
    and copied for each test that asks for ``demo_engine`` (loading the demo hashes six
    passwords, the slow part of most tests): a SQLite file path, or a PostgreSQL database name.
    """
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("demo_template") / "demo.db"
        url = f"sqlite:///{path}"
    else:
        server = PostgresServer(PG_URL)
        name = server.create_database()
        url = server.url_for(name)
    template_engine = db.make_engine(url)
    migrations.upgrade(template_engine)
    demo.load_demo(template_engine, ANCHOR)
    template_engine.dispose()  # on SQLite this checkpoints the WAL into the file
    if BACKEND == "sqlite":
        yield str(path)
    else:
        yield name
        server.drop_database(name)


@pytest.fixture
def pg_database_url(pg_server: PostgresServer) -> str:
    """URL of a fresh, empty PostgreSQL database, whatever the backend (skipped without a server)."""
    name = pg_server.create_database()
    yield pg_server.url_for(name)
    db.dispose_engines()
    pg_server.drop_database(name)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh, empty database for one test, on the backend under test.

    A test that uses ``demo_engine`` gets a copy of the session's demo database; on PostgreSQL
    a test that uses ``engine`` gets a copy of an already migrated database (the ``engine``
    fixture's upgrade is then a no-op). Every other test gets an empty one.
    """
    with_demo = "demo_engine" in request.fixturenames
    if BACKEND == "sqlite":
        path = tmp_path / "monitoring.db"
        if with_demo:
            shutil.copyfile(request.getfixturevalue("demo_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    template = None
    if with_demo:
        template = request.getfixturevalue("demo_template")
    elif "engine" in request.fixturenames:
        template = request.getfixturevalue("pg_migrated_template")
    name = server.create_database(template)
    yield server.url_for(name)
    db.dispose_engines()
    server.drop_database(name)


@pytest.fixture
def engine(database_url: str) -> Engine:
    """A migrated, empty database."""
    engine = db.make_engine(database_url)
    migrations.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def demo_engine(engine: Engine) -> Engine:
    """The demo data set, anchored at :data:`ANCHOR` (a copy of ``demo_template``)."""
    if db.is_empty(engine):  # the database was not copied from the template
        demo.load_demo(engine, ANCHOR)
    return engine


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path):
    """Point the app at this test's database and clear Streamlit's caches (they leak between tests)."""
    import streamlit as st

    monkeypatch.setenv("MONITORING_DATABASE_URL", database_url)
    monkeypatch.setenv("MONITORING_TODAY", ANCHOR.isoformat())
    monkeypatch.setenv("MONITORING_EVIDENCE_DIR", str(tmp_path / "evidence"))
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


def scalar(engine: Engine, sql: str, **params):
    """The first column of the first row of ``sql`` (SQL text with ``:name`` parameters)."""
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def rows(engine: Engine, sql: str, **params) -> list[tuple]:
    """Every row of ``sql`` as a tuple."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def records(engine: Engine, sql: str, **params) -> list[dict]:
    """Every row of ``sql`` as a dict."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(sql), params).mappings()]


def quiet_before_fork(*engines: Engine) -> None:
    """Leave no connection of this process for a forked child to touch: a child that
    garbage-collects a connection it inherited rolls it back on the parent's socket, and the
    parent then reads the child's reply (seen in CI as "ResourceClosedError: This result object
    does not return rows" in a writer thread, and as a child hung in ``ROLLBACK``). Collects
    garbage connections here, then closes each engine's pooled ones (SQLAlchemy, "Using
    Connection Pools with Multiprocessing or os.fork()")."""
    gc.collect()
    for engine in engines:
        engine.dispose()
    db.dispose_engines()
