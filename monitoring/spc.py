"""Statistical process control for impact measures: the XmR (individuals) chart, read the way NHS
England's "Making Data Count" (MDC) programme reads it. Pure functions: numbers in, numbers out.

The chart (Wheeler's XmR, as MDC and the NHS-R community's ``NHSRplotthedots`` package draw it):

- the **mean** of the values;
- the **moving ranges**: the absolute difference of each value from the one before;
- the **process limits**: mean ± 2.66 × the mean moving range (2.66 = 3 / 1.128, the ``d2``
  constant for ranges of two, i.e. three sigma); the **near-limit lines** at two sigma,
  mean ± (2/3 × 2.66) × the mean moving range;
- when a change in practice is recorded from a period, the limits are **recalculated** from that
  period on (each part of the chart gets its own mean, moving ranges and limits, and the rules
  below are read within each part).

The four MDC rules for **special cause variation** (NHS England and NHS Improvement, "Making data
count: getting started", 2019, and "Making data count: strengthening your decisions", 2019; the
same run lengths as ``NHSRplotthedots``' ``ptd_calculate_point_type``):

1. **a point outside the process limits** (strictly beyond; a point exactly on a limit is inside);
2. **a shift**: a run of :data:`SHIFT_RUN` (7) or more consecutive points all above, or all below,
   the mean (a point exactly on the mean breaks the run);
3. **a trend**: a run of :data:`TREND_RUN` (7) or more consecutive points each higher (or each
   lower) than the one before (two equal values break the run);
4. **two out of three** consecutive points **close to a process limit**: beyond the two-sigma
   line on the same side (and not outside the limit), the third point on that side of the mean.

Every point of a run that meets a rule is special cause. A point's direction is its side of the
mean (for a point flagged only by a trend: the trend's direction); with the measure's better
direction this makes it *improving* or *concerning*.

The **variation icon** reads the latest point: common cause, or special cause improving /
concerning, high / low. The **assurance icon** compares the target with the latest part's process
limits: a target outside the limits on the good side is consistently met, on the bad side
consistently not met; a target between the limits is hit and miss (``NHSRplotthedots``'
``ptd_calculate_assurance_type``). Each has a text alternative, e.g.
"improving, special cause; target not consistently met".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LIMIT_FACTOR = 2.66
"""Process limits: mean ± 2.66 × mean moving range (3 sigma; 2.66 = 3 / 1.128)."""
NEAR_FACTOR = LIMIT_FACTOR * 2 / 3
"""The two-sigma lines: mean ± (2/3 × 2.66) × mean moving range (the outer third begins)."""
SHIFT_RUN = 7
"""MDC: seven or more consecutive points one side of the mean is a shift."""
TREND_RUN = 7
"""MDC: seven or more consecutive points all increasing (or all decreasing) is a trend."""
NEAR_COUNT, NEAR_WINDOW = 2, 3
"""MDC: two out of three consecutive points close to a process limit."""
MIN_POINTS = 2
"""Fewest values for which limits can be calculated (one moving range). MDC advises at least 15
points before reading the limits with confidence; the page says how many there are."""


@dataclass(frozen=True)
class Limits:
    """One part of an XmR chart: ``start``/``stop`` index its values (``values[start:stop]``)."""

    start: int
    stop: int
    mean: float
    mean_moving_range: float
    upper: float
    lower: float
    upper_near: float
    lower_near: float


@dataclass(frozen=True)
class Point:
    """One value as the chart reads it.

    :ivar direction: ``"high"``, ``"low"`` (special cause) or None (common cause).
    :ivar rules: the rules this point meets: ``outside``, ``shift``, ``trend``, ``two_of_three``.
    """

    index: int
    value: float
    part: int
    outside: bool
    near: bool
    rules: tuple[str, ...]
    direction: str | None

    @property
    def special(self) -> bool:
        return bool(self.rules)


@dataclass(frozen=True)
class Chart:
    """An XmR chart: its points (in order) and its parts' limits."""

    points: tuple[Point, ...]
    parts: tuple[Limits, ...]

    @property
    def latest_limits(self) -> Limits | None:
        return self.parts[-1] if self.parts else None


def moving_ranges(values: Sequence[float]) -> list[float]:
    """``|x[i] - x[i-1]|`` for ``i`` from 1: one fewer than the values."""
    return [abs(b - a) for a, b in zip(values, values[1:], strict=False)]


def limits(values: Sequence[float], start: int = 0) -> Limits:
    """Mean, mean moving range, process limits and two-sigma lines of ``values``.

    :param start: index of the first value in the whole chart (kept on the result).
    :raises ValueError: with fewer than :data:`MIN_POINTS` values.
    """
    values = [float(v) for v in values]
    if len(values) < MIN_POINTS:
        raise ValueError(f"an XmR chart needs at least {MIN_POINTS} values, got {len(values)}")
    mean = sum(values) / len(values)
    ranges = moving_ranges(values)
    mr = sum(ranges) / len(ranges)
    return Limits(
        start=start,
        stop=start + len(values),
        mean=mean,
        mean_moving_range=mr,
        upper=mean + LIMIT_FACTOR * mr,
        lower=mean - LIMIT_FACTOR * mr,
        upper_near=mean + NEAR_FACTOR * mr,
        lower_near=mean - NEAR_FACTOR * mr,
    )


def _side(value: float, mean: float) -> int:
    return (value > mean) - (value < mean)


def _runs(signs: Sequence[int]):
    """The maximal runs of equal, non-zero signs: ``(first index, last index, sign)``."""
    i = 0
    while i < len(signs):
        j = i
        while j + 1 < len(signs) and signs[j + 1] == signs[i]:
            j += 1
        if signs[i] != 0:
            yield i, j, signs[i]
        i = j + 1


def shift_flags(values: Sequence[float], mean: float, run: int = SHIFT_RUN) -> list[int]:
    """Per value: +1 / -1 when it is in a run of ``run`` or more consecutive values all above /
    all below ``mean``, else 0 (a value equal to the mean breaks a run)."""
    flags = [0] * len(values)
    for i, j, sign in _runs([_side(v, mean) for v in values]):
        if j - i + 1 >= run:
            flags[i : j + 1] = [sign] * (j - i + 1)
    return flags


def trend_flags(values: Sequence[float], run: int = TREND_RUN) -> list[int]:
    """Per value: +1 / -1 when it is one of ``run`` or more consecutive values each higher /
    each lower than the one before, else 0 (equal neighbours break a run)."""
    flags = [0] * len(values)
    steps = [_side(b, a) for a, b in zip(values, values[1:], strict=False)]
    for i, j, sign in _runs(steps):
        # steps i..j join values i..j+1: (j - i + 2) values
        if j - i + 2 >= run:
            flags[i : j + 2] = [sign] * (j - i + 2)
    return flags


def outside_sides(values: Sequence[float], part: Limits) -> list[int]:
    """Per value: +1 / -1 when it is above the upper / below the lower process limit (strictly:
    a value exactly on a limit is inside), else 0."""
    return [(v > part.upper) - (v < part.lower) for v in values]


def near_sides(values: Sequence[float], part: Limits) -> list[int]:
    """Per value: +1 / -1 when it is beyond the upper / lower two-sigma line but not outside the
    process limits (a value exactly on a limit is near it), else 0."""
    sides = []
    for v in values:
        if part.upper_near < v <= part.upper:
            sides.append(1)
        elif part.lower <= v < part.lower_near:
            sides.append(-1)
        else:
            sides.append(0)
    return sides


def two_of_three_flags(values: Sequence[float], part: Limits) -> list[int]:
    """Per value: +1 / -1 when it is close to the upper / lower limit (:func:`near_sides`) and, in
    some window of three consecutive values that holds it, at least two are close to that same
    limit and all three are on that side of the mean; else 0."""
    near = near_sides(values, part)
    sides = [_side(v, part.mean) for v in values]
    flags = [0] * len(values)
    for i in range(len(values) - NEAR_WINDOW + 1):
        window = range(i, i + NEAR_WINDOW)
        for side in (1, -1):
            if sum(near[k] == side for k in window) >= NEAR_COUNT and all(
                sides[k] == side for k in window
            ):
                for k in window:
                    if near[k] == side:
                        flags[k] = side
    return flags


def xmr(values: Sequence[float], *, breaks: Sequence[int] = ()) -> Chart:
    """The XmR chart of ``values`` (in period order), with the limits recalculated from each
    index in ``breaks`` (a recorded change in practice).

    A part with fewer than :data:`MIN_POINTS` values joins the part before it (limits need a
    moving range). Rules are read within each part.

    :returns: a :class:`Chart`; with fewer than :data:`MIN_POINTS` values in all, no parts and
        every point common cause.
    """
    values = [float(v) for v in values]
    cuts = sorted({b for b in breaks if 0 < b < len(values)})
    starts = [0]
    for cut in cuts:
        if cut - starts[-1] >= MIN_POINTS and len(values) - cut >= MIN_POINTS:
            starts.append(cut)
    if len(values) < MIN_POINTS:
        points = tuple(Point(i, v, 0, False, False, (), None) for i, v in enumerate(values))
        return Chart(points=points, parts=())
    bounds = list(zip(starts, [*starts[1:], len(values)], strict=True))
    parts = tuple(limits(values[a:b], start=a) for a, b in bounds)
    points: list[Point] = []
    for number, part in enumerate(parts):
        chunk = values[part.start : part.stop]
        shift = shift_flags(chunk, part.mean)
        trend = trend_flags(chunk)
        pair = two_of_three_flags(chunk, part)
        near = near_sides(chunk, part)
        beyond = outside_sides(chunk, part)
        for k, v in enumerate(chunk):
            outside = beyond[k] != 0
            rules = tuple(
                name
                for name, hit in (
                    ("outside", outside),
                    ("shift", shift[k] != 0),
                    ("trend", trend[k] != 0),
                    ("two_of_three", pair[k] != 0),
                )
                if hit
            )
            direction = None
            if rules:
                side = _side(v, part.mean)
                if rules == ("trend",) or side == 0:
                    side = trend[k] or side
                direction = "high" if side > 0 else "low" if side < 0 else None
            points.append(Point(part.start + k, v, number, outside, near[k] != 0, rules, direction))
    return Chart(points=tuple(points), parts=parts)


# --- icons ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Icon:
    """A Making Data Count icon: its ``code`` (how it is drawn) and its text alternative."""

    code: str
    text: str


VARIATION_WORDS = {
    "common_cause": "no significant change, common cause variation",
    "improving_high": "improving, special cause (significantly higher)",
    "improving_low": "improving, special cause (significantly lower)",
    "concerning_high": "concerning, special cause (significantly higher)",
    "concerning_low": "concerning, special cause (significantly lower)",
    "neutral_high": "special cause, significantly higher (neither better nor worse)",
    "neutral_low": "special cause, significantly lower (neither better nor worse)",
    "too_few": "too few values to judge variation",
}
"""Text alternative of each variation icon."""

ASSURANCE_WORDS = {
    "pass": "target consistently met",
    "fail": "target consistently not met",
    "hit_and_miss": "target not consistently met (hit and miss)",
    "no_target": "no target set",
    "too_few": "too few values to judge the target",
}
"""Text alternative of each assurance icon."""


def point_kind(point: Point, better: str | None) -> str:
    """``common_cause``, ``improving_high|low``, ``concerning_high|low`` or ``neutral_high|low``
    for one point, given the measure's better direction (``up``, ``down`` or None)."""
    if not point.special or point.direction is None:
        return "common_cause"
    if better not in ("up", "down"):
        return f"neutral_{point.direction}"
    good = (point.direction == "high") == (better == "up")
    return f"{'improving' if good else 'concerning'}_{point.direction}"


def variation_icon(chart: Chart, better: str | None) -> Icon:
    """The variation icon: how the latest point reads (:func:`point_kind`)."""
    if not chart.parts:
        return Icon("too_few", VARIATION_WORDS["too_few"])
    code = point_kind(chart.points[-1], better)
    return Icon(code, VARIATION_WORDS[code])


def assurance_icon(chart: Chart, target: float | None, better: str | None) -> Icon:
    """The assurance icon: the target against the latest part's process limits.

    Better ``up``: target below the lower limit → consistently met; above the upper limit →
    consistently not met; otherwise hit and miss (``down``: the other way round). With no target
    (or no better direction) ``no_target``.
    """
    if target is None or better not in ("up", "down"):
        return Icon("no_target", ASSURANCE_WORDS["no_target"])
    part = chart.latest_limits
    if part is None:
        return Icon("too_few", ASSURANCE_WORDS["too_few"])
    if target < part.lower:
        code = "pass" if better == "up" else "fail"
    elif target > part.upper:
        code = "fail" if better == "up" else "pass"
    else:
        code = "hit_and_miss"
    return Icon(code, ASSURANCE_WORDS[code])


def short_words(variation: Icon, assurance: Icon) -> str:
    """Both icons' meaning in one line, e.g. "improving, special cause; target not consistently
    met" (the detail in brackets left out)."""
    first = variation.text.split(" (")[0]
    second = assurance.text.split(" (")[0]
    return f"{first}; {second}"
