"""Domain rules (DESIGN §4) as pure functions: no database, no Streamlit, one ``today`` passed in.

Every figure the board sees comes from these rules, or from SQL in :mod:`monitoring.queries` that
the edge-case table (``tests/test_rule_twins.py``) proves equal to them. The words shown for the
codes, and the date and percent formats, are in :mod:`monitoring.vocabulary`.
"""

from __future__ import annotations

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

_WORDS = frozenset(
    {
        "DEFAULT_RAG_LABELS",
        "RAG_COLOURS",
        "RAG_MEANINGS",
        "STATUS_LABELS",
        "NO_LEAD_AGENCY",
        "IMPLEMENTATION_LABELS",
        "rag_labels",
    }
)


def __getattr__(name: str):
    """The words once kept here live in :mod:`monitoring.vocabulary` (issue 19: one vocabulary);
    ``rules.STATUS_LABELS`` and the like still resolve there."""
    if name in _WORDS:
        from monitoring import vocabulary

        return getattr(vocabulary, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        from monitoring import vocabulary

        return vocabulary.rag_word(self.code, self.overridden)


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


NOT_DELIVERED_ASSURANCE = frozenset({"closed_unacceptable", "superseded"})
"""Assurance statuses that close a recommendation without delivering it."""


def recommendation_not_delivered(
    response_status: str | None, assurance_status: str | None, action_statuses: Iterable[str]
) -> bool:
    """True for a recommendation that is not being implemented: its response is ``not_accepted``,
    its assurance status is ``closed_unacceptable`` or ``superseded``, or it has actions and every
    one of them is closed ``not_implemented`` or ``superseded`` (issue 19's invariant).

    Such a recommendation is never counted as assured nor listed as ready for assurance
    (:func:`counts_as_assured`, :func:`is_ready_for_assurance`); the SQL twin is
    :func:`monitoring.queries.recommendation_not_delivered_sql`.
    """
    statuses = list(action_statuses)
    return (
        response_status == "not_accepted"
        or assurance_status in NOT_DELIVERED_ASSURANCE
        or (bool(statuses) and all(s in WITHDRAWN_STATUSES for s in statuses))
    )


def counts_as_assured(
    response_status: str | None, assurance_status: str | None, action_statuses: Iterable[str]
) -> bool:
    """A recommendation counted as assured: assurance status ``assured`` and not
    :func:`recommendation_not_delivered`."""
    statuses = list(action_statuses)
    return assurance_status == "assured" and not recommendation_not_delivered(
        response_status, assurance_status, statuses
    )


def is_ready_for_assurance(
    response_status: str | None, assurance_status: str | None, action_statuses: Iterable[str]
) -> bool:
    """A recommendation listed as ready for assurance: assurance status ``ready_for_assessment``
    and not :func:`recommendation_not_delivered`."""
    statuses = list(action_statuses)
    return assurance_status == "ready_for_assessment" and not recommendation_not_delivered(
        response_status, assurance_status, statuses
    )


DEFAULT_ESCALATION_DAYS = (1, 30, 90)
"""The escalation ladder (issue 7; ``MONITORING_ESCALATION_DAYS``, read by
:func:`monitoring.reminders.escalation_ladder`): level 1 "reminder" from 1 day overdue, level 2
"copied to board member" from 30, level 3 "listed for the board's exception report" from 90."""
BOARD_ESCALATION_LEVEL = 3
"""The level at which an overdue action is escalated to the board."""


def escalation_level_for(
    days_overdue: int, ladder_days: Iterable[int] = DEFAULT_ESCALATION_DAYS
) -> int:
    """The ladder level reached at ``days_overdue`` days overdue: the number of steps whose days
    it has reached (0 when not overdue; 90 days exactly reaches level 3 by default)."""
    return sum(1 for days in ladder_days if days_overdue >= days) if days_overdue > 0 else 0


def escalation_level(
    status: str,
    due_on: date | None,
    today: date,
    ladder_days: Iterable[int] = DEFAULT_ESCALATION_DAYS,
) -> int:
    """An action's escalation level, computed when read from its days overdue (the ``remind``
    command only records the notifications it sends; what makes an action escalated is this
    rule). 0 for an action that is not overdue (closed, no target date, due today or later)."""
    return escalation_level_for(days_overdue(status, due_on, today), ladder_days)


def is_escalated_to_board(
    status: str,
    due_on: date | None,
    today: date,
    ladder_days: Iterable[int] = DEFAULT_ESCALATION_DAYS,
) -> bool:
    """True when the action has reached :data:`BOARD_ESCALATION_LEVEL` (by default 90 or more
    days overdue)."""
    return escalation_level(status, due_on, today, ladder_days) >= BOARD_ESCALATION_LEVEL


REPEAT_LEARNING_MIN_REVIEWS = 2
"""A theme is repeat learning only when found in at least this many reviews."""
REPEAT_LEARNING_SHARE = 10
"""... and in at least this percentage of the reviews read (one review in ten)."""


def is_repeat_learning(
    theme_reviews: int,
    all_reviews: int,
    *,
    min_reviews: int = REPEAT_LEARNING_MIN_REVIEWS,
    share: int = REPEAT_LEARNING_SHARE,
) -> bool:
    """A theme is flagged as repeat learning when it is found in at least ``min_reviews`` (2)
    reviews *and* in at least ``share`` per cent (10%, one in ten) of the reviews read (those with
    a recommendation matching the filters).

    At a board's scale (a handful of reviews) this is "found in more than one review"; at the
    770 PFD reports it picks out the themes that keep coming back (5 of 17 categories), where
    "more than one review" flagged every one of them (issue 19). The share is the one shown
    (:func:`percentage`, a whole number), so a theme shown at 10% is flagged.
    """
    shown = percentage(theme_reviews, all_reviews)
    return theme_reviews >= min_reviews and shown is not None and shown >= share


def repeat_learning_rule() -> str:
    """The rule in words, as the Themes page and the user guide state it."""
    return (
        f"a theme is repeat learning when it is found in at least {REPEAT_LEARNING_MIN_REVIEWS} "
        f"reviews and in at least {REPEAT_LEARNING_SHARE}% of the reviews shown"
    )


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
