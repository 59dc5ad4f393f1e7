"""Settings read from the environment (a ``.env`` file in the project root is read too).

Every setting has a default that suits the embedded SQLite deployment, so ``make run`` needs none.

| variable | meaning | default |
|---|---|---|
| MONITORING_DATABASE_URL | SQLAlchemy URL | ``sqlite:///<project>/data/monitoring.db`` |
| MONITORING_TODAY | "today" for every rule, ``YYYY-MM-DD`` | the Europe/London date |
| MONITORING_DUE_SOON_DAYS | window for "due soon", days | 30 |
| MONITORING_STALE_DAYS | no update for more than this many days is "stale" | 90 |
| MONITORING_EVIDENCE_DIR | where uploaded evidence files are stored | ``<project>/data/evidence`` |
| MONITORING_WRITE_WAIT_SECONDS | longest a save waits for a busy database, seconds | 10 |
| MONITORING_CHART_TIMEOUT_SECONDS | longest chart images may take to draw, seconds | 60 |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
LONDON = ZoneInfo("Europe/London")

try:  # a .env file is allowed, never required
    from dotenv import load_dotenv

    load_dotenv(PROJECT_ROOT / ".env", override=False)
except ImportError:  # pragma: no cover - python-dotenv is in requirements
    pass


class SettingError(ValueError):
    """A setting in the environment has a value that cannot be used."""


def _int_setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingError(f"{name} must be a whole number of days, got {raw!r}") from exc


def database_url() -> str:
    """The SQLAlchemy URL of the database: ``MONITORING_DATABASE_URL`` or the embedded SQLite file."""
    url = os.environ.get("MONITORING_DATABASE_URL", "").strip()
    return url or f"sqlite:///{DATA_DIR / 'monitoring.db'}"


def today() -> date:
    """The date every rule treats as today.

    ``MONITORING_TODAY`` (``YYYY-MM-DD``) when set, otherwise the current date in Europe/London.

    :raises SettingError: when ``MONITORING_TODAY`` is not an ISO date.
    """
    raw = os.environ.get("MONITORING_TODAY", "").strip()
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError as exc:
            raise SettingError(
                f"MONITORING_TODAY must be a date as YYYY-MM-DD, got {raw!r}"
            ) from exc
    return datetime.now(LONDON).date()


@dataclass(frozen=True)
class Thresholds:
    """Windows used by the rules, in days (DESIGN §4)."""

    due_soon_days: int = 30
    stale_days: int = 90


def thresholds() -> Thresholds:
    """Thresholds from ``MONITORING_DUE_SOON_DAYS`` and ``MONITORING_STALE_DAYS``."""
    return Thresholds(
        due_soon_days=_int_setting("MONITORING_DUE_SOON_DAYS", 30),
        stale_days=_int_setting("MONITORING_STALE_DAYS", 90),
    )


def write_wait_seconds() -> float:
    """How long a write waits for a database another writer holds (``MONITORING_WRITE_WAIT_SECONDS``,
    default 10 s) before it gives up with :class:`monitoring.errors.DatabaseBusy`.

    :raises SettingError: when it is not a positive number.
    """
    return _seconds_setting("MONITORING_WRITE_WAIT_SECONDS", 10.0)


def chart_timeout_seconds() -> float:
    """How long chart images may take to draw before an export goes on without them
    (``MONITORING_CHART_TIMEOUT_SECONDS``, default 60 s).

    :raises SettingError: when it is not a positive number.
    """
    return _seconds_setting("MONITORING_CHART_TIMEOUT_SECONDS", 60.0)


def _seconds_setting(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise SettingError(f"{name} must be a positive number of seconds, got {raw!r}")
    return value


DEFAULT_BOARD_NAME = "Safeguarding partnership"


def board_name() -> str:
    """The board's own name for titles and the meeting pack's cover (``MONITORING_BOARD_NAME``,
    e.g. "Northbridge Safeguarding Children Partnership"); default "Safeguarding partnership".
    Never taken from the records: an imported review's ``board`` may be a coroner's area."""
    return os.environ.get("MONITORING_BOARD_NAME", "").strip() or DEFAULT_BOARD_NAME


def evidence_dir() -> Path:
    """Folder for uploaded evidence files (created on first use by the services)."""
    raw = os.environ.get("MONITORING_EVIDENCE_DIR", "").strip()
    return Path(raw) if raw else DATA_DIR / "evidence"


def utc_now_iso(now: datetime | None = None) -> str:
    """``now`` (default the current time) in UTC as ISO-8601 text with seconds, e.g.
    ``2026-11-29T15:04:05+00:00``."""
    moment = now if now is not None else datetime.now(ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo("UTC")).replace(microsecond=0).isoformat()


def london_date(moment: datetime | str) -> date:
    """The Europe/London calendar date of a moment (an aware datetime or UTC ISO text): 23:30 UTC
    on 15 June 2026 is 16 June (British Summer Time), 23:30 UTC on 15 January is 15 January."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(LONDON).date()


def today_at(now: datetime | None = None) -> date:
    """ "Today" for a write made at ``now``: ``MONITORING_TODAY`` when set, otherwise the
    Europe/London date of ``now`` (default the current time). Completion dates and
    ``effective_on`` of a user's change are this date (case 09)."""
    if now is None or os.environ.get("MONITORING_TODAY", "").strip():
        return today()
    return london_date(now)
