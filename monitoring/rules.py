"""Domain rules (DESIGN §4) as pure functions: no database, no Streamlit, one ``today`` passed in.

Every figure the board sees comes from these rules, or from SQL in :mod:`monitoring.queries` that
tests prove equal to them.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

OPEN_STATUSES = frozenset({"not_started", "in_progress"})
DONE_STATUSES = frozenset({"completed", "assured"})
WITHDRAWN_STATUSES = frozenset({"not_implemented", "superseded"})
CLOSED_STATUSES = DONE_STATUSES | WITHDRAWN_STATUSES

RAG_CODES = ("red", "amber", "green", "blue", "grey")
DEFAULT_RAG_LABELS = {
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    "blue": "Blue",
    "grey": "Grey",
}
# Colour-blind-safe, each dark enough for white text at WCAG AA (4.5:1); the word is always shown too.
RAG_COLOURS = {
    "red": "#B2182B",
    "amber": "#8A4B00",
    "green": "#1B6B3A",
    "blue": "#1F4E96",
    "grey": "#595959",
}
RAG_MEANINGS = {
    "red": "overdue or off track",
    "amber": "at risk",
    "green": "on track",
    "blue": "complete",
    "grey": "closed without delivery",
}

STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "completed": "Completed (agency reports)",
    "assured": "Assured (evidence seen)",
    "not_implemented": "Not implemented",
    "superseded": "Superseded",
}

NO_LEAD_AGENCY = "Lead agency not recorded"
"""Shown wherever an action's lead agency is missing (tables, charts, exports, the pack)."""

IMPLEMENTATION_LABELS = {
    "no_actions": "No actions yet",
    "implemented": "Implemented",
    "overdue": "Overdue",
    "in_progress": "In progress",
}


def rag_labels() -> dict[str, str]:
    """RAG labels by code, from ``MONITORING_RAG_LABELS`` (JSON, e.g. ``{"blue": "Complete"}``).

    Boards define BRAG labels locally (DOMAIN.md); codes stay fixed. Unknown codes are ignored.
    """
    labels = dict(DEFAULT_RAG_LABELS)
    raw = os.environ.get("MONITORING_RAG_LABELS", "").strip()
    if raw:
        try:
            custom = json.loads(raw)
        except json.JSONDecodeError:
            custom = {}
        if isinstance(custom, dict):
            labels.update({k: str(v) for k, v in custom.items() if k in labels and str(v).strip()})
    return labels


def is_open(status: str) -> bool:
    """An action is open while ``not_started`` or ``in_progress``; every other status is closed."""
    return status in OPEN_STATUSES


def is_overdue(status: str, due_on: date | None, today: date) -> bool:
    """Open and ``due_on`` before today. An action due today is not overdue; no date is never overdue."""
    return is_open(status) and due_on is not None and due_on < today


def days_overdue(status: str, due_on: date | None, today: date) -> int:
    """Days since ``due_on`` (today − due_on) for an overdue action, else 0."""
    return (today - due_on).days if is_overdue(status, due_on, today) else 0


def is_due_soon(status: str, due_on: date | None, today: date, window_days: int = 30) -> bool:
    """Open and today ≤ ``due_on`` ≤ today + ``window_days`` (default 30, ``MONITORING_DUE_SOON_DAYS``)."""
    return (
        is_open(status)
        and due_on is not None
        and today <= due_on <= today + timedelta(days=window_days)
    )


def has_no_due_date(status: str, due_on: date | None) -> bool:
    """Open with no target date: its own group, never counted as overdue."""
    return is_open(status) and due_on is None


def is_stale(status: str, last_activity_on: date | None, today: date, stale_days: int = 90) -> bool:
    """Open and no progress update for more than ``stale_days`` (default 90).

    :param last_activity_on: date of the latest ``action_update`` (or, if none, when the action was
        created); ``None`` counts as stale.
    """
    if not is_open(status):
        return False
    return last_activity_on is None or (today - last_activity_on).days > stale_days


@dataclass(frozen=True)
class Rag:
    """A RAG rating: ``code`` (red/amber/green/blue/grey), the rule's own code, and the override."""

    code: str
    computed: str
    overridden: bool = False
    reason: str | None = None

    @property
    def label(self) -> str:
        """The board's word for the rating, shown beside its colour."""
        text = rag_labels()[self.code]
        return f"{text} (overridden)" if self.overridden else text


def computed_rag(
    status: str,
    due_on: date | None,
    today: date,
    *,
    due_date_changes: int = 0,
    window_days: int = 30,
) -> str:
    """RAG code by rule (DESIGN §4), without any manual override.

    Blue: completed or assured. Grey: not implemented or superseded. Red: overdue. Amber: due soon
    and not started, or the target date has been moved more than once. Green: any other open action
    (including one with no target date).

    :param due_date_changes: approved target-date changes for the action.
    """
    if status in DONE_STATUSES:
        return "blue"
    if status in WITHDRAWN_STATUSES:
        return "grey"
    if is_overdue(status, due_on, today):
        return "red"
    if status == "not_started" and is_due_soon(status, due_on, today, window_days):
        return "amber"
    if due_date_changes > 1:
        return "amber"
    return "green"


def rag(
    status: str,
    due_on: date | None,
    today: date,
    *,
    due_date_changes: int = 0,
    override: str | None = None,
    override_reason: str | None = None,
    window_days: int = 30,
) -> Rag:
    """RAG rating with the manual override applied.

    An override counts only with a reason (a rating changed by hand must say why); without one the
    rule's rating stands.

    :raises ValueError: when ``override`` is not a RAG code.
    """
    computed = computed_rag(
        status, due_on, today, due_date_changes=due_date_changes, window_days=window_days
    )
    if override:
        if override not in RAG_CODES:
            raise ValueError(
                f"RAG override must be one of {', '.join(RAG_CODES)}, got {override!r}"
            )
        if override_reason and override_reason.strip():
            return Rag(override, computed, True, override_reason.strip())
    return Rag(computed, computed)


def is_on_time(completed_on: date | None, original_due_on: date | None) -> bool | None:
    """Completed on or before the *original* target date (a moved date never makes it on time).

    Returns ``None`` when either date is missing (not counted either way).
    """
    if completed_on is None or original_due_on is None:
        return None
    return completed_on <= original_due_on


@dataclass(frozen=True)
class ActionState:
    """The minimum about one action that recommendation roll-ups need."""

    status: str
    due_on: date | None


def recommendation_implementation(actions: Iterable[ActionState], today: date) -> str:
    """Implementation of a recommendation from its actions (DESIGN §4).

    Returns ``no_actions`` (a data-quality flag), ``implemented`` (every action closed), ``overdue``
    (some action overdue) or ``in_progress``.
    """
    actions = list(actions)
    if not actions:
        return "no_actions"
    if all(not is_open(a.status) for a in actions):
        return "implemented"
    if any(is_overdue(a.status, a.due_on, today) for a in actions):
        return "overdue"
    return "in_progress"


def percentage(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``, a whole number rounded half up (1 of 8 is 13.0,
    1 of 3 is 33.0), but never 100 unless all and never 0 unless none (199 of 200 is 99.0, 1 of
    201 is 1.0: a board is not told "all implemented" while one is outstanding); ``None`` when
    ``whole`` is 0.

    The one rounding of every percentage the monitor shows: pages, charts and every export format
    print the same whole number whatever their own formatter does with halves (issue 19: "12% on
    the chart, 13% in the table").
    """
    if not whole:
        return None
    whole_number = (200 * part + whole) // (2 * whole)
    if part < whole:
        whole_number = min(whole_number, 99)
    if part > 0:
        whole_number = max(whole_number, 1)
    return float(whole_number)


def on_time_percentage(pairs: Iterable[tuple[date | None, date | None]]) -> float | None:
    """Share of completed actions finished by their original target date, as a percentage.

    :param pairs: ``(completed_on, original_due_on)`` for each completed action; pairs with a
        missing date are left out. ``None`` when nothing can be counted.
    """
    verdicts = [v for v in (is_on_time(c, o) for c, o in pairs) if v is not None]
    return percentage(sum(verdicts), len(verdicts))


def median_days_overdue(days: Iterable[int]) -> float | None:
    """Median of the days-overdue figures of overdue actions; ``None`` when there are none."""
    values = [d for d in days if d > 0]
    return float(statistics.median(values)) if values else None


def parse_iso(value: str | date | None) -> date | None:
    """An ISO ``YYYY-MM-DD`` text (as stored) as a ``date``; ``None`` for empty values."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


LONDON = ZoneInfo("Europe/London")
"""The time zone of every date a user sees or filters by (timestamps are stored in UTC)."""
UTC = ZoneInfo("UTC")


def london_day(timestamp: str | datetime | date | None) -> date | None:
    """The Europe/London calendar date of a stored timestamp (ISO text in UTC, e.g.
    ``2026-06-15T23:30:00+00:00`` is 16 June 2026 in British Summer Time). A text with no time
    (``YYYY-MM-DD``) is already a date; a timestamp with no offset is taken as UTC. ``None`` for
    empty values. Case 09 ("update after midnight in summer time")."""
    if timestamp is None or timestamp == "":
        return None
    if isinstance(timestamp, datetime):
        moment = timestamp
    elif isinstance(timestamp, date):
        return timestamp
    else:
        text = str(timestamp).strip()
        if len(text) <= 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON).date()


def day_start_utc(day: date) -> str:
    """The stored-timestamp text (UTC, ``YYYY-MM-DDTHH:MM:SS+00:00``) of the first moment of the
    Europe/London calendar date ``day``: timestamps ``>=`` it are on ``day`` or later in London
    (e.g. 16 June 2026 starts at ``2026-06-15T23:00:00+00:00``; 16 Dec at ``2026-12-16T00:00``)."""
    start = datetime.combine(day, time(0, 0), LONDON).astimezone(UTC)
    return start.isoformat()
