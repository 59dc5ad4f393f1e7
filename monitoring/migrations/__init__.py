"""Schema migrations (Alembic). :func:`upgrade` brings any database to the newest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from monitoring import db

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """An Alembic ``Config`` for this package's migrations against ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine | None = None) -> None:
    """Create or migrate the database to the newest revision of every branch (idempotent),
    then finish any import catch-up left undone (:func:`monitoring.importer.writer.catch_up`).

    :param engine: the target; default :func:`monitoring.db.get_engine`.
    """
    engine = engine or db.get_engine()
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    from monitoring.importer.writer import catch_up

    catch_up(engine)  # finish what an import left after its commit (a crash, issue 15)
